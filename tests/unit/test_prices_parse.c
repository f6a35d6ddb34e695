/*
 * test_prices_parse.c: exchange-rate URLs and every response shape of
 * CoinGecko and cryptocompare.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "prices_parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fails unless actual is within tolerance of expected. cmocka 1.1's
 * assert_float_equal compares in float precision only. */
#define assert_near(actual, expected, tolerance)                               \
  do {                                                                         \
    double actual_ = (actual);                                                 \
    double expected_ = (expected);                                             \
    if (!(fabs(actual_ - expected_) <= (tolerance)))                           \
      fail_msg("%s is %.17g, expected %.17g", #actual, actual_, expected_);    \
  } while (0)

static const char *const eur_usd[] = {"EUR", "USD"};

/* Reads tests/fixtures/prices/<name> into a new NUL-terminated buffer. */
static char *read_fixture(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof(path), "%s/prices/%s", FIXTURES_DIR, name);
  FILE *file = fopen(path, "rb");
  assert_non_null(file);

  char *data = malloc(64 * 1024);
  assert_non_null(data);
  *len = fread(data, 1, 64 * 1024 - 1, file);
  data[*len] = '\0';
  fclose(file);
  return data;
}

static void parse_fixture(p2pool_price_provider_t provider, long status,
                          const char *name, const char *const *currencies,
                          size_t currencies_num,
                          p2pool_prices_result_t *result) {
  size_t len = 0;
  char *body = read_fixture(name, &len);
  assert_int_equal(p2pool_prices_parse(provider, status, body, len, currencies,
                                       currencies_num, result),
                   0);
  free(body);
}

static void provider_parse_names(void **state) {
  (void)state;
  p2pool_price_provider_t provider = P2POOL_PRICE_PROVIDER_COINGECKO;

  assert_int_equal(p2pool_price_provider_parse("CryptoCompare", &provider), 0);
  assert_int_equal(provider, P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE);
  assert_int_equal(p2pool_price_provider_parse("coingecko", &provider), 0);
  assert_int_equal(provider, P2POOL_PRICE_PROVIDER_COINGECKO);
  assert_int_equal(p2pool_price_provider_parse("kraken", &provider), -EINVAL);
  assert_int_equal(p2pool_price_provider_parse("", &provider), -EINVAL);
  assert_int_equal(p2pool_price_provider_parse(NULL, &provider), -EINVAL);
  assert_string_equal(
      p2pool_price_provider_name(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE),
      "cryptocompare");
}

static void currency_normalize_accepts(void **state) {
  (void)state;
  char code[P2POOL_CURRENCY_MAX_CHARS + 1];

  assert_int_equal(p2pool_currency_normalize("eur", code, sizeof(code)), 0);
  assert_string_equal(code, "EUR");
  assert_int_equal(p2pool_currency_normalize("UsdT", code, sizeof(code)), 0);
  assert_string_equal(code, "USDT");
  assert_int_equal(p2pool_currency_normalize("abcdefghij", code, sizeof(code)),
                   0);
  assert_string_equal(code, "ABCDEFGHIJ");
}

static void currency_normalize_rejects(void **state) {
  (void)state;
  static const char *const invalid[] = {
      "", "EU", "abcdefghijk", "EU1", "E-R", "EUR ", " EUR", "EÜR", "e\nr"};
  char code[P2POOL_CURRENCY_MAX_CHARS + 1];

  for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++)
    assert_int_equal(p2pool_currency_normalize(invalid[i], code, sizeof(code)),
                     -EINVAL);
  assert_int_equal(p2pool_currency_normalize(NULL, code, sizeof(code)),
                   -EINVAL);
  assert_int_equal(p2pool_currency_normalize("EUR", code, 3), -EINVAL);
}

static void build_url_coingecko(void **state) {
  (void)state;
  char url[256];

  assert_int_equal(p2pool_prices_build_url(P2POOL_PRICE_PROVIDER_COINGECKO,
                                           "http://127.0.0.1:8080//", eur_usd,
                                           2, url, sizeof(url)),
                   0);
  assert_string_equal(url, "http://127.0.0.1:8080/api/v3/simple/"
                           "price?ids=monero&vs_currencies=eur,usd");
}

