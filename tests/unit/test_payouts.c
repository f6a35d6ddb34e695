/*
 * Unit tests of payouts.c: the payout ledger counts every payout once,
 * whether it arrives in the first history load, in a poll from the cursor
 * height, or again after a restart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "observer_parse.h"
#include "payouts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_PAYOUTS_NUM 200
#define HISTORY_FIRST_HEIGHT 3000000
#define HISTORY_HEIGHT_STEP 10

/* Builds a payout whose main_id encodes seed as 64 lowercase hex digits. */
static p2pool_payout_t make_payout(uint64_t seed, uint64_t main_height,
                                   uint64_t amount) {
  p2pool_payout_t payout;

  memset(&payout, 0, sizeof(payout));
  snprintf(payout.main_id, sizeof(payout.main_id), "%064" PRIx64,
           seed * UINT64_C(0x9e3779b97f4a7c15) + 1);
  payout.main_height = main_height;
  payout.timestamp = 1700000000 + main_height;
  payout.amount = amount;
  return payout;
}

static p2pool_payout_ledger_t *ledger_new(void) {
  p2pool_payout_ledger_t *ledger = calloc(1, sizeof(*ledger));
  assert_non_null(ledger);
  return ledger;
}

/* Height of the i-th payout of the long history, oldest first. */
static uint64_t history_height(size_t i) {
  return HISTORY_FIRST_HEIGHT + (uint64_t)i * HISTORY_HEIGHT_STEP;
}

static p2pool_payout_t history_payout(size_t i) {
  return make_payout(1000 + i, history_height(i), 1000000000 + i);
}

static void hash_valid_forms(void **state) {
  (void)state;
  char id[P2POOL_HASH_HEX_CHARS + 2];

  memset(id, 'a', P2POOL_HASH_HEX_CHARS);
  id[P2POOL_HASH_HEX_CHARS] = '\0';
  assert_true(p2pool_hash_is_valid(id));
  assert_true(p2pool_hash_is_valid(
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));

  /* Upper case: the observer writes lower case, so this is not its id. */
  id[3] = 'A';
  assert_false(p2pool_hash_is_valid(id));
  id[3] = 'g';
  assert_false(p2pool_hash_is_valid(id));
  id[3] = 'a';

  id[P2POOL_HASH_HEX_CHARS - 1] = '\0';
  assert_false(p2pool_hash_is_valid(id));
  id[P2POOL_HASH_HEX_CHARS - 1] = 'a';
  id[P2POOL_HASH_HEX_CHARS] = 'a';
  id[P2POOL_HASH_HEX_CHARS + 1] = '\0';
  assert_false(p2pool_hash_is_valid(id));

  assert_false(p2pool_hash_is_valid(""));
  assert_false(p2pool_hash_is_valid(NULL));
}

static void ledger_counts_first_payout(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t payout = make_payout(1, 3300010, 1234567891);

  assert_false(p2pool_payout_ledger_seen(ledger, payout.main_id));
  assert_int_equal(p2pool_payout_ledger_add(ledger, &payout), 1);
  assert_true(p2pool_payout_ledger_seen(ledger, payout.main_id));
  assert_int_equal(ledger->count, 1);
  assert_int_equal(ledger->amount, 1234567891);
  assert_int_equal(ledger->cursor_height, 3300010);
  assert_string_equal(ledger->newest.main_id, payout.main_id);
  assert_int_equal(ledger->newest.amount, 1234567891);
  assert_false(ledger->history_loaded);
  free(ledger);
}

static void ledger_two_payouts_between_polls(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t old = make_payout(1, 3300010, 1234567891);
  p2pool_payout_t middle = make_payout(2, 3300080, 2500000002);
  p2pool_payout_t newest = make_payout(3, 3300120, 3000000003);

  assert_int_equal(p2pool_payout_ledger_add(ledger, &old), 1);

  /* The next poll asks from the cursor height and gets the list newest
   * first, with the payout counted before at its end. */
  assert_int_equal(p2pool_payout_ledger_add(ledger, &newest), 1);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &middle), 1);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &old), 0);

  assert_int_equal(ledger->count, 3);
  assert_int_equal(ledger->amount, UINT64_C(1234567891) + UINT64_C(2500000002) +
                                       UINT64_C(3000000003));
  assert_int_equal(ledger->cursor_height, 3300120);
  assert_string_equal(ledger->newest.main_id, newest.main_id);
  free(ledger);
}

