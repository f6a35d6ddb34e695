"""End-to-end tests of the plugin's collectd notifications: share droughts,
payouts and blocked observers reach the logfile plugin and a program run by
the exec plugin's NotificationExec.

The logfile plugin writes each notification as one line:
  Notification: severity = S, host = H, plugin = P, plugin_instance = I,
  type = T, type_instance = TI, message = M
"""

import os
import pwd
import re
import shutil
import stat
import tempfile
import time

import pytest

from collectd_runner import VALGRIND, CollectdError, scaled
from p2pool_config import observer_block, wallet_block

INTERVAL = 2 if VALGRIND else 1
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVENT_FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "events")

# The wallet that the event fixtures pay in found_block.json and that mined
# the block of orphaned_block.json; the fake observer does not know it.
STREAM_WALLET = ("4RigoY1P6ErC7avcEQCciNy2Qh5zeQCzmRe1WZcSD1dKzJsBY3dnD62wHdeDRDfb"
                 "rF91mr54VGFXiJgYBr1pFuPCZNvCGkv")

_NOTIFICATION_RE = re.compile(
    r"Notification: severity = (?P<severity>\w+)"
    r"(?:, host = (?P<host>[^,]*))?"
    r"(?:, plugin = (?P<plugin>[^,]*))?"
    r"(?:, plugin_instance = (?P<plugin_instance>[^,]*))?"
    r"(?:, type = (?P<type>[^,]*))?"
    r"(?:, type_instance = (?P<type_instance>[^,]*))?"
    r"(?:, message = (?P<message>.*))?$")


def notifications(collectd, **wanted):
    """Return the notifications in collectd's log whose fields equal every
    given field (severity, plugin_instance, type, type_instance...)."""
    found = []
    for line in collectd.log_lines("Notification: severity"):
        match = _NOTIFICATION_RE.search(line)
        if match is None:
            continue
        fields = match.groupdict()
        if all(fields.get(key) == value for key, value in wanted.items()):
            found.append(fields)
    return found


