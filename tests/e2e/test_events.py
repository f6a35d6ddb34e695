"""End-to-end tests of the observer event stream (/api/events).

Each test runs the real collectd with the built p2pool.so and
write_prometheus (the collectd_factory fixture) and reads the figures back
from /metrics. The fake observer serves the REST endpoints over HTTP and
/api/events over a websocket: fake_observer, or tls_fake_observer for
wss://.
"""

import json
import os
import socket
import time

import pytest

from collectd_runner import scaled
from p2pool_config import observer_block, wallet_block

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "fixtures", "events")


def _read_addresses():
    with open(os.path.join(FIXTURES, "addresses.txt"), encoding="utf-8") as f:
        return dict(line.split() for line in f.read().splitlines())


ADDRESSES = _read_addresses()
CONFIGURED = ADDRESSES["configured"]

# Pool figures the REST poll serves; the events carry other values, so a
# figure shows which source set it.
POOL_SIDE_DIFFICULTY = 1400000000
POOL_MAIN_DIFFICULTY = 600000000000

OBS = {"p2pool": "obs"}
RIG = {"p2pool": "rig"}


def fixture_text(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


def pool_info():
    return {
        "sidechain": {
            "consensus": {"name": "mini", "block_time": 10, "uncle_penalty": 20},
            "last_block": {
                "side_height": 15020000,
                "difficulty": POOL_SIDE_DIFFICULTY,
                "window_depth": 2160,
            },
            "seconds_since_last_block": 3,
            "window": {"miners": 40, "blocks": 2000, "uncles": 100, "weight": 2900000000000},
            "miners": 900,
            "found": 12,
            "effort": {"current": 50.5, "average10": 90.0, "average": 99.0, "average200": 101.0},
        },
        "mainchain": {"height": 3712000, "difficulty": POOL_MAIN_DIFFICULTY, "reward": 600000000000},
    }


@pytest.fixture
def observer_data(observer_data):
    """The fixture data with this file's pool figures, and the configured
    wallet of the event fixtures as a miner with no window and no payouts."""
    observer_data.set_pool_info(pool_info())
    observer_data.add_miner({"id": 5150, "address": CONFIGURED, "last_share_height": 15019000,
                             "last_share_timestamp": 1782990000}, [], [])
    return observer_data


@pytest.fixture
def start_collectd(collectd_factory):
    """Start collectd with observer "obs" at a fake observer and its event
    stream, and wallet "rig" (CONFIGURED) unless wallets is false."""

    def start(fake, event_timeout=300, interval=30, url=None, wallets=True, **options):
        text = observer_block("obs", fake.url, Events=True, EventsURL=url or fake.events_url,
                              EventTimeout=event_timeout, Interval=interval, Timeout=2,
                              **options)
        if wallets:
            text += wallet_block("rig", CONFIGURED, "obs")
        return collectd_factory(text).start()

    return start


def labels(base, type_label=None):
    result = dict(base)
    if type_label is not None:
        result["type"] = type_label
    return result


def wait_value(collectd, name, base, expected, timeout=10, type_label=None):
    """Wait until the series equals expected, or satisfies it when it is a
    function; return the value."""
    predicate = expected if callable(expected) else (lambda value: value == expected)
    return collectd.wait_for(name, labels(base, type_label), predicate, timeout=timeout)


def wait_connected(fake, collectd, count=1):
    """Wait until the fake saw count connections in total and collectd
    reports its stream connected."""
    fake.events.wait_for_connections(count, timeout=scaled(10))
    wait_value(collectd, "collectd_p2pool_websocket_connected", OBS, 1)


def wait_first_poll(collectd):
    wait_value(collectd, "collectd_p2pool_difficulty", OBS, POOL_SIDE_DIFFICULTY,
               type_label="side")


def requests_to(fake, path):
    return fake.http.requests_to(path)


def test_events_reach_metrics(fake_observer, start_collectd, user_agent):
    daemon = start_collectd(fake_observer)
    wait_connected(fake_observer, daemon)
    wait_first_poll(daemon)
    wait_value(daemon, "collectd_p2pool_payouts_total", RIG, 0)

    for name in ("side_block.json", "found_block.json", "orphaned_block.json",
                 "unknown_type.json", "side_block_no_main_difficulty.json"):
        fake_observer.events.send_text(fixture_text(name))

    # Dispatched as the events arrive, well before the next poll (30 s).
    timeout = 3
    blocks = "collectd_p2pool_blocks_total"
    events = "collectd_p2pool_events_total"
    wait_value(daemon, blocks, OBS, 2, timeout, "side")
    wait_value(daemon, blocks, OBS, 1, timeout, "found")
    wait_value(daemon, blocks, OBS, 1, timeout, "orphaned")
    wait_value(daemon, events, OBS, 2, timeout, "side_block")
    wait_value(daemon, events, OBS, 1, timeout, "found_block")
    wait_value(daemon, events, OBS, 1, timeout, "orphaned_block")
    wait_value(daemon, events, OBS, 1, timeout, "other")
    wait_value(daemon, events, OBS, 0, timeout, "invalid")
    wait_value(daemon, "collectd_p2pool_age_seconds", OBS, lambda age: 0 <= age < 5, timeout,
               "last_event")
    # The last side_block had no main_difficulty: the found block's stays.
    wait_value(daemon, "collectd_p2pool_difficulty", OBS, 1500123456, timeout, "side")
    wait_value(daemon, "collectd_p2pool_difficulty", OBS, 630999888777, timeout, "main")

    wait_value(daemon, "collectd_p2pool_window_shares", RIG, 1, timeout)
    wait_value(daemon, "collectd_p2pool_height", RIG, 15020450, timeout, "last_share")
    wait_value(daemon, "collectd_p2pool_payouts_total", RIG, 1, timeout)
    wait_value(daemon, "collectd_p2pool_payout_atomic_units_total", RIG, 2718281828, timeout)
    wait_value(daemon, "collectd_p2pool_last_payout_atomic_units", RIG, 2718281828, timeout)
    assert daemon.value("collectd_p2pool_websocket_reconnects_total", OBS) == 0

    daemon.wait_for_log(r"pool found Monero block 3712002")
    daemon.wait_for_log(r"ignoring event of unknown type \"payout\"")
    daemon.wait_for_log(r"was orphaned; it was mined by a configured wallet")
    handshakes = fake_observer.events.handshake_requests
    assert handshakes
    assert all(headers.get("user-agent") == user_agent for _, headers in handshakes)


def test_stream_figures_outlive_expiry(fake_observer, start_collectd):
    # write_prometheus drops a series not updated for two of its intervals
    # (4 s here); the poll dispatches the stream's figures every interval.
    daemon = start_collectd(fake_observer, interval=2)
    wait_connected(fake_observer, daemon)
    fake_observer.events.send_text(fixture_text("orphaned_block.json"))
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 1, 3, "orphaned")

    time.sleep(7)
    assert daemon.value("collectd_p2pool_blocks_total", labels(OBS, "orphaned")) == 1
    assert daemon.value("collectd_p2pool_events_total", labels(OBS, "orphaned_block")) == 1
    assert daemon.value("collectd_p2pool_websocket_connected", OBS) == 1
    age = daemon.value("collectd_p2pool_age_seconds", labels(OBS, "last_event"))
    assert age is not None and age >= 5


