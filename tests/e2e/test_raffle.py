"""End-to-end tests of the raffle figures: a fake xmrvsbeast on 127.0.0.1
serving the JSON endpoint and the HTML page per address, the real collectd,
figures read back from write_prometheus.

Figures per wallet: collectd_p2pool_hashrate{p2pool="<wallet>",
type="raffle_1h"|"raffle_24h"} in H/s and collectd_p2pool_raffle_fails;
health under p2pool="raffle".

The raffle is read once at start-up and then every 300 s, so each test
checks what one collectd run reports for many wallets at once, one wallet
per case.
"""

import json

import pytest

from p2pool_config import observer_block, wallet_block
from scripted_http import ScriptedHTTPServer

JSON_PATH = "/cgi-bin/p2pool_bonus_history_gupaxx_api.cgi"
PAGE_PATH = "/cgi-bin/p2pool_bonus_history.cgi"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def address(number):
    """A well-formed standard address, distinct per number."""
    return "4" + BASE58[number % len(BASE58)] * 94


def page(avg_1h, avg_24h, fails=0):
    return ("<html><body><h3>Bonus Hash Rate History</h3>\n"
            '<p style="color:#40a340;">Bonus Hash Rate 1hr avg: %s &nbsp;|&nbsp; '
            "24hr avg: %s</p>\n<p>Fail Count: %d</p>\n</body></html>\n"
            % (avg_1h, avg_24h, fails))


CHANGED_LAYOUT_PAGE = ("<html><body><table><tr><td>last hour</td><td>2.50 kH/s</td></tr>"
                       "<tr><td>last day</td><td>1.75 kH/s</td></tr></table></body></html>")


@pytest.fixture
def xmrvsbeast():
    server = ScriptedHTTPServer().start()
    yield server
    server.stop()


class RaffleSite:
    """Scripts the fake xmrvsbeast's responses per wallet address."""

    def __init__(self, server):
        self.server = server
        self.wallets = {}

    def wallet(self, name, json_status=404, json_body="", page_status=None, page_body=None,
               json_type="application/json"):
        number = len(self.wallets) + 1
        addr = address(number)
        self.wallets[name] = addr
        self.server.reply(JSON_PATH, status=json_status, body=json_body,
                          content_type=json_type, query={"address": addr})
        if page_status is not None:
            self.server.reply(PAGE_PATH, status=page_status, body=page_body,
                              content_type="text/html", query={"address": addr})
        return addr

    def config(self, observer_url, raffle_url, extra=""):
        text = 'RaffleURL "%s"\n' % raffle_url
        text += observer_block("mini", observer_url, Interval=5, Timeout=2)
        for name, addr in self.wallets.items():
            text += wallet_block(name, addr, "mini", Raffle=True)
        return text + extra


def hashrate(runner, wallet, which):
    return runner.value("collectd_p2pool_hashrate", {"p2pool": wallet, "type": which})


def raffle_requests(runner, endpoint, outcome):
    return runner.value("collectd_p2pool_api_requests_total",
                        {"p2pool": "raffle", "type": "%s-%s" % (endpoint, outcome)})


def test_json_endpoint_and_not_registered(xmrvsbeast, fake_observer, collectd_factory,
                                          user_agent):
    site = RaffleSite(xmrvsbeast)
    site.wallet("json", 200, json.dumps({"fails": 1, "donor_1hr_avg": 2.5,
                                         "donor_24hr_avg": 1.75}))
    site.wallet("zero", 200, json.dumps({"fails": 0, "donor_1hr_avg": 0,
                                         "donor_24hr_avg": 0.125}))
    site.wallet("unregistered", 422, "ERROR: address not registered",
                json_type="text/plain")
    runner = collectd_factory(site.config(fake_observer.url, xmrvsbeast.url)).start()

    assert runner.wait_for("collectd_p2pool_hashrate",
                           {"p2pool": "json", "type": "raffle_1h"}) == 2500
    assert hashrate(runner, "json", "raffle_24h") == 1750
    assert runner.value("collectd_p2pool_raffle_fails", {"p2pool": "json"}) == 1
    assert runner.wait_for("collectd_p2pool_hashrate",
                           {"p2pool": "zero", "type": "raffle_1h"}) == 0
    assert hashrate(runner, "zero", "raffle_24h") == 125

    lines = runner.wait_for_log('wallet "unregistered" is not registered with xmrvsbeast')
    assert len(lines) == 1
    assert "(HTTP 422 from the JSON endpoint)" in lines[0]
    assert hashrate(runner, "unregistered", "raffle_1h") is None
    assert runner.value("collectd_p2pool_raffle_fails", {"p2pool": "unregistered"}) is None

    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "raffle", "type": "raffle_api-ok"}) == 2
    assert raffle_requests(runner, "raffle_api", "not_found") == 1
    # Wallets served by the JSON endpoint need no page.
    assert xmrvsbeast.requests_to(PAGE_PATH) == []
    request = xmrvsbeast.requests_to(JSON_PATH)[0]
    assert request.headers["user-agent"] == user_agent
    runner.assert_no_read_suspend()


