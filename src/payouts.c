/*
 * payouts.c: lifetime payout totals that count each payout exactly once.
 */
#include "payouts.h"

#include <errno.h>
#include <string.h>

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

bool p2pool_hash_is_valid(const char *id) {
  if (id == NULL)
    return false;

  size_t len = 0;
  for (; id[len] != '\0'; len++) {
    if (hex_value(id[len]) < 0 || len >= P2POOL_HASH_HEX_CHARS)
      return false;
  }
  return len == P2POOL_HASH_HEX_CHARS;
}

int p2pool_hash_from_hex(const char *hex, uint8_t bytes[P2POOL_HASH_BYTES]) {
  if (!p2pool_hash_is_valid(hex))
    return -EINVAL;
  for (size_t i = 0; i < P2POOL_HASH_BYTES; i++) {
    unsigned high = (unsigned)hex_value(hex[2 * i]);
    unsigned low = (unsigned)hex_value(hex[2 * i + 1]);
    bytes[i] = (uint8_t)(high << 4 | low);
  }
  return 0;
}

void p2pool_hash_to_hex(const uint8_t bytes[P2POOL_HASH_BYTES],
                        char hex[P2POOL_HASH_HEX_CHARS + 1]) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < P2POOL_HASH_BYTES; i++) {
    hex[2 * i] = digits[bytes[i] >> 4];
    hex[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
  hex[P2POOL_HASH_HEX_CHARS] = '\0';
}

static bool key_is_remembered(const p2pool_payout_ledger_t *ledger,
                              const uint8_t id[P2POOL_HASH_BYTES]) {
  for (size_t i = 0; i < ledger->recent_num; i++) {
    if (memcmp(ledger->recent[i].main_id, id, P2POOL_HASH_BYTES) == 0)
      return true;
  }
  return false;
}

bool p2pool_payout_ledger_seen(const p2pool_payout_ledger_t *ledger,
                               const char *main_id) {
  uint8_t id[P2POOL_HASH_BYTES];
  if (p2pool_hash_from_hex(main_id, id) != 0)
    return false;
  return key_is_remembered(ledger, id);
}

/* Forgets ids below the cursor: no poll can return them again. */
static void forget_below_cursor(p2pool_payout_ledger_t *ledger) {
  size_t kept = 0;
  for (size_t i = 0; i < ledger->recent_num; i++) {
    if (ledger->recent[i].main_height >= ledger->cursor_height)
      ledger->recent[kept++] = ledger->recent[i];
  }
  ledger->recent_num = kept;
}

/* Remembers a counted payout. When the list is full it forgets the one with
 * the lowest main height, the least likely to be returned again. */
static void remember(p2pool_payout_ledger_t *ledger,
                     const p2pool_payout_key_t *key) {
  if (ledger->recent_num < P2POOL_PAYOUT_RECENT_MAX) {
    ledger->recent[ledger->recent_num++] = *key;
    return;
  }

  size_t lowest = 0;
  for (size_t i = 1; i < ledger->recent_num; i++) {
    if (ledger->recent[i].main_height < ledger->recent[lowest].main_height)
      lowest = i;
  }
  if (ledger->recent[lowest].main_height <= key->main_height)
    ledger->recent[lowest] = *key;
}

int p2pool_payout_ledger_add(p2pool_payout_ledger_t *ledger,
                             const p2pool_payout_t *payout) {
  p2pool_payout_key_t key = {.main_height = payout->main_height};
  if (p2pool_hash_from_hex(payout->main_id, key.main_id) != 0)
    return -EINVAL;
  if (key_is_remembered(ledger, key.main_id))
    return 0;

  ledger->count++;
  ledger->amount += payout->amount;
  remember(ledger, &key);

  if (payout->main_height >= ledger->newest_height) {
    ledger->newest_height = payout->main_height;
    ledger->newest_timestamp = payout->timestamp;
    ledger->newest_amount = payout->amount;
  }
  return 1;
}

void p2pool_payout_ledger_confirm(p2pool_payout_ledger_t *ledger,
                                  uint64_t height) {
  if (height <= ledger->cursor_height)
    return;
  ledger->cursor_height = height;
  forget_below_cursor(ledger);
}
