/*
 * events_state.h: applies decoded stream events to an observer's figures.
 *
 * Every function here is called with observer->lock held and neither logs
 * nor dispatches: it changes the counters, pool figures and wallet state,
 * and reports what changed so that the caller can log, save and dispatch
 * once the lock is released.
 */
#ifndef P2POOL_EVENTS_STATE_H
#define P2POOL_EVENTS_STATE_H

#include "context.h"
#include "event_parse.h"
#include "events_index.h"

#include <stdbool.h>
#include <stddef.h>

/* Kinds of counted blocks, as kept in p2pool_block_key_t.kind. */
#define P2POOL_BLOCK_KIND_SIDE 's'
#define P2POOL_BLOCK_KIND_FOUND 'f'
#define P2POOL_BLOCK_KIND_ORPHANED 'o'

/* Set of the observer's wallets whose figures changed since the last
 * dispatch, by position in observer->wallets. */
typedef struct {
  bool *marked;
  size_t *list;
  size_t num;
  size_t capacity;
} p2pool_wallet_marks_t;

/* What applying one event changed. */
typedef struct {
  bool counted;       /* the block was new and its counter grew */
  bool pool_changed;  /* difficulties (or the side height) changed */
  bool state_changed; /* saved state changed: the store must save */
  size_t wallets;     /* configured wallets the block or payout belongs to */
  size_t payouts;     /* payouts added to wallet ledgers */
  uint64_t payout_atomic_units;
} p2pool_event_effect_t;

int p2pool_wallet_marks_init(p2pool_wallet_marks_t *marks, size_t capacity);
void p2pool_wallet_marks_free(p2pool_wallet_marks_t *marks);
void p2pool_wallet_marks_add(p2pool_wallet_marks_t *marks, size_t wallet);
void p2pool_wallet_marks_clear(p2pool_wallet_marks_t *marks);

/* Counts the block (template_id, main_id) of the given kind unless a block
 * with that key was counted recently. Returns true when it was counted. */
bool p2pool_event_counters_count(p2pool_event_counters_t *counters, char kind,
                                 const char *template_id, const char *main_id);

/* Tells whether the block was counted recently. */
bool p2pool_event_counters_seen(const p2pool_event_counters_t *counters,
                                char kind, const char *template_id,
                                const char *main_id);

/* Applies one decoded side_block, found_block or orphaned_block event. index
 * maps miner addresses to positions in observer->wallets; wallets whose
 * figures changed are added to marks. */
void p2pool_events_apply(p2pool_observer_t *observer,
                         const p2pool_address_index_t *index,
                         const p2pool_event_t *event,
                         p2pool_wallet_marks_t *marks,
                         p2pool_event_effect_t *effect);

#endif /* P2POOL_EVENTS_STATE_H */
