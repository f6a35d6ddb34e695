/*
 * events_index.h: finds the configured wallets a miner address belongs to.
 *
 * The event stream carries every miner's blocks, so each event looks up its
 * miner address. The index is a sorted array built once when the stream
 * starts, so a lookup costs a binary search instead of a scan of every
 * wallet. No collectd.
 */
#ifndef P2POOL_EVENTS_INDEX_H
#define P2POOL_EVENTS_INDEX_H

#include <stddef.h>

typedef struct {
  const char *address; /* borrowed from the caller */
  size_t wallet;       /* position in the caller's wallet list */
} p2pool_address_entry_t;

typedef struct {
  p2pool_address_entry_t *entries; /* sorted by address, then wallet */
  size_t num;
} p2pool_address_index_t;

/* Builds an index of num addresses; addresses[i] belongs to wallet i. The
 * strings must outlive the index. NULL entries are left out. Returns 0 or
 * -ENOMEM. */
int p2pool_address_index_build(p2pool_address_index_t *index,
                               const char *const *addresses, size_t num);

/* Frees the index. Accepts NULL. */
void p2pool_address_index_free(p2pool_address_index_t *index);

/* Finds the wallets of address: returns how many there are (several wallets
 * may watch one address) and points *first at the first of them. */
size_t p2pool_address_index_find(const p2pool_address_index_t *index,
                                 const char *address,
                                 const p2pool_address_entry_t **first);

#endif /* P2POOL_EVENTS_INDEX_H */
