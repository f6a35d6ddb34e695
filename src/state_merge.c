/*
 * state_merge.c: merge rules for saved and live totals (see state_merge.h).
 */
#include "state_merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Tells whether ledger a has counted further than ledger b. */
static bool ledger_is_ahead(const p2pool_payout_ledger_t *a,
                            const p2pool_payout_ledger_t *b) {
  if (a->newest_height != b->newest_height)
    return a->newest_height > b->newest_height;
  return a->count > b->count;
}

void p2pool_payout_ledger_merge(p2pool_payout_ledger_t *live,
                                const p2pool_payout_ledger_t *saved) {
  bool take_saved = false;

  if (saved->history_loaded && live->history_loaded)
    take_saved = ledger_is_ahead(saved, live);
  else
    take_saved = saved->history_loaded;

  if (take_saved)
    *live = *saved;
}

void p2pool_state_merge_wallet(p2pool_saved_wallet_t *live,
                               const p2pool_saved_wallet_t *saved) {
  p2pool_payout_ledger_merge(&live->payouts, &saved->payouts);

  bool saved_is_later = saved->last_share_height > live->last_share_height ||
                        (saved->last_share_height == live->last_share_height &&
                         saved->last_share_time > live->last_share_time);
  if (saved_is_later) {
    live->last_share_height = saved->last_share_height;
    live->last_share_time = saved->last_share_time;
  }
}

static bool blocks_equal(const p2pool_saved_block_t *a,
                         const p2pool_saved_block_t *b) {
  return a->kind == b->kind && strcmp(a->template_id, b->template_id) == 0 &&
         strcmp(a->main_id, b->main_id) == 0;
}

static bool blocks_contain(const p2pool_saved_block_t *blocks, size_t num,
                           const p2pool_saved_block_t *block) {
  for (size_t i = 0; i < num; i++) {
    if (blocks_equal(&blocks[i], block))
      return true;
  }
  return false;
}

/* Returns live + saved - counted_twice without wrapping. */
static uint64_t merge_counter(uint64_t live, uint64_t saved,
                              uint64_t counted_twice) {
  uint64_t live_only = live > counted_twice ? live - counted_twice : 0;
  return saved > UINT64_MAX - live_only ? UINT64_MAX : saved + live_only;
}

int p2pool_state_merge_observer(p2pool_saved_observer_t *live,
                                const p2pool_saved_observer_t *saved) {
  p2pool_saved_block_t *merged = malloc(sizeof(live->recent) * 2);
  if (merged == NULL)
    return -ENOMEM;

  uint64_t twice_side = 0;
  uint64_t twice_found = 0;
  uint64_t twice_orphaned = 0;
  size_t merged_num = saved->recent_num;
  memcpy(merged, saved->recent, saved->recent_num * sizeof(*merged));

  for (size_t i = 0; i < live->recent_num; i++) {
    const p2pool_saved_block_t *block = &live->recent[i];
    if (!blocks_contain(saved->recent, saved->recent_num, block)) {
      merged[merged_num++] = *block;
      continue;
    }

    if (block->kind == P2POOL_BLOCK_SIDE)
      twice_side++;
    else if (block->kind == P2POOL_BLOCK_FOUND)
      twice_found++;
    else
      twice_orphaned++;
  }

  live->side_blocks =
      merge_counter(live->side_blocks, saved->side_blocks, twice_side);
  live->found_blocks =
      merge_counter(live->found_blocks, saved->found_blocks, twice_found);
  live->orphaned_blocks = merge_counter(live->orphaned_blocks,
                                        saved->orphaned_blocks, twice_orphaned);

  size_t skip = merged_num > P2POOL_STATE_BLOCKS_MAX
                    ? merged_num - P2POOL_STATE_BLOCKS_MAX
                    : 0;
  live->recent_num = merged_num - skip;
  memcpy(live->recent, merged + skip, live->recent_num * sizeof(*merged));
  free(merged);
  return 0;
}
