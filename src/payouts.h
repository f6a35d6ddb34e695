/*
 * payouts.h: lifetime payout totals that count each payout exactly once.
 *
 * A payout is identified by the Monero block id (main_id) whose coinbase paid
 * the wallet. The ledger keeps a cursor: the highest main height that a REST
 * payout list confirmed. A poll asks for payouts from the cursor height on,
 * so every payout it can return again is at or above the cursor, and the
 * ledger remembers the ids of exactly those. Payouts counted from the event
 * stream are remembered the same way but do not move the cursor, so a poll
 * still fetches anything the stream missed below them. Pure logic, no
 * collectd.
 */
#ifndef P2POOL_PAYOUTS_H
#define P2POOL_PAYOUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P2POOL_HASH_HEX_CHARS 64
#define P2POOL_HASH_BYTES 32
/* Payout ids remembered at or above the cursor. A wallet gets at most one
 * payout per Monero block, so this covers eight blocks paying the wallet
 * between two REST polls of it; past that, the lowest is forgotten. */
#define P2POOL_PAYOUT_RECENT_MAX 8

typedef struct {
  char main_id[P2POOL_HASH_HEX_CHARS + 1];
  uint64_t main_height;
  uint64_t timestamp;
  uint64_t amount; /* atomic units, 1 XMR = 10^12 */
} p2pool_payout_t;

typedef struct {
  uint8_t main_id[P2POOL_HASH_BYTES];
  uint64_t main_height;
} p2pool_payout_key_t;

typedef struct {
  bool history_loaded; /* the whole history was read once */
  uint64_t count;
  uint64_t amount;        /* atomic units */
  uint64_t cursor_height; /* highest main height a REST list confirmed */
  uint64_t newest_height; /* newest payout counted, by main height */
  uint64_t newest_timestamp;
  uint64_t newest_amount;
  p2pool_payout_key_t recent[P2POOL_PAYOUT_RECENT_MAX];
  size_t recent_num;
} p2pool_payout_ledger_t;

/* Tells whether a payout with this main_id (64 hex digits) was counted. */
bool p2pool_payout_ledger_seen(const p2pool_payout_ledger_t *ledger,
                               const char *main_id);

/* Counts a payout unless its main_id was counted before. Returns 1 when it
 * was counted, 0 when it was a repeat, -EINVAL for an invalid id. */
int p2pool_payout_ledger_add(p2pool_payout_ledger_t *ledger,
                             const p2pool_payout_t *payout);

/* Moves the cursor to height, the highest main height of a REST payout list
 * whose every row was passed to p2pool_payout_ledger_add, and forgets the
 * ids below it. A lower height leaves the cursor where it is. */
void p2pool_payout_ledger_confirm(p2pool_payout_ledger_t *ledger,
                                  uint64_t height);

/* Tells whether id is 64 lowercase hex digits. */
bool p2pool_hash_is_valid(const char *id);

/* Decodes 64 hex digits into 32 bytes. Returns 0 or -EINVAL. */
int p2pool_hash_from_hex(const char *hex, uint8_t bytes[P2POOL_HASH_BYTES]);

/* Encodes 32 bytes as 64 lowercase hex digits and a NUL. */
void p2pool_hash_to_hex(const uint8_t bytes[P2POOL_HASH_BYTES],
                        char hex[P2POOL_HASH_HEX_CHARS + 1]);

#endif /* P2POOL_PAYOUTS_H */