static void build_url_cryptocompare(void **state) {
  (void)state;
  char url[256];

  assert_int_equal(p2pool_prices_build_url(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE,
                                           "https://min-api.cryptocompare.com",
                                           eur_usd, 2, url, sizeof(url)),
                   0);
  assert_string_equal(url, "https://min-api.cryptocompare.com/data/"
                           "price?fsym=XMR&tsyms=EUR,USD");
}

static void build_url_too_long(void **state) {
  (void)state;
  char url[40];

  assert_int_equal(p2pool_prices_build_url(P2POOL_PRICE_PROVIDER_COINGECKO,
                                           "https://api.coingecko.com", eur_usd,
                                           2, url, sizeof(url)),
                   -ENAMETOOLONG);
  assert_int_equal(p2pool_prices_build_url(P2POOL_PRICE_PROVIDER_COINGECKO,
                                           "https://api.coingecko.com", eur_usd,
                                           0, url, sizeof(url)),
                   -EINVAL);
}

static void coingecko_ok(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 200, "coingecko_ok.json",
                eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_OK);
  assert_int_equal(result.prices_num, 2);
  assert_int_equal(result.valid_num, 2);
  assert_int_equal(result.prices[0].state, P2POOL_PRICE_VALID);
  assert_near(result.prices[0].price, 301.25, 1e-9);
  assert_int_equal(result.prices[1].state, P2POOL_PRICE_VALID);
  assert_near(result.prices[1].price, 344.5, 1e-9);
}

static void coingecko_rate_limit_429(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 429,
                "coingecko_rate_limit.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_RATE_LIMITED);
  assert_true(result.has_error_code);
  assert_int_equal(result.error_code, 429);
  assert_string_equal(result.message, "You've exceeded the Rate Limit. "
                                      "Please try again later.");
  assert_int_equal(result.valid_num, 0);
}

static void coingecko_rate_limit_200(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 200,
                "coingecko_rate_limit.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_RATE_LIMITED);
  assert_int_equal(result.valid_num, 0);
  assert_int_equal(result.prices[0].state, P2POOL_PRICE_MISSING);
}

static void coingecko_key_missing_401(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 401,
                "coingecko_key_missing.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_AUTH_ERROR);
  assert_int_equal(result.error_code, 10002);
  assert_string_equal(result.message, "API Key Missing");
}

static void coingecko_error_object_200(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 200,
                "coingecko_key_missing.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_PROVIDER_ERROR);
  assert_int_equal(result.valid_num, 0);
}

static void coingecko_error_string(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 400,
                "coingecko_invalid_currency.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_PROVIDER_ERROR);
  assert_false(result.has_error_code);
  assert_string_equal(result.message, "invalid vs_currency");
}

static void coingecko_missing_currency(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 200,
                "coingecko_missing_currency.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_OK);
  assert_int_equal(result.valid_num, 1);
  assert_int_equal(result.prices[0].state, P2POOL_PRICE_MISSING);
  assert_int_equal(result.prices[1].state, P2POOL_PRICE_VALID);
  assert_near(result.prices[1].price, 344.5, 1e-9);
}

static void coingecko_values_not_prices(void **state) {
  (void)state;
  static const char *const currencies[] = {"EUR", "USD", "GBP", "CHF",
                                           "JPY", "CAD", "AUD"};
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 200,
                "coingecko_not_numbers.json", currencies, 7, &result);
  assert_int_equal(result.status, P2POOL_PRICES_OK);
  assert_int_equal(result.valid_num, 0);

  assert_int_equal(result.prices[0].state, P2POOL_PRICE_NOT_A_NUMBER);
  assert_string_equal(result.prices[0].value, "\\\"301.25\\\"");
  assert_int_equal(result.prices[1].state, P2POOL_PRICE_MISSING); /* null */
  assert_int_equal(result.prices[2].state, P2POOL_PRICE_OUT_OF_RANGE);
  assert_string_equal(result.prices[2].value, "-4.5");
  assert_int_equal(result.prices[3].state, P2POOL_PRICE_OUT_OF_RANGE);
  assert_int_equal(result.prices[4].state, P2POOL_PRICE_NOT_A_NUMBER);
  assert_int_equal(result.prices[5].state, P2POOL_PRICE_NOT_A_NUMBER);
  assert_string_equal(result.prices[5].value, "true");
  assert_int_equal(result.prices[6].state, P2POOL_PRICE_NOT_A_NUMBER);
}

