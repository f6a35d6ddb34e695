/*
 * Unit tests of notify_rules.c: when share droughts and blocked observers
 * begin and end, and how amounts, durations and hashrates are written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "notify_rules.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* A wallet at 10 kH/s on a side chain of difficulty 3,000,000 expects a
 * share every 300 s. With factor 6 a drought starts after 1800 s. */
#define HASHRATE 10000.0
#define SIDE_DIFFICULTY UINT64_C(3000000)
#define EXPECTED_SECONDS 300.0
#define FACTOR 6.0
#define THRESHOLD_SECONDS 1800.0
#define LAST_SHARE_TIME UINT64_C(1700000000)

static p2pool_drought_input_t input_at(double age_seconds) {
  return (p2pool_drought_input_t){
      .hashrate = HASHRATE,
      .side_difficulty = SIDE_DIFFICULTY,
      .last_share_time = LAST_SHARE_TIME,
      .now = (double)LAST_SHARE_TIME + age_seconds,
      .factor = FACTOR,
      .min_threshold_seconds = 180.0,
  };
}

static void assert_close(double actual, double expected) {
  if (!(fabs(actual - expected) <= 1e-9 * fmax(1.0, fabs(expected))))
    fail_msg("expected %.17g, got %.17g", expected, actual);
}

static void drought_quiet_below_threshold(void **state) {
  (void)state;
  p2pool_drought_t drought = {0};
  p2pool_drought_figures_t figures;

  p2pool_drought_input_t input = input_at(THRESHOLD_SECONDS - 1.0);
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);
  assert_false(drought.active);
  assert_close(figures.expected_seconds, EXPECTED_SECONDS);
  assert_close(figures.threshold_seconds, THRESHOLD_SECONDS);
  assert_close(figures.age_seconds, THRESHOLD_SECONDS - 1.0);
  assert_close(drought.expected_seconds, EXPECTED_SECONDS);
}

static void drought_begins_once(void **state) {
  (void)state;
  p2pool_drought_t drought = {0};
  p2pool_drought_figures_t figures;

  p2pool_drought_input_t input = input_at(THRESHOLD_SECONDS + 1.0);
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_BEGIN);
  assert_true(drought.active);

  input = input_at(THRESHOLD_SECONDS + 60.0);
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);
  assert_true(drought.active);
}

static void drought_ends_with_new_share(void **state) {
  (void)state;
  p2pool_drought_t drought = {0};
  p2pool_drought_figures_t figures;

  p2pool_drought_input_t input = input_at(THRESHOLD_SECONDS + 1.0);
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_BEGIN);

  /* A share 10 s before the next poll. */
  double now = input.now + 60.0;
  input.last_share_time = (uint64_t)now - 10;
  input.now = now;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_END);
  assert_false(drought.active);
  assert_close(figures.age_seconds, 10.0);

  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);
}

static void drought_overdue_share_continues(void **state) {
  (void)state;
  p2pool_drought_t drought = {0};
  p2pool_drought_figures_t figures;

  p2pool_drought_input_t input = input_at(10 * THRESHOLD_SECONDS);
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_BEGIN);

  /* A newer share shows up, but it is itself older than the threshold. */
  input.last_share_time += 60;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);
  assert_true(drought.active);
  assert_int_equal(drought.last_share_time, LAST_SHARE_TIME + 60);
}

static void drought_keeps_reference_hashrate(void **state) {
  (void)state;
  p2pool_drought_t drought = {0};
  p2pool_drought_figures_t figures;

  p2pool_drought_input_t input = input_at(60.0);
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);

  /* The window no longer contains a share of the wallet: hashrate 0. */
  input = input_at(THRESHOLD_SECONDS + 1.0);
  input.hashrate = 0.0;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_BEGIN);
  assert_close(figures.expected_seconds, EXPECTED_SECONDS);

  input.hashrate = NAN;
  input.now += 60.0;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);
  assert_close(drought.reference_hashrate, HASHRATE);
}

