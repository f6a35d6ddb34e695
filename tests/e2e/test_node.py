"""End-to-end tests of <Node> blocks: the real collectd reads a P2Pool
data API directory (or a loopback web server serving one) and the figures
are checked in write_prometheus's /metrics.

Files are written the way P2Pool writes them: one line, no trailing
newline, into a temporary name beside the target, then renamed over it.
"""

import grp
import itertools
import os
import pwd
import shutil
import tempfile
import time

import pytest

from collectd_runner import free_port
from observer_expect import labels

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "node")
REQUESTS = "collectd_p2pool_api_requests_total"

LAYOUT_FILES = {
    "current": ["local/stratum", "local/p2p", "local/miner", "local/console",
                "pool/stats", "pool/blocks", "network/stats"],
    "v3_0": ["local/stats", "pool/stats", "pool/blocks", "network/stats"],
}

_temporary_suffix = itertools.count(1)


def write_api_file(root, relative, text, mode=None):
    """Writes relative under root as P2Pool does: a temporary file named
    after the target plus a counter, renamed over the target."""
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}{next(_temporary_suffix)}"
    with open(temporary, "w", encoding="ascii", newline="") as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(temporary, mode)
    os.rename(temporary, path)


def fixture_text(layout, relative):
    with open(os.path.join(FIXTURES, layout, relative), encoding="ascii") as f:
        return f.read()


def write_layout(root, layout, only=None):
    for relative in LAYOUT_FILES[layout]:
        if only is None or relative.split("/")[0] in only:
            write_api_file(root, relative, fixture_text(layout, relative))


def metric(samples, name, node="home", type_instance=None):
    """The value of the series of name with exactly the labels of node and
    type_instance in samples (Collectd.scrape()), or None."""
    return samples.get((name, frozenset(labels(node, type_instance).items())))


def node_block(data_api, name="home", extra=""):
    return f"""  <Node "{name}">
    DataAPI "{data_api}"
    Interval 1
{extra}
  </Node>"""


def start_node(collectd_factory, block, run_as=None):
    """Start collectd with the <Node> blocks of block."""
    return collectd_factory(block, run_as=run_as).start()


def wait_for(collectd, name, type_instance=None, predicate=None, timeout=15.0):
    """Wait until node "home" has the figure (and predicate(value) holds);
    return the figures then scraped."""
    collectd.wait_for(name, labels("home", type_instance), predicate, timeout=timeout)
    return collectd.scrape()


def at_least(count):
    return lambda value: value >= count


@pytest.fixture
def data_api():
    """A data API directory that any user can read (tmp_path is private to
    the user running the tests, and collectd may run as nobody)."""
    root = tempfile.mkdtemp(prefix="p2pool-data-api-")
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def data_api_server(scripted_http, data_api):
    """scripted_http serving data_api under /api/, with a plain HTML 404
    page for a missing file as web servers send."""
    scripted_http.serve_directory("/api/", data_api)
    return scripted_http


# ---- the two layouts, read from a directory ------------------------------

