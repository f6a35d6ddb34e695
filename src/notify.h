/*
 * notify.h: collectd notifications of the plugin (payouts, found and
 * orphaned blocks, share droughts, blocked observers), for consumers such
 * as notify_email, exec's NotificationExec, logfile or network.
 *
 * Every p2pool_notify_* call only queues the notification, so callers may
 * hold an observer's lock. A thread started in init dispatches the queue,
 * because plugin_dispatch_notification runs every consumer synchronously
 * and a mail server can take seconds to respond.
 */
#ifndef P2POOL_NOTIFY_H
#define P2POOL_NOTIFY_H

#include "context.h"

/* Reads the ShareDroughtFactor option (a number from 0 to
 * P2POOL_DROUGHT_FACTOR_MAX; 0 turns drought notifications off). */
#define P2POOL_DROUGHT_FACTOR_MAX 1000.0
int p2pool_notify_config_drought_factor(const oconfig_item_t *ci);

/* Starts the dispatch thread. Called from init. */
int p2pool_notify_init(void);

/* Dispatches what is still queued, then stops and joins the thread. Called
 * from shutdown after every thread that queues notifications was joined. */
void p2pool_notify_shutdown(void);

/* Records the payout totals of every wallet, so payouts counted while
 * collectd was down are announced at the first poll. Called from init after
 * the saved state was loaded. */
void p2pool_notify_prime_payouts(void);

/* Checks a wallet's payout totals after a poll and sends OKAY for new
 * payouts, whichever source counted them (REST poll or event stream). The
 * plugin instance is the wallet, the type "payouts". The history read at the
 * first start is not announced. Called with the wallet's observer lock held. */
void p2pool_notify_check_payouts(p2pool_wallet_t *wallet);

/* A Monero block found by the pool, seen on an observer's event stream;
 * wallets_paid counts the configured wallets its coinbase paid. OKAY; plugin
 * instance the observer, type "blocks", type instance "found". */
void p2pool_notify_found_block(const p2pool_observer_t *observer,
                               uint64_t main_height, size_t wallets_paid);

/* A found block of a configured wallet was orphaned on Monero. WARNING;
 * plugin instance the wallet, type "blocks", type instance "orphaned". */
void p2pool_notify_orphaned_block(const p2pool_wallet_t *wallet,
                                  uint64_t main_height);

/* Checks a wallet for a share drought after a poll (see notify_rules.h).
 * Sends WARNING when one begins and OKAY when a share ends it, with plugin
 * instance the wallet, type "age_seconds", type instance "last_share".
 * Called with the wallet's observer lock held; now is the poll's time. */
void p2pool_notify_check_drought(p2pool_wallet_t *wallet, cdtime_t now);

/* Checks an observer's request counts after a poll. Sends FAILURE when a
 * bot filter blocks it and OKAY when it responds again, with plugin
 * instance the observer, type "api_requests", type instance "blocked".
 * Returns whether any request got a response (ok or not_found) since the
 * previous check. Called with the observer's lock held. */
bool p2pool_notify_check_observer(p2pool_observer_t *observer);

/* Submits a wallet's expected time between shares, the figure the drought
 * check compares with; nothing while it is unknown. Called with the wallet's
 * observer lock held, in a batch whose plugin instance is the wallet. */
void p2pool_notify_submit_wallet(const p2pool_batch_t *batch,
                                 const p2pool_wallet_t *wallet);

#endif /* P2POOL_NOTIFY_H */