def wait_for_notification(collectd, timeout=15.0, count=1, **wanted):
    """Wait until count notifications match; return them."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        found = notifications(collectd, **wanted)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise CollectdError("no notification %s after %.0f s:\n%s"
                                % (wanted, scaled(timeout), collectd.log()[-6000:]))
        time.sleep(0.2)


def plugin_config(fake, wallets, **options):
    """<Plugin p2pool> text: observer "mini" at the fake, wallets a list of
    (name, address), global options before the blocks."""
    text = "".join("  %s %s\n" % (key, value) for key, value in options.items())
    text += observer_block("mini", fake.url, Interval=INTERVAL, Timeout=INTERVAL)
    for name, address in wallets:
        text += wallet_block(name, address, "mini")
    return text


def new_share(data, address, seconds_ago=5):
    """Give a miner a share newer than every share it has: one side height
    higher, seconds_ago old."""
    info = data.miner_info(address)
    info["last_share_height"] += 1
    info["last_share_timestamp"] = int(time.time()) - seconds_ago
    data.add_miner(info, data.window(address), data.payouts(address))


def test_drought_warning_then_okay(fake_observer, collectd_factory):
    data = fake_observer.data
    address = data.addresses()[0]
    collectd = collectd_factory(plugin_config(fake_observer, [("rig1", address)])).start()

    # The fixture's last share is months old: far past 6 expected intervals.
    warning = wait_for_notification(collectd, severity="WARNING", plugin="p2pool",
                                    plugin_instance="rig1", type="age_seconds",
                                    type_instance="last_share")[0]
    assert warning["host"] == "testhost"
    assert warning["message"].startswith('Wallet "rig1" has found no share for ')
    assert "a share is expected every" in warning["message"]

    new_share(data, address)
    okay = wait_for_notification(collectd, severity="OKAY", plugin_instance="rig1",
                                 type="age_seconds", type_instance="last_share")[0]
    assert "the share drought is over" in okay["message"]

    # One warning and one OKAY, however many polls ran meanwhile.
    time.sleep(scaled(3 * INTERVAL))
    assert len(notifications(collectd, type="age_seconds", severity="WARNING")) == 1
    assert len(notifications(collectd, type="age_seconds", severity="OKAY")) == 1
    collectd.assert_no_read_suspend()


def test_expected_share_interval_figure(fake_observer, collectd_factory):
    data = fake_observer.data
    address = data.addresses()[0]
    collectd = collectd_factory(plugin_config(fake_observer, [("rig1", address)])).start()

    expected = collectd.wait_for("collectd_p2pool_share_interval_seconds",
                                 {"p2pool": "rig1", "type": "expected"})
    hashrate = collectd.value("collectd_p2pool_hashrate", {"p2pool": "rig1", "type": "window"})
    side = collectd.value("collectd_p2pool_difficulty", {"p2pool": "mini", "type": "side"})
    assert hashrate > 0
    assert expected == pytest.approx(side / hashrate, rel=1e-9)


def test_drought_factor_zero_silent(fake_observer, collectd_factory):
    data = fake_observer.data
    address = data.addresses()[0]
    collectd = collectd_factory(plugin_config(
        fake_observer, [("rig1", address)], ShareDroughtFactor=0)).start()

    collectd.wait_for("collectd_p2pool_share_interval_seconds",
                      {"p2pool": "rig1", "type": "expected"})
    time.sleep(scaled(3 * INTERVAL))
    assert notifications(collectd, type="age_seconds") == []


@pytest.mark.parametrize("value", ["-1", "1001", '"six"'])
def test_drought_factor_invalid_rejected(fake_observer, collectd_factory, value):
    data = fake_observer.data
    collectd = collectd_factory(plugin_config(
        fake_observer, [("rig1", data.addresses()[0])], ShareDroughtFactor=value))
    with pytest.raises(CollectdError):
        collectd.start()
    assert collectd.wait_for_exit() != 0
    assert collectd.log_lines("ShareDroughtFactor")


def test_payout_notification(fake_observer, collectd_factory):
    data = fake_observer.data
    address = data.addresses()[0]
    collectd = collectd_factory(plugin_config(fake_observer, [("rig1", address)])).start()
    history = len(data.payouts(address))
    collectd.wait_for("collectd_p2pool_payouts_total", {"p2pool": "rig1"},
                      lambda v: v == history)

    # The history read at the first start is not announced.
    time.sleep(scaled(2 * INTERVAL))
    assert notifications(collectd, type="payouts") == []

    newest = data.payouts(address)[0]
    payout = dict(newest, main_height=newest["main_height"] + 7,
                  main_id="ab" * 32, coinbase_reward=1234500000000,
                  timestamp=int(time.time()))
    data.add_payout(address, payout)

    found = wait_for_notification(collectd, severity="OKAY", plugin_instance="rig1",
                                  type="payouts")
    assert found[0]["message"] == (
        'Wallet "rig1" received a payout of 1.234500000000 XMR in Monero block %d.'
        % payout["main_height"])
    collectd.wait_for("collectd_p2pool_payouts_total", {"p2pool": "rig1"},
                      lambda v: v == history + 1)
    time.sleep(scaled(2 * INTERVAL))
    assert len(notifications(collectd, type="payouts")) == 1


def test_observer_blocked_failure_then_okay(fake_observer, collectd_factory):
    data = fake_observer.data
    collectd = collectd_factory(plugin_config(
        fake_observer, [("rig1", data.addresses()[0])])).start()
    collectd.wait_for("collectd_p2pool_api_requests_total",
                      {"p2pool": "mini", "type": "pool_info-ok"}, lambda v: v >= 1)

    rule = fake_observer.http.script_html("*", status=418)
    failure = wait_for_notification(collectd, severity="FAILURE", plugin_instance="mini",
                                    type="api_requests", type_instance="blocked")[0]
    assert failure["message"] == (
        'Observer "mini" (%s) returns HTML pages of a bot filter or proxy; its '
        "figures stay stale until it responds again." % fake_observer.url)

    fake_observer.http.remove_rule(rule)
    okay = wait_for_notification(collectd, severity="OKAY", plugin_instance="mini",
                                 type="api_requests", type_instance="blocked")[0]
    assert "responds again" in okay["message"]
    assert len(notifications(collectd, type="api_requests", severity="FAILURE")) == 1


def test_blocked_observer_no_drought_change(fake_observer, collectd_factory):
    """While every request is blocked the last share time is stale: no drought
    notification starts or ends."""
    data = fake_observer.data
    address = data.addresses()[0]
    fake_observer.http.script_html("*", status=403)
    collectd = collectd_factory(plugin_config(fake_observer, [("rig1", address)])).start()

    wait_for_notification(collectd, severity="FAILURE", type_instance="blocked")
    time.sleep(scaled(3 * INTERVAL))
    assert notifications(collectd, type="age_seconds") == []


def _exec_user():
    """User the exec plugin runs the program as: it refuses root."""
    if os.geteuid() == 0:
        return "nobody"
    return pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture
def exec_dir():
    """A directory the exec plugin's user can read and write: pytest's own
    temporary directories are private to the user running the tests."""
    path = tempfile.mkdtemp(prefix="p2pool-notify-")
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_notification_exec_consumer(fake_observer, collectd_factory, exec_dir):
    data = fake_observer.data
    address = data.addresses()[0]
    script = os.path.join(exec_dir, "on-notification")
    with open(script, "w", encoding="utf-8") as f:
        f.write('#!/bin/sh\ncat > "%s/notification.$$.tmp" && '
                'mv "%s/notification.$$.tmp" "%s/notification.$$"\n'
                % (exec_dir, exec_dir, exec_dir))
    os.chmod(script, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)

    extra = ('LoadPlugin exec\n<Plugin exec>\n  NotificationExec "%s" "%s"\n</Plugin>\n'
             % (_exec_user(), script))
    collectd = collectd_factory(plugin_config(fake_observer, [("rig1", address)]),
                                extra_config=extra, extra_plugins=("exec",)).start()
    wait_for_notification(collectd, severity="WARNING", type="age_seconds")

    deadline = time.monotonic() + scaled(15)
    texts = []
    while time.monotonic() < deadline:
        texts = []
        for name in os.listdir(exec_dir):
            if name.startswith("notification.") and not name.endswith(".tmp"):
                with open(os.path.join(exec_dir, name), encoding="utf-8") as f:
                    texts.append(f.read())
        if any("Type: age_seconds" in text for text in texts):
            break
        time.sleep(0.2)

    drought = [text for text in texts if "Type: age_seconds" in text]
    assert drought, "the program got no drought notification:\n%s" % collectd.log()[-4000:]
    headers, _, message = drought[0].partition("\n\n")
    assert "Severity: WARNING" in headers.splitlines()
    assert "Host: testhost" in headers.splitlines()
    assert "Plugin: p2pool" in headers.splitlines()
    assert "PluginInstance: rig1" in headers.splitlines()
    assert "TypeInstance: last_share" in headers.splitlines()
    assert message.startswith('Wallet "rig1" has found no share for ')


def event_fixture(name):
    with open(os.path.join(EVENT_FIXTURES, name), encoding="utf-8") as f:
        return f.read()


def start_with_stream(fake_observer, collectd_factory):
    """Start collectd with rig1 (STREAM_WALLET) on observer "mini" and its
    event stream, and wait until the stream is connected."""
    text = observer_block("mini", fake_observer.url, Interval=INTERVAL, Timeout=INTERVAL,
                          Events=True, EventsURL=fake_observer.events_url)
    text += wallet_block("rig1", STREAM_WALLET, "mini")
    collectd = collectd_factory(text).start()
    collectd.wait_for("collectd_p2pool_websocket_connected", {"p2pool": "mini"},
                      lambda v: v == 1)
    collectd.wait_for("collectd_p2pool_payouts_total", {"p2pool": "rig1"})
    return collectd


def test_stream_payout_notification(fake_observer, collectd_factory):
    """A payout counted from a found_block event is announced as well."""
    collectd = start_with_stream(fake_observer, collectd_factory)

    fake_observer.events.send_text(event_fixture("found_block.json"))
    found = wait_for_notification(collectd, severity="OKAY", plugin_instance="rig1",
                                  type="payouts")
    assert found[0]["message"] == (
        'Wallet "rig1" received a payout of 0.002718281828 XMR in Monero block 3712002.')

    fake_observer.events.send_text(event_fixture("found_block.json"))
    time.sleep(scaled(3 * INTERVAL))
    assert len(notifications(collectd, type="payouts")) == 1


def events_notify_wired():
    with open(os.path.join(REPO_ROOT, "src", "events.c"), encoding="utf-8") as f:
        return "p2pool_notify_found_block" in f.read()


def test_found_and_orphaned_notifications(fake_observer, collectd_factory):
    if not events_notify_wired():
        pytest.skip("src/events.c does not call p2pool_notify_found_block yet")
    collectd = start_with_stream(fake_observer, collectd_factory)

    fake_observer.events.send_text(event_fixture("found_block.json"))
    fake_observer.events.send_text(event_fixture("orphaned_block.json"))
    found = wait_for_notification(collectd, severity="OKAY", plugin_instance="mini",
                                  type="blocks", type_instance="found")
    assert found[0]["message"] == (
        'The pool on observer "mini" found Monero block 3712002; it paid 1 of the '
        "configured wallets.")
    orphaned = wait_for_notification(collectd, severity="WARNING", plugin_instance="rig1",
                                     type="blocks", type_instance="orphaned")
    assert orphaned[0]["message"] == (
        'The Monero block 3711998 found by wallet "rig1" was orphaned; its reward is lost.')

    # A repeated event is no new block.
    fake_observer.events.send_text(event_fixture("found_block.json"))
    time.sleep(scaled(3 * INTERVAL))
    assert len(notifications(collectd, type="blocks", type_instance="found")) == 1