static void coingecko_unknown_coin(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 200,
                "coingecko_unknown_coin.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_BAD_BODY);
  assert_string_equal(result.reason, "it has no \"monero\" object");
  assert_int_equal(result.valid_num, 0);
}

static void coingecko_monero_not_object(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 200,
                "coingecko_monero_array.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_BAD_BODY);
  assert_string_equal(result.reason, "\"monero\" is array, not an object");
}

static void cryptocompare_ok(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE, 200,
                "cryptocompare_ok.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_OK);
  assert_int_equal(result.valid_num, 2);
  assert_near(result.prices[0].price, 301.3, 1e-9);
  assert_near(result.prices[1].price, 345.0, 1e-9);
}

static void cryptocompare_lower_case_key_missing(void **state) {
  (void)state;
  p2pool_prices_result_t result;
  size_t len = 0;
  char *body = read_fixture("coingecko_ok.json", &len);

  /* cryptocompare keys are upper-case; "monero" is no price. */
  assert_int_equal(p2pool_prices_parse(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE, 200,
                                       body, len, eur_usd, 2, &result),
                   0);
  assert_int_equal(result.status, P2POOL_PRICES_OK);
  assert_int_equal(result.valid_num, 0);
  free(body);
}

static void cryptocompare_rate_limit_type_99(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE, 200,
                "cryptocompare_rate_limit.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_RATE_LIMITED);
  assert_true(result.has_error_code);
  assert_int_equal(result.error_code, 99);
  assert_string_equal(result.message,
                      "You are over your rate limit please upgrade your "
                      "account!");
  assert_string_equal(result.limit_period, "day");
  assert_int_equal(result.calls_made, 12001);
  assert_int_equal(result.max_calls, 12000);
  assert_int_equal(result.valid_num, 0);
}

static void cryptocompare_market_error(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE, 200,
                "cryptocompare_market_error.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_PROVIDER_ERROR);
  assert_int_equal(result.error_code, 2);
  assert_string_equal(result.limit_period, "");
  assert_string_equal(result.message, "cccagg_or_exchange market does not "
                                      "exist for this coin pair (XMR-QQQ)");
}

static void cryptocompare_key_required_401(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE, 401,
                "cryptocompare_key_required.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_AUTH_ERROR);
  assert_false(result.has_error_code);
  assert_string_equal(result.message,
                      "API key required, see the provider's documentation");
  assert_int_equal(result.valid_num, 0);
}

static void cryptocompare_err_object_200(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE, 200,
                "cryptocompare_key_required.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_PROVIDER_ERROR);
  assert_int_equal(result.valid_num, 0);
}

static void cryptocompare_truncated(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE, 200,
                "cryptocompare_truncated.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_BAD_BODY);
  assert_non_null(strstr(result.reason, "not JSON"));
  assert_int_equal(result.valid_num, 0);
}

static void cryptocompare_array(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE, 200,
                "cryptocompare_array.json", eur_usd, 2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_BAD_BODY);
  assert_string_equal(result.reason, "the document is array, not an object");
}

static void http_429_html(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  parse_fixture(P2POOL_PRICE_PROVIDER_COINGECKO, 429, "http_429.html", eur_usd,
                2, &result);
  assert_int_equal(result.status, P2POOL_PRICES_RATE_LIMITED);
  assert_false(result.has_error_code);
  assert_int_equal(strncmp(result.message, "<html><head><title>429", 22), 0);
}

static void http_error_statuses(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  assert_int_equal(p2pool_prices_parse(P2POOL_PRICE_PROVIDER_COINGECKO, 503,
                                       NULL, 0, eur_usd, 2, &result),
                   0);
  assert_int_equal(result.status, P2POOL_PRICES_HTTP_ERROR);
  assert_string_equal(result.message, "");

  assert_int_equal(p2pool_prices_parse(P2POOL_PRICE_PROVIDER_COINGECKO, 403,
                                       "denied", 6, eur_usd, 2, &result),
                   0);
  assert_int_equal(result.status, P2POOL_PRICES_AUTH_ERROR);
  assert_string_equal(result.message, "denied");

  /* A price document with an error status is still no price. */
  assert_int_equal(p2pool_prices_parse(P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE, 500,
                                       "{\"EUR\":1}", 9, eur_usd, 2, &result),
                   0);
  assert_int_equal(result.status, P2POOL_PRICES_HTTP_ERROR);
  assert_int_equal(result.valid_num, 0);
}

