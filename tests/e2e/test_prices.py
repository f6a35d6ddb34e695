"""End-to-end tests of <Prices>: fake CoinGecko and cryptocompare servers on
127.0.0.1, the real collectd, figures read back from write_prometheus.

Figures: collectd_p2pool_price{p2pool="xmr",type="<currency>"},
collectd_p2pool_price_age_seconds{...}, and the health figures under
p2pool="prices" (api_requests, latency_seconds, rate_limits).
"""

import json
import time

import pytest

from p2pool_config import option_lines
from scripted_http import ScriptedHTTPServer

COINGECKO_PATH = "/api/v3/simple/price"
CRYPTOCOMPARE_PATH = "/data/price"
API_KEY = "test-key-5f2e9a71c0"

COINGECKO_OK = {"monero": {"eur": 301.25, "usd": 344.5}}
CRYPTOCOMPARE_OK = {"EUR": 301.3, "USD": 345}
COINGECKO_RATE_LIMIT = {"status": {"error_code": 429,
                                   "error_message": "You've exceeded the Rate Limit. Try later."}}
CRYPTOCOMPARE_RATE_LIMIT = {
    "Response": "Error", "Message": "You are over your rate limit please upgrade your account!",
    "HasWarning": False, "Type": 99,
    "RateLimit": {"calls_made": {"second": 1, "minute": 2, "hour": 30, "day": 40, "month": 80123},
                  "max_calls": {"second": 20, "minute": 300, "hour": 3000, "day": 10000,
                                "month": 80000}},
    "Data": {}}
CRYPTOCOMPARE_MARKET_ERROR = {
    "Response": "Error",
    "Message": "cccagg_or_exchange market does not exist for this coin pair (XMR-QQQ)",
    "HasWarning": False, "Type": 2, "RateLimit": {}, "Data": {}, "ParamWithError": "tsyms"}
CRYPTOCOMPARE_KEY_REQUIRED = {"Err": {"message": "API key required, see the documentation"}}


@pytest.fixture
def provider():
    server = ScriptedHTTPServer().start()
    yield server
    server.stop()


def prices_config(url, provider_name="coingecko", currencies=("EUR", "USD"), **options):
    settings = {"Provider": provider_name, "URL": url, "Currency": list(currencies),
                "Interval": 1, "Timeout": 0.5}
    settings.update(options)
    return "<Prices>\n%s</Prices>\n" % option_lines(settings)


def price(runner, currency):
    return runner.value("collectd_p2pool_price", {"p2pool": "xmr", "type": currency})


def requests_total(runner, outcome):
    return runner.value("collectd_p2pool_api_requests_total",
                        {"p2pool": "prices", "type": "price-" + outcome})


def test_coingecko_prices(provider, collectd_factory, user_agent):
    provider.reply(COINGECKO_PATH, body=json.dumps(COINGECKO_OK))
    runner = collectd_factory(prices_config(provider.url)).start()

    assert runner.wait_for("collectd_p2pool_price", {"p2pool": "xmr", "type": "eur"}) == 301.25
    assert runner.wait_for("collectd_p2pool_price", {"p2pool": "xmr", "type": "usd"}) == 344.5
    age = runner.value("collectd_p2pool_price_age_seconds", {"p2pool": "xmr", "type": "eur"})
    assert 0 <= age < 5
    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "prices", "type": "price-ok"}) >= 1
    assert runner.value("collectd_p2pool_latency_seconds",
                        {"p2pool": "prices", "type": "price"}) is not None
    assert runner.value("collectd_p2pool_rate_limits_total", {"p2pool": "prices"}) == 0

    request = provider.requests_to(COINGECKO_PATH)[0]
    assert request.params == {"ids": ["monero"], "vs_currencies": ["eur,usd"]}
    assert request.headers["user-agent"] == user_agent
    assert "x-cg-demo-api-key" not in request.headers
    runner.assert_no_read_suspend()


def test_coingecko_demo_key_header(provider, collectd_factory):
    provider.reply(COINGECKO_PATH, body=json.dumps(COINGECKO_OK))
    runner = collectd_factory(prices_config(provider.url, APIKey=API_KEY)).start()

    runner.wait_for("collectd_p2pool_price", {"p2pool": "xmr", "type": "eur"})
    request = provider.requests_to(COINGECKO_PATH)[0]
    assert request.headers["x-cg-demo-api-key"] == API_KEY
    assert "authorization" not in request.headers
    assert API_KEY not in runner.log()


