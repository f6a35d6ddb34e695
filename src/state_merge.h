/*
 * state_merge.h: combining saved totals with totals counted in memory.
 *
 * When the store could not be read at start (Redis down), the plugin counts
 * from zero in memory. Once the store answers, its saved totals are merged
 * into memory so that nothing counted on either side is lost and nothing
 * counted on both sides is counted twice. Loading at start is the same merge
 * into empty totals. The functions return 0, or -ENOMEM and leave the live
 * totals as they were. No collectd.
 */
#ifndef P2POOL_STATE_MERGE_H
#define P2POOL_STATE_MERGE_H

#include "payouts.h"
#include "state_codec.h"

/* Merges a saved payout ledger into a live one. The ledger that has read
 * the whole payout history is the base (the saved one when both or neither
 * have). The other ledger's remembered payouts are added to it unless the
 * base counted them already: same main_id, or a height below the base's
 * cursor when the base has read the whole history. */
int p2pool_payout_ledger_merge(p2pool_payout_ledger_t *live,
                               const p2pool_payout_ledger_t *saved);

/* Merges a saved wallet into the live one: the payout ledgers as above, and
 * the later of the two last shares. */
int p2pool_state_merge_wallet(p2pool_saved_wallet_t *live,
                              const p2pool_saved_wallet_t *saved);

/* Merges saved event counters into live ones. Each counter becomes saved +
 * live, less the live blocks that the saved block list also holds (those
 * were counted on both sides). The block list keeps the saved blocks, then
 * the live ones not in it, up to P2POOL_STATE_BLOCKS_MAX newest. */
int p2pool_state_merge_observer(p2pool_saved_observer_t *live,
                                const p2pool_saved_observer_t *saved);

#endif /* P2POOL_STATE_MERGE_H */
