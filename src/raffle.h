/*
 * raffle.h: xmrvsbeast raffle bonus hashrate for wallets with Raffle true.
 */
#ifndef P2POOL_RAFFLE_H
#define P2POOL_RAFFLE_H

#include "context.h"

/* Registers the raffle read callback when a wallet asks for it. */
int p2pool_raffle_init(void);
void p2pool_raffle_shutdown(void);

#endif /* P2POOL_RAFFLE_H */