def test_cryptocompare_prices_with_key(provider, collectd_factory):
    provider.reply(CRYPTOCOMPARE_PATH, body=json.dumps(CRYPTOCOMPARE_OK))
    runner = collectd_factory(prices_config(provider.url, "cryptocompare",
                                            APIKey=API_KEY)).start()

    assert runner.wait_for("collectd_p2pool_price", {"p2pool": "xmr", "type": "eur"}) == 301.3
    assert runner.wait_for("collectd_p2pool_price", {"p2pool": "xmr", "type": "usd"}) == 345
    request = provider.requests_to(CRYPTOCOMPARE_PATH)[0]
    assert request.params == {"fsym": ["XMR"], "tsyms": ["EUR,USD"]}
    assert request.headers["authorization"] == "Apikey " + API_KEY
    assert API_KEY not in runner.log()


@pytest.mark.parametrize("config, message", [
    ({"Provider": "cryptocompare"}, "needs APIKey"),
    ({"Currency": ["EUR", "E1R"]}, 'Currency "E1R" is invalid'),
    ({"Currency": ["EUR", "eur"]}, 'Currency "eur" is listed twice'),
    ({"Provider": "kraken"}, "Provider must be"),
    ({"Timeout": 5}, "Timeout 5 s is longer than Interval"),
    ({"APIKey": "two words"}, "APIKey is invalid"),
])
def test_invalid_config_rejected(collectd_factory, config, message):
    settings = {"Provider": "coingecko", "Currency": ["EUR"], "URL": "http://127.0.0.1:9",
                "Interval": 1}
    settings.update(config)
    runner = collectd_factory("<Prices>\n%s</Prices>\n" % option_lines(settings))
    runner.spawn()
    assert runner.wait_for_exit() != 0
    assert runner.log_lines(message), runner.log()


def test_rate_limit_429_honours_retry_after(provider, collectd_factory):
    provider.reply(COINGECKO_PATH, body=json.dumps(COINGECKO_OK), times=1)
    runner = collectd_factory(prices_config(provider.url)).start()
    runner.wait_for("collectd_p2pool_price", {"p2pool": "xmr", "type": "eur"})

    # The newest reply wins: one 429, then new prices.
    provider.reply(COINGECKO_PATH, body=json.dumps({"monero": {"eur": 310.5, "usd": 350}}))
    provider.reply(COINGECKO_PATH, status=429, body=json.dumps(COINGECKO_RATE_LIMIT),
                   headers={"Retry-After": "4"}, times=1)

    lines = runner.wait_for_log("coingecko rate-limited the request")
    assert "HTTP 429, error_code 429" in lines[0]
    assert "You've exceeded the Rate Limit. Try later." in lines[0]
    assert "sending no request for 4 s, as its Retry-After header requests" in lines[0]
    assert runner.wait_for("collectd_p2pool_rate_limits_total", {"p2pool": "prices"}) == 1
    # The last good price stays while requests pause.
    assert price(runner, "eur") == 301.25

    assert runner.wait_for("collectd_p2pool_price", {"p2pool": "xmr", "type": "eur"},
                           lambda v: v == 310.5, timeout=10) == 310.5
    times = [r.time for r in provider.requests_to(COINGECKO_PATH)]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert max(gaps) >= 3.5, gaps
    assert requests_total(runner, "http_error") == 1
    runner.assert_no_read_suspend()


def test_coingecko_rate_limit_body_with_200(provider, collectd_factory):
    provider.reply(COINGECKO_PATH, body=json.dumps(COINGECKO_RATE_LIMIT))
    runner = collectd_factory(prices_config(provider.url)).start()

    runner.wait_for_log("coingecko rate-limited the request \\(HTTP 200, error_code 429")
    assert runner.wait_for("collectd_p2pool_rate_limits_total", {"p2pool": "prices"}) >= 1
    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "prices", "type": "price-http_error"}) >= 1
    assert requests_total(runner, "ok") == 0
    assert price(runner, "eur") is None


def test_cryptocompare_type_99_rate_limit(provider, collectd_factory):
    provider.reply(CRYPTOCOMPARE_PATH, body=json.dumps(CRYPTOCOMPARE_RATE_LIMIT))
    runner = collectd_factory(prices_config(provider.url, "cryptocompare",
                                            APIKey=API_KEY)).start()

    lines = runner.wait_for_log("cryptocompare rate-limited the request")
    assert "HTTP 200, Type 99, 80123 of 80000 calls this month" in lines[0]
    assert "You are over your rate limit please upgrade your account!" in lines[0]
    assert runner.wait_for("collectd_p2pool_rate_limits_total", {"p2pool": "prices"}) >= 1
    assert price(runner, "eur") is None