# Figures of the "current" fixture layout: (name, type or None): value.
CURRENT_FIGURES = {
    ("collectd_p2pool_hashrate", "stratum_15m"): 61234,
    ("collectd_p2pool_hashrate", "stratum_24h"): 60412,
    ("collectd_p2pool_stratum_hashes_total", None): 5218765432,
    ("collectd_p2pool_stratum_shares_total", None): 18233,
    ("collectd_p2pool_sidechain_shares_total", "found"): 42,
    ("collectd_p2pool_sidechain_shares_total", "failed"): 1,
    ("collectd_p2pool_share_effort_percent", "current"): 27.604,
    ("collectd_p2pool_stratum_connections", "all"): 4,
    ("collectd_p2pool_stratum_workers", None): 4,
    ("collectd_p2pool_reward_share_percent", None): 0.418,
    # two connections named rig-a, one over IPv6, one not logged in
    ("collectd_p2pool_worker_hashrate", "rig-a"): 41216,
    ("collectd_p2pool_worker_hashrate", "rig-b"): 19968,
    ("collectd_p2pool_worker_hashrate", "not logged in"): 0,

    ("collectd_p2pool_p2p_connections", "incoming"): 3,
    ("collectd_p2pool_p2p_peers", None): 4,
    ("collectd_p2pool_peer_list_size", None): 874,
    ("collectd_p2pool_uptime_seconds", None): 91234,
    ("collectd_p2pool_age_seconds", "last_zmq_message"): 2,

    ("collectd_p2pool_hashrate", "miner"): 3820,
    ("collectd_p2pool_miner_threads", None): 6,

    ("collectd_p2pool_hashrate", "pool"): 17123456,
    ("collectd_p2pool_miners", "recent"): 1803,
    ("collectd_p2pool_difficulty", "side"): 171234560,
    ("collectd_p2pool_height", "side"): 15123456,
    ("collectd_p2pool_window_blocks", None): 2160,
    ("collectd_p2pool_window_weight", None): 341234567890,
    ("collectd_p2pool_pool_blocks_found_total", None): 93,
    ("collectd_p2pool_difficulty", "main"): 700000000000,
    ("collectd_p2pool_height", "main"): 3712400,
    ("collectd_p2pool_reward_atomic_units", "main"): 600123450000,
}


def check_current_figures(metrics):
    for (name, type_instance), expected in CURRENT_FIGURES.items():
        found = metric(metrics, name, type_instance=type_instance)
        assert found == expected, (name, type_instance)

    # (21345678901234567 - 21345000000000000) * 100 / 700e9, and the mean
    # of 100 % and 200 % over pool/blocks
    current = metric(metrics, "collectd_p2pool_effort_percent",
                     type_instance="current")
    assert current == pytest.approx(96.98589065242857, rel=1e-12)
    assert metric(metrics, "collectd_p2pool_effort_percent",
                  type_instance="average") == 150

    for label in ("local_stratum", "local_p2p", "local_miner", "pool_stats",
                  "pool_blocks", "network_stats"):
        age = metric(metrics, "collectd_p2pool_data_age_seconds",
                     type_instance=label)
        assert age is not None and 0 <= age < 120, label


def test_directory_current_layout(data_api, collectd_factory):
    write_layout(data_api, "current")
    collectd = start_node(collectd_factory, node_block(data_api + "/"))
    wait_for(collectd, "collectd_p2pool_effort_percent", "current")
    wait_for(collectd, "collectd_p2pool_worker_hashrate", "rig-a")
    metrics = wait_for(collectd, "collectd_p2pool_miner_threads")
    check_current_figures(metrics)
    assert metric(metrics, REQUESTS, type_instance="pool_stats-ok") >= 1
    log = collectd.log()
    # the console cookie is never read, so never logged
    assert "NOT-A-REAL-COOKIE" not in log
    assert "not found" not in log


def test_directory_v3_0_layout(data_api, collectd_factory):
    write_layout(data_api, "v3_0")
    collectd = start_node(collectd_factory, node_block(data_api))
    wait_for(collectd, "collectd_p2pool_hashrate", "stratum_15m")
    metrics = wait_for(collectd, "collectd_p2pool_effort_percent", "current")
    assert metric(metrics, "collectd_p2pool_hashrate",
                  type_instance="stratum_15m") == 48000
    assert metric(metrics, "collectd_p2pool_stratum_hashes_total") == \
        3901234567
    assert metric(metrics, "collectd_p2pool_share_effort_percent",
                  type_instance="current") == 64.5
    assert metric(metrics, "collectd_p2pool_window_weight") == \
        123456789012
    # (987654321098765 - 987000000000000) * 100 / 360e9
    assert metric(metrics, "collectd_p2pool_effort_percent",
                  type_instance="current") == \
        pytest.approx(181.75586076805556, rel=1e-12)
    # fields and files of later versions are simply absent
    assert metric(metrics, "collectd_p2pool_stratum_workers") is None
    assert metric(metrics, "collectd_p2pool_window_blocks") is None
    assert metric(metrics, "collectd_p2pool_stratum_shares_total") is None
    assert metric(metrics, "collectd_p2pool_p2p_peers") is None
    log = collectd.log()
    assert "local/stats" not in log  # read without complaint
    assert log.count("local/p2p not found") == 1