static void empty_body_200(void **state) {
  (void)state;
  p2pool_prices_result_t result;

  assert_int_equal(p2pool_prices_parse(P2POOL_PRICE_PROVIDER_COINGECKO, 200, "",
                                       0, eur_usd, 2, &result),
                   0);
  assert_int_equal(result.status, P2POOL_PRICES_BAD_BODY);
  assert_string_equal(result.reason, "it is not JSON: the body is empty");
}

static void parse_rejects_arguments(void **state) {
  (void)state;
  p2pool_prices_result_t result;
  const char *many[P2POOL_PRICES_CURRENCIES_MAX + 1];
  for (size_t i = 0; i < P2POOL_PRICES_CURRENCIES_MAX + 1; i++)
    many[i] = "EUR";

  assert_int_equal(p2pool_prices_parse(P2POOL_PRICE_PROVIDER_COINGECKO, 200,
                                       "{}", 2, eur_usd, 0, &result),
                   -EINVAL);
  assert_int_equal(
      p2pool_prices_parse(P2POOL_PRICE_PROVIDER_COINGECKO, 200, "{}", 2, many,
                          P2POOL_PRICES_CURRENCIES_MAX + 1, &result),
      -EINVAL);
}

static void quote_escapes(void **state) {
  (void)state;
  char out[P2POOL_PRICES_QUOTE_BYTES];
  static const char text[] = "a\"b\\c\nd\xc3\xa9";

  p2pool_prices_quote(text, sizeof(text) - 1, out, sizeof(out));
  assert_string_equal(out, "a\\\"b\\\\c\\x0ad\\xc3\\xa9");

  p2pool_prices_quote("x\0y", 3, out, sizeof(out));
  assert_string_equal(out, "x\\x00y");
}

static void quote_truncates(void **state) {
  (void)state;
  char text[P2POOL_PRICES_QUOTE_MAX_CHARS + 10];
  char out[P2POOL_PRICES_QUOTE_BYTES];
  memset(text, 'a', sizeof(text));

  p2pool_prices_quote(text, P2POOL_PRICES_QUOTE_MAX_CHARS, out, sizeof(out));
  assert_int_equal(strlen(out), P2POOL_PRICES_QUOTE_MAX_CHARS);

  p2pool_prices_quote(text, sizeof(text), out, sizeof(out));
  assert_int_equal(strlen(out), P2POOL_PRICES_QUOTE_MAX_CHARS + 3);
  assert_string_equal(out + P2POOL_PRICES_QUOTE_MAX_CHARS, "...");

  /* A small buffer cuts earlier and still ends the text. */
  char small[10];
  p2pool_prices_quote(text, sizeof(text), small, sizeof(small));
  assert_string_equal(small, "aaaaaa...");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(provider_parse_names),
      cmocka_unit_test(currency_normalize_accepts),
      cmocka_unit_test(currency_normalize_rejects),
      cmocka_unit_test(build_url_coingecko),
      cmocka_unit_test(build_url_cryptocompare),
      cmocka_unit_test(build_url_too_long),
      cmocka_unit_test(coingecko_ok),
      cmocka_unit_test(coingecko_rate_limit_429),
      cmocka_unit_test(coingecko_rate_limit_200),
      cmocka_unit_test(coingecko_key_missing_401),
      cmocka_unit_test(coingecko_error_object_200),
      cmocka_unit_test(coingecko_error_string),
      cmocka_unit_test(coingecko_missing_currency),
      cmocka_unit_test(coingecko_values_not_prices),
      cmocka_unit_test(coingecko_unknown_coin),
      cmocka_unit_test(coingecko_monero_not_object),
      cmocka_unit_test(cryptocompare_ok),
      cmocka_unit_test(cryptocompare_lower_case_key_missing),
      cmocka_unit_test(cryptocompare_rate_limit_type_99),
      cmocka_unit_test(cryptocompare_market_error),
      cmocka_unit_test(cryptocompare_key_required_401),
      cmocka_unit_test(cryptocompare_err_object_200),
      cmocka_unit_test(cryptocompare_truncated),
      cmocka_unit_test(cryptocompare_array),
      cmocka_unit_test(http_429_html),
      cmocka_unit_test(http_error_statuses),
      cmocka_unit_test(empty_body_200),
      cmocka_unit_test(parse_rejects_arguments),
      cmocka_unit_test(quote_escapes),
      cmocka_unit_test(quote_truncates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
