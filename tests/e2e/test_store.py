"""Running totals across restarts of collectd and of Redis, end to end.

Each test runs the real collectd with the plugin and write_prometheus (the
collectd_factory fixture), the fake observer serving the fixture wallet with
its three payouts, and for Redis a private redis-server (redis_factory).
Totals are read from the /metrics page and from the store itself: the state
file's JSON, or the Redis values.
"""

import copy
import json
import os
import time

from collectd_runner import HOSTNAME, VALGRIND, scaled
from fake_observer import encode_list, make_payout
from p2pool_config import observer_block, wallet_block

INTERVAL = 2 if VALGRIND else 1
RIG1 = {"p2pool": "rig1"}
PAYOUTS = "collectd_p2pool_payouts_total"
PAYOUT_AMOUNT = "collectd_p2pool_payout_atomic_units_total"
PAYOUTS_PATH = "/api/payouts/*"
EVENTS_FIXTURES = ("tests", "fixtures", "events")

# A payout n Monero blocks above the newest one pays this much plus n.
NEW_PAYOUT_REWARD = 1000000000


def wallet_address(fake):
    """The fixture wallet that has payouts."""
    return fake.data.addresses()[0]


def wallet_key(fake):
    return "p2pool:wallet:%s:mini" % wallet_address(fake)


OBSERVER_KEY = "p2pool:observer:%s:mini" % HOSTNAME


def plugin_config(fake, store_config="", **observer_options):
    """<Plugin p2pool> text: the store options, observer "mini" at the fake
    and wallet "rig1" with the fixture wallet's address."""
    options = dict({"Interval": INTERVAL, "Timeout": INTERVAL}, **observer_options)
    return (store_config
            + observer_block("mini", fake.url, **options)
            + wallet_block("rig1", wallet_address(fake), "mini"))


def add_payouts(fake, number):
    """Add number payouts to the wallet, each five Monero blocks above the
    newest one."""
    address = wallet_address(fake)
    for _ in range(number):
        newest = fake.data.payouts(address)[0]
        height = newest["main_height"] + 5
        reward = NEW_PAYOUT_REWARD + len(fake.data.payouts(address))
        fake.data.add_payout(address, make_payout(newest, height, reward, height))


def served_amount(fake):
    """Atomic units of every payout the observer serves for the wallet."""
    return sum(p["coinbase_reward"] for p in fake.data.payouts(wallet_address(fake)))


def payout_requests(fake):
    return fake.http.requests_to(PAYOUTS_PATH)


def wait_for_payout_polls(fake, count, since):
    """Wait until count payout requests arrived after the first since."""
    fake.http.wait_for_request(PAYOUTS_PATH, count=since + count,
                               timeout=scaled(5 + 3 * count * INTERVAL))


def wait_for_payouts(collectd, count):
    return collectd.wait_for(PAYOUTS, RIG1, lambda v: v == count, timeout=20)


def wait_for_amount(collectd, amount):
    return collectd.wait_for(PAYOUT_AMOUNT, RIG1, lambda v: v == amount, timeout=20)


def wait_until(predicate, description, timeout=20.0):
    deadline = time.monotonic() + scaled(timeout)
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s"
                                 % (scaled(timeout), description))
        time.sleep(0.2)


def observer_entry(side, found, orphaned):
    return {
        "name": "mini", "side_blocks": side, "found_blocks": found,
        "orphaned_blocks": orphaned,
        "recent": [{"kind": "side", "template_id": "%064x" % 0xBEEF,
                    "main_id": "%064x" % 0xF00D}],
    }


def redis_config(server, extra=""):
    return ("  <Redis>\n    Host \"127.0.0.1\"\n    Port %d\n    Timeout 1\n%s  </Redis>\n"
            % (server.port, extra))


def redis_value(server, key, db=None):
    """The JSON document stored at key, or None."""
    text = server.command("GET", key, db=db)
    return json.loads(text) if text else None


def redis_payout_count(server, key):
    return (redis_value(server, key) or {}).get("wallet", {}).get("payouts", {}).get("count")


# ---- state file ------------------------------------------------------------


