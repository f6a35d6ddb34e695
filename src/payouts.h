/*
 * payouts.h: lifetime payout totals that count each payout exactly once.
 *
 * A payout is identified by the Monero block id (main_id) whose coinbase paid
 * the wallet. The ledger remembers the highest main height it has counted (the
 * cursor) and the ids of the newest payouts, so a poll that asks for payouts
 * from the cursor height on, an event that announces a payout first, or a
 * replay after a restart never counts a payout twice. Pure logic, no
 * collectd.
 */
#ifndef P2POOL_PAYOUTS_H
#define P2POOL_PAYOUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P2POOL_HASH_HEX_CHARS 64
/* Number of counted payout ids remembered for de-duplication. Every id at or
 * above the cursor height must fit, and one wallet gets at most one payout
 * per Monero block, so 128 leaves a wide margin. */
#define P2POOL_PAYOUT_RECENT_MAX 128

typedef struct {
  char main_id[P2POOL_HASH_HEX_CHARS + 1];
  uint64_t main_height;
  uint64_t timestamp;
  uint64_t amount; /* atomic units, 1 XMR = 10^12 */
} p2pool_payout_t;

typedef struct {
  bool history_loaded; /* the whole history was read once */
  uint64_t count;
  uint64_t amount;        /* atomic units */
  uint64_t cursor_height; /* highest main height counted */
  p2pool_payout_t newest; /* newest payout counted, by main height */
  p2pool_payout_t recent[P2POOL_PAYOUT_RECENT_MAX];
  size_t recent_num;
} p2pool_payout_ledger_t;

/* Tells whether a payout with this main_id was counted already. */
bool p2pool_payout_ledger_seen(const p2pool_payout_ledger_t *ledger,
                               const char *main_id);

/* Counts a payout unless its main_id was counted before. Returns 1 when it
 * was counted, 0 when it was a repeat, -EINVAL for an invalid id. */
int p2pool_payout_ledger_add(p2pool_payout_ledger_t *ledger,
                             const p2pool_payout_t *payout);

/* Tells whether id is 64 lowercase hex digits. */
bool p2pool_hash_is_valid(const char *id);

#endif /* P2POOL_PAYOUTS_H */