def test_page_fallback_every_unit(xmrvsbeast, fake_observer, collectd_factory):
    cases = {
        # wallet: (JSON status, JSON body, 1 h text, 24 h text, 1 h H/s, 24 h H/s)
        "plain": (404, "", "950.00H/s", "812 H/s", 950, 812),
        "lower_h": (500, "", "950h/s", "3H/S", 950, 3),
        "kilo": (200, "<html>maintenance</html>", "1.23kH/s", "1.05kH/s", 1230, 1050),
        "kilo_upper": (404, "", "1.5KH/s", "2 kh/s", 1500, 2000),
        "mega": (404, "", "1.2MH/s", "0.5 Mh/s", 1.2e6, 5e5),
        "giga": (200, '{"error":"gone"}', "2.25GH/s", "1gH/s", 2.25e9, 1e9),
    }
    site = RaffleSite(xmrvsbeast)
    for name, (status, body, text_1h, text_24h, _, _) in cases.items():
        site.wallet(name, status, body, page_status=200, page_body=page(text_1h, text_24h, 2))
    runner = collectd_factory(site.config(fake_observer.url, xmrvsbeast.url)).start()

    for name, (_, _, _, _, value_1h, value_24h) in cases.items():
        assert runner.wait_for("collectd_p2pool_hashrate",
                               {"p2pool": name, "type": "raffle_1h"}) == pytest.approx(value_1h)
        assert hashrate(runner, name, "raffle_24h") == pytest.approx(value_24h)
        assert runner.value("collectd_p2pool_raffle_fails", {"p2pool": name}) == 2

    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "raffle", "type": "raffle_page-ok"}) == len(cases)
    assert raffle_requests(runner, "raffle_api", "bad_body") == 2
    assert raffle_requests(runner, "raffle_api", "http_error") == 4
    runner.assert_no_read_suspend()


def test_page_without_figures(xmrvsbeast, fake_observer, collectd_factory):
    site = RaffleSite(xmrvsbeast)
    site.wallet("changed", 404, "", page_status=200, page_body=CHANGED_LAYOUT_PAGE)
    site.wallet("ambiguous", 404, "", page_status=200, page_body=page("2.50mH/s", "1kH/s"))
    site.wallet("terahash", 404, "", page_status=200, page_body=page("2.50TH/s", "1kH/s"))
    site.wallet("no_unit", 404, "", page_status=200, page_body=page("2.50", "1.75"))
    site.wallet("page_unregistered", 404, "", page_status=200,
                page_body="<p>This address is not registered.</p>")
    site.wallet("page_down", 404, "", page_status=502, page_body="<html>Bad Gateway</html>")
    site.wallet("good", 200, json.dumps({"fails": 0, "donor_1hr_avg": 1, "donor_24hr_avg": 1}))
    runner = collectd_factory(site.config(fake_observer.url, xmrvsbeast.url)).start()

    assert runner.wait_for("collectd_p2pool_hashrate",
                           {"p2pool": "good", "type": "raffle_1h"}) == 1000
    line = runner.wait_for_log('wallet "changed": no figures from')[0]
    assert 'page: HTTP 200, no "1hr avg:" on the page' in line
    assert "JSON endpoint: HTTP 404" in line
    line = runner.wait_for_log('wallet "ambiguous": no figures from')[0]
    assert 'unit or number not accepted after "1hr avg:": "2.50mH/s' in line
    line = runner.wait_for_log('wallet "terahash": no figures from')[0]
    assert "unit or number not accepted" in line
    line = runner.wait_for_log('wallet "no_unit": no figures from')[0]
    assert 'no hashrate with a unit after "1hr avg:"' in line
    line = runner.wait_for_log('wallet "page_unregistered" is not registered')[0]
    assert "(reported by the page)" in line
    line = runner.wait_for_log('wallet "page_down": no figures from')[0]
    assert "page: HTTP 502" in line
    assert "it has no figures until a fetch succeeds" in line

    # A page without figures never reads as zero.
    for name in ("changed", "ambiguous", "terahash", "no_unit", "page_unregistered",
                 "page_down"):
        assert hashrate(runner, name, "raffle_1h") is None
        assert hashrate(runner, name, "raffle_24h") is None
    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "raffle", "type": "raffle_page-bad_body"}) == 4
    # An HTML error page counts as blocked (a proxy error).
    assert raffle_requests(runner, "raffle_page", "blocked") == 1
    runner.assert_no_read_suspend()


def test_site_timeout_is_bounded(xmrvsbeast, fake_observer, collectd_factory):
    site = RaffleSite(xmrvsbeast)
    addr = site.wallet("slow", 200, "{}")
    xmrvsbeast.reply(JSON_PATH, body=json.dumps({"donor_1hr_avg": 1, "donor_24hr_avg": 1}),
                     delay=15, query={"address": addr})
    runner = collectd_factory(site.config(fake_observer.url, xmrvsbeast.url)).start()

    line = runner.wait_for_log('wallet "slow": no figures from', timeout=20)[0]
    assert "timeout" in line
    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "raffle", "type": "raffle_api-timeout"}) == 1
    # The site is down, so the page is not tried.
    assert xmrvsbeast.requests_to(PAGE_PATH) == []
    assert hashrate(runner, "slow", "raffle_1h") is None
    runner.assert_no_read_suspend()


def test_wallets_fetched_concurrently(xmrvsbeast, fake_observer, collectd_factory):
    site = RaffleSite(xmrvsbeast)
    names = ["rig%d" % i for i in range(1, 7)]
    for i, name in enumerate(names):
        addr = site.wallet(name, 200, "{}")
        xmrvsbeast.reply(JSON_PATH, body=json.dumps({"fails": 0, "donor_1hr_avg": i + 1,
                                                     "donor_24hr_avg": 1}),
                         delay=2, query={"address": addr})
    runner = collectd_factory(site.config(fake_observer.url, xmrvsbeast.url)).start()

    for i, name in enumerate(names):
        assert runner.wait_for("collectd_p2pool_hashrate",
                               {"p2pool": name, "type": "raffle_1h"}) == (i + 1) * 1000
    # Six responses of 2 s each fit in the 10 s timeout only when they run
    # at once.
    times = [r.time for r in xmrvsbeast.requests_to(JSON_PATH)]
    assert len(times) == len(names)
    assert max(times) - min(times) < 1.0
