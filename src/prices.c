/*
 * prices.c: placeholder until the exchange-rate reader lands.
 */
#include "collectd.h"

#include "prices.h"

int p2pool_prices_config(oconfig_item_t *ci) {
  (void)ci;
  ERROR("p2pool plugin: <Prices> is not supported by this build.");
  return -ENOTSUP;
}

int p2pool_prices_init(void) { return 0; }

void p2pool_prices_shutdown(void) {}