def test_file_totals_continue_across_restart(tmp_path, fake_observer, collectd_factory):
    state_file = tmp_path / "totals.state"
    # Event counters saved by an earlier run: nothing changes them here, so
    # they must come back unchanged after every restart.
    state_file.write_text(json.dumps({
        "format": "collectd-p2pool state", "version": 1, "saved_at": 1,
        "wallets": [], "observers": [observer_entry(1200, 3, 1)]}))
    daemon = collectd_factory(plugin_config(
        fake_observer, '  StateFile "%s"\n' % state_file)).start()

    wait_for_payouts(daemon, 3)
    add_payouts(fake_observer, 2)  # two Monero blocks between two polls
    wait_for_payouts(daemon, 5)
    wait_for_amount(daemon, served_amount(fake_observer))
    daemon.stop()

    saved = json.loads(state_file.read_text())
    assert saved["version"] == 1
    assert saved["wallets"][0]["payouts"]["count"] == 5
    assert saved["wallets"][0]["payouts"]["amount"] == served_amount(fake_observer)
    assert saved["observers"][0]["side_blocks"] == 1200
    assert saved["observers"][0]["found_blocks"] == 3
    assert saved["observers"][0]["orphaned_blocks"] == 1

    # After the restart the first poll requests payouts from the saved
    # cursor. The payout at the cursor comes back and must not be counted
    # again.
    before = len(payout_requests(fake_observer))
    daemon.start()
    wait_for_payouts(daemon, 5)
    wait_for_payout_polls(fake_observer, 3, before)
    assert all("from_height" in r.params for r in payout_requests(fake_observer)[before:])
    assert daemon.value(PAYOUTS, RIG1) == 5
    assert daemon.value(PAYOUT_AMOUNT, RIG1) == served_amount(fake_observer)

    add_payouts(fake_observer, 1)
    wait_for_payouts(daemon, 6)
    daemon.stop()

    saved = json.loads(state_file.read_text())
    assert saved["wallets"][0]["payouts"]["count"] == 6
    assert saved["observers"][0]["side_blocks"] == 1200
    assert not daemon.log_lines("does not exist yet")
    daemon.assert_clean_log()


def test_file_replayed_history_counted_once(tmp_path, fake_observer, collectd_factory):
    state_file = tmp_path / "totals.state"
    daemon = collectd_factory(plugin_config(
        fake_observer, '  StateFile "%s"\n' % state_file)).start()
    wait_for_payouts(daemon, 3)
    daemon.stop()

    # An observer that ignores from_height sends the whole history again.
    address = wallet_address(fake_observer)
    fake_observer.http.script("/api/payouts/" + address,
                              body=encode_list(fake_observer.data.payouts(address)))
    before = len(payout_requests(fake_observer))
    daemon.start()
    wait_for_payout_polls(fake_observer, 3, before)
    assert daemon.value(PAYOUTS, RIG1) == 3

    add_payouts(fake_observer, 1)
    fake_observer.http.script("/api/payouts/" + address,
                              body=encode_list(fake_observer.data.payouts(address)))
    wait_for_payouts(daemon, 4)
    wait_for_amount(daemon, served_amount(fake_observer))


def test_file_missing_is_first_start(fake_observer, collectd_factory):
    daemon = collectd_factory(plugin_config(fake_observer))  # default: p2pool.state in BaseDir
    daemon.start()
    wait_for_payouts(daemon, 3)
    daemon.stop()

    assert daemon.log_lines(r"\[info\] p2pool plugin: State file .*p2pool\.state\" "
                            r"does not exist yet")
    with open(os.path.join(daemon.base_dir, "p2pool.state"), encoding="utf-8") as f:
        saved = json.load(f)
    assert saved["wallets"][0]["address"] == wallet_address(fake_observer)
    assert saved["wallets"][0]["payouts"]["count"] == 3
    assert [name for name in os.listdir(daemon.base_dir)
            if name.startswith("p2pool.state.tmp-")] == []


def run_on_state_fixture(tmp_path, repo_root, fake, collectd_factory, name):
    """Run collectd until it counted the three payouts, with the state file
    fixture name as its StateFile (tmp_path/totals.state). Returns the
    stopped runner and the fixture's bytes."""
    state_file = tmp_path / "totals.state"
    with open(os.path.join(repo_root, "tests", "fixtures", "store", name), "rb") as f:
        fixture = f.read()
    state_file.write_bytes(fixture)
    daemon = collectd_factory(plugin_config(fake, '  StateFile "%s"\n' % state_file)).start()
    wait_for_payouts(daemon, 3)
    daemon.stop()
    return daemon, fixture


