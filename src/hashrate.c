/*
 * hashrate.c: a miner's hashrate estimated from its PPLNS window weight.
 */
#include "hashrate.h"

uint64_t p2pool_uncle_bonus(uint64_t difficulty, uint64_t uncle_penalty) {
  if (uncle_penalty > 100)
    uncle_penalty = 100;
  /* difficulty * penalty can overflow; split it as P2Pool's 128-bit
   * arithmetic would not lose precision: (d / 100) * p + (d % 100) * p / 100.
   */
  return (difficulty / 100) * uncle_penalty +
         (difficulty % 100) * uncle_penalty / 100;
}

uint64_t p2pool_uncle_weight(uint64_t difficulty, uint64_t uncle_penalty) {
  return difficulty - p2pool_uncle_bonus(difficulty, uncle_penalty);
}

double p2pool_window_hashrate(uint64_t miner_weight,
                              p2pool_u128_t window_weight,
                              double pool_hashrate) {
  double total = p2pool_u128_to_double(window_weight);
  if (total <= 0.0)
    return 0.0;
  return (double)miner_weight / total * pool_hashrate;
}
