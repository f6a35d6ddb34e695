"""End-to-end tests of observer polling: the real collectd loads the plugin,
polls the fake observer and exports figures through write_prometheus.

Expected values are computed from the served fixture data by
observer_expect, never typed in.
"""

import math
import time

import pytest

import observer_expect as expect
from collectd_runner import VALGRIND, scaled
from fake_observer import encode_list
from p2pool_config import observer_block, wallet_block

# Poll settings of the tests. Under valgrind a request takes longer, so
# the interval is longer too; the plugin rejects a Timeout above Interval.
INTERVAL = 2 if VALGRIND else 1
TIMEOUT = INTERVAL

UNKNOWN_ADDRESS = "4" + "7Xq2" * 23 + "aa"  # valid shape, unknown to the observer
REQUESTS = "collectd_p2pool_api_requests_total"
LATENCY = "collectd_p2pool_latency_seconds"
ENDPOINTS = ("pool_info", "miner_info", "side_blocks_in_window", "payouts")
OUTCOMES = ("ok", "not_found", "http_error", "bad_body", "timeout", "blocked", "unreachable")


def observer_config(fake, wallets, **options):
    """<Plugin p2pool> text for observer "mini" at the fake and wallets, a
    list of (name, address)."""
    options = dict({"Interval": INTERVAL, "Timeout": TIMEOUT}, **options)
    text = observer_block("mini", fake.url, **options)
    for name, address in wallets:
        text += wallet_block(name, address, "mini")
    return text


def request_count(collectd, endpoint, outcome):
    value = collectd.value(REQUESTS, {"p2pool": "mini", "type": "%s-%s" % (endpoint, outcome)})
    return 0 if value is None else value


def wait_for_polls(collectd, count, outcome="ok", endpoint="pool_info", timeout=None):
    """Wait until count more requests to endpoint ended with outcome."""
    start = request_count(collectd, endpoint, outcome)
    if timeout is None:
        timeout = 4 + count * (INTERVAL + TIMEOUT) * 2
    return collectd.wait_for(
        REQUESTS, {"p2pool": "mini", "type": "%s-%s" % (endpoint, outcome)},
        lambda v: v >= start + count, timeout=timeout)


def assert_figures(collectd, instance, figures, rel=1e-9):
    """Compare every figure in figures ({(family, type): value}) with
    /metrics, one assertion per figure."""
    samples = collectd.scrape()
    for (family, type_label), expected in sorted(figures.items(), key=str):
        wanted = expect.labels(instance, type_label)
        found = [v for (name, labels), v in samples.items()
                 if name == family and dict(labels) == wanted]
        assert found, "%s %s missing from /metrics" % (family, wanted)
        assert found[0] == pytest.approx(expected, rel=rel), "%s %s" % (family, wanted)


# Figures ------------------------------------------------------------------


def test_two_wallets_figures(fake_observer, collectd_factory):
    data = fake_observer.data
    paid = data.addresses()[0]
    collectd = collectd_factory(observer_config(
        fake_observer, [("rig1", paid), ("rig2", UNKNOWN_ADDRESS)])).start()

    collectd.wait_for("collectd_p2pool_payouts_total", {"p2pool": "rig1"}, lambda v: v > 0)
    wait_for_polls(collectd, 3)

    pool_info = data.get_pool_info()
    assert_figures(collectd, "mini", expect.pool_figures(pool_info))
    wallet = expect.wallet_figures(pool_info, data.miner_info(paid), data.window(paid),
                                   data.payouts(paid))
    assert_figures(collectd, "rig1", wallet)

    age = collectd.value("collectd_p2pool_age_seconds", expect.labels("rig1", "last_share"))
    last_share = wallet[("collectd_p2pool_timestamp_seconds", "last_share")]
    assert age == pytest.approx(time.time() - last_share, abs=scaled(5))

    zero = {key: 0 for key in expect.window_figures(pool_info, [])}
    zero[("collectd_p2pool_payouts_total", None)] = 0
    zero[("collectd_p2pool_payout_atomic_units_total", None)] = 0
    assert_figures(collectd, "rig2", zero)
    assert collectd.value("collectd_p2pool_last_payout_atomic_units", {"p2pool": "rig2"}) is None

    not_found_lines = collectd.log_lines(r"\[info\] p2pool plugin: .*\brig2\b.*")
    assert len(not_found_lines) == 1, not_found_lines
    assert UNKNOWN_ADDRESS in not_found_lines[0] or "rig2" in not_found_lines[0]
    collectd.assert_clean_log()


