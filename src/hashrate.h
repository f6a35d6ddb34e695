/*
 * hashrate.h: a miner's hashrate estimated from its PPLNS window weight,
 * weighed the way P2Pool's SideChain::get_shares weighs shares. No collectd.
 */
#ifndef P2POOL_HASHRATE_H
#define P2POOL_HASHRATE_H

#include "json.h"

#include <stdint.h>

/* Weight an uncle keeps: difficulty minus difficulty * penalty / 100, with
 * integer division as P2Pool does. */
uint64_t p2pool_uncle_weight(uint64_t difficulty, uint64_t uncle_penalty);

/* Bonus the including block's miner gets for one uncle it included. */
uint64_t p2pool_uncle_bonus(uint64_t difficulty, uint64_t uncle_penalty);

/* Estimates H/s as miner_weight / window_weight * pool_hashrate. Returns 0
 * when the window weight is zero. */
double p2pool_window_hashrate(uint64_t miner_weight,
                              p2pool_u128_t window_weight,
                              double pool_hashrate);

#endif /* P2POOL_HASHRATE_H */
