/*
 * raffle.h: xmrvsbeast raffle bonus hashrate for wallets with Raffle true.
 */
#ifndef P2POOL_RAFFLE_H
#define P2POOL_RAFFLE_H

#include "context.h"

/* Starts the worker thread and registers the raffle read callback when a
 * wallet requests it. */
int p2pool_raffle_init(void);

/* Stops and joins the worker thread; the figures stay until shutdown. */
void p2pool_raffle_stop(void);

/* Stops the worker thread if it still runs, and frees the raffle state. */
void p2pool_raffle_shutdown(void);

#endif /* P2POOL_RAFFLE_H */