def test_health_figures(fake_observer, collectd_factory):
    collectd = collectd_factory(observer_config(
        fake_observer, [("rig1", fake_observer.data.addresses()[0]),
                        ("rig2", UNKNOWN_ADDRESS)])).start()
    wait_for_polls(collectd, 2)

    for endpoint in ENDPOINTS:
        for outcome in OUTCOMES:
            labels = {"p2pool": "mini", "type": "%s-%s" % (endpoint, outcome)}
            assert collectd.value(REQUESTS, labels) is not None, labels
        latency = collectd.value(LATENCY, {"p2pool": "mini", "type": endpoint})
        assert latency is not None and 0 <= latency < TIMEOUT, endpoint

    for endpoint in ENDPOINTS[1:]:
        assert request_count(collectd, endpoint, "ok") >= 2, endpoint
        assert request_count(collectd, endpoint, "not_found") >= 2, endpoint
    assert request_count(collectd, "pool_info", "unreachable") == 0


def test_window_weight_as_hex_string(fake_observer, collectd_factory):
    """Difficulties above 2^64 arrive as 32 hex digits; smaller ones may too
    (observers before mid-2023). Both forms must give the same figures."""
    data = fake_observer.data
    pool_info = data.get_pool_info()
    pool_info["sidechain"]["window"]["weight"] = "%032x" % pool_info["sidechain"]["window"]["weight"]
    pool_info["mainchain"]["difficulty"] = "%032x" % pool_info["mainchain"]["difficulty"]
    data.set_pool_info(pool_info)
    address = data.addresses()[0]
    collectd = collectd_factory(observer_config(fake_observer, [("rig1", address)])).start()

    collectd.wait_for("collectd_p2pool_hashrate", expect.labels("rig1", "window"))
    assert_figures(collectd, "rig1", expect.window_figures(pool_info, data.window(address)))
    assert_figures(collectd, "mini", {
        key: value for key, value in expect.pool_figures(pool_info).items()
        if key[0] in ("collectd_p2pool_window_weight", "collectd_p2pool_difficulty")})


def test_unknown_wallet_appears_later(fake_observer, collectd_factory, observer_data):
    address = observer_data.addresses()[1]
    miner = (observer_data.miner_info(address), observer_data.window(address))
    observer_data.remove_miner(address)
    collectd = collectd_factory(observer_config(fake_observer, [("rig2", address)])).start()
    collectd.wait_for("collectd_p2pool_hashrate", expect.labels("rig2", "window"), lambda v: v == 0)

    observer_data.add_miner(*miner)
    expected = expect.window_figures(observer_data.get_pool_info(), miner[1])
    collectd.wait_for("collectd_p2pool_hashrate", expect.labels("rig2", "window"), lambda v: v > 0)
    assert_figures(collectd, "rig2", expected)


# Requests -----------------------------------------------------------------


def test_user_agent_on_every_request(fake_observer, collectd_factory, user_agent):
    collectd = collectd_factory(observer_config(
        fake_observer, [("rig1", fake_observer.data.addresses()[0]),
                        ("rig2", UNKNOWN_ADDRESS)])).start()
    wait_for_polls(collectd, 2)
    requests = fake_observer.http.requests
    assert len(requests) >= 14
    assert {r.headers.get("user-agent") for r in requests} == {user_agent}