# ---- URL mode ------------------------------------------------------------

@pytest.mark.parametrize("layout,served,other", [
    ("current", "/api/local/stratum", "/api/local/stats"),
    ("v3_0", "/api/local/stats", "/api/local/stratum"),
])
def test_url_mode(data_api, data_api_server, collectd_factory, layout, served, other):
    write_layout(data_api, layout)
    collectd = start_node(collectd_factory, node_block(data_api_server.url + "/api/"))
    wait_for(collectd, "collectd_p2pool_hashrate", "stratum_15m")
    metrics = wait_for(collectd, "collectd_p2pool_effort_percent", "current")
    time.sleep(2.5)  # a few more reads
    if layout == "current":
        check_current_figures(collectd.scrape())
    else:
        assert metric(metrics, "collectd_p2pool_hashrate",
                      type_instance="stratum_15m") == 48000
    requests = [request.path for request in data_api_server.requests]

    assert requests.count(served) >= 3
    # the other name of the stratum file is asked for once at most
    assert requests.count(other) <= 1
    assert all(path.startswith("/api/") for path in requests)


def test_url_mode_timeout_spares_other_files(data_api, data_api_server, collectd_factory):
    write_layout(data_api, "current")
    data_api_server.serve_directory("/api/", data_api, pattern="/api/local/p2p", delay=3)
    extra = "    Timeout 0.5"
    collectd = start_node(collectd_factory,
                          node_block(data_api_server.url + "/api", extra=extra))
    wait_for(collectd, "collectd_p2pool_hashrate", "pool")
    metrics = wait_for(collectd, REQUESTS, "local_p2p-timeout", at_least(1))
    assert metric(metrics, "collectd_p2pool_p2p_peers") is None
    assert metric(metrics, "collectd_p2pool_hashrate",
                  type_instance="stratum_15m") == 61234
    log = collectd.log()
    assert "timeout" in log
    assert "Timeout 0.5" not in log


def test_url_mode_unreachable_server(collectd_factory):
    port = free_port()  # nothing listens there
    collectd = start_node(collectd_factory,
                          node_block(f"http://127.0.0.1:{port}/api"))
    wait_for(collectd, REQUESTS, "pool_stats-unreachable", at_least(2))
    log = collectd.log()
    # one line per node, not one per file, and repeats are thinned out
    assert 1 <= log.count("requests to http://127.0.0.1") <= 2
    assert "7 of 7 requests" in log


# ---- quirks --------------------------------------------------------------

def test_missing_files_logged_once(data_api, collectd_factory):
    # a node without --local-api, and no built-in miner
    write_layout(data_api, "current", only={"pool", "network"})
    collectd = start_node(collectd_factory, node_block(data_api))
    wait_for(collectd, "collectd_p2pool_hashrate", "pool")
    metrics = wait_for(collectd, REQUESTS, "local_stratum-not_found", at_least(4))
    assert metric(metrics, "collectd_p2pool_hashrate",
                  type_instance="stratum_15m") is None

    # the file appears later and is read
    write_api_file(data_api, "local/stratum",
                   fixture_text("current", "local/stratum"))
    wait_for(collectd, "collectd_p2pool_hashrate", "stratum_15m")
    log = collectd.log()

    assert log.count("local/stratum not found") == 1
    assert "--local-api" in log
    assert log.count("local/p2p not found") == 1
    assert log.count("local/miner not found") == 1
    assert "local/stratum appeared" in log


def test_missing_directory(data_api, collectd_factory):
    missing = os.path.join(data_api, "nowhere")
    collectd = start_node(collectd_factory, node_block(missing))
    time.sleep(3)
    assert collectd.alive()
    log = collectd.log()
    assert f"DataAPI directory {missing} is not usable" in log
    assert "--data-api" in log
    assert log.count("is not usable") <= 3