def test_cryptocompare_other_error_not_rate_limit(provider, collectd_factory):
    provider.reply(CRYPTOCOMPARE_PATH, body=json.dumps(CRYPTOCOMPARE_MARKET_ERROR))
    runner = collectd_factory(prices_config(provider.url, "cryptocompare",
                                            APIKey=API_KEY)).start()

    lines = runner.wait_for_log("cryptocompare returned an error that is not a rate limit")
    assert "HTTP 200, Type 2" in lines[0]
    assert "market does not exist for this coin pair (XMR-QQQ)" in lines[0]
    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "prices", "type": "price-http_error"}) >= 1
    assert runner.value("collectd_p2pool_rate_limits_total", {"p2pool": "prices"}) == 0
    assert price(runner, "eur") is None


def test_cryptocompare_401_key_required(provider, collectd_factory):
    provider.reply(CRYPTOCOMPARE_PATH, status=401, body=json.dumps(CRYPTOCOMPARE_KEY_REQUIRED))
    runner = collectd_factory(prices_config(provider.url, "cryptocompare",
                                            APIKey=API_KEY)).start()

    lines = runner.wait_for_log("cryptocompare rejected the API key")
    assert 'HTTP 401: "API key required, see the documentation"' in lines[0]
    assert "[error]" in lines[0]
    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "prices", "type": "price-http_error"}) >= 1
    # Neither the error object nor anything else becomes a price.
    assert not [key for key in runner.scrape() if key[0] == "collectd_p2pool_price"]
    assert API_KEY not in runner.log()


def test_missing_currency_and_non_number(provider, collectd_factory):
    provider.reply(COINGECKO_PATH, body=json.dumps(
        {"monero": {"usd": 344.5, "gbp": "260.1", "chf": -3}}))
    runner = collectd_factory(prices_config(
        provider.url, currencies=("EUR", "USD", "GBP", "CHF"))).start()

    assert runner.wait_for("collectd_p2pool_price", {"p2pool": "xmr", "type": "usd"}) == 344.5
    runner.wait_for_log("coingecko returned no XMR price in EUR")
    runner.wait_for_log(r'coingecko returned "\\"260.1\\"" as the XMR price in GBP, '
                        "which is not a number")
    runner.wait_for_log('coingecko returned "-3" as the XMR price in CHF, which is not '
                        "a positive finite number")
    for currency in ("eur", "gbp", "chf"):
        assert price(runner, currency) is None
    assert requests_total(runner, "ok") >= 1


def test_no_price_at_all_is_bad_body(provider, collectd_factory):
    provider.reply(COINGECKO_PATH, body=json.dumps({}))
    runner = collectd_factory(prices_config(provider.url)).start()

    lines = runner.wait_for_log("coingecko returned an unusable response")
    assert 'it has no "monero" object' in lines[0]
    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "prices", "type": "price-bad_body"}) >= 1


def test_last_good_price_kept(provider, collectd_factory):
    provider.reply(COINGECKO_PATH, status=503, body="<html>Service Unavailable</html>",
                   content_type="text/html")
    provider.reply(COINGECKO_PATH, body=json.dumps(COINGECKO_OK), times=1)
    runner = collectd_factory(prices_config(provider.url)).start()

    assert runner.wait_for("collectd_p2pool_price", {"p2pool": "xmr", "type": "eur"}) == 301.25
    lines = runner.wait_for_log("coingecko returned HTTP 503")
    assert '"<html>Service Unavailable</html>"' in lines[0]
    assert "keeping the last prices and retrying in 1 s" in lines[0]
    age = runner.wait_for("collectd_p2pool_price_age_seconds",
                          {"p2pool": "xmr", "type": "eur"}, lambda v: v >= 2)
    assert age >= 2
    assert price(runner, "eur") == 301.25
    assert runner.value("collectd_p2pool_rate_limits_total", {"p2pool": "prices"}) == 0


def test_message_escaped_and_truncated(provider, collectd_factory):
    message = 'bad "request"\nsecond line ' + "x" * 300
    provider.reply(COINGECKO_PATH, status=400,
                   body=json.dumps({"status": {"error_code": 400, "error_message": message}}))
    runner = collectd_factory(prices_config(provider.url)).start()

    lines = runner.wait_for_log("coingecko returned an error that is not a rate limit")
    assert 'bad \\"request\\"\\x0asecond line xxx' in lines[0]
    assert "xxx...\"" in lines[0]
    assert len(lines[0]) < 600
    assert not runner.log_lines("^second line")


def test_timeout_keeps_read_callback_healthy(provider, collectd_factory):
    provider.reply(COINGECKO_PATH, body=json.dumps(COINGECKO_OK), delay=2)
    runner = collectd_factory(prices_config(provider.url)).start()

    lines = runner.wait_for_log("the request to .* failed \\(timeout")
    assert "keeping the last prices" in lines[0]
    assert runner.wait_for("collectd_p2pool_api_requests_total",
                           {"p2pool": "prices", "type": "price-timeout"}) >= 1
    time.sleep(1)
    runner.assert_no_read_suspend()
