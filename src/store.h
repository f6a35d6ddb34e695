/*
 * store.h: running totals kept across restarts: the payout ledger and last
 * share of every wallet, the event counters of every observer. A state file
 * by default, Redis when a <Redis> block is configured.
 */
#ifndef P2POOL_STORE_H
#define P2POOL_STORE_H

#include "context.h"

/* Parses the <Redis> block. */
int p2pool_store_config_redis(oconfig_item_t *ci);

/* Opens the store and loads saved state into the wallets and observers. A
 * store that cannot be read is logged and the plugin starts fresh. */
int p2pool_store_init(void);

/* Records that saved state changed. Thread-safe. */
void p2pool_store_mark_dirty(void);

/* Saves when something changed since the last save. Takes each observer's
 * lock while it copies state. Thread-safe; never blocks longer than the
 * store's timeout. */
void p2pool_store_save(void);

/* Saves once more and closes the store. */
void p2pool_store_shutdown(void);

#endif /* P2POOL_STORE_H */
