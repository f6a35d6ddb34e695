/*
 * prices.h: the <Prices> block: XMR exchange rates from CoinGecko or
 * cryptocompare, one request per interval for every configured currency.
 */
#ifndef P2POOL_PRICES_H
#define P2POOL_PRICES_H

#include "context.h"

int p2pool_prices_config(oconfig_item_t *ci);
/* Starts the worker thread and registers the read callback. */
int p2pool_prices_init(void);

/* Stops and joins the worker thread; the figures stay until shutdown. */
void p2pool_prices_stop(void);

/* Stops the worker thread if it still runs, and frees <Prices>. */
void p2pool_prices_shutdown(void);

#endif /* P2POOL_PRICES_H */