def test_file_corrupt_moved_aside(tmp_path, repo_root, fake_observer, collectd_factory):
    state_file = tmp_path / "totals.state"
    daemon, fixture = run_on_state_fixture(tmp_path, repo_root, fake_observer,
                                           collectd_factory, "state_corrupt.json")

    aside = list(tmp_path.glob("totals.state.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == fixture
    assert daemon.log_lines("is unusable")
    assert json.loads(state_file.read_text())["wallets"][0]["payouts"]["count"] == 3


def test_file_newer_version_left_unchanged(tmp_path, repo_root, fake_observer,
                                           collectd_factory):
    state_file = tmp_path / "totals.state"
    daemon, fixture = run_on_state_fixture(tmp_path, repo_root, fake_observer,
                                           collectd_factory, "state_newer.json")

    assert state_file.read_bytes() == fixture
    assert daemon.log_lines("written by a newer version")
    assert list(tmp_path.glob("totals.state.corrupt-*")) == []


# ---- Redis -----------------------------------------------------------------


def test_redis_totals_continue_across_restart(fake_observer, collectd_factory, redis_server):
    server = redis_server
    server.command("SET", OBSERVER_KEY,
                   json.dumps({"version": 1, "observer": observer_entry(1200, 3, 1)}))
    key = wallet_key(fake_observer)
    daemon = collectd_factory(plugin_config(fake_observer, redis_config(server))).start()

    wait_for_payouts(daemon, 3)
    add_payouts(fake_observer, 2)
    wait_for_payouts(daemon, 5)
    daemon.stop()

    wallet = redis_value(server, key)
    assert wallet["version"] == 1
    assert wallet["wallet"]["payouts"]["count"] == 5
    assert wallet["wallet"]["payouts"]["amount"] == served_amount(fake_observer)
    assert redis_value(server, OBSERVER_KEY)["observer"]["side_blocks"] == 1200
    # Totals never expire.
    assert server.command("TTL", key) == -1
    assert server.command("TTL", OBSERVER_KEY) == -1

    before = len(payout_requests(fake_observer))
    daemon.start()
    wait_for_payout_polls(fake_observer, 3, before)
    assert all("from_height" in r.params for r in payout_requests(fake_observer)[before:])
    assert daemon.value(PAYOUTS, RIG1) == 5
    add_payouts(fake_observer, 1)
    wait_for_payouts(daemon, 6)
    wait_until(lambda: redis_payout_count(server, key) == 6, "count 6 in Redis")
    daemon.stop()
    assert redis_value(server, OBSERVER_KEY)["observer"]["side_blocks"] == 1200
    daemon.assert_clean_log()


def test_redis_killed_and_restarted_midrun(fake_observer, collectd_factory, redis_server):
    server = redis_server
    key = wallet_key(fake_observer)
    daemon = collectd_factory(plugin_config(fake_observer, redis_config(server))).start()
    wait_for_payouts(daemon, 3)
    wait_until(lambda: redis_value(server, key), "the wallet key in Redis")

    # Redis dies without saving: its data is gone when it comes back.
    server.kill()
    add_payouts(fake_observer, 1)
    wait_for_payouts(daemon, 4)
    time.sleep(3)  # a few failed saves, each within the timeout
    assert daemon.value(PAYOUTS, RIG1) == 4

    server.start()
    wait_until(lambda: redis_payout_count(server, key) == 4,
               "count 4 written again to the restarted Redis")
    assert redis_value(server, OBSERVER_KEY) is not None

    add_payouts(fake_observer, 1)
    wait_for_payouts(daemon, 5)
    daemon.restart()
    before = len(payout_requests(fake_observer))
    wait_for_payout_polls(fake_observer, 3, before)
    assert daemon.value(PAYOUTS, RIG1) == 5
    daemon.stop()

    assert len(daemon.log_lines(r"Redis at \S+ is unavailable:")) == 1
    assert daemon.log_lines("is available again")


def test_redis_down_at_start_merges_once_back(fake_observer, collectd_factory, redis_server):
    server = redis_server
    key = wallet_key(fake_observer)
    # Totals saved by an earlier run: three payouts, and event counters.
    daemon = collectd_factory(plugin_config(fake_observer, redis_config(server))).start()
    wait_for_payouts(daemon, 3)
    daemon.stop()
    assert redis_payout_count(server, key) == 3
    server.command("SET", OBSERVER_KEY,
                   json.dumps({"version": 1, "observer": observer_entry(1200, 3, 1)}))
    server.stop(save=True)

    # collectd starts while Redis is down, reads the whole history (now four
    # payouts) into memory, and merges when Redis is back.
    add_payouts(fake_observer, 1)
    daemon.start()
    wait_for_payouts(daemon, 4)
    server.start()  # loads dump.rdb with the saved keys
    wait_until(lambda: redis_payout_count(server, key) == 4, "the merged count in Redis")
    assert redis_value(server, key)["wallet"]["payouts"]["amount"] == \
        served_amount(fake_observer)
    assert redis_value(server, OBSERVER_KEY)["observer"]["side_blocks"] == 1200
    assert redis_value(server, OBSERVER_KEY)["observer"]["found_blocks"] == 3

    add_payouts(fake_observer, 1)
    wait_for_payouts(daemon, 5)
    daemon.stop()
    assert redis_payout_count(server, key) == 5
    assert daemon.log_lines(r"Redis at \S+ is unavailable: connect failed")
    assert daemon.log_lines("Merged the saved totals")


def test_redis_with_password(fake_observer, collectd_factory, redis_factory):
    server = redis_factory(password="s3cret-Pa55")
    key = wallet_key(fake_observer)
    daemon = collectd_factory(plugin_config(fake_observer, redis_config(
        server, '    Password "s3cret-Pa55"\n    Database 3\n'))).start()
    wait_for_payouts(daemon, 3)
    wait_until(lambda: server.command("EXISTS", key, db=3) == 1,
               "the wallet key in database 3")
    daemon.stop()
    assert server.command("EXISTS", key) == 0  # not in database 0
    assert "s3cret-Pa55" not in daemon.log()


def test_redis_wrong_password(fake_observer, collectd_factory, redis_factory):
    server = redis_factory(password="s3cret-Pa55")
    daemon = collectd_factory(plugin_config(fake_observer, redis_config(
        server, '    Password "not-the-password"\n'))).start()
    # Redis refuses, the plugin counts from memory and keeps running.
    wait_for_payouts(daemon, 3)
    time.sleep(2)
    assert daemon.alive()
    daemon.stop()

    assert daemon.log_lines(r"p2pool plugin: Redis at 127\.0\.0\.1:\d+ is "
                            r"unavailable: AUTH failed: WRONGPASS")
    assert len(daemon.log_lines(r"Redis at \S+ is unavailable:")) == 1
    assert "not-the-password" not in daemon.log()
    assert server.command("EXISTS", wallet_key(fake_observer)) == 0


# ---- a payout from the event stream and from the REST poll -----------------


def payout_event(repo_root, fake, main_height, reward):
    """Return (found_block event text, the same payout as a REST payout row):
    the fixture's found_block moved to main_height, whose coinbase pays the
    fixture wallet reward atomic units in its second output."""
    address = wallet_address(fake)
    newest = fake.data.payouts(address)[0]
    row = make_payout(newest, main_height, reward, main_height)
    with open(os.path.join(repo_root, *EVENTS_FIXTURES, "found_block.json"),
              encoding="utf-8") as f:
        event = json.load(f)
    block = event["found_block"]["main_block"]
    block.update({"id": row["main_id"], "height": main_height, "timestamp": row["timestamp"],
                  "coinbase_id": row["coinbase_id"], "side_template_id": row["template_id"]})
    outputs = event["main_coinbase_outputs"]
    for output in outputs:
        output["id"] = row["coinbase_id"]
    paid = outputs[1]
    paid.update({"miner_address": address, "miner": row["miner"], "value": reward})
    row.update({"coinbase_output_index": paid["index"],
                "global_output_index": paid["global_output_index"],
                "side_height": event["found_block"]["side_height"]})
    return json.dumps(event), copy.deepcopy(row)


def found_block_events(collectd):
    return collectd.value("collectd_p2pool_events_total",
                          {"p2pool": "mini", "type": "found_block"}) or 0


def send_event(fake, collectd, text):
    """Send a found_block event and wait until collectd counted it."""
    before = found_block_events(collectd)
    assert fake.events.send_text(text) == 1
    collectd.wait_for("collectd_p2pool_events_total", {"p2pool": "mini", "type": "found_block"},
                      lambda v: v == before + 1, timeout=10)


def start_with_stream(collectd):
    collectd.start()
    collectd.wait_for("collectd_p2pool_websocket_connected", {"p2pool": "mini"},
                      lambda v: v == 1)
    return collectd


def check_payout_counted_once(fake, collectd, repo_root, saved_payouts):
    """Count payouts seen by the stream and by the poll, in both orders and
    across a restart of collectd. saved_payouts() returns the (count,
    amount) in the store."""
    address = wallet_address(fake)
    history = len(fake.data.payouts(address))
    newest_height = fake.data.payouts(address)[0]["main_height"]
    start_with_stream(collectd)
    wait_for_payouts(collectd, history)

    # The stream announces the payout first; then the poll returns it.
    first_event, first_row = payout_event(repo_root, fake, newest_height + 10, 2_718_281_828)
    send_event(fake, collectd, first_event)
    wait_for_payouts(collectd, history + 1)
    fake.data.add_payout(address, first_row)
    wait_for_amount(collectd, served_amount(fake))
    wait_for_payout_polls(fake, 3, len(payout_requests(fake)))
    assert collectd.value(PAYOUTS, RIG1) == history + 1
    assert collectd.value(PAYOUT_AMOUNT, RIG1) == served_amount(fake)
    collectd.stop()
    assert saved_payouts() == (history + 1, served_amount(fake))

    # After a restart, neither the poll nor the event sent again counts it.
    before = len(payout_requests(fake))
    start_with_stream(collectd)
    wait_for_payout_polls(fake, 3, before)
    send_event(fake, collectd, first_event)
    assert collectd.value(PAYOUTS, RIG1) == history + 1

    # The poll returns the next payout first; then the stream announces it.
    second_event, second_row = payout_event(repo_root, fake, newest_height + 20, 1_414_213_562)
    fake.data.add_payout(address, second_row)
    wait_for_payouts(collectd, history + 2)
    send_event(fake, collectd, second_event)
    wait_for_payout_polls(fake, 2, len(payout_requests(fake)))
    assert collectd.value(PAYOUTS, RIG1) == history + 2
    assert collectd.value(PAYOUT_AMOUNT, RIG1) == served_amount(fake)
    collectd.stop()
    assert saved_payouts() == (history + 2, served_amount(fake))
    collectd.assert_clean_log()


def stream_config(fake, store_config):
    """Plugin text with the event stream. While the stream is healthy the
    plugin polls a wallet over REST once per ReconcileInterval, here every
    Interval."""
    return plugin_config(fake, store_config, Events=True, EventsURL=fake.events_url,
                         ReconcileInterval=INTERVAL)


def test_file_payout_from_stream_and_poll_counted_once(tmp_path, repo_root, fake_observer,
                                                       collectd_factory):
    state_file = tmp_path / "totals.state"
    collectd = collectd_factory(stream_config(fake_observer, '  StateFile "%s"\n' % state_file))

    def saved_payouts():
        payouts = json.loads(state_file.read_text())["wallets"][0]["payouts"]
        return payouts["count"], payouts["amount"]

    check_payout_counted_once(fake_observer, collectd, repo_root, saved_payouts)


def test_redis_payout_from_stream_and_poll_counted_once(repo_root, fake_observer,
                                                        collectd_factory, redis_server):
    collectd = collectd_factory(stream_config(fake_observer, redis_config(redis_server)))
    key = wallet_key(fake_observer)

    def saved_payouts():
        payouts = redis_value(redis_server, key)["wallet"]["payouts"]
        return payouts["count"], payouts["amount"]

    check_payout_counted_once(fake_observer, collectd, repo_root, saved_payouts)
