/*
 * Unit tests of events_state.c: counting each block once, pool
 * difficulties, wallet shares and payouts from stream events.
 */
#include "collectd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "events_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIGURED_ADDRESS                                                     \
  "4RigoY1P6ErC7avcEQCciNy2Qh5zeQCzmRe1WZcSD1dKzJsBY3dnD62wHdeDRDfbrF91mr54VG" \
  "FXiJgYBr1pFuPCZNvCGkv"
#define OTHER_ADDRESS                                                          \
  "4Other83ke7Pzjhgk9h4XLwpveiceZG2JuFyETJcdGTJGBtC4T8ZRNLKWtiqrg5kh7cTRoPUHT" \
  "VkpUoP5YgMuTghv1M5Air"

#define WALLETS_NUM 3

/* An observer with three wallets: "rig" and "rig-copy" watch the configured
 * address, "other" an address no event mentions. */
typedef struct {
  p2pool_observer_t observer;
  p2pool_wallet_t wallets[WALLETS_NUM];
  p2pool_wallet_t *wallet_list[WALLETS_NUM];
  p2pool_address_index_t index;
  p2pool_wallet_marks_t marks;
} fixture_t;

static int fixture_setup(void **state) {
  fixture_t *fixture = calloc(1, sizeof(*fixture));
  assert_non_null(fixture);

  static const char *const names[WALLETS_NUM] = {"rig", "rig-copy", "other"};
  static const char *const addresses[WALLETS_NUM] = {
      CONFIGURED_ADDRESS, CONFIGURED_ADDRESS, "4NobodyMinesHere"};
  for (size_t i = 0; i < WALLETS_NUM; i++) {
    fixture->wallets[i].name = (char *)names[i];
    fixture->wallets[i].address = (char *)addresses[i];
    fixture->wallets[i].observer = &fixture->observer;
    fixture->wallet_list[i] = &fixture->wallets[i];
  }
  fixture->observer.name = "mini";
  fixture->observer.wallets = fixture->wallet_list;
  fixture->observer.wallets_num = WALLETS_NUM;
  fixture->observer.pool.block_time = 10;
  fixture->observer.pool.uncle_penalty = 20;
  fixture->observer.pool_valid = true;

  assert_int_equal(
      p2pool_address_index_build(&fixture->index, addresses, WALLETS_NUM), 0);
  assert_int_equal(p2pool_wallet_marks_init(&fixture->marks, WALLETS_NUM), 0);
  *state = fixture;
  return 0;
}

static int fixture_teardown(void **state) {
  fixture_t *fixture = *state;
  for (size_t i = 0; i < WALLETS_NUM; i++)
    p2pool_window_free(&fixture->wallets[i].state.window);
  p2pool_address_index_free(&fixture->index);
  p2pool_wallet_marks_free(&fixture->marks);
  free(fixture);
  return 0;
}

static void load_event(const char *name, p2pool_event_t *event) {
  char path[512];
  snprintf(path, sizeof(path), "%s/events/%s", FIXTURES_DIR, name);
  FILE *file = fopen(path, "rb");
  assert_non_null(file);

  char buffer[8192];
  size_t len = fread(buffer, 1, sizeof(buffer), file);
  fclose(file);
  assert_true(len > 0 && len < sizeof(buffer));

  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  assert_int_equal(p2pool_event_parse(buffer, len, event, err, sizeof(err)), 0);
}

static p2pool_event_effect_t apply(fixture_t *fixture,
                                   const p2pool_event_t *event) {
  p2pool_event_effect_t effect;
  p2pool_events_apply(&fixture->observer, &fixture->index, event,
                      &fixture->marks, &effect);
  return effect;
}

static void side_block_counted_once(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("side_block.json", &event);

  p2pool_event_effect_t first = apply(fixture, &event);
  p2pool_event_effect_t repeat = apply(fixture, &event);

  assert_true(first.counted);
  assert_true(first.state_changed);
  assert_false(repeat.counted);
  assert_false(repeat.state_changed);
  assert_int_equal(fixture->observer.counters.side_blocks, 1);
  assert_int_equal(fixture->observer.counters.recent_num, 1);
  assert_int_equal(fixture->wallets[0].state.window.shares_num, 1);
  p2pool_event_clear(&event);
}

