/*
 * payouts.c: lifetime payout totals that count each payout exactly once.
 */
#include "payouts.h"

#include <errno.h>
#include <string.h>

bool p2pool_hash_is_valid(const char *id) {
  if (id == NULL)
    return false;

  size_t len = 0;
  for (; id[len] != '\0'; len++) {
    char c = id[len];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex || len >= P2POOL_HASH_HEX_CHARS)
      return false;
  }
  return len == P2POOL_HASH_HEX_CHARS;
}

bool p2pool_payout_ledger_seen(const p2pool_payout_ledger_t *ledger,
                               const char *main_id) {
  for (size_t i = 0; i < ledger->recent_num; i++) {
    if (strcmp(ledger->recent[i].main_id, main_id) == 0)
      return true;
  }
  return false;
}

/* Remembers a counted payout. When the list is full it forgets the payout
 * with the lowest main height, so the newest ones, which a poll from the
 * cursor height can return again, always stay. */
static void remember(p2pool_payout_ledger_t *ledger,
                     const p2pool_payout_t *payout) {
  if (ledger->recent_num < P2POOL_PAYOUT_RECENT_MAX) {
    ledger->recent[ledger->recent_num++] = *payout;
    return;
  }

  size_t lowest = 0;
  for (size_t i = 1; i < ledger->recent_num; i++) {
    if (ledger->recent[i].main_height < ledger->recent[lowest].main_height)
      lowest = i;
  }
  if (ledger->recent[lowest].main_height <= payout->main_height)
    ledger->recent[lowest] = *payout;
}

int p2pool_payout_ledger_add(p2pool_payout_ledger_t *ledger,
                             const p2pool_payout_t *payout) {
  if (!p2pool_hash_is_valid(payout->main_id))
    return -EINVAL;
  if (p2pool_payout_ledger_seen(ledger, payout->main_id))
    return 0;

  ledger->count++;
  ledger->amount += payout->amount;
  remember(ledger, payout);

  if (payout->main_height >= ledger->cursor_height) {
    ledger->cursor_height = payout->main_height;
    ledger->newest = *payout;
  }
  return 1;
}
