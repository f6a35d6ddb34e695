/*
 * events_state.c: counters, pool figures and wallet state changed by stream
 * events. See events_state.h.
 */
#include "events_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int p2pool_wallet_marks_init(p2pool_wallet_marks_t *marks, size_t capacity) {
  memset(marks, 0, sizeof(*marks));
  if (capacity == 0)
    return 0;

  marks->marked = calloc(capacity, sizeof(*marks->marked));
  marks->list = calloc(capacity, sizeof(*marks->list));
  if (marks->marked == NULL || marks->list == NULL) {
    p2pool_wallet_marks_free(marks);
    return -ENOMEM;
  }
  marks->capacity = capacity;
  return 0;
}

void p2pool_wallet_marks_free(p2pool_wallet_marks_t *marks) {
  if (marks == NULL)
    return;

  free(marks->marked);
  free(marks->list);
  memset(marks, 0, sizeof(*marks));
}

void p2pool_wallet_marks_add(p2pool_wallet_marks_t *marks, size_t wallet) {
  if (wallet >= marks->capacity || marks->marked[wallet])
    return;

  marks->marked[wallet] = true;
  marks->list[marks->num++] = wallet;
}

void p2pool_wallet_marks_clear(p2pool_wallet_marks_t *marks) {
  for (size_t i = 0; i < marks->num; i++)
    marks->marked[marks->list[i]] = false;
  marks->num = 0;
}

bool p2pool_event_counters_seen(const p2pool_event_counters_t *counters,
                                char kind, const char *template_id,
                                const char *main_id) {
  for (size_t i = 0; i < counters->recent_num; i++) {
    const p2pool_block_key_t *key = &counters->recent[i];
    /* Shares built on one Monero tip share their main_id, so the template
     * id, and its first digit before any call, reject most keys at once. */
    if (key->kind == kind && key->template_id[0] == template_id[0] &&
        strcmp(key->template_id, template_id) == 0 &&
        strcmp(key->main_id, main_id) == 0)
      return true;
  }
  return false;
}

/* Stores a key in the ring, over the oldest one once the ring is full. */
static void remember_block(p2pool_event_counters_t *counters, char kind,
                           const char *template_id, const char *main_id) {
  size_t slot = counters->recent_next % P2POOL_RECENT_BLOCKS_MAX;
  p2pool_block_key_t *key = &counters->recent[slot];

  key->kind = kind;
  strncpy(key->template_id, template_id, P2POOL_HASH_HEX_CHARS);
  key->template_id[P2POOL_HASH_HEX_CHARS] = '\0';
  strncpy(key->main_id, main_id, P2POOL_HASH_HEX_CHARS);
  key->main_id[P2POOL_HASH_HEX_CHARS] = '\0';

  counters->recent_next = (slot + 1) % P2POOL_RECENT_BLOCKS_MAX;
  if (counters->recent_num < P2POOL_RECENT_BLOCKS_MAX)
    counters->recent_num++;
}

bool p2pool_event_counters_count(p2pool_event_counters_t *counters, char kind,
                                 const char *template_id, const char *main_id) {
  if (p2pool_event_counters_seen(counters, kind, template_id, main_id))
    return false;

  remember_block(counters, kind, template_id, main_id);
  if (kind == P2POOL_BLOCK_KIND_SIDE)
    counters->side_blocks++;
  else if (kind == P2POOL_BLOCK_KIND_FOUND)
    counters->found_blocks++;
  else
    counters->orphaned_blocks++;
  return true;
}

/* Takes the difficulties and window depth of the newest non-uncle share.
 * Uncles and late events carry the figures of an older height and are
 * skipped. */
static bool update_pool_from_share(p2pool_pool_info_t *pool,
                                   const p2pool_side_block_t *block) {
  if (block->uncle || block->side_height < pool->side_height)
    return false;

  pool->side_height = block->side_height;
  pool->side_difficulty = block->difficulty;
  if (block->window_depth > 0)
    pool->window_depth = block->window_depth;
  if (pool->block_time > 0)
    pool->pool_hashrate = (double)block->difficulty / (double)pool->block_time;
  if (block->main_difficulty_valid)
    pool->main_difficulty = block->main_difficulty;
  return true;
}

/* Takes the difficulties of a found block unless a newer Monero block is
 * known already. */
static bool update_pool_from_found(p2pool_pool_info_t *pool,
                                   const p2pool_found_block_t *block) {
  if (block->main_height < pool->main_height)
    return false;

  pool->main_height = block->main_height;
  pool->main_difficulty = block->main_difficulty;
  pool->side_difficulty = block->side_difficulty;
  if (pool->block_time > 0)
    pool->pool_hashrate =
        (double)block->side_difficulty / (double)pool->block_time;
  return true;
}

/* Adds a new share of a configured wallet to its PPLNS window and last
 * share. The share is weighed with the pool's uncle penalty, so it joins the
 * window only after a pool_info poll succeeded. Before that, the first REST
 * window poll lists it anyway. The caller recomputes the wallet's window
 * figures (p2pool_observer_refresh_wallet) before it dispatches them. */