static void side_block_other_main_id_counted(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("side_block.json", &event);

  apply(fixture, &event);
  /* The same template id on another Monero block is another block. */
  memset(event.side_block.main_id, 'c', P2POOL_HASH_HEX_CHARS);
  p2pool_event_effect_t effect = apply(fixture, &event);

  assert_true(effect.counted);
  assert_int_equal(fixture->observer.counters.side_blocks, 2);
  p2pool_event_clear(&event);
}

static void side_block_updates_wallets(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("side_block.json", &event);

  p2pool_event_effect_t effect = apply(fixture, &event);

  assert_int_equal(effect.wallets, 2);
  for (size_t i = 0; i < 2; i++) {
    const p2pool_wallet_state_t *wallet = &fixture->wallets[i].state;
    assert_int_equal(wallet->window.shares_num, 1);
    assert_false(wallet->window.shares[0].uncle);
    assert_int_equal(wallet->window.shares[0].side_height, 15020450);
    assert_int_equal(wallet->window.shares[0].weight, 1500123456);
    assert_int_equal(wallet->last_share_height, 15020450);
    assert_int_equal(wallet->last_share_time, 1783000100);
  }
  assert_int_equal(fixture->wallets[2].state.window.shares_num, 0);
  assert_int_equal(fixture->marks.num, 2);
  assert_true(fixture->marks.marked[0]);
  assert_true(fixture->marks.marked[1]);
  assert_false(fixture->marks.marked[2]);

  p2pool_wallet_marks_clear(&fixture->marks);
  assert_int_equal(fixture->marks.num, 0);
  assert_false(fixture->marks.marked[0]);
  p2pool_event_clear(&event);
}

static void share_before_pool_info_skips_window(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("side_block.json", &event);
  fixture->observer.pool_valid = false;

  p2pool_event_effect_t effect = apply(fixture, &event);

  const p2pool_wallet_state_t *wallet = &fixture->wallets[0].state;
  assert_true(effect.counted);
  assert_int_equal(wallet->window.shares_num, 0);
  assert_int_equal(wallet->last_share_height, 15020450);
  assert_int_equal(wallet->last_share_time, 1783000100);
  assert_int_equal(fixture->marks.num, 2);
  p2pool_event_clear(&event);
}

static void uncle_counts_as_uncle(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t share;
  p2pool_event_t uncle;
  load_event("side_block.json", &share);
  load_event("side_block_uncle.json", &uncle);

  apply(fixture, &share);
  p2pool_event_effect_t effect = apply(fixture, &uncle);

  const p2pool_wallet_state_t *wallet = &fixture->wallets[0].state;
  assert_true(effect.counted);
  assert_false(effect.pool_changed);
  assert_int_equal(wallet->window.shares_num, 2);
  p2pool_window_summary_t summary;
  p2pool_window_summarize(&wallet->window, &summary);
  assert_int_equal(summary.shares, 1);
  assert_int_equal(summary.uncles, 1);
  /* An uncle keeps its difficulty less the 20 % uncle penalty. */
  assert_int_equal(summary.weight, 1500123456ULL + 1500100000ULL / 5 * 4);
  /* The uncle is older than the share: the last share stays. */
  assert_int_equal(wallet->last_share_height, 15020450);
  assert_int_equal(wallet->last_share_time, 1783000100);
  assert_int_equal(fixture->observer.pool.side_difficulty, 1500123456);
  p2pool_event_clear(&share);
  p2pool_event_clear(&uncle);
}

static void unconfigured_miner_changes_no_wallet(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("side_block_no_main_difficulty.json", &event);

  p2pool_event_effect_t effect = apply(fixture, &event);

  assert_true(effect.counted);
  assert_int_equal(effect.wallets, 0);
  assert_int_equal(fixture->marks.num, 0);
  for (size_t i = 0; i < WALLETS_NUM; i++)
    assert_int_equal(fixture->wallets[i].state.window.shares_num, 0);
  p2pool_event_clear(&event);
}

