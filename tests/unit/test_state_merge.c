/*
 * test_state_merge.c: merging saved totals with totals counted in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "state_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE_HEIGHT 3500000

/* A payout at BASE_HEIGHT + 10 * n with amount 1000 + n. */
static p2pool_payout_t payout(unsigned n) {
  p2pool_payout_t out = {0};
  snprintf(out.main_id, sizeof(out.main_id), "%064x", n + 1);
  out.main_height = BASE_HEIGHT + 10 * (uint64_t)n;
  out.timestamp = 1770000000 + 1200 * (uint64_t)n;
  out.amount = 1000 + n;
  return out;
}

/* A ledger that counted payouts first .. last; a REST list confirmed them
 * when history_loaded is set, the event stream counted them otherwise. */
static p2pool_payout_ledger_t ledger_of(unsigned first, unsigned last,
                                        bool history_loaded) {
  p2pool_payout_ledger_t ledger = {0};
  for (unsigned n = first; n <= last; n++) {
    p2pool_payout_t p = payout(n);
    assert_int_equal(p2pool_payout_ledger_add(&ledger, &p), 1);
  }
  if (history_loaded) {
    p2pool_payout_ledger_confirm(&ledger, payout(last).main_height);
    ledger.history_loaded = true;
  }
  return ledger;
}

static void assert_ledger_is(const p2pool_payout_ledger_t *ledger,
                             const p2pool_payout_ledger_t *expected) {
  assert_int_equal(ledger->history_loaded, expected->history_loaded);
  assert_int_equal(ledger->count, expected->count);
  assert_int_equal(ledger->amount, expected->amount);
  assert_int_equal(ledger->cursor_height, expected->cursor_height);
  assert_int_equal(ledger->newest_height, expected->newest_height);
  assert_int_equal(ledger->recent_num, expected->recent_num);
}

static void ledger_into_empty_is_saved(void **unused) {
  (void)unused;
  p2pool_payout_ledger_t saved = ledger_of(0, 9, true);
  p2pool_payout_ledger_t live = {0};

  p2pool_payout_ledger_merge(&live, &saved);
  assert_ledger_is(&live, &saved);
  assert_int_equal(live.count, 10);
}

static void ledger_history_reread_counted_once(void **unused) {
  (void)unused;
  /* Saved: payouts 0..9. Started without the store, memory re-read the
   * whole history, 0..11, with two payouts new since the save. */
  p2pool_payout_ledger_t saved = ledger_of(0, 9, true);
  p2pool_payout_ledger_t live = ledger_of(0, 11, true);
  p2pool_payout_ledger_t expected = live;

  p2pool_payout_ledger_merge(&live, &saved);
  assert_ledger_is(&live, &expected);
  assert_int_equal(live.count, 12);
}

static void ledger_saved_ahead_wins(void **unused) {
  (void)unused;
  /* Memory read a history that is behind the saved one, e.g. an observer
   * that returned not_found for a while. */
  p2pool_payout_ledger_t saved = ledger_of(0, 9, true);
  p2pool_payout_ledger_t live = {.history_loaded = true};

  p2pool_payout_ledger_merge(&live, &saved);
  assert_ledger_is(&live, &saved);
}

static void ledger_equal_keeps_live(void **unused) {
  (void)unused;
  p2pool_payout_ledger_t saved = ledger_of(0, 4, true);
  p2pool_payout_ledger_t live = ledger_of(0, 4, true);
  live.newest_amount = 77; /* marks the live copy */

  p2pool_payout_ledger_merge(&live, &saved);
  assert_int_equal(live.newest_amount, 77);
}

static void ledger_stream_payouts_left_to_rest(void **unused) {
  (void)unused;
  /* Memory has not read the history yet; it counted two payouts from the
   * event stream. Both lie above the saved cursor, so the next REST poll,
   * which requests payouts from that cursor, counts them into the saved
   * ledger. */
  p2pool_payout_ledger_t saved = ledger_of(0, 9, true);
  p2pool_payout_ledger_t live = ledger_of(10, 11, false);

  p2pool_payout_ledger_merge(&live, &saved);
  assert_ledger_is(&live, &saved);
  for (unsigned n = 10; n <= 11; n++) {
    assert_true(payout(n).main_height >= live.cursor_height);
    p2pool_payout_t p = payout(n);
    assert_int_equal(p2pool_payout_ledger_add(&live, &p), 1);
  }
  assert_int_equal(live.count, 12);
}

static void ledger_neither_loaded_keeps_live(void **unused) {
  (void)unused;
  p2pool_payout_ledger_t saved = ledger_of(0, 1, false);
  p2pool_payout_ledger_t live = ledger_of(5, 5, false);
  p2pool_payout_ledger_t expected = live;

  p2pool_payout_ledger_merge(&live, &saved);
  assert_ledger_is(&live, &expected);
}

static void wallet_later_share_kept(void **unused) {
  (void)unused;
  p2pool_saved_wallet_t live = {.last_share_height = 900,
                                .last_share_time = 5000};
  p2pool_saved_wallet_t saved = {.last_share_height = 800,
                                 .last_share_time = 6000};

  p2pool_state_merge_wallet(&live, &saved);
  assert_int_equal(live.last_share_height, 900);
  assert_int_equal(live.last_share_time, 5000);

  saved.last_share_height = 1000;
  p2pool_state_merge_wallet(&live, &saved);
  assert_int_equal(live.last_share_height, 1000);
  assert_int_equal(live.last_share_time, 6000);
}

static p2pool_saved_block_t block(unsigned n, char kind) {
  p2pool_saved_block_t out = {.kind = kind};
  snprintf(out.template_id, sizeof(out.template_id), "%064x", n + 7);
  snprintf(out.main_id, sizeof(out.main_id), "%064x", n + 70000);
  return out;
}

