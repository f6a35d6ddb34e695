/*
 * test_raffle_parse.c: xmrvsbeast's JSON endpoint and HTML page, every unit
 * letter, and pages whose layout changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "raffle_parse.h"

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

/* Reads tests/fixtures/raffle/<name> into a new NUL-terminated buffer. */
static char *read_fixture(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof(path), "%s/raffle/%s", FIXTURES_DIR, name);
  FILE *file = fopen(path, "rb");
  assert_non_null(file);

  char *data = malloc(64 * 1024);
  assert_non_null(data);
  *len = fread(data, 1, 64 * 1024 - 1, file);
  data[*len] = '\0';
  fclose(file);
  return data;
}

static int parse_json_fixture(const char *name, p2pool_raffle_figures_t *out,
                              char *reason, size_t reason_size) {
  size_t len = 0;
  char *body = read_fixture(name, &len);
  int status = p2pool_raffle_parse_json(body, len, out, reason, reason_size);
  free(body);
  return status;
}

static int parse_page_fixture(const char *name, p2pool_raffle_figures_t *out,
                              char *reason, size_t reason_size) {
  size_t len = 0;
  char *body = read_fixture(name, &len);
  int status = p2pool_raffle_parse_page(body, len, out, reason, reason_size);
  free(body);
  return status;
}

static void hashrate_every_unit(void **state) {
  (void)state;
  static const struct {
    const char *text;
    double hashes_per_second;
  } cases[] = {
      {"950H/s", 950},     {"950.25 H/s", 950.25}, {"950h/s", 950},
      {"3H/S", 3},         {"1.5kH/s", 1500},      {"1.5KH/s", 1500},
      {"1.5 kh/s", 1500},  {"0.33kH/s", 330},      {"2MH/s", 2e6},
      {"2.5 Mh/S", 2.5e6}, {"2.25GH/s", 2.25e9},   {"2gH/s", 2e9},
      {"0.00kH/s", 0},     {"12\tkH/s", 12000},    {"1.23kH/s |", 1230},
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    double value = -1;
    assert_int_equal(p2pool_raffle_parse_hashrate(cases[i].text, &value, NULL),
                     0);
    assert_near(value, cases[i].hashes_per_second,
                cases[i].hashes_per_second * 1e-12);
  }
}

static void hashrate_rejects(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int status;
  } cases[] = {
      {"1.2mH/s", -ERANGE}, /* milli or mega */
      {"1.2TH/s", -ERANGE}, /* no prefix we accept */
      {"1.2kB/s", -ERANGE}, /* not hashes */
      {"1.2", -EINVAL},     /* no unit */
      {"1.2 ", -EINVAL},    /* no unit */
      {"1.2k/s", -EINVAL},  /* no H */
      {"1.2kH", -EINVAL},   /* no /s */
      {"1.2kH/sec", -EINVAL},
      {"-1kH/s", -EINVAL},
      {".5kH/s", -EINVAL},
      {"7.kH/s", -EINVAL}, /* a dot without a digit after it */
      {"abc", -EINVAL},
      {"", -EINVAL},
      {"1,234kH/s", -EINVAL},
      {"1234567890123456H/s", -ERANGE}, /* 16 digits */
      {"1.23456789012345kH/s", 0},      /* 15 digits */
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    double value = 0;
    assert_int_equal(p2pool_raffle_parse_hashrate(cases[i].text, &value, NULL),
                     cases[i].status);
  }
}

static void hashrate_end(void **state) {
  (void)state;
  const char *text = "1.23kH/s | 24hr";
  const char *end = NULL;
  double value = 0;

  assert_int_equal(p2pool_raffle_parse_hashrate(text, &value, &end), 0);
  assert_ptr_equal(end, text + strlen("1.23kH/s"));
}

