/*
 * raffle.c: placeholder until the raffle reader lands.
 */
#include "collectd.h"

#include "raffle.h"

int p2pool_raffle_init(void) {
  for (size_t i = 0; i < p2pool_g.wallets_num; i++) {
    if (p2pool_g.wallets[i]->raffle) {
      ERROR("p2pool plugin: Wallet \"%s\": Raffle is not supported by this "
            "build.",
            p2pool_g.wallets[i]->name);
      return -ENOTSUP;
    }
  }
  return 0;
}

void p2pool_raffle_shutdown(void) {}