STRATUM_WITH = ('{{"hashrate_15m":{rate},"hashrate_1h":59876,'
                '"hashrate_24h":60412,"total_hashes":5218765432,'
                '"total_stratum_shares":18233,"last_share_found_time":0,'
                '"shares_found":42,"shares_failed":1,"average_effort":{avg},'
                '"current_effort":{cur},"connections":4,'
                '"incoming_connections":4,"block_reward_share_percent":{rs},'
                '"wallet":"4x","workers":[]}}')


def test_non_finite_and_cut_numbers(data_api, collectd_factory):
    write_layout(data_api, "current")
    collectd = start_node(collectd_factory, node_block(data_api))
    wait_for(collectd, "collectd_p2pool_share_effort_percent", "current")

    # P2Pool before v4.17 with inf, -nan and a double cut to "14 digits."
    write_api_file(data_api, "local/stratum", STRATUM_WITH.format(
        rate=70000, avg="12345678901234.", cur="inf", rs="-nan"))
    metrics = wait_for(collectd, "collectd_p2pool_hashrate", "stratum_15m",
                       lambda value: value == 70000)

    # rejected fields keep their last good values
    assert metric(metrics, "collectd_p2pool_share_effort_percent",
                  type_instance="current") == 27.604
    assert metric(metrics, "collectd_p2pool_reward_share_percent") == \
        0.418
    # the trailing '.' is unambiguous
    assert metric(metrics, "collectd_p2pool_share_effort_percent",
                  type_instance="average") == 12345678901234

    # a 15-digit integer in a double field may have lost digits
    write_api_file(data_api, "local/stratum", STRATUM_WITH.format(
        rate=80000, avg="123456789012345", cur="50.125", rs="0.5"))
    metrics = wait_for(collectd, "collectd_p2pool_hashrate", "stratum_15m",
                       lambda value: value == 80000)
    assert metric(metrics, "collectd_p2pool_share_effort_percent",
                  type_instance="average") == 12345678901234
    assert metric(metrics, "collectd_p2pool_share_effort_percent",
                  type_instance="current") == 50.125
    log = collectd.log()

    assert "current_effort is not a finite number (inf)" in log
    assert "block_reward_share_percent is not a finite number (-nan)" in log
    assert "average_effort has 15 or more digits" in log


def test_invalid_document_keeps_figures(data_api, collectd_factory):
    write_layout(data_api, "current")
    collectd = start_node(collectd_factory, node_block(data_api))
    wait_for(collectd, "collectd_p2pool_hashrate", "pool")
    write_api_file(data_api, "pool/stats", '{"pool_statistics":{"hash')
    metrics = wait_for(collectd, REQUESTS, "pool_stats-bad_body", at_least(6), timeout=20)
    assert metric(metrics, "collectd_p2pool_hashrate",
                  type_instance="pool") == 17123456
    log = collectd.log()
    # c_complain doubles the wait between repeats: 0, 1, 3, 7 s
    repeats = log.count("pool/stats is not a valid data API document")
    assert 1 <= repeats <= 3


def test_stale_file_shows_its_age(data_api, collectd_factory):
    write_layout(data_api, "current")
    stale = time.time() - 600
    os.utime(os.path.join(data_api, "pool", "stats"), (stale, stale))
    collectd = start_node(collectd_factory, node_block(data_api))
    metrics = wait_for(collectd, "collectd_p2pool_data_age_seconds", "pool_stats")
    age = metric(metrics, "collectd_p2pool_data_age_seconds",
                 type_instance="pool_stats")
    assert 600 <= age < 660
    assert metric(metrics, "collectd_p2pool_data_age_seconds",
                  type_instance="network_stats") < 60