static void side_block_difficulties(void **state) {
  fixture_t *fixture = *state;
  p2pool_pool_info_t *pool = &fixture->observer.pool;
  p2pool_event_t share;
  p2pool_event_t without_main;
  load_event("side_block.json", &share);
  load_event("side_block_no_main_difficulty.json", &without_main);

  p2pool_event_effect_t effect = apply(fixture, &share);
  assert_true(effect.pool_changed);
  assert_int_equal(pool->side_difficulty, 1500123456);
  assert_int_equal(pool->main_difficulty.lo, 630111222333ULL);
  assert_int_equal(pool->side_height, 15020450);
  assert_int_equal(pool->window_depth, 861);
  assert_true(pool->pool_hashrate > 150012345.5 &&
              pool->pool_hashrate < 150012345.7);

  /* Without main_difficulty the last main difficulty stays. */
  without_main.side_block.difficulty = 1600000000;
  effect = apply(fixture, &without_main);
  assert_true(effect.pool_changed);
  assert_int_equal(pool->side_difficulty, 1600000000);
  assert_int_equal(pool->main_difficulty.lo, 630111222333ULL);

  /* A late event of a lower height changes nothing. */
  memset(share.side_block.template_id, 'd', P2POOL_HASH_HEX_CHARS);
  share.side_block.side_height = 15020000;
  effect = apply(fixture, &share);
  assert_true(effect.counted);
  assert_false(effect.pool_changed);
  assert_int_equal(pool->side_difficulty, 1600000000);
  p2pool_event_clear(&share);
  p2pool_event_clear(&without_main);
}

static void found_block_counts_and_pays(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("found_block.json", &event);

  p2pool_event_effect_t effect = apply(fixture, &event);

  assert_true(effect.counted);
  assert_true(effect.pool_changed);
  assert_int_equal(fixture->observer.counters.found_blocks, 1);
  assert_int_equal(fixture->observer.pool.main_difficulty.lo, 630999888777ULL);
  assert_int_equal(fixture->observer.pool.side_difficulty, 1500555666);
  assert_int_equal(fixture->observer.pool.main_height, 3712002);

  /* Both wallets of the configured address are paid, and no other wallet. */
  assert_int_equal(effect.payouts, 2);
  assert_int_equal(effect.payout_atomic_units, 2 * 2718281828ULL);
  for (size_t i = 0; i < 2; i++) {
    const p2pool_payout_ledger_t *ledger = &fixture->wallets[i].state.payouts;
    assert_int_equal(ledger->count, 1);
    assert_int_equal(ledger->amount, 2718281828ULL);
    assert_true(p2pool_payout_ledger_seen(ledger, event.found_block.main_id));
  }
  assert_int_equal(fixture->wallets[2].state.payouts.count, 0);
  assert_int_equal(fixture->marks.num, 2);
  p2pool_event_clear(&event);
}

static void found_block_repeat_pays_once(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("found_block.json", &event);

  apply(fixture, &event);
  p2pool_wallet_marks_clear(&fixture->marks);
  p2pool_event_effect_t repeat = apply(fixture, &event);

  assert_false(repeat.counted);
  assert_int_equal(repeat.payouts, 0);
  assert_false(repeat.state_changed);
  assert_int_equal(fixture->observer.counters.found_blocks, 1);
  assert_int_equal(fixture->wallets[0].state.payouts.count, 1);
  assert_int_equal(fixture->wallets[0].state.payouts.amount, 2718281828ULL);
  assert_int_equal(fixture->marks.num, 0);
  p2pool_event_clear(&event);
}

static void found_block_older_than_tip(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("found_block.json", &event);
  fixture->observer.pool.main_height = 3712005;
  fixture->observer.pool.side_difficulty = 7;

  p2pool_event_effect_t effect = apply(fixture, &event);

  assert_true(effect.counted);
  assert_false(effect.pool_changed);
  assert_int_equal(fixture->observer.pool.side_difficulty, 7);
  p2pool_event_clear(&event);
}