def test_repeated_event_counted_once(fake_observer, start_collectd):
    daemon = start_collectd(fake_observer)
    wait_connected(fake_observer, daemon)

    for _ in range(3):
        fake_observer.events.send_text(fixture_text("side_block.json"))
    fake_observer.events.send_text(fixture_text("side_block_uncle.json"))

    wait_value(daemon, "collectd_p2pool_events_total", OBS, 4, 3, "side_block")
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 2, 3, "side")


def found_row(main_id, height, timestamp, reward):
    return {
        "main_block": {"id": main_id, "height": height, "timestamp": timestamp, "reward": reward,
                       "difficulty": 630000000000, "side_template_id": main_id[::-1]},
        "side_height": 15030000, "difficulty": 1500000000, "miner_address": CONFIGURED,
    }


def test_dropped_connection_reconnects_and_backfills(fake_observer, start_collectd):
    daemon = start_collectd(fake_observer)
    wait_connected(fake_observer, daemon)
    fake_observer.events.send_text(fixture_text("found_block.json"))
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 1, 3, "found")

    # Found while the stream is down: one newer block (counted), the block
    # the stream announced (a repeat), one from before the plugin started
    # and one Monero orphaned (reward 0).
    now = int(time.time())
    fake_observer.data.set_found_blocks([
        found_row("ab" * 32, 3712010, now, 600000000000),
        found_row("cd" * 32, 3712008, now, 0),
        json.loads(fixture_text("found_block.json"))["found_block"],
        found_row("ef" * 32, 3711000, now - 86400, 600000000000),
    ])
    polls_before = len(requests_to(fake_observer, "/api/pool_info"))

    fake_observer.events.drop(clean=True)
    wait_connected(fake_observer, daemon, count=2)
    wait_value(daemon, "collectd_p2pool_websocket_reconnects_total", OBS, 1)
    daemon.wait_for_log(r"event stream ws://\S+: closed by the observer with status 1001: "
                        r"going away; reconnecting in")
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 2, 5, "found")
    daemon.wait_for_log(r"counted Monero block 3712010 .*found while the event stream was down")
    assert any("limit" in request.params
               for request in requests_to(fake_observer, "/api/found_blocks"))
    # The reconnect asked for a poll at once instead of waiting 30 s.
    fake_observer.http.wait_for_request("/api/pool_info", count=polls_before + 1,
                                        timeout=scaled(5))

    fake_observer.events.send_text(fixture_text("side_block.json"))
    daemon.wait_for_log(r"receives events again")
    time.sleep(0.5)
    assert daemon.value("collectd_p2pool_blocks_total", labels(OBS, "found")) == 2


