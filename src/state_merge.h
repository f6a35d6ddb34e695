/*
 * state_merge.h: combining saved totals with totals counted in memory.
 *
 * When the store could not be read at start (Redis down), the plugin counts
 * from zero in memory. Once the store is reachable, its saved totals are merged
 * into memory so that nothing counted on either side is lost and nothing
 * counted on both sides is counted twice. Loading at start is the same merge
 * into empty totals. No collectd.
 */
#ifndef P2POOL_STATE_MERGE_H
#define P2POOL_STATE_MERGE_H

#include "payouts.h"
#include "state_codec.h"

/* Merges a saved payout ledger into a live one by keeping one of them:
 * - When both have read the whole payout history, the one that counted
 *   further (higher newest payout, then higher count). The history only
 *   grows, so that one contains every payout the other counted.
 * - When only the saved one has, the saved one. Payouts that memory counted
 *   from the event stream lie above the saved cursor, and the next REST
 *   poll from that cursor counts them again.
 * - Otherwise the live one, whose first REST poll reads the history.
 * Amounts of single payouts are not kept, so adding one ledger's payouts to
 * the other's totals is not possible. */
void p2pool_payout_ledger_merge(p2pool_payout_ledger_t *live,
                                const p2pool_payout_ledger_t *saved);

/* Merges a saved wallet into the live one: the payout ledgers as above, and
 * the later of the two last shares. */
void p2pool_state_merge_wallet(p2pool_saved_wallet_t *live,
                               const p2pool_saved_wallet_t *saved);

/* Merges saved event counters into live ones. Each counter becomes saved +
 * live, less the live blocks that the saved block list also contains
 * (those were counted on both sides). The block list keeps the saved blocks,
 * then the live ones not in it, up to P2POOL_STATE_BLOCKS_MAX newest. Returns
 * 0, or -ENOMEM and leaves the live counters as they were. */
int p2pool_state_merge_observer(p2pool_saved_observer_t *live,
                                const p2pool_saved_observer_t *saved);

#endif /* P2POOL_STATE_MERGE_H */
