/*
 * observer.h: polling a P2Pool Observer's REST API for its wallets.
 *
 * Each observer has a poller thread. The observer's read callback only wakes
 * it, so a slow or hanging observer never holds one of collectd's read
 * threads and shutdown never waits for a request. A poll fetches pool_info
 * once, then miner_info, side_blocks_in_window and payouts for every wallet,
 * all at once on one libcurl multi handle, within the observer's Timeout. After
 * each poll the poller dispatches every figure of the observer and its
 * wallets, the last good values where a request failed.
 */
#ifndef P2POOL_OBSERVER_H
#define P2POOL_OBSERVER_H

#include "context.h"

/* Starts the poller thread and registers the read callback. */
int p2pool_observer_start(p2pool_observer_t *observer);

/* Stops and joins the poller thread. Safe when it never started. */
void p2pool_observer_stop(p2pool_observer_t *observer);

/* Asks the poller for a poll of every wallet now, e.g. after the event
 * stream reconnected and may have missed shares. Thread-safe; does not
 * wait. */
void p2pool_observer_request_poll(p2pool_observer_t *observer);

/* Submits the pool and chain figures of an observer (not its request
 * health, which only the poller submits). Called with
 * observer->lock held, in a batch whose plugin instance is the observer. */
void p2pool_observer_submit_pool(const p2pool_batch_t *batch,
                                 const p2pool_observer_t *observer);

/* Submits a wallet's figures. Called with the wallet's observer lock held,
 * in a batch whose plugin instance is the wallet. */
void p2pool_observer_submit_wallet(const p2pool_batch_t *batch,
                                   const p2pool_wallet_t *wallet);

/* Drops the wallet's shares that left the PPLNS window and recomputes its
 * window figures and hashrate from the rest. Called with the observer's
 * lock held, after the window or the pool figures changed. */
void p2pool_observer_refresh_wallet(p2pool_observer_t *observer,
                                    p2pool_wallet_t *wallet);

/* Dispatches every figure of the observer and its wallets. Takes the lock. */
void p2pool_observer_dispatch_all(p2pool_observer_t *observer);

/* Frees an observer's memory. Called after p2pool_observer_stop. */
void p2pool_observer_free(p2pool_observer_t *observer);

#endif /* P2POOL_OBSERVER_H */