@pytest.mark.parametrize("group", ["daemon", "root"])
def test_permission_denied_names_the_fix(data_api, collectd_factory, group):
    """P2Pool v4.8+ makes local/ 0750 and its files 0640."""
    if os.geteuid() != 0:
        pytest.skip("needs root to give local/ to another group and to run "
                    "collectd as an unprivileged user")
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to run collectd as an unprivileged user")

    write_layout(data_api, "current")
    local = os.path.join(data_api, "local")
    gid = grp.getgrnam(group).gr_gid
    for relative in ("local/stratum", "local/p2p", "local/miner",
                     "local/console"):
        os.chown(os.path.join(data_api, relative), 0, gid)
        os.chmod(os.path.join(data_api, relative), 0o640)
    os.chown(local, 0, gid)
    os.chmod(local, 0o750)

    # root reads any file, so collectd runs as nobody, who is in neither group
    collectd = start_node(collectd_factory, node_block(data_api), run_as="nobody")
    wait_for(collectd, "collectd_p2pool_hashrate", "pool")
    metrics = wait_for(collectd, REQUESTS, "local_stratum-blocked", at_least(2))
    assert metric(metrics, "collectd_p2pool_hashrate",
                  type_instance="stratum_15m") is None
    log = collectd.log()

    # one line for the directory, not one per file
    assert f"cannot read {local}: permission denied" in log
    assert "local/stratum: permission denied" not in log
    if group == "root":
        # joining group root would be bad advice
        assert 'Grant collectd\'s user "nobody" read access with an ACL' in log
        assert "usermod" not in log
    else:
        assert 'Add collectd\'s user "nobody" to group "daemon"' in log
        assert "usermod -aG daemon nobody" in log
    # rate-limited: not once per interval
    assert log.count("permission denied") <= 3


def test_permission_denied_as_test_user(data_api, collectd_factory):
    if os.geteuid() == 0:
        pytest.skip("root reads any file; test_permission_denied_names_the_fix "
                    "drops privileges instead")
    write_layout(data_api, "current")
    local = os.path.join(data_api, "local")
    os.chmod(local, 0o000)  # a mode the test user cannot read
    try:
        collectd = start_node(collectd_factory, node_block(data_api))
        wait_for(collectd, "collectd_p2pool_hashrate", "pool")
        wait_for(collectd, REQUESTS, "local_stratum-blocked", at_least(2))
        log = collectd.log()
    finally:
        os.chmod(local, 0o755)
    user = pwd.getpwuid(os.geteuid()).pw_name
    assert f"cannot read {local}: permission denied" in log
    assert f'collectd\'s user "{user}"' in log


# ---- configuration -------------------------------------------------------

@pytest.mark.parametrize("block,message", [
    (node_block("relative/dir"),
     'DataAPI "relative/dir" is neither an absolute directory path'),
    (node_block("ftp://127.0.0.1/api"), "is not a valid URL"),
    (node_block("/tmp", extra="    MaxWorkers 1.5"), "MaxWorkers 1.5 is invalid"),
    (node_block("/tmp", extra="    MaxWorkers 5000"),
     "MaxWorkers 5000 is invalid"),
    (node_block("/tmp", extra="    Colour \"blue\""),
     'unknown option "Colour"'),
    (node_block("http://127.0.0.1:1/api", extra="    Timeout 5"),
     "Timeout 5 s is longer than Interval 1 s"),
    ('  <Node "home">\n    Interval 5\n  </Node>', "DataAPI is missing"),
    (node_block("/tmp") + "\n" + node_block("/tmp"),
     "the name is already used"),
])
def test_invalid_configuration_rejected(collectd_factory, block, message):
    collectd = collectd_factory(block)
    status = collectd.run_once()
    assert status != 0
    assert message in collectd.log()


def test_directory_ignores_http_options(data_api, collectd_factory):
    write_layout(data_api, "current", only={"pool", "network"})
    block = node_block(data_api, extra='    UserAgent "x"')
    collectd = start_node(collectd_factory, block)
    wait_for(collectd, "collectd_p2pool_hashrate", "pool")
    log = collectd.log()
    assert "UserAgent has no effect" in log
