/*
 * Unit tests of hashrate.c: uncle weights as P2Pool's SideChain::get_shares
 * computes them, and the hashrate estimate from the PPLNS window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hashrate.h"
#include "observer_parse.h"
#include "window.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 256
#define FIXTURE_MAX_BYTES (1024 * 1024)

static json_object *fixture_json(const char *name) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/unit/%s", FIXTURES_DIR, name);

  FILE *file = fopen(path, "rb");
  if (file == NULL)
    fail_msg("cannot open fixture %s", path);
  char *buf = malloc(FIXTURE_MAX_BYTES);
  assert_non_null(buf);
  size_t len = fread(buf, 1, FIXTURE_MAX_BYTES, file);
  fclose(file);

  json_object *root = NULL;
  char err[ERR_BYTES] = "";
  if (p2pool_json_parse(buf, len, &root, err, sizeof(err)) != 0)
    fail_msg("fixture %s does not parse: %s", name, err);
  free(buf);
  return root;
}

/* Checks a relative error, for values that are not exact in binary. */
static void assert_relative(double actual, double expected, double tolerance) {
  if (!(fabs(actual - expected) <= tolerance * fabs(expected)))
    fail_msg("expected %.17g, got %.17g", expected, actual);
}

static void uncle_weight_integer_division(void **state) {
  (void)state;

  /* 1000000009 * 20 / 100 = 200000001.8, truncated to 200000001. */
  assert_true(p2pool_uncle_weight(1000000009, 20) == 800000008);
  assert_true(p2pool_uncle_bonus(1000000009, 20) == 200000001);

  /* 900000003 * 20 / 100 = 180000000.6 */
  assert_true(p2pool_uncle_weight(900000003, 20) == 720000003);
  assert_true(p2pool_uncle_bonus(900000003, 20) == 180000000);

  /* nano: 1000000009 * 10 / 100 = 100000000.9 */
  assert_true(p2pool_uncle_weight(1000000009, 10) == 900000009);
  assert_true(p2pool_uncle_bonus(1000000009, 10) == 100000000);

  /* 99 * 20 / 100 = 19.8 */
  assert_true(p2pool_uncle_weight(99, 20) == 80);
  assert_true(p2pool_uncle_bonus(99, 20) == 19);
}

static void uncle_weight_plus_bonus_is_difficulty(void **state) {
  (void)state;
  const uint64_t difficulties[] = {
      0, 1, 7, 100000, 1452318771, 141309770, UINT64_MAX / 100};
  const uint64_t penalties[] = {0, 1, 10, 20, 50, 99, 100};

  for (size_t d = 0; d < sizeof(difficulties) / sizeof(difficulties[0]); d++) {
    for (size_t p = 0; p < sizeof(penalties) / sizeof(penalties[0]); p++) {
      uint64_t weight = p2pool_uncle_weight(difficulties[d], penalties[p]);
      uint64_t bonus = p2pool_uncle_bonus(difficulties[d], penalties[p]);
      if (weight + bonus != difficulties[d])
        fail_msg("difficulty %ju, penalty %ju: %ju + %ju",
                 (uintmax_t)difficulties[d], (uintmax_t)penalties[p],
                 (uintmax_t)weight, (uintmax_t)bonus);
    }
  }
}

static void uncle_weight_edge_penalties(void **state) {
  (void)state;

  assert_true(p2pool_uncle_weight(1452318771, 0) == 1452318771);
  assert_true(p2pool_uncle_bonus(1452318771, 0) == 0);
  assert_true(p2pool_uncle_weight(1452318771, 100) == 0);
  assert_true(p2pool_uncle_bonus(1452318771, 100) == 1452318771);
}

static void uncle_weight_no_overflow(void **state) {
  (void)state;

  /* P2Pool multiplies in 128 bits: (2^64 - 1) * 20 / 100 = (2^64 - 1) / 5,
   * exactly 3689348814741910323, with no wrap-around of the product. */
  assert_true(p2pool_uncle_bonus(UINT64_MAX, 20) ==
              UINT64_C(3689348814741910323));
  assert_true(p2pool_uncle_weight(UINT64_MAX, 20) ==
              UINT64_C(14757395258967641292));
}

static void window_hashrate_by_hand(void **state) {
  (void)state;
  p2pool_u128_t window_weight = {0, UINT64_C(298000001400)};

  /*
   * Miner weight 2980000014 (window_uncle_and_includer.json with a 20 %
   * penalty) is 1/100 of the window weight 298000001400. A pool hashrate of
   * 1500000000 / 10 s = 150000000 H/s gives 150000000 / 100 = 1500000 H/s.
   */
  assert_relative(
      p2pool_window_hashrate(UINT64_C(2980000014), window_weight, 150000000.0),
      1500000.0, 1e-12);
}

static void window_hashrate_wide_weight(void **state) {
  (void)state;
  p2pool_u128_t window_weight = {1, 0}; /* 2^64 */

  /* 2^32 / 2^64 * 2^40 H/s = 2^8 H/s */
  assert_relative(
      p2pool_window_hashrate(UINT64_C(1) << 32, window_weight, ldexp(1.0, 40)),
      256.0, 1e-12);
}

static void window_hashrate_zero_cases(void **state) {
  (void)state;
  p2pool_u128_t zero = {0, 0};
  p2pool_u128_t weight = {0, 1000};

  assert_true(p2pool_window_hashrate(500, zero, 150000000.0) == 0.0);
  assert_true(p2pool_window_hashrate(0, weight, 150000000.0) == 0.0);
  assert_true(p2pool_window_hashrate(500, weight, 0.0) == 0.0);
}

static void window_hashrate_from_fixtures(void **state) {
  (void)state;
  json_object *pool_root = fixture_json("pool_info_main.json");
  json_object *window_root = fixture_json("window_uncle_and_includer.json");
  p2pool_pool_info_t pool;
  p2pool_window_summary_t window;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_parse_pool_info(pool_root, &pool, err, sizeof(err)),
                   0);
  assert_int_equal(p2pool_parse_window(window_root, pool.uncle_penalty, &window,
                                       err, sizeof(err)),
                   0);

  /*
   * By hand, from the two fixtures:
   *   pool hashrate = side difficulty / block time
   *                 = 1500000000 / 10 = 150000000 H/s;
   *   miner weight  = 1180000007 + 800000008 + 999999999 = 2980000014
   *     (the includer's bonus 900000003 * 20 / 100 = 180000000, the uncle's
   *     penalty 1000000009 * 20 / 100 = 200000001);
   *   window weight = 298000001400 = 100 * miner weight;
   *   hashrate      = 2980000014 / 298000001400 * 150000000 = 1500000 H/s.
   * Counting the uncle at full weight and dropping the bonus would give
   * 3000000015 / 298000001400 * 150000000 = 1510067.1 H/s instead.
   */
  double hashrate = p2pool_window_hashrate(window.weight, pool.window_weight,
                                           pool.pool_hashrate);
  assert_relative(hashrate, 1500000.0, 1e-12);

  json_object_put(pool_root);
  json_object_put(window_root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(uncle_weight_integer_division),
      cmocka_unit_test(uncle_weight_plus_bonus_is_difficulty),
      cmocka_unit_test(uncle_weight_edge_penalties),
      cmocka_unit_test(uncle_weight_no_overflow),
      cmocka_unit_test(window_hashrate_by_hand),
      cmocka_unit_test(window_hashrate_wide_weight),
      cmocka_unit_test(window_hashrate_zero_cases),
      cmocka_unit_test(window_hashrate_from_fixtures),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