def test_silent_stream_reconnects(fake_observer, start_collectd):
    daemon = start_collectd(fake_observer, event_timeout=2)
    fake_observer.events.wait_for_connections(1, timeout=scaled(10))
    start = time.monotonic()
    fake_observer.events.wait_for_connections(2, timeout=scaled(10))
    assert time.monotonic() - start >= 1.5
    daemon.wait_for_log(r"no message for \d+\.\d s \(EventTimeout\); reconnecting in")


def test_refused_handshake_reconnects(fake_observer, start_collectd):
    fake_observer.events.reject_next(403, count=None)
    daemon = start_collectd(fake_observer)
    daemon.wait_for_log(r"handshake blocked with HTTP 403 and an HTML page")
    wait_value(daemon, "collectd_p2pool_websocket_blocked_total", OBS, lambda count: count >= 1)
    wait_value(daemon, "collectd_p2pool_websocket_connected", OBS, 0)

    fake_observer.events.accept_all()
    wait_connected(fake_observer, daemon)
    fake_observer.events.send_text(fixture_text("side_block.json"))
    daemon.wait_for_log(r"receives events again")


def test_fragments_garbage_and_binary(fake_observer, start_collectd):
    daemon = start_collectd(fake_observer)
    wait_connected(fake_observer, daemon)

    message = fixture_text("side_block.json")
    events = fake_observer.events
    events.send_fragments([message[:10], message[10:500], message[500:]])
    events.send_text('not json \x01 {"type":')
    events.send_binary(b"\x00\x01binary")
    events.send_text('{"type":"side_block","side_block":{"main_id":5}}')
    events.send_text(fixture_text("side_block_uncle.json"))

    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 2, 3, "side")
    wait_value(daemon, "collectd_p2pool_events_total", OBS, 2, 3, "invalid")
    daemon.wait_for_log(r'skipping invalid event message of 19 bytes \(.*\): '
                        r'"not json \\x01 \{"type":"')
    daemon.wait_for_log(r"side_block.template_id: missing")
    daemon.wait_for_log(r"ignoring a binary message of 8 bytes")
    assert daemon.value("collectd_p2pool_websocket_reconnects_total", OBS) == 0


def test_oversize_message_dropped(fake_observer, start_collectd):
    daemon = start_collectd(fake_observer)
    wait_connected(fake_observer, daemon)

    huge = '{"type":"other","padding":"' + "x" * (4 * 1024 * 1024) + '"}'
    chunk = 256 * 1024
    fake_observer.events.send_fragments([huge[i:i + chunk] for i in range(0, len(huge), chunk)])
    fake_observer.events.send_text(fixture_text("side_block.json"))

    wait_value(daemon, "collectd_p2pool_events_total", OBS, 1, 5, "invalid")
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 1, 5, "side")
    daemon.wait_for_log(r"ignoring a message over the size limit of %d bytes" % len(huge))