def test_user_agent_option(fake_observer, collectd_factory):
    collectd = collectd_factory(observer_config(
        fake_observer, [("rig1", fake_observer.data.addresses()[0])],
        UserAgent="monitoring/2.0 (ops@example.org)")).start()
    wait_for_polls(collectd, 1)
    agents = {r.headers.get("user-agent") for r in fake_observer.http.requests}
    assert agents == {"monitoring/2.0 (ops@example.org)"}


def test_request_paths_and_queries(fake_observer, collectd_factory):
    address = fake_observer.data.addresses()[0]
    collectd = collectd_factory(observer_config(fake_observer, [("rig1", address)])).start()
    wait_for_polls(collectd, 2)
    http = fake_observer.http
    assert http.requests_to("/api/pool_info")
    for request in http.requests_to("/api/miner_info/*"):
        assert request.path == "/api/miner_info/" + address
        assert "shareEstimates" in request.params
    for request in http.requests_to("/api/side_blocks_in_window/*"):
        assert request.path == "/api/side_blocks_in_window/" + address
        assert "noMainStatus" in request.params
        assert "noMiner" in request.params
    unexpected = [r.path for r in http.requests if not r.path.startswith(
        ("/api/pool_info", "/api/miner_info/", "/api/side_blocks_in_window/", "/api/payouts/"))]
    assert unexpected == []


def test_connections_kept_alive(fake_observer, collectd_factory):
    wallets = [("rig1", fake_observer.data.addresses()[0]), ("rig2", UNKNOWN_ADDRESS)]
    collectd = collectd_factory(observer_config(fake_observer, wallets)).start()
    wait_for_polls(collectd, 2)
    after_two = fake_observer.http.connections
    wait_for_polls(collectd, 4)
    # One poll has at most 1 + 3 * wallets requests in flight.
    assert after_two <= 1 + 3 * len(wallets)
    assert fake_observer.http.connections == after_two


# Payouts ------------------------------------------------------------------


def make_payout(template, main_height, reward, serial):
    payout = dict(template)
    payout.update({
        "main_height": main_height,
        "main_id": "%064x" % (0xC0FFEE000 + serial),
        "template_id": "%064x" % (0xBEEF000 + serial),
        "coinbase_id": "%064x" % (0xF00D000 + serial),
        "coinbase_reward": reward,
        "timestamp": template["timestamp"] + (main_height - template["main_height"]) * 120,
    })
    return payout


def payout_queries(fake, address):
    return [r.params for r in fake.http.requests_to("/api/payouts/" + address)]


def test_payout_cursor(fake_observer, collectd_factory):
    data = fake_observer.data
    paid, unpaid = data.addresses()
    collectd = collectd_factory(observer_config(
        fake_observer, [("rig1", paid), ("rig3", unpaid)])).start()
    rig1 = {"p2pool": "rig1"}

    history = data.payouts(paid)
    collectd.wait_for("collectd_p2pool_payouts_total", rig1, lambda v: v == len(history))
    wait_for_polls(collectd, 2)
    queries = payout_queries(fake_observer, paid)
    assert queries[0] == {"search_limit": ["0"]}
    cursor = max(p["main_height"] for p in history)
    assert queries[-1] == {"from_height": [str(cursor)]}
    assert_figures(collectd, "rig1", expect.payout_figures(history))

    newest = history[0]
    added = [make_payout(newest, cursor + 7, 3_333_000_111, 1),
             make_payout(newest, cursor + 19, 1_250_777_909, 2)]
    for payout in added:
        data.add_payout(paid, payout)
    collectd.wait_for("collectd_p2pool_payouts_total", rig1, lambda v: v >= len(history) + 2)
    wait_for_polls(collectd, 2)
    assert_figures(collectd, "rig1", expect.payout_figures(history + added))
    assert payout_queries(fake_observer, paid)[-1] == {"from_height": [str(cursor + 19)]}

    # An observer that ignores from_height returns the whole history again.
    fake_observer.http.script("/api/payouts/" + paid, query={"from_height": None},
                              body=encode_list(data.payouts(paid)))
    wait_for_polls(collectd, 3, endpoint="payouts")
    assert_figures(collectd, "rig1", expect.payout_figures(history + added))

    for query in payout_queries(fake_observer, unpaid):
        assert query == {"search_limit": ["0"]}
    assert_figures(collectd, "rig3", expect.payout_figures([]))
    collectd.assert_clean_log()


