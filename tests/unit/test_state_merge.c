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

/* A ledger that counted payouts first .. last. */
static p2pool_payout_ledger_t ledger_of(unsigned first, unsigned last,
                                        bool history_loaded) {
  p2pool_payout_ledger_t ledger = {0};
  for (unsigned n = first; n <= last; n++) {
    p2pool_payout_t p = payout(n);
    assert_int_equal(p2pool_payout_ledger_add(&ledger, &p), 1);
  }
  ledger.history_loaded = history_loaded;
  return ledger;
}

static uint64_t amount_of(unsigned first, unsigned last) {
  uint64_t sum = 0;
  for (unsigned n = first; n <= last; n++)
    sum += 1000 + n;
  return sum;
}

static void ledger_into_empty_is_saved(void **unused) {
  (void)unused;
  p2pool_payout_ledger_t saved = ledger_of(0, 9, true);
  p2pool_payout_ledger_t live = {0};

  assert_int_equal(p2pool_payout_ledger_merge(&live, &saved), 0);
  assert_true(live.history_loaded);
  assert_int_equal(live.count, 10);
  assert_int_equal(live.amount, amount_of(0, 9));
  assert_int_equal(live.cursor_height, saved.cursor_height);
  assert_string_equal(live.newest.main_id, saved.newest.main_id);
  assert_int_equal(live.recent_num, 10);
  assert_memory_equal(live.recent, saved.recent, 10 * sizeof(live.recent[0]));
}

static void ledger_history_reread_counted_once(void **unused) {
  (void)unused;
  /* Saved: payouts 0..9. Started without the store, memory re-read the
   * whole history, 0..11, with two payouts new since the save. */
  p2pool_payout_ledger_t saved = ledger_of(0, 9, true);
  p2pool_payout_ledger_t live = ledger_of(0, 11, true);

  assert_int_equal(p2pool_payout_ledger_merge(&live, &saved), 0);
  assert_int_equal(live.count, 12);
  assert_int_equal(live.amount, amount_of(0, 11));
  assert_int_equal(live.cursor_height, payout(11).main_height);
  assert_string_equal(live.newest.main_id, payout(11).main_id);
  assert_true(live.history_loaded);
}

static void ledger_new_payouts_added(void **unused) {
  (void)unused;
  /* Memory has not read the history yet but saw two new payouts. */
  p2pool_payout_ledger_t saved = ledger_of(0, 9, true);
  p2pool_payout_ledger_t live = ledger_of(10, 11, false);

  assert_int_equal(p2pool_payout_ledger_merge(&live, &saved), 0);
  assert_int_equal(live.count, 12);
  assert_int_equal(live.amount, amount_of(0, 11));
  assert_true(live.history_loaded);
}

static void ledger_old_payouts_not_recounted(void **unused) {
  (void)unused;
  /* The saved ledger forgot its oldest ids (more payouts than it keeps);
   * memory's copies of them sit below the saved cursor. */
  unsigned last = P2POOL_PAYOUT_RECENT_MAX + 40;
  p2pool_payout_ledger_t saved = ledger_of(0, last, true);
  p2pool_payout_ledger_t live = ledger_of(0, 20, false);

  assert_int_equal(p2pool_payout_ledger_merge(&live, &saved), 0);
  assert_int_equal(live.count, last + 1);
  assert_int_equal(live.amount, amount_of(0, last));
}

static void ledger_live_base_without_saved_history(void **unused) {
  (void)unused;
  /* The saved ledger never read the history; memory did. */
  p2pool_payout_ledger_t saved = ledger_of(5, 6, false);
  p2pool_payout_ledger_t live = ledger_of(0, 8, true);
  p2pool_payout_ledger_t expected = live;

  assert_int_equal(p2pool_payout_ledger_merge(&live, &saved), 0);
  assert_int_equal(live.count, expected.count);
  assert_int_equal(live.amount, expected.amount);
  assert_int_equal(live.cursor_height, expected.cursor_height);
}

static void ledger_same_payout_once(void **unused) {
  (void)unused;
  /* Both sides counted the same payout after the save. */
  p2pool_payout_ledger_t saved = ledger_of(0, 3, true);
  p2pool_payout_ledger_t live = ledger_of(3, 3, false);

  assert_int_equal(p2pool_payout_ledger_merge(&live, &saved), 0);
  assert_int_equal(live.count, 4);
  assert_int_equal(live.amount, amount_of(0, 3));
}

static void wallet_later_share_kept(void **unused) {
  (void)unused;
  p2pool_saved_wallet_t live = {.last_share_height = 900,
                                .last_share_time = 5000};
  p2pool_saved_wallet_t saved = {.last_share_height = 800,
                                 .last_share_time = 6000};

  assert_int_equal(p2pool_state_merge_wallet(&live, &saved), 0);
  assert_int_equal(live.last_share_height, 900);
  assert_int_equal(live.last_share_time, 5000);

  saved.last_share_height = 1000;
  assert_int_equal(p2pool_state_merge_wallet(&live, &saved), 0);
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
      cmocka_unit_test(ledger_new_payouts_added),
      cmocka_unit_test(ledger_old_payouts_not_recounted),
      cmocka_unit_test(ledger_live_base_without_saved_history),
      cmocka_unit_test(ledger_same_payout_once),
      cmocka_unit_test(wallet_later_share_kept),
      cmocka_unit_test(observer_into_empty_is_saved),
      cmocka_unit_test(observer_counted_twice_subtracted),
      cmocka_unit_test(observer_block_list_keeps_newest),
      cmocka_unit_test(observer_counter_never_wraps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