def test_stop_while_connected(fake_observer, start_collectd):
    daemon = start_collectd(fake_observer)
    wait_connected(fake_observer, daemon)
    assert daemon.stop() < scaled(5)
    assert daemon.exit_status == 0


def test_stop_while_connecting(fake_observer, start_collectd):
    # A listener that accepts TCP connections and never responds to the
    # handshake keeps the client connecting.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(scaled(10))
        port = listener.getsockname()[1]
        daemon = start_collectd(fake_observer, url="ws://127.0.0.1:%d/api/events" % port)
        connection, _ = listener.accept()
        time.sleep(0.3)
        assert daemon.stop() < scaled(5)
        connection.close()
    assert daemon.exit_status == 0


def test_stop_while_backing_off(fake_observer, start_collectd):
    fake_observer.events.reject_next(418, count=None)
    daemon = start_collectd(fake_observer)
    daemon.wait_for_log(r"handshake blocked with HTTP 418")
    # After three refusals the next attempt is seconds away.
    fake_observer.events.wait_for_handshakes(3, timeout=scaled(15))
    time.sleep(0.3)
    assert daemon.stop() < scaled(5)
    assert daemon.exit_status == 0


def test_wss_with_ca_cert(tls_fake_observer, tls_certificate, start_collectd):
    fake = tls_fake_observer
    assert fake.events_url.startswith("wss://127.0.0.1:")
    daemon = start_collectd(fake, CACert=tls_certificate[0])
    wait_connected(fake, daemon)
    fake.events.send_text(fixture_text("side_block.json"))
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 1, 3, "side")


def test_wss_unknown_certificate_rejected(tls_fake_observer, start_collectd):
    daemon = start_collectd(tls_fake_observer)
    daemon.wait_for_log(r"event stream wss://\S+: connection failed: .*; reconnecting in")
    wait_value(daemon, "collectd_p2pool_websocket_reconnects_total", OBS,
               lambda count: count >= 1)
    assert tls_fake_observer.events.connections == 0
    assert daemon.value("collectd_p2pool_websocket_connected", OBS) == 0


def test_wss_verify_peer_false(tls_fake_observer, start_collectd):
    daemon = start_collectd(tls_fake_observer, VerifyPeer=False, VerifyHost=False)
    wait_connected(tls_fake_observer, daemon)


def test_counters_saved_without_shutdown(fake_observer, start_collectd):
    daemon = start_collectd(fake_observer)
    wait_connected(fake_observer, daemon)
    fake_observer.events.send_text(fixture_text("found_block.json"))
    fake_observer.events.send_text(fixture_text("orphaned_block.json"))
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 1, 3, "orphaned")

    # The state is saved shortly after the events, not only at shutdown:
    # a killed collectd keeps the counts.
    time.sleep(2.5)
    daemon.kill()

    daemon.start()
    wait_connected(fake_observer, daemon, count=2)
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 1, type_label="found")
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 1, type_label="orphaned")
    wait_value(daemon, "collectd_p2pool_payouts_total", RIG, 1)

    # The same block sent again after the restart is not counted again.
    fake_observer.events.send_text(fixture_text("found_block.json"))
    wait_value(daemon, "collectd_p2pool_events_total", OBS, 1, 3, "found_block")
    time.sleep(0.5)
    assert daemon.value("collectd_p2pool_blocks_total", labels(OBS, "found")) == 1
    assert daemon.value("collectd_p2pool_payouts_total", RIG) == 1


def test_observer_without_wallets(fake_observer, start_collectd):
    daemon = start_collectd(fake_observer, wallets=False)
    wait_connected(fake_observer, daemon)
    fake_observer.events.send_text(fixture_text("side_block.json"))
    fake_observer.events.send_text(fixture_text("found_block.json"))
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 1, 3, "side")
    wait_value(daemon, "collectd_p2pool_blocks_total", OBS, 1, 3, "found")