static void observer_into_empty_is_saved(void **unused) {
  (void)unused;
  p2pool_saved_observer_t *saved = calloc(1, sizeof(*saved));
  p2pool_saved_observer_t *live = calloc(1, sizeof(*live));
  saved->side_blocks = 120;
  saved->found_blocks = 4;
  saved->orphaned_blocks = 1;
  saved->recent[0] = block(1, P2POOL_BLOCK_SIDE);
  saved->recent[1] = block(2, P2POOL_BLOCK_FOUND);
  saved->recent_num = 2;

  assert_int_equal(p2pool_state_merge_observer(live, saved), 0);
  assert_int_equal(live->side_blocks, 120);
  assert_int_equal(live->found_blocks, 4);
  assert_int_equal(live->orphaned_blocks, 1);
  assert_int_equal(live->recent_num, 2);
  assert_memory_equal(live->recent, saved->recent, 2 * sizeof(live->recent[0]));
  free(saved);
  free(live);
}

static void observer_counted_twice_subtracted(void **unused) {
  (void)unused;
  p2pool_saved_observer_t *saved = calloc(1, sizeof(*saved));
  p2pool_saved_observer_t *live = calloc(1, sizeof(*live));

  /* Saved: 100 side blocks, the last two being 1 and 2, and found block 3. */
  saved->side_blocks = 100;
  saved->found_blocks = 7;
  saved->recent[0] = block(1, P2POOL_BLOCK_SIDE);
  saved->recent[1] = block(2, P2POOL_BLOCK_SIDE);
  saved->recent[2] = block(3, P2POOL_BLOCK_FOUND);
  saved->recent_num = 3;

  /* Memory counted side blocks 2, 4, 5 and found block 3 again. */
  live->side_blocks = 3;
  live->found_blocks = 1;
  live->orphaned_blocks = 1;
  live->recent[0] = block(2, P2POOL_BLOCK_SIDE);
  live->recent[1] = block(3, P2POOL_BLOCK_FOUND);
  live->recent[2] = block(4, P2POOL_BLOCK_SIDE);
  live->recent[3] = block(5, P2POOL_BLOCK_SIDE);
  live->recent[4] = block(3, P2POOL_BLOCK_ORPHANED);
  live->recent_num = 5;

  assert_int_equal(p2pool_state_merge_observer(live, saved), 0);
  assert_int_equal(live->side_blocks, 102);
  assert_int_equal(live->found_blocks, 7);
  assert_int_equal(live->orphaned_blocks, 1);

  /* Saved blocks first, then the live ones not among them. */
  assert_int_equal(live->recent_num, 6);
  p2pool_saved_block_t expected[] = {
      block(1, P2POOL_BLOCK_SIDE),  block(2, P2POOL_BLOCK_SIDE),
      block(3, P2POOL_BLOCK_FOUND), block(4, P2POOL_BLOCK_SIDE),
      block(5, P2POOL_BLOCK_SIDE),  block(3, P2POOL_BLOCK_ORPHANED)};
  assert_memory_equal(live->recent, expected, sizeof(expected));
  free(saved);
  free(live);
}

static void observer_block_list_keeps_newest(void **unused) {
  (void)unused;
  p2pool_saved_observer_t *saved = calloc(1, sizeof(*saved));
  p2pool_saved_observer_t *live = calloc(1, sizeof(*live));

  for (unsigned i = 0; i < P2POOL_STATE_BLOCKS_MAX; i++)
    saved->recent[i] = block(i, P2POOL_BLOCK_SIDE);
  saved->recent_num = P2POOL_STATE_BLOCKS_MAX;
  saved->side_blocks = 5000;
  for (unsigned i = 0; i < 10; i++)
    live->recent[i] = block(1000 + i, P2POOL_BLOCK_SIDE);
  live->recent_num = 10;
  live->side_blocks = 10;

  assert_int_equal(p2pool_state_merge_observer(live, saved), 0);
  assert_int_equal(live->side_blocks, 5010);
  assert_int_equal(live->recent_num, P2POOL_STATE_BLOCKS_MAX);
  p2pool_saved_block_t oldest = block(10, P2POOL_BLOCK_SIDE);
  p2pool_saved_block_t newest = block(1009, P2POOL_BLOCK_SIDE);
  assert_memory_equal(&live->recent[0], &oldest, sizeof(oldest));
  assert_memory_equal(&live->recent[P2POOL_STATE_BLOCKS_MAX - 1], &newest,
                      sizeof(newest));
  free(saved);
  free(live);
}

static void observer_counter_never_wraps(void **unused) {
  (void)unused;
  p2pool_saved_observer_t *saved = calloc(1, sizeof(*saved));
  p2pool_saved_observer_t *live = calloc(1, sizeof(*live));
  saved->side_blocks = UINT64_MAX - 1;
  live->side_blocks = 5;

  assert_int_equal(p2pool_state_merge_observer(live, saved), 0);
  assert_int_equal(live->side_blocks, UINT64_MAX);
  free(saved);
  free(live);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ledger_into_empty_is_saved),
      cmocka_unit_test(ledger_history_reread_counted_once),
      cmocka_unit_test(ledger_saved_ahead_wins),
      cmocka_unit_test(ledger_equal_keeps_live),
      cmocka_unit_test(ledger_stream_payouts_left_to_rest),
      cmocka_unit_test(ledger_neither_loaded_keeps_live),
      cmocka_unit_test(wallet_later_share_kept),
      cmocka_unit_test(observer_into_empty_is_saved),
      cmocka_unit_test(observer_counted_twice_subtracted),
      cmocka_unit_test(observer_block_list_keeps_newest),
      cmocka_unit_test(observer_counter_never_wraps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