static void drought_unknown_inputs_quiet(void **state) {
  (void)state;
  p2pool_drought_figures_t figures;

  /* Never a share. */
  p2pool_drought_t drought = {0};
  p2pool_drought_input_t input = input_at(1e9);
  input.last_share_time = 0;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);

  /* No hashrate ever seen. */
  drought = (p2pool_drought_t){0};
  input = input_at(1e9);
  input.hashrate = 0.0;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);
  assert_close(figures.threshold_seconds, 0.0);

  /* No pool_info yet. */
  drought = (p2pool_drought_t){0};
  input = input_at(1e9);
  input.side_difficulty = 0;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);

  /* Checks turned off. */
  drought = (p2pool_drought_t){0};
  input = input_at(1e9);
  input.factor = 0.0;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);
  assert_false(drought.active);
}

static void drought_threshold_floor(void **state) {
  (void)state;
  p2pool_drought_t drought = {0};
  p2pool_drought_figures_t figures;

  /* 100 MH/s expects a share every 0.03 s; the floor of three polls
   * keeps a 100 s old share from counting as a drought. */
  p2pool_drought_input_t input = input_at(100.0);
  input.hashrate = 1e8;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);
  assert_close(figures.threshold_seconds, 180.0);

  input.now += 100.0;
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_BEGIN);
}

static void drought_future_share_age_zero(void **state) {
  (void)state;
  p2pool_drought_t drought = {0};
  p2pool_drought_figures_t figures;

  /* The observer's clock runs ahead of ours. */
  p2pool_drought_input_t input = input_at(-30.0);
  assert_int_equal(p2pool_drought_check(&drought, &input, &figures),
                   P2POOL_TRANSITION_NONE);
  assert_close(figures.age_seconds, 0.0);
}

static void payouts_history_not_announced(void **state) {
  (void)state;
  p2pool_payout_watch_t watch = {0};
  uint64_t amount = 99;

  /* Before the history is read nothing counts, not even priming. */
  assert_int_equal(p2pool_payout_watch_check(&watch, false, 2, 500, &amount),
                   0);
  assert_int_equal(amount, 0);
  assert_false(watch.primed);

  /* The history read at the first start. */
  assert_int_equal(p2pool_payout_watch_check(&watch, true, 40, 9000, &amount),
                   0);
  assert_true(watch.primed);
  assert_int_equal(watch.count, 40);
  assert_int_equal(watch.amount, 9000);
}

static void payouts_new_announced_once(void **state) {
  (void)state;
  p2pool_payout_watch_t watch = {0};
  uint64_t amount = 0;
  p2pool_payout_watch_check(&watch, true, 40, 9000, &amount);

  assert_int_equal(p2pool_payout_watch_check(&watch, true, 41, 9250, &amount),
                   1);
  assert_int_equal(amount, 250);
  assert_int_equal(p2pool_payout_watch_check(&watch, true, 41, 9250, &amount),
                   0);
  assert_int_equal(amount, 0);

  /* Two blocks between polls. */
  assert_int_equal(p2pool_payout_watch_check(&watch, true, 43, 9700, &amount),
                   2);
  assert_int_equal(amount, 450);
}

static void payouts_lower_totals_rebase(void **state) {
  (void)state;
  p2pool_payout_watch_t watch = {0};
  uint64_t amount = 0;
  p2pool_payout_watch_check(&watch, true, 40, 9000, &amount);

  /* Saved totals replaced the live ones. */
  assert_int_equal(p2pool_payout_watch_check(&watch, true, 30, 7000, &amount),
                   0);
  assert_int_equal(watch.count, 30);
  assert_int_equal(p2pool_payout_watch_check(&watch, true, 31, 7100, &amount),
                   1);
  assert_int_equal(amount, 100);
}

static void blocked_begins_and_recovers(void **state) {
  (void)state;
  p2pool_blocked_t blocked = {0};

  assert_int_equal(p2pool_blocked_check(&blocked, 0, 4),
                   P2POOL_TRANSITION_NONE);
  assert_int_equal(p2pool_blocked_check(&blocked, 3, 4),
                   P2POOL_TRANSITION_BEGIN);
  assert_true(blocked.active);

  /* Still blocked: more pages, no responses. */
  assert_int_equal(p2pool_blocked_check(&blocked, 6, 4),
                   P2POOL_TRANSITION_NONE);
  /* A poll with responses and pages: partly blocked, still announced. */
  assert_int_equal(p2pool_blocked_check(&blocked, 7, 6),
                   P2POOL_TRANSITION_NONE);
  assert_true(blocked.active);
  /* A poll that timed out: neither pages nor responses. */
  assert_int_equal(p2pool_blocked_check(&blocked, 7, 6),
                   P2POOL_TRANSITION_NONE);

  assert_int_equal(p2pool_blocked_check(&blocked, 7, 10),
                   P2POOL_TRANSITION_END);
  assert_false(blocked.active);
  assert_int_equal(p2pool_blocked_check(&blocked, 7, 14),
                   P2POOL_TRANSITION_NONE);
}