static void json_ok(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(
      parse_json_fixture("api_ok.json", &figures, reason, sizeof(reason)), 0);
  assert_near(figures.avg_1h, 2500, 1e-9);
  assert_near(figures.avg_24h, 1750, 1e-9);
  assert_true(figures.fails_valid);
  assert_int_equal(figures.fails, 1);
}

static void json_without_fails(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(
      parse_json_fixture("api_no_fails.json", &figures, reason, sizeof(reason)),
      0);
  assert_near(figures.avg_1h, 420, 1e-9);
  assert_near(figures.avg_24h, 0, 1e-9);
  assert_false(figures.fails_valid);
}

static void json_rejects(void **state) {
  (void)state;
  static const struct {
    const char *fixture;
    const char *reason;
  } cases[] = {
      {"api_string_value.json", "\"donor_1hr_avg\" is not a number"},
      {"api_missing_1h.json", "\"donor_1hr_avg\" is missing"},
      {"api_negative.json", "\"donor_1hr_avg\" is negative or not finite"},
      {"api_bad_fails.json", "\"fails\" is not a count"},
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    p2pool_raffle_figures_t figures;
    char reason[128] = "";
    assert_int_equal(
        parse_json_fixture(cases[i].fixture, &figures, reason, sizeof(reason)),
        -EINVAL);
    assert_string_equal(reason, cases[i].reason);
  }
}

static void json_rejects_non_json(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(
      parse_json_fixture("page_kilo.html", &figures, reason, sizeof(reason)),
      -EINVAL);
  assert_non_null(strstr(reason, "not JSON"));
  assert_int_equal(
      p2pool_raffle_parse_json("[1,2]", 5, &figures, reason, sizeof(reason)),
      -EINVAL);
  assert_string_equal(reason, "the document is array, not an object");
  assert_int_equal(
      p2pool_raffle_parse_json(NULL, 0, &figures, reason, sizeof(reason)),
      -EINVAL);
}

static void page_kilo(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(
      parse_page_fixture("page_kilo.html", &figures, reason, sizeof(reason)),
      0);
  assert_near(figures.avg_1h, 2500, 1e-9);
  assert_near(figures.avg_24h, 1750, 1e-9);
  assert_true(figures.fails_valid);
  assert_int_equal(figures.fails, 1);
}

static void page_mixed_units(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(parse_page_fixture("page_mixed_units.html", &figures, reason,
                                      sizeof(reason)),
                   0);
  assert_near(figures.avg_1h, 812.5, 1e-9);
  assert_near(figures.avg_24h, 1.4e6, 1e-6);
  assert_int_equal(figures.fails, 3);
}

static void page_markup_moved(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  /* Labels in another order, inside other tags, a space before the colon,
   * &nbsp; before the unit, no fail count. */
  assert_int_equal(parse_page_fixture("page_markup_moved.html", &figures,
                                      reason, sizeof(reason)),
                   0);
  assert_near(figures.avg_1h, 4000, 1e-9);
  assert_near(figures.avg_24h, 3250, 1e-9);
  assert_false(figures.fails_valid);
}

static void page_every_unit(void **state) {
  (void)state;
  static const struct {
    const char *unit;
    double factor;
  } units[] = {{"H/s", 1},    {"h/s", 1},    {"kH/s", 1e3}, {"KH/s", 1e3},
               {"kh/s", 1e3}, {"MH/s", 1e6}, {"Mh/s", 1e6}, {"GH/s", 1e9},
               {"gH/s", 1e9}, {"GH/S", 1e9}};

  for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
    char page[256];
    int len = snprintf(page, sizeof(page),
                       "<p>1hr avg: 1.5%s &nbsp;|&nbsp; 24hr avg: 3 %s</p>",
                       units[i].unit, units[i].unit);
    p2pool_raffle_figures_t figures;
    char reason[128] = "";
    assert_int_equal(p2pool_raffle_parse_page(page, (size_t)len, &figures,
                                              reason, sizeof(reason)),
                     0);
    assert_near(figures.avg_1h, 1.5 * units[i].factor, units[i].factor * 1e-12);
    assert_near(figures.avg_24h, 3 * units[i].factor, units[i].factor * 1e-12);
  }
}