# Faults -------------------------------------------------------------------

# Figures a failed poll must leave as they were.
KEPT_FAMILIES = (
    "collectd_p2pool_hashrate", "collectd_p2pool_window_shares", "collectd_p2pool_window_uncles",
    "collectd_p2pool_share_weight", "collectd_p2pool_share_fraction", "collectd_p2pool_height",
    "collectd_p2pool_timestamp_seconds", "collectd_p2pool_payouts_total",
    "collectd_p2pool_payout_atomic_units_total", "collectd_p2pool_last_payout_atomic_units",
    "collectd_p2pool_difficulty", "collectd_p2pool_miners", "collectd_p2pool_window_blocks",
    "collectd_p2pool_window_weight", "collectd_p2pool_effort_percent",
    "collectd_p2pool_reward_atomic_units",
)


def kept_figures(collectd):
    return {key: value for key, value in collectd.scrape().items() if key[0] in KEPT_FAMILIES}


def fault_phase(collectd, outcome, endpoints, log_pattern, polls=3):
    """Wait for polls more failed requests to each endpoint with outcome,
    then check that collectd runs, the log names the failure and no read
    callback was suspended."""
    starts = {endpoint: request_count(collectd, endpoint, outcome) for endpoint in endpoints}
    timeout = 4 + polls * (INTERVAL + TIMEOUT) * 2
    for endpoint, start in starts.items():
        collectd.wait_for(REQUESTS, {"p2pool": "mini", "type": "%s-%s" % (endpoint, outcome)},
                          lambda v, start=start: v >= start + polls, timeout=timeout)
    assert collectd.alive()
    collectd.wait_for_log(log_pattern, timeout=1)
    collectd.assert_clean_log()


def test_faults_keep_last_figures(fake_observer, collectd_factory):
    http = fake_observer.http
    collectd = collectd_factory(observer_config(
        fake_observer, [("rig1", fake_observer.data.addresses()[0])])).start()
    collectd.wait_for("collectd_p2pool_payouts_total", {"p2pool": "rig1"}, lambda v: v > 0)
    wait_for_polls(collectd, 1)
    before = kept_figures(collectd)
    assert len(before) >= 20

    def recover():
        http.clear_script()
        if not http.running:
            http.start()
        wait_for_polls(collectd, 1)
        wait_for_polls(collectd, 1, endpoint="side_blocks_in_window")

    # Observer down: connections refused.
    http.stop()
    fault_phase(collectd, "unreachable", ENDPOINTS,
                r'\[warning\] p2pool plugin: observer "mini": pool_info failed \(unreachable')
    assert kept_figures(collectd) == before
    recover()

    # Bot filter: an HTML page with status 200, then with 418.
    for status in (200, 418):
        http.script_html("*", status=status)
        fault_phase(collectd, "blocked", ENDPOINTS,
                    r'\[warning\] p2pool plugin: observer "mini": pool_info was blocked: '
                    r"HTTP %d" % status)
        assert kept_figures(collectd) == before
        recover()

    # Server error.
    http.script("*", status=500, body="internal error\n", content_type="text/plain")
    fault_phase(collectd, "http_error", ENDPOINTS,
                r'p2pool plugin: observer "mini": pool_info failed \(http_error, HTTP 500')
    assert kept_figures(collectd) == before
    recover()

    # A list cut off mid-stream: the observer sends status 200 before it
    # streams the rows.
    http.script("/api/side_blocks_in_window/*", body='[\n{"main_id":"ab')
    fault_phase(collectd, "bad_body", ["side_blocks_in_window"],
                r"p2pool plugin: observer \"mini\": side_blocks_in_window for wallet "
                r"\"rig1\" failed \(bad_body")
    assert kept_figures(collectd) == before
    recover()

    # Responses slower than Timeout.
    http.script("*", delay=TIMEOUT + 2)
    fault_phase(collectd, "timeout", ["pool_info"],
                r'p2pool plugin: observer "mini": pool_info failed \(timeout', polls=2)
    assert kept_figures(collectd) == before
    recover()

    assert kept_figures(collectd) == before
    collectd.wait_for_log(r'observer "mini": pool_info works again', timeout=1)
    collectd.assert_clean_log()


