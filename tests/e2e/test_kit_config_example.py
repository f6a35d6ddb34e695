"""collectd.conf.example loads into the real collectd.

The <Plugin p2pool> block is taken from the example with its URLs, paths
and addresses pointed at the fake upstreams. One test uses it as written;
another also turns on every optional setting (the lines written "#Option"
and the commented blocks), leaving out only the blocks whose source is
still a placeholder in src/ (its file contains the word "placeholder").
"""

import os
import re

import pytest

from collectd_runner import free_port

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(E2E_DIR))
EXAMPLE = os.path.join(REPO_ROOT, "collectd.conf.example")

# Commented blocks of the example and the source file that implements each.
OPTIONAL_BLOCKS = {"Redis": "store", "Node": "node", "Prices": "prices"}
REDIS_PASSWORD = "example-password"


def example_plugin_block():
    """Return the lines between <Plugin p2pool> and </Plugin>."""
    with open(EXAMPLE, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"^<Plugin p2pool>\n(.*?)^</Plugin>$", text, re.S | re.M)
    assert match, "collectd.conf.example has no <Plugin p2pool> block"
    return match.group(1).splitlines()


def source_is_placeholder(source):
    with open(os.path.join(REPO_ROOT, "src", source + ".c"), encoding="utf-8") as f:
        return "placeholder" in f.read()


def uncomment(lines):
    """Turn on every optional setting: "#Option ..." lines lose their "#",
    and each line of a commented block ("#<Node" to "#</Node>") loses its
    first "#", which keeps the "# ..." explanations inside as comments.
    Blocks whose source is a placeholder stay commented."""
    result = []
    block = None
    for line in lines:
        stripped = line.lstrip()
        opening = re.match(r"#<(\w+)", stripped)
        if block is None and opening:
            block = opening.group(1)
        if block is not None:
            keep_commented = source_is_placeholder(OPTIONAL_BLOCKS[block])
            result.append(line if keep_commented else line.replace("#", "", 1))
            if stripped.startswith("#</%s>" % block):
                block = None
        elif re.match(r"#[A-Za-z]", stripped):
            result.append(line.replace("#", "", 1))
        else:
            result.append(line)
    return result


def set_option(lines, key, value):
    """Set every active `key` line to value (a string already quoted as the
    configuration needs). Returns the number of lines changed."""
    pattern = re.compile(r"^(\s*)%s\s.*$" % re.escape(key))
    changed = 0
    for i, line in enumerate(lines):
        match = pattern.match(line)
        if match:
            lines[i] = "%s%s %s" % (match.group(1), key, value)
            changed += 1
    return changed


def drop_option(lines, key):
    return [line for line in lines if not re.match(r"^\s*%s\s" % re.escape(key), line)]


def adapt(lines, fake, address, tmp_path, redis=None):
    """Point the example at the test's fakes and files."""
    lines = list(lines)
    assert set_option(lines, "Address", '"%s"' % address) == 1
    assert set_option(lines, "StateFile", '"%s"' % (tmp_path / "p2pool.state")) == 1
    # Observer URL, and Prices URL when it is on: nothing listens there.
    observer_url = [i for i, line in enumerate(lines) if line.strip().startswith("URL ")][0]
    lines[observer_url] = '    URL "%s"' % fake.url
    closed = "http://127.0.0.1:%d" % free_port()
    set_option(lines, "EventsURL", '"%s"' % fake.events_url)
    set_option(lines, "RaffleURL", '"%s"' % closed)
    set_option(lines, "Interval", "1")
    set_option(lines, "Timeout", "1")
    set_option(lines, "Raffle", "false" if source_is_placeholder("raffle") else "true")
    text = "\n".join(lines)
    text = re.sub(r'(<Prices>.*?)URL "[^"]*"', r'\1URL "%s"' % closed, text, flags=re.S)
    lines = text.splitlines()

    data_api = tmp_path / "data-api"
    data_api.mkdir(exist_ok=True)
    set_option(lines, "DataAPI", '"%s"' % data_api)

    if redis is not None:
        set_option(lines, "Port", str(redis.port))
        set_option(lines, "Password", '"%s"' % REDIS_PASSWORD)
        lines = drop_option(lines, "User")  # an ACL user the test Redis lacks
    return "\n".join(lines) + "\n"


def test_example_options_documented():
    """Each option that config.c reads appears in the example."""
    with open(EXAMPLE, encoding="utf-8") as f:
        example = f.read()
    with open(os.path.join(REPO_ROOT, "src", "config.c"), encoding="utf-8") as f:
        keys = set(re.findall(r'strcasecmp\("(\w+)", child->key\)', f.read()))
    assert keys, "no option names found in src/config.c"
    missing = sorted(key for key in keys
                     if not re.search(r"^\s*#?\s*<?%s\b" % key, example, re.M))
    assert missing == []


def test_example_as_written(fake_observer, collectd_factory, tmp_path):
    address = fake_observer.data.addresses()[0]
    body = adapt(example_plugin_block(), fake_observer, address, tmp_path)
    collectd = collectd_factory(body).start()

    collectd.wait_for("collectd_p2pool_hashrate", {"p2pool": "rig1", "type": "window"})
    collectd.wait_for("collectd_p2pool_difficulty", {"p2pool": "mini", "type": "side"})
    assert collectd.log_lines(r"\[error\] p2pool plugin") == []
    collectd.assert_no_read_suspend()


def test_example_every_option(fake_observer, collectd_factory, redis_factory, tmp_path):
    redis = None if source_is_placeholder("store") else redis_factory(password=REDIS_PASSWORD)
    address = fake_observer.data.addresses()[0]
    lines = uncomment(example_plugin_block())
    body = adapt(lines, fake_observer, address, tmp_path, redis=redis)
    assert "#EventsURL" not in body
    assert "#UserAgent" not in body

    collectd = collectd_factory(body).start()
    collectd.wait_for("collectd_p2pool_hashrate", {"p2pool": "rig1", "type": "window"})
    # Upstreams pointed at closed ports fail, which is logged as a warning,
    # never an error.
    assert collectd.log_lines(r"\[error\] p2pool plugin") == []
    collectd.assert_no_read_suspend()


@pytest.mark.parametrize("block", sorted(OPTIONAL_BLOCKS))
def test_example_block_source_landed(block):
    """Reports, as a skip, each commented block the test above cannot turn
    on yet because its source is still a placeholder."""
    source = OPTIONAL_BLOCKS[block]
    if source_is_placeholder(source):
        pytest.skip("<%s> stays commented: src/%s.c is a placeholder" % (block, source))
