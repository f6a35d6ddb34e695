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

/* Opens the store, loads saved state into the wallets and observers and
 * starts the store thread. A store that cannot be read is logged and the
 * plugin starts fresh; an unavailable Redis is loaded from once it responds.
 * Blocks for at most the Redis timeouts. */
int p2pool_store_init(void);

/* Records that saved state changed. Thread-safe; may be called with an
 * observer's lock held. */
void p2pool_store_mark_dirty(void);

/* Records a change that the REST polls could restore, such as a side block
 * counted from the event stream: it is saved within a minute, or with the
 * next change marked dirty. Thread-safe. */
void p2pool_store_mark_lazy_dirty(void);

/* Wakes the store thread to save what changed. It copies each observer's
 * state under that observer's lock. Thread-safe; never waits for the disk
 * or for Redis, and may be called with an observer's lock held. */
void p2pool_store_save(void);

/* Stops the store thread, saves once more and closes the store. */
void p2pool_store_shutdown(void);

#endif /* P2POOL_STORE_H */
