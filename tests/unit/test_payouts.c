/*
 * Unit tests of payouts.c: the payout ledger counts every payout once,
 * whether it arrives in the first history load, in a poll from the cursor
 * height, from the event stream, or again after a restart. The polls below
 * drive the ledger as the observer poller does: every row is added, then the
 * list's highest main height is confirmed.
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

/* Feeds a REST payout list to the ledger and confirms its highest height.
 * Returns how many rows were counted. */
static int apply_list(p2pool_payout_ledger_t *ledger,
                      const p2pool_payout_t *rows, size_t rows_num) {
  int counted = 0;
  uint64_t highest = 0;

  for (size_t i = 0; i < rows_num; i++) {
    int rc = p2pool_payout_ledger_add(ledger, &rows[i]);
    assert_true(rc >= 0);
    counted += rc;
    if (rows[i].main_height > highest)
      highest = rows[i].main_height;
  }
  p2pool_payout_ledger_confirm(ledger, highest);
  return counted;
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

static void hash_hex_round_trip(void **state) {
  (void)state;
  const char *hex =
      "00ff10a0b1c2d3e4f5968778695a4b3c2d1e0f00112233445566778899aabbcc";
  uint8_t bytes[P2POOL_HASH_BYTES];
  char back[P2POOL_HASH_HEX_CHARS + 1];

  assert_int_equal(p2pool_hash_from_hex(hex, bytes), 0);
  assert_int_equal(bytes[0], 0x00);
  assert_int_equal(bytes[1], 0xff);
  assert_int_equal(bytes[2], 0x10);
  assert_int_equal(bytes[P2POOL_HASH_BYTES - 1], 0xcc);
  p2pool_hash_to_hex(bytes, back);
  assert_string_equal(back, hex);

  assert_int_equal(p2pool_hash_from_hex("00ff", bytes), -EINVAL);
  assert_int_equal(
      p2pool_hash_from_hex(
          "00FF10A0B1C2D3E4F5968778695A4B3C2D1E0F00112233445566778899AABBCC",
          bytes),
      -EINVAL);
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
  assert_int_equal(ledger->newest_height, 3300010);
  assert_int_equal(ledger->newest_timestamp, payout.timestamp);
  assert_int_equal(ledger->newest_amount, 1234567891);
  /* Only a confirmed REST list moves the cursor. */
  assert_int_equal(ledger->cursor_height, 0);
  assert_false(ledger->history_loaded);

  p2pool_payout_ledger_confirm(ledger, 3300010);
  assert_int_equal(ledger->cursor_height, 3300010);
  assert_true(p2pool_payout_ledger_seen(ledger, payout.main_id));
  free(ledger);
}

static void ledger_two_payouts_between_polls(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t history[] = {make_payout(1, 3300010, 1234567891)};
  /* The next poll asks from the cursor height and gets the list newest
   * first, with the payout counted before at its end. */
  p2pool_payout_t poll[] = {make_payout(3, 3300120, 3000000003),
                            make_payout(2, 3300080, 2500000002),
                            make_payout(1, 3300010, 1234567891)};

  assert_int_equal(apply_list(ledger, history, 1), 1);
  assert_int_equal(ledger->cursor_height, 3300010);
  assert_int_equal(apply_list(ledger, poll, 3), 2);

  assert_int_equal(ledger->count, 3);
  assert_int_equal(ledger->amount, UINT64_C(1234567891) + UINT64_C(2500000002) +
                                       UINT64_C(3000000003));
  assert_int_equal(ledger->cursor_height, 3300120);
  assert_int_equal(ledger->newest_height, 3300120);
  assert_int_equal(ledger->newest_amount, UINT64_C(3000000003));
  free(ledger);
}

static void ledger_replay_not_counted(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t rows[] = {make_payout(8, 3300600, 1000),
                            make_payout(7, 3300500, 999)};

  assert_int_equal(apply_list(ledger, rows, 2), 2);

  /* The same list polled again from the cursor height: only the row at the
   * cursor comes back. */
  assert_int_equal(apply_list(ledger, rows, 1), 0);
  assert_int_equal(ledger->count, 2);
  assert_int_equal(ledger->amount, 1999);

  /* A restart restores the saved ledger, and the replayed poll counts
   * nothing. */
  p2pool_payout_ledger_t *restored = ledger_new();
  memcpy(restored, ledger, sizeof(*restored));
  assert_int_equal(apply_list(restored, rows, 1), 0);
  assert_int_equal(restored->count, 2);
  assert_int_equal(restored->amount, 1999);
  free(restored);
  free(ledger);
}

static void ledger_event_then_poll(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t history[] = {make_payout(1, 3300100, 10)};
  p2pool_payout_t announced = make_payout(2, 3300200, 20);

  assert_int_equal(apply_list(ledger, history, 1), 1);

  /* The event stream counts a payout first. It does not move the cursor,
   * so the next poll still asks from 3300100. */
  assert_int_equal(p2pool_payout_ledger_add(ledger, &announced), 1);
  assert_int_equal(ledger->cursor_height, 3300100);
  assert_int_equal(ledger->newest_height, 3300200);

  p2pool_payout_t poll[] = {announced, history[0]};
  assert_int_equal(apply_list(ledger, poll, 2), 0);
  assert_int_equal(ledger->count, 2);
  assert_int_equal(ledger->amount, 30);
  assert_int_equal(ledger->cursor_height, 3300200);
  free(ledger);
}

static void ledger_older_payout_keeps_newest(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t newer = make_payout(1, 3300200, 10);
  p2pool_payout_t older = make_payout(2, 3300100, 20);

  assert_int_equal(p2pool_payout_ledger_add(ledger, &newer), 1);
  assert_int_equal(p2pool_payout_ledger_add(ledger, &older), 1);
  assert_int_equal(ledger->newest_height, 3300200);
  assert_int_equal(ledger->newest_amount, 10);
  assert_int_equal(ledger->count, 2);
  assert_int_equal(ledger->amount, 30);

  /* A lower confirmation leaves the cursor where it is. */
  p2pool_payout_ledger_confirm(ledger, 3300200);
  p2pool_payout_ledger_confirm(ledger, 3300100);
  assert_int_equal(ledger->cursor_height, 3300200);
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
  assert_int_equal(apply_list(ledger, payouts, payouts_num), 0);

  assert_int_equal(ledger->count, 0);
  assert_int_equal(ledger->amount, 0);
  assert_int_equal(ledger->cursor_height, 0);
  assert_int_equal(ledger->newest_height, 0);
  assert_int_equal(ledger->recent_num, 0);
  free(payouts);
  json_object_put(root);

  /* The first payout after an empty history is counted. */
  p2pool_payout_t first[] = {make_payout(1, 3300010, 77)};
  assert_int_equal(apply_list(ledger, first, 1), 1);
  assert_int_equal(ledger->amount, 77);
  free(ledger);
}

static void ledger_history_newest_first_overflow(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t *history = calloc(HISTORY_PAYOUTS_NUM, sizeof(*history));
  uint64_t amount = 0;
  assert_non_null(history);

  /* The first start reads the whole history, newest first, as the observer
   * sends it: more payouts than the ledger remembers ids for. */
  for (size_t i = 0; i < HISTORY_PAYOUTS_NUM; i++) {
    history[i] = history_payout(HISTORY_PAYOUTS_NUM - 1 - i);
    amount += history[i].amount;
  }
  assert_int_equal(apply_list(ledger, history, HISTORY_PAYOUTS_NUM),
                   HISTORY_PAYOUTS_NUM);
  assert_int_equal(ledger->count, HISTORY_PAYOUTS_NUM);
  assert_int_equal(ledger->amount, amount);
  assert_int_equal(ledger->cursor_height,
                   history_height(HISTORY_PAYOUTS_NUM - 1));
  assert_int_equal(ledger->newest_height,
                   history_height(HISTORY_PAYOUTS_NUM - 1));
  assert_true(ledger->recent_num <= P2POOL_PAYOUT_RECENT_MAX);

  /* The newest id was added first, yet it is the one a poll from the
   * cursor height returns again, so it must stay remembered. */
  assert_true(p2pool_payout_ledger_seen(ledger, history[0].main_id));
  assert_int_equal(apply_list(ledger, history, 1), 0);
  assert_int_equal(ledger->count, HISTORY_PAYOUTS_NUM);
  assert_int_equal(ledger->amount, amount);

  /* Then two new payouts arrive, and the poll after them repeats them. */
  p2pool_payout_t next[] = {
      make_payout(5002, history_height(HISTORY_PAYOUTS_NUM + 1), 8),
      make_payout(5001, history_height(HISTORY_PAYOUTS_NUM), 7), history[0]};
  assert_int_equal(apply_list(ledger, next, 3), 2);
  assert_int_equal(apply_list(ledger, next, 1), 0);
  assert_int_equal(ledger->count, HISTORY_PAYOUTS_NUM + 2);
  assert_int_equal(ledger->amount, amount + 15);
  free(history);
  free(ledger);
}

static void ledger_history_oldest_first_overflow(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t *history = calloc(HISTORY_PAYOUTS_NUM, sizeof(*history));
  assert_non_null(history);

  /* An observer that ignores the order still gives one count per row. */
  for (size_t i = 0; i < HISTORY_PAYOUTS_NUM; i++)
    history[i] = history_payout(i);
  assert_int_equal(apply_list(ledger, history, HISTORY_PAYOUTS_NUM),
                   HISTORY_PAYOUTS_NUM);
  assert_int_equal(ledger->count, HISTORY_PAYOUTS_NUM);
  assert_true(ledger->recent_num <= P2POOL_PAYOUT_RECENT_MAX);

  p2pool_payout_t newest = history[HISTORY_PAYOUTS_NUM - 1];
  assert_true(p2pool_payout_ledger_seen(ledger, newest.main_id));
  assert_int_equal(apply_list(ledger, &newest, 1), 0);
  assert_int_equal(ledger->count, HISTORY_PAYOUTS_NUM);
  free(history);
  free(ledger);
}

static void ledger_confirm_forgets_below(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  p2pool_payout_t rows[] = {make_payout(3, 3300300, 3),
                            make_payout(2, 3300200, 2),
                            make_payout(1, 3300100, 1)};

  assert_int_equal(apply_list(ledger, rows, 3), 3);

  /* No poll from the cursor height returns the lower two again, so only
   * the id at the cursor is kept. */
  assert_true(p2pool_payout_ledger_seen(ledger, rows[0].main_id));
  assert_false(p2pool_payout_ledger_seen(ledger, rows[1].main_id));
  assert_false(p2pool_payout_ledger_seen(ledger, rows[2].main_id));
  assert_int_equal(ledger->recent_num, 1);
  free(ledger);
}

static void ledger_same_height_distinct_ids(void **state) {
  (void)state;
  p2pool_payout_ledger_t *ledger = ledger_new();
  /* After a Monero reorg another block at the same height can pay again.
   * Its main_id differs, so it is a separate payout. */
  p2pool_payout_t rows[] = {make_payout(1, 3300300, 100),
                            make_payout(2, 3300300, 200)};

  assert_int_equal(apply_list(ledger, rows, 2), 2);
  assert_int_equal(ledger->count, 2);
  assert_int_equal(ledger->amount, 300);
  assert_int_equal(ledger->cursor_height, 3300300);

  /* Both sit at the cursor height, so a repeat of either is no payout. */
  assert_int_equal(apply_list(ledger, rows, 2), 0);
  assert_int_equal(ledger->count, 2);
  free(ledger);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hash_valid_forms),
      cmocka_unit_test(hash_hex_round_trip),
      cmocka_unit_test(ledger_counts_first_payout),
      cmocka_unit_test(ledger_two_payouts_between_polls),
      cmocka_unit_test(ledger_replay_not_counted),
      cmocka_unit_test(ledger_event_then_poll),
      cmocka_unit_test(ledger_older_payout_keeps_newest),
      cmocka_unit_test(ledger_rejects_invalid_main_id),
      cmocka_unit_test(ledger_empty_history),
      cmocka_unit_test(ledger_history_newest_first_overflow),
      cmocka_unit_test(ledger_history_oldest_first_overflow),
      cmocka_unit_test(ledger_confirm_forgets_below),
      cmocka_unit_test(ledger_same_height_distinct_ids),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