def test_closed_connections_counted(fake_observer, collectd_factory):
    address = fake_observer.data.addresses()[0]
    collectd = collectd_factory(observer_config(fake_observer, [("rig1", address)])).start()
    wait_for_polls(collectd, 1, endpoint="miner_info")
    fake_observer.http.script("/api/miner_info/*", fault="close")

    def failures():
        return sum(request_count(collectd, "miner_info", o) for o in OUTCOMES if o != "ok")

    start = failures()
    deadline = time.monotonic() + scaled(10)
    while failures() < start + 2:
        assert time.monotonic() < deadline, collectd.log()[-3000:]
        time.sleep(0.2)
    assert collectd.alive()
    collectd.assert_clean_log()
    assert collectd.value("collectd_p2pool_hashrate", expect.labels("rig1", "window")) > 0


# Configuration -------------------------------------------------------------

VALID_ADDRESS = "4" + "9" * 94


@pytest.mark.parametrize("plugin_config, words", [
    pytest.param(observer_block("mini", "ftp://127.0.0.1:1"),
                 ["URL", "ftp://127.0.0.1:1"], id="url-scheme"),
    pytest.param(observer_block("mini", "http://127.0.0.1:1") +
                 wallet_block("rig1", "4notAnAddress", "mini"),
                 ["Address", "4notAnAddress"], id="address"),
    pytest.param(observer_block("mini", "http://127.0.0.1:1") +
                 wallet_block("rig1", "5" + "9" * 94, "mini"),
                 ["Address", "5" + "9" * 94], id="address-prefix"),
    pytest.param(observer_block("mini", "http://127.0.0.1:1", Colour="blue"),
                 ["Colour"], id="unknown-observer-option"),
    pytest.param(observer_block("mini", "http://127.0.0.1:1") +
                 wallet_block("rig1", VALID_ADDRESS, "mini", Worker="x"),
                 ["Worker"], id="unknown-wallet-option"),
    pytest.param('Verbose true\n', ["Verbose"], id="unknown-plugin-option"),
    pytest.param(observer_block("mini", "http://127.0.0.1:1") +
                 wallet_block("rig1", VALID_ADDRESS, "nano"),
                 ["Observer", "nano"], id="unknown-observer"),
    pytest.param(observer_block("mini", "http://127.0.0.1:1", Interval=0),
                 ["Interval", "0"], id="interval-zero"),
    pytest.param(observer_block("mini", "http://127.0.0.1:1", Interval=10 ** 7),
                 ["Interval", "1e+07"], id="interval-huge"),
    pytest.param(observer_block("mini", "http://127.0.0.1:1", Interval=5, Timeout=9),
                 ["Timeout", "Interval"], id="timeout-above-interval"),
    pytest.param('<Observer "mini">\n  Interval 5\n</Observer>\n', ["URL"], id="url-missing"),
])
def test_invalid_configuration(collectd_factory, plugin_config, words):
    collectd = collectd_factory(plugin_config)
    collectd.spawn()
    status = collectd.wait_for_exit(timeout=15)
    assert status != 0
    errors = collectd.log_lines(r"\[error\] p2pool plugin: ")
    assert errors, collectd.log()
    assert any(all(word in line for word in words) for line in errors), errors
    print("\n".join(errors))