static void add_share(p2pool_observer_t *observer, p2pool_wallet_state_t *state,
                      const p2pool_event_t *event) {
  const p2pool_side_block_t *block = &event->side_block;

  if (observer->pool_valid) {
    p2pool_window_share_t share;
    char err[P2POOL_EVENT_ERROR_MAX_BYTES];
    if (p2pool_parse_side_block_share(event->payload,
                                      observer->pool.uncle_penalty, &share, err,
                                      sizeof(err)) == 0)
      p2pool_window_add(&state->window, &share);
  }

  if (block->side_height > state->last_share_height) {
    state->last_share_height = block->side_height;
    state->last_share_time = block->timestamp;
  }
}

static void apply_side_block(p2pool_observer_t *observer,
                             const p2pool_address_index_t *index,
                             const p2pool_event_t *event,
                             p2pool_wallet_marks_t *marks,
                             p2pool_event_effect_t *effect) {
  const p2pool_side_block_t *block = &event->side_block;

  effect->counted =
      p2pool_event_counters_count(&observer->counters, P2POOL_BLOCK_KIND_SIDE,
                                  block->template_id, block->main_id);
  if (!effect->counted)
    return;

  effect->state_changed = true;
  effect->pool_changed = update_pool_from_share(&observer->pool, block);

  const p2pool_address_entry_t *entries = NULL;
  size_t num = p2pool_address_index_find(index, block->miner_address, &entries);
  for (size_t i = 0; i < num; i++) {
    add_share(observer, &observer->wallets[entries[i].wallet]->state, event);
    p2pool_wallet_marks_add(marks, entries[i].wallet);
  }
  effect->wallets = num;
}

/* Adds the payouts of a found block to the ledgers of configured wallets. */
static void add_payouts(p2pool_observer_t *observer,
                        const p2pool_address_index_t *index,
                        const p2pool_event_t *event,
                        p2pool_wallet_marks_t *marks,
                        p2pool_event_effect_t *effect) {
  const p2pool_found_block_t *block = &event->found_block;

  for (size_t i = 0; i < event->outputs_num; i++) {
    const p2pool_coinbase_output_t *output = &event->outputs[i];
    const p2pool_address_entry_t *entries = NULL;
    size_t num =
        p2pool_address_index_find(index, output->miner_address, &entries);

    for (size_t j = 0; j < num; j++) {
      p2pool_payout_t payout = {.main_height = block->main_height,
                                .timestamp = block->timestamp,
                                .amount = output->value};
      memcpy(payout.main_id, block->main_id, sizeof(payout.main_id));

      p2pool_wallet_t *wallet = observer->wallets[entries[j].wallet];
      effect->wallets++;
      if (p2pool_payout_ledger_add(&wallet->state.payouts, &payout) != 1)
        continue;

      effect->payouts++;
      effect->payout_atomic_units += output->value;
      effect->state_changed = true;
      p2pool_wallet_marks_add(marks, entries[j].wallet);
    }
  }
}

static void apply_found_block(p2pool_observer_t *observer,
                              const p2pool_address_index_t *index,
                              const p2pool_event_t *event,
                              p2pool_wallet_marks_t *marks,
                              p2pool_event_effect_t *effect) {
  const p2pool_found_block_t *block = &event->found_block;

  effect->counted =
      p2pool_event_counters_count(&observer->counters, P2POOL_BLOCK_KIND_FOUND,
                                  block->side_template_id, block->main_id);
  effect->state_changed = effect->counted;
  effect->pool_changed = update_pool_from_found(&observer->pool, block);

  /* The ledger skips payouts it counted before, so a repeated event adds
   * nothing, while outputs that arrive with a repeat are not lost. */
  add_payouts(observer, index, event, marks, effect);
}

static void apply_orphaned_block(p2pool_observer_t *observer,
                                 const p2pool_address_index_t *index,
                                 const p2pool_side_block_t *block,
                                 p2pool_event_effect_t *effect) {
  effect->counted = p2pool_event_counters_count(
      &observer->counters, P2POOL_BLOCK_KIND_ORPHANED, block->template_id,
      block->main_id);
  effect->state_changed = effect->counted;

  const p2pool_address_entry_t *entries = NULL;
  effect->wallets =
      p2pool_address_index_find(index, block->miner_address, &entries);
}

void p2pool_events_apply(p2pool_observer_t *observer,
                         const p2pool_address_index_t *index,
                         const p2pool_event_t *event,
                         p2pool_wallet_marks_t *marks,
                         p2pool_event_effect_t *effect) {
  memset(effect, 0, sizeof(*effect));

  switch (event->type) {
  case P2POOL_EVENT_SIDE_BLOCK:
    apply_side_block(observer, index, event, marks, effect);
    break;
  case P2POOL_EVENT_FOUND_BLOCK:
    apply_found_block(observer, index, event, marks, effect);
    break;
  case P2POOL_EVENT_ORPHANED_BLOCK:
    apply_orphaned_block(observer, index, &event->side_block, effect);
    break;
  default:
    break;
  }
}