static void ledger_replay_not_counted(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t payout = make_payout(7, 3300500, 999);

  assert_int_equal(p2pool_payout_ledger_add(ledger, &payout), 1);

  /* The same payout announced by an event, then by the next poll. */
  for (int i = 0; i < 3; i++)
    assert_int_equal(p2pool_payout_ledger_add(ledger, &payout), 0);
  assert_int_equal(ledger->count, 1);
  assert_int_equal(ledger->amount, 999);

  /* A restart restores the saved ledger; the replayed poll counts nothing. */
  p2pool_payout_ledger_t *restored = ledger_new();
  memcpy(restored, ledger, sizeof(*restored));
  assert_int_equal(p2pool_payout_ledger_add(restored, &payout), 0);
  assert_int_equal(restored->count, 1);
  assert_int_equal(restored->amount, 999);
  free(restored);
  free(ledger);
}

static void ledger_older_payout_keeps_cursor(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t newer = make_payout(1, 3300200, 10);
  p2pool_payout_t older = make_payout(2, 3300100, 20);

  assert_int_equal(p2pool_payout_ledger_add(ledger, &newer), 1);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &older), 1);
  assert_int_equal(ledger->cursor_height, 3300200);
  assert_string_equal(ledger->newest.main_id, newer.main_id);
  assert_int_equal(ledger->count, 2);
  assert_int_equal(ledger->amount, 30);
  free(ledger);
}

static void ledger_rejects_invalid_main_id(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t counted = make_payout(1, 3300010, 5);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &counted), 1);

  p2pool_payout_ledger_t *before = ledger_new();
  memcpy(before, ledger, sizeof(*before));

  const char *bad_ids[] = {
      "",
      "1234",
      "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
      "0123456789abcdef0123456789abcdef0123456789abcdef 123456789abcdef",
  };
  for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
    p2pool_payout_t bad = make_payout(2, 3300020, 6);
    snprintf(bad.main_id, sizeof(bad.main_id), "%s", bad_ids[i]);
    int rc = p2pool_payout_ledger_add(ledger, &bad);
    if (rc != -EINVAL)
      fail_msg("main_id \"%s\": expected -EINVAL, got %d", bad_ids[i], rc);
    assert_memory_equal(ledger, before, sizeof(*ledger));
  }

  assert_false(p2pool_payout_ledger_seen(ledger, "1234"));
  free(before);
  free(ledger);
}

static void ledger_empty_history(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  json_object *root = NULL;
  char err[256] = "";
  p2pool_payout_t *payouts = NULL;
  size_t payouts_num = 99;
  const char body[] = "[\n\n]";

  assert_int_equal(
      p2pool_json_parse(body, strlen(body), &root, err, sizeof(err)), 0);
  assert_int_equal(
      p2pool_parse_payouts(root, &payouts, &payouts_num, err, sizeof(err)), 0);
  assert_int_equal(payouts_num, 0);
  for (size_t i = 0; i < payouts_num; i++)
    p2pool_payout_ledger_add(ledger, &payouts[i]);

  assert_int_equal(ledger->count, 0);
  assert_int_equal(ledger->amount, 0);
  assert_int_equal(ledger->cursor_height, 0);
  assert_int_equal(ledger->recent_num, 0);
  free(payouts);
  json_object_put(root);
  free(ledger);
}

