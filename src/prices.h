/*
 * prices.h: the <Prices> block: XMR exchange rates from CoinGecko or
 * cryptocompare, one request per interval for every configured currency.
 */
#ifndef P2POOL_PRICES_H
#define P2POOL_PRICES_H

#include "context.h"

int p2pool_prices_config(oconfig_item_t *ci);
int p2pool_prices_init(void);
void p2pool_prices_shutdown(void);

#endif /* P2POOL_PRICES_H */