static void orphaned_block_counted_once(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("orphaned_block.json", &event);

  p2pool_event_effect_t first = apply(fixture, &event);
  p2pool_event_effect_t repeat = apply(fixture, &event);

  assert_true(first.counted);
  assert_int_equal(first.wallets, 2);
  assert_false(first.pool_changed);
  assert_false(repeat.counted);
  assert_int_equal(fixture->observer.counters.orphaned_blocks, 1);
  assert_int_equal(fixture->observer.counters.side_blocks, 0);
  /* An orphaned Monero block changes no wallet's sidechain window. */
  assert_int_equal(fixture->wallets[0].state.window.shares_num, 0);
  p2pool_event_clear(&event);
}

static void kinds_counted_apart(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_counters_t *counters = &fixture->observer.counters;
  const char *template_id = "aa";
  const char *main_id = "bb";

  assert_true(p2pool_event_counters_count(counters, P2POOL_BLOCK_KIND_SIDE,
                                          template_id, main_id));
  assert_true(p2pool_event_counters_count(counters, P2POOL_BLOCK_KIND_FOUND,
                                          template_id, main_id));
  assert_true(p2pool_event_counters_count(counters, P2POOL_BLOCK_KIND_ORPHANED,
                                          template_id, main_id));
  assert_false(p2pool_event_counters_count(counters, P2POOL_BLOCK_KIND_FOUND,
                                           template_id, main_id));
  assert_int_equal(counters->side_blocks, 1);
  assert_int_equal(counters->found_blocks, 1);
  assert_int_equal(counters->orphaned_blocks, 1);
}

static void ring_forgets_oldest(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_counters_t *counters = &fixture->observer.counters;
  char template_id[P2POOL_HASH_HEX_CHARS + 1];

  for (int i = 0; i <= P2POOL_RECENT_BLOCKS_MAX; i++) {
    snprintf(template_id, sizeof(template_id), "%064d", i);
    assert_true(p2pool_event_counters_count(counters, P2POOL_BLOCK_KIND_SIDE,
                                            template_id, "main"));
  }
  assert_int_equal(counters->recent_num, P2POOL_RECENT_BLOCKS_MAX);
  assert_int_equal(counters->recent_next, 1);

  /* Key 0 was overwritten by the last one; key 1 is still known. */
  snprintf(template_id, sizeof(template_id), "%064d", 0);
  assert_false(p2pool_event_counters_seen(counters, P2POOL_BLOCK_KIND_SIDE,
                                          template_id, "main"));
  snprintf(template_id, sizeof(template_id), "%064d", 1);
  assert_true(p2pool_event_counters_seen(counters, P2POOL_BLOCK_KIND_SIDE,
                                         template_id, "main"));
  snprintf(template_id, sizeof(template_id), "%064d", P2POOL_RECENT_BLOCKS_MAX);
  assert_true(p2pool_event_counters_seen(counters, P2POOL_BLOCK_KIND_SIDE,
                                         template_id, "main"));
}

static void other_type_changes_nothing(void **state) {
  fixture_t *fixture = *state;
  p2pool_event_t event;
  load_event("unknown_type.json", &event);

  p2pool_event_effect_t effect = apply(fixture, &event);

  assert_false(effect.counted);
  assert_false(effect.state_changed);
  assert_int_equal(fixture->observer.counters.recent_num, 0);
  p2pool_event_clear(&event);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(side_block_counted_once, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(side_block_other_main_id_counted,
                                      fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(side_block_updates_wallets, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(share_before_pool_info_skips_window,
                                      fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(uncle_counts_as_uncle, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(unconfigured_miner_changes_no_wallet,
                                      fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(side_block_difficulties, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(found_block_counts_and_pays,
                                      fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(found_block_repeat_pays_once,
                                      fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(found_block_older_than_tip, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(orphaned_block_counted_once,
                                      fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(kinds_counted_apart, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(ring_forgets_oldest, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(other_type_changes_nothing, fixture_setup,
                                      fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