static void page_changed_layout(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(parse_page_fixture("page_changed_layout.html", &figures,
                                      reason, sizeof(reason)),
                   -EINVAL);
  assert_string_equal(reason, "no \"1hr avg:\" on the page");
  assert_near(figures.avg_1h, 0, 0);
}

static void page_ambiguous_unit(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(parse_page_fixture("page_ambiguous_unit.html", &figures,
                                      reason, sizeof(reason)),
                   -EINVAL);
  assert_string_equal(reason, "unit or number not accepted after \"1hr "
                              "avg:\": \"2.50mH/s | 24hr avg: 1.7\"");
}

static void page_label_without_number(void **state) {
  (void)state;
  static const char page[] = "<p>1hr avg: n/a | 24hr avg: 1kH/s</p>";
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(p2pool_raffle_parse_page(page, sizeof(page) - 1, &figures,
                                            reason, sizeof(reason)),
                   -EINVAL);
  assert_string_equal(reason, "no hashrate with a unit after \"1hr avg:\": "
                              "\"n/a | 24hr avg: 1kH/s \"");
}

static void page_missing_24h(void **state) {
  (void)state;
  static const char page[] = "<p>1hr avg: 1kH/s</p><p>21hr avg: 2kH/s</p>";
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(p2pool_raffle_parse_page(page, sizeof(page) - 1, &figures,
                                            reason, sizeof(reason)),
                   -EINVAL);
  assert_string_equal(reason, "no \"24hr avg:\" on the page");
  assert_near(figures.avg_1h, 0, 0);
}

static void page_not_registered(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(parse_page_fixture("page_not_registered.html", &figures,
                                      reason, sizeof(reason)),
                   -ENOENT);
}

static void page_empty(void **state) {
  (void)state;
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(
      p2pool_raffle_parse_page("", 0, &figures, reason, sizeof(reason)),
      -EINVAL);
  assert_string_equal(reason, "the page is empty");
}

static void page_with_nul_bytes(void **state) {
  (void)state;
  static const char page[] = "<p>1hr avg: 1kH/s\0| 24hr avg: 2kH/s</p>";
  p2pool_raffle_figures_t figures;
  char reason[128] = "";

  assert_int_equal(p2pool_raffle_parse_page(page, sizeof(page) - 1, &figures,
                                            reason, sizeof(reason)),
                   0);
  assert_near(figures.avg_24h, 2000, 1e-9);
}

static void body_not_registered(void **state) {
  (void)state;
  size_t len = 0;
  char *body = read_fixture("api_not_registered.txt", &len);

  assert_true(p2pool_raffle_body_not_registered(body, len));
  assert_false(p2pool_raffle_body_not_registered("registered", 10));
  assert_false(p2pool_raffle_body_not_registered(NULL, 0));
  free(body);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hashrate_every_unit),
      cmocka_unit_test(hashrate_rejects),
      cmocka_unit_test(hashrate_end),
      cmocka_unit_test(json_ok),
      cmocka_unit_test(json_without_fails),
      cmocka_unit_test(json_rejects),
      cmocka_unit_test(json_rejects_non_json),
      cmocka_unit_test(page_kilo),
      cmocka_unit_test(page_mixed_units),
      cmocka_unit_test(page_markup_moved),
      cmocka_unit_test(page_every_unit),
      cmocka_unit_test(page_changed_layout),
      cmocka_unit_test(page_ambiguous_unit),
      cmocka_unit_test(page_label_without_number),
      cmocka_unit_test(page_missing_24h),
      cmocka_unit_test(page_not_registered),
      cmocka_unit_test(page_empty),
      cmocka_unit_test(page_with_nul_bytes),
      cmocka_unit_test(body_not_registered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
