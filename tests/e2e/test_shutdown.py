"""End-to-end tests of shutdown while requests hang.

collectd 5.12 joins its read threads before any plugin shutdown callback
runs, so a request made inside a read callback would delay its exit by up to
the request's timeout. Each source therefore does its network work in a
thread of its own. These tests start collectd against servers that accept a
request and never respond (timeouts of 30 s, intervals of 60 s), send SIGTERM
while the request hangs, and check that collectd exits within 5 s and logs
neither a failed or slow read nor a failed request.
"""

import pytest

from collectd_runner import scaled
from p2pool_config import block, observer_block, option_lines, wallet_block
from scripted_http import ScriptedHTTPServer

# Longer than any test runs: the server delays every response this long.
HANG_SECONDS = 600
STOP_SECONDS = 5

PRICES_PATH = "/api/v3/simple/price"
RAFFLE_JSON_PATH = "/cgi-bin/p2pool_bonus_history_gupaxx_api.cgi"
NODE_PREFIX = "/node"

# collectd 5.12's lines for a read callback that failed ("read-function of
# plugin `p2pool' failed") or took longer than its interval ("read-function
# of the `p2pool' plugin took 30.001 seconds").
SLOW_OR_FAILED_READ = r"read-function of|took [0-9.]+ seconds"
# The plugin's lines for a failed request of each source.
REQUEST_FAILURES = (r"prices: the request to .* failed|raffle: wallet .* no figures"
                    r"|node \".*\": .* failed|observer \".*\": .* failed")


@pytest.fixture
def hanging_server():
    """A server that accepts every request and never responds."""
    server = ScriptedHTTPServer().start()
    server.reply("/*", body=b"{}", delay=HANG_SECONDS)
    yield server
    server.stop()


def prices_block(url):
    settings = {"Provider": "coingecko", "URL": url, "Currency": ["EUR"],
                "Interval": 60, "Timeout": 30}
    return "<Prices>\n%s</Prices>\n" % option_lines(settings)


def raffle_config(raffle_url, observer_url, address):
    """The raffle's global options and a wallet with Raffle true on the
    observer at observer_url."""
    text = option_lines({"RaffleURL": raffle_url, "RaffleInterval": 60,
                         "RaffleTimeout": 30}, indent="")
    text += observer_block("mini", observer_url, Interval=60, Timeout=30)
    text += wallet_block("rig1", address, "mini", Raffle=True)
    return text


def node_block(url):
    return block("Node", "home", {"DataAPI": url + NODE_PREFIX, "Interval": 60,
                                  "Timeout": 30})


def stop_while_hanging(collectd):
    """Send SIGTERM and check that collectd exited in time and cleanly."""
    seconds = collectd.stop(timeout=STOP_SECONDS * 3)
    print("collectd stopped %.2f s after SIGTERM" % seconds)
    assert seconds < scaled(STOP_SECONDS), collectd.log()
    assert collectd.exit_status == 0
    assert collectd.log_lines(r"\[info\] Exiting normally")
    assert collectd.log_lines(SLOW_OR_FAILED_READ) == []
    assert collectd.log_lines(REQUEST_FAILURES) == []


def test_stops_while_prices_request_hangs(hanging_server, collectd_factory):
    collectd = collectd_factory(prices_block(hanging_server.url)).start()
    hanging_server.wait_for_requests(PRICES_PATH, timeout=scaled(10))

    stop_while_hanging(collectd)


def test_stops_while_raffle_request_hangs(hanging_server, fake_observer, collectd_factory):
    address = fake_observer.data.addresses()[0]
    collectd = collectd_factory(raffle_config(hanging_server.url, fake_observer.url,
                                              address)).start()
    hanging_server.wait_for_requests(RAFFLE_JSON_PATH, timeout=scaled(10))
    # The observer responds, so its figures arrive while the raffle hangs.
    collectd.wait_for("collectd_p2pool_payouts_total", {"p2pool": "rig1"})

    stop_while_hanging(collectd)


def test_stops_while_node_request_hangs(hanging_server, collectd_factory):
    collectd = collectd_factory(node_block(hanging_server.url)).start()
    hanging_server.wait_for_requests(NODE_PREFIX + "/*", count=3, timeout=scaled(10))

    stop_while_hanging(collectd)


def test_stops_while_every_source_hangs(hanging_server, fake_observer, collectd_factory):
    fake_observer.http.script("*", fault="hang")
    address = fake_observer.data.addresses()[0]
    config = (prices_block(hanging_server.url)
              + raffle_config(hanging_server.url, fake_observer.url, address)
              + node_block(hanging_server.url))
    collectd = collectd_factory(config).start()
    hanging_server.wait_for_requests(PRICES_PATH, timeout=scaled(10))
    hanging_server.wait_for_requests(RAFFLE_JSON_PATH, timeout=scaled(10))
    hanging_server.wait_for_requests(NODE_PREFIX + "/*", count=3, timeout=scaled(10))
    fake_observer.http.wait_for_request("/api/pool_info", timeout=scaled(10))

    stop_while_hanging(collectd)