static void blocked_counter_reset_rebases(void **state) {
  (void)state;
  p2pool_blocked_t blocked = {.blocked_seen = 10, .responses_seen = 50};

  assert_int_equal(p2pool_blocked_check(&blocked, 1, 2),
                   P2POOL_TRANSITION_NONE);
  assert_false(blocked.active);
  assert_int_equal(blocked.blocked_seen, 1);
  assert_int_equal(blocked.responses_seen, 2);
}

static void format_xmr_cases(void **state) {
  (void)state;
  char buf[32];

  assert_int_equal(p2pool_format_xmr(0, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "0.000000000000");
  assert_int_equal(p2pool_format_xmr(1, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "0.000000000001");
  assert_int_equal(p2pool_format_xmr(UINT64_C(1234000000000), buf, sizeof(buf)),
                   0);
  assert_string_equal(buf, "1.234000000000");
  assert_int_equal(p2pool_format_xmr(UINT64_MAX, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "18446744.073709551615");

  char small[8];
  assert_int_equal(p2pool_format_xmr(1, small, sizeof(small)), -ENOSPC);
}

static void format_duration_cases(void **state) {
  (void)state;
  static const struct {
    double seconds;
    const char *text;
  } cases[] = {
      {0.0, "0 s"},       {45.4, "45 s"},      {119.0, "119 s"},
      {120.0, "2 min"},   {3599.0, "60 min"},  {7200.0, "2.0 h"},
      {18720.0, "5.2 h"}, {172800.0, "2.0 d"}, {267840.0, "3.1 d"},
      {-5.0, "0 s"},      {NAN, "0 s"},        {INFINITY, "0 s"},
  };
  char buf[32];

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_equal(p2pool_format_duration(cases[i].seconds, buf, sizeof(buf)),
                     0);
    assert_string_equal(buf, cases[i].text);
  }

  char small[3];
  assert_int_equal(p2pool_format_duration(45.0, small, sizeof(small)), -ENOSPC);
}

static void format_hashrate_cases(void **state) {
  (void)state;
  static const struct {
    double hashrate;
    const char *text;
  } cases[] = {
      {0.0, "0 H/s"},        {850.0, "850 H/s"},  {12345.0, "12.3 kH/s"},
      {4.56e6, "4.56 MH/s"}, {1.5e9, "1.5 GH/s"}, {2e21, "2e+06 PH/s"},
      {-1.0, "0 H/s"},       {NAN, "0 H/s"},
  };
  char buf[32];

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_equal(
        p2pool_format_hashrate(cases[i].hashrate, buf, sizeof(buf)), 0);
    assert_string_equal(buf, cases[i].text);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(drought_quiet_below_threshold),
      cmocka_unit_test(drought_begins_once),
      cmocka_unit_test(drought_ends_with_new_share),
      cmocka_unit_test(drought_overdue_share_continues),
      cmocka_unit_test(drought_keeps_reference_hashrate),
      cmocka_unit_test(drought_unknown_inputs_quiet),
      cmocka_unit_test(drought_threshold_floor),
      cmocka_unit_test(drought_future_share_age_zero),
      cmocka_unit_test(payouts_history_not_announced),
      cmocka_unit_test(payouts_new_announced_once),
      cmocka_unit_test(payouts_lower_totals_rebase),
      cmocka_unit_test(blocked_begins_and_recovers),
      cmocka_unit_test(blocked_counter_reset_rebases),
      cmocka_unit_test(format_xmr_cases),
      cmocka_unit_test(format_duration_cases),
      cmocka_unit_test(format_hashrate_cases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