static void ledger_history_newest_first_overflow(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  uint64_t amount = 0;

  /* The first start reads the whole history, newest first, as the observer
   * sends it: more payouts than the ledger remembers ids for. */
  for (size_t i = HISTORY_PAYOUTS_NUM; i-- > 0;) {
    p2pool_payout_t payout = history_payout(i);
    assert_int_equal(p2pool_payout_ledger_add(ledger, &payout), 1);
    amount += payout.amount;
  }
  assert_int_equal(ledger->count, HISTORY_PAYOUTS_NUM);
  assert_int_equal(ledger->amount, amount);
  assert_int_equal(ledger->cursor_height,
                   history_height(HISTORY_PAYOUTS_NUM - 1));
  assert_true(ledger->recent_num <= P2POOL_PAYOUT_RECENT_MAX);

  p2pool_payout_t newest = history_payout(HISTORY_PAYOUTS_NUM - 1);
  assert_string_equal(ledger->newest.main_id, newest.main_id);

  /* The newest ids were added first, yet they are the ones to keep. */
  for (size_t i = HISTORY_PAYOUTS_NUM - P2POOL_PAYOUT_RECENT_MAX;
       i < HISTORY_PAYOUTS_NUM; i++) {
    p2pool_payout_t payout = history_payout(i);
    if (!p2pool_payout_ledger_seen(ledger, payout.main_id))
      fail_msg("payout %zu at height %" PRIu64 " was forgotten", i,
               payout.main_height);
  }

  /* The next poll asks from the cursor height: the newest payout again. */
  assert_int_equal(p2pool_payout_ledger_add(ledger, &newest), 0);
  assert_int_equal(ledger->count, HISTORY_PAYOUTS_NUM);
  assert_int_equal(ledger->amount, amount);
  free(ledger);
}

static void ledger_history_oldest_first_overflow(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();

  for (size_t i = 0; i < HISTORY_PAYOUTS_NUM; i++) {
    p2pool_payout_t payout = history_payout(i);
    assert_int_equal(p2pool_payout_ledger_add(ledger, &payout), 1);
  }
  assert_int_equal(ledger->count, HISTORY_PAYOUTS_NUM);
  assert_true(ledger->recent_num <= P2POOL_PAYOUT_RECENT_MAX);

  for (size_t i = HISTORY_PAYOUTS_NUM - P2POOL_PAYOUT_RECENT_MAX;
       i < HISTORY_PAYOUTS_NUM; i++) {
    p2pool_payout_t payout = history_payout(i);
    if (!p2pool_payout_ledger_seen(ledger, payout.main_id))
      fail_msg("payout %zu at height %" PRIu64 " was forgotten", i,
               payout.main_height);
  }

  /* Two new payouts after the history, then a poll that repeats them. */
  p2pool_payout_t next1 = make_payout(5001, history_height(200), 7);
  p2pool_payout_t next2 = make_payout(5002, history_height(201), 8);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &next2), 1);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &next1), 1);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &next2), 0);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &next1), 0);
  assert_int_equal(ledger->count, HISTORY_PAYOUTS_NUM + 2);
  assert_int_equal(ledger->cursor_height, history_height(201));
  free(ledger);
}

static void ledger_same_height_distinct_ids(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  /* After a Monero reorg another block at the same height can pay again;
   * its main_id differs, so it is a separate payout. */
  p2pool_payout_t first = make_payout(1, 3300300, 100);
  p2pool_payout_t second = make_payout(2, 3300300, 200);

  assert_int_equal(p2pool_payout_ledger_add(ledger, &first), 1);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &second), 1);
  assert_int_equal(ledger->count, 2);
  assert_int_equal(ledger->amount, 300);
  assert_int_equal(ledger->cursor_height, 3300300);
  free(ledger);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hash_valid_forms),
      cmocka_unit_test(ledger_counts_first_payout),
      cmocka_unit_test(ledger_two_payouts_between_polls),
      cmocka_unit_test(ledger_replay_not_counted),
      cmocka_unit_test(ledger_older_payout_keeps_cursor),
      cmocka_unit_test(ledger_rejects_invalid_main_id),
      cmocka_unit_test(ledger_empty_history),
      cmocka_unit_test(ledger_history_newest_first_overflow),
      cmocka_unit_test(ledger_history_oldest_first_overflow),
      cmocka_unit_test(ledger_same_height_distinct_ids),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