# Shutdown -------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["/api/pool_info", "/api/payouts/*"])
def test_stops_while_request_hangs(fake_observer, collectd_factory, pattern):
    address = fake_observer.data.addresses()[0]
    collectd = collectd_factory(observer_config(
        fake_observer, [("rig1", address)], Interval=30, Timeout=30)).start()
    collectd.wait_for("collectd_p2pool_payouts_total", {"p2pool": "rig1"})
    fake_observer.http.script(pattern, fault="hang")
    collectd.restart()
    fake_observer.http.wait_for_request(pattern, count=2, timeout=scaled(10))
    time.sleep(0.5)
    seconds = collectd.stop(timeout=5)
    print("collectd stopped %.2f s after SIGTERM" % seconds)
    assert seconds < scaled(5)
    assert collectd.exit_status == 0
    assert collectd.log_lines(r"\[info\] Exiting normally")


def test_interval_is_not_stretched(fake_observer, collectd_factory):
    """The read callback only wakes the poller, so a poll that takes the
    whole Timeout neither fails the read nor delays the other reads."""
    address = fake_observer.data.addresses()[0]
    collectd = collectd_factory(observer_config(fake_observer, [("rig1", address)])).start()
    wait_for_polls(collectd, 1)
    begin = time.monotonic()
    first = request_count(collectd, "pool_info", "ok")
    wait_for_polls(collectd, 5)
    elapsed = time.monotonic() - begin
    polls = request_count(collectd, "pool_info", "ok") - first
    assert elapsed / polls <= INTERVAL * 1.6, (elapsed, polls)
    assert not math.isnan(collectd.value("collectd_p2pool_hashrate", expect.labels("rig1", "window")))
    collectd.assert_clean_log()


def test_unmatched_route_is_not_a_missing_wallet(fake_observer, collectd_factory):
    """A plain-text 404 comes from the router (e.g. an observer too old for
    8... subaddresses), not from the miner lookup: it is an http_error and
    the wallet keeps its figures instead of dropping to zero."""
    address = fake_observer.data.addresses()[0]
    collectd = collectd_factory(observer_config(fake_observer, [("rig1", address)])).start()
    hashrate = collectd.wait_for("collectd_p2pool_hashrate", expect.labels("rig1", "window"),
                                 lambda v: v > 0)
    for endpoint in ENDPOINTS[1:]:
        fake_observer.http.script("/api/%s/*" % endpoint, status=404,
                                  file="route_not_found.txt",
                                  content_type="text/plain; charset=utf-8")
    fault_phase(collectd, "http_error", ENDPOINTS[1:],
                r'observer "mini": miner_info for wallet "rig1" failed \(http_error, HTTP 404')
    assert request_count(collectd, "miner_info", "not_found") == 0
    assert collectd.value("collectd_p2pool_hashrate", expect.labels("rig1", "window")) == hashrate
    assert collectd.log_lines(r"does not know wallet") == []


def test_empty_pool_info_is_bad_body(fake_observer, collectd_factory):
    """A new observer with no effort history responds 200 with an empty body,
    because Go's JSON encoder rejects NaN. The pool figures keep their last
    values."""
    address = fake_observer.data.addresses()[0]
    collectd = collectd_factory(observer_config(fake_observer, [("rig1", address)])).start()
    difficulty = collectd.wait_for("collectd_p2pool_difficulty", expect.labels("mini", "main"))
    fake_observer.http.script("/api/pool_info", body=b"")
    fault_phase(collectd, "bad_body", ["pool_info"],
                r'observer "mini": pool_info failed \(bad_body')
    assert collectd.value("collectd_p2pool_difficulty", expect.labels("mini", "main")) == difficulty
    assert collectd.value("collectd_p2pool_hashrate", expect.labels("rig1", "window")) > 0
