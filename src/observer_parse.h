/*
 * observer_parse.h: decoders for the P2Pool Observer REST documents
 * (pool_info, miner_info, side_blocks_in_window, payouts).
 *
 * Each decoder checks every field's JSON type and range, fills a plain C
 * struct and returns 0, or returns a negative errno value with the failing
 * field named in err. A failed decode leaves *out in an unspecified state, so
 * callers decode into a scratch struct and copy it on success. No collectd.
 */
#ifndef P2POOL_OBSERVER_PARSE_H
#define P2POOL_OBSERVER_PARSE_H

#include "json.h"
#include "payouts.h"

/* Largest number of rows accepted from a list endpoint. A PPLNS window holds
 * at most 2160 blocks plus their uncles; payout histories of large miners run
 * to tens of thousands. */
#define P2POOL_LIST_MAX_ROWS 200000

typedef struct {
  char sidechain[16];       /* consensus.name: "default", "mini", "nano" */
  uint64_t block_time;      /* s, sidechain */
  uint64_t uncle_penalty;   /* % */
  uint64_t side_height;     /* last_block.side_height */
  uint64_t window_depth;    /* last_block.window_depth, 0 when absent */
  uint64_t side_difficulty; /* last_block.difficulty */
  uint64_t seconds_since_last_block;
  p2pool_u128_t window_weight;
  uint64_t window_miners;
  uint64_t window_blocks;
  uint64_t window_uncles;
  uint64_t miners_total; /* miners ever seen */
  uint64_t found_total;  /* found blocks in the observer database */
  double effort_current; /* %, NAN when absent */
  double effort_average; /* %, 50-block mean, NAN when absent */
  double effort_average10;
  double effort_average200;
  p2pool_u128_t main_difficulty;
  uint64_t main_height;
  uint64_t main_reward; /* atomic units */
  double pool_hashrate; /* H/s: side_difficulty / block_time */
} p2pool_pool_info_t;

typedef struct {
  uint64_t last_share_height;
  uint64_t last_share_timestamp;
} p2pool_miner_info_t;

/* One of a miner's shares (sidechain blocks) in the PPLNS window. */
typedef struct {
  uint64_t side_height;
  uint64_t effective_height; /* the includer's height for an uncle */
  uint64_t timestamp;
  uint64_t weight; /* PPLNS weight with uncle penalty and bonus */
  bool uncle;
} p2pool_window_share_t;

typedef struct {
  uint64_t shares;           /* non-uncle blocks in the window */
  uint64_t uncles;           /* uncle blocks in the window */
  uint64_t weight;           /* PPLNS weight with uncle penalty and bonus */
  uint64_t newest_height;    /* highest side_height, 0 when empty */
  uint64_t newest_timestamp; /* timestamp of that block */
} p2pool_window_summary_t;

int p2pool_parse_pool_info(json_object *root, p2pool_pool_info_t *out,
                           char *err, size_t err_size);

int p2pool_parse_miner_info(json_object *root, p2pool_miner_info_t *out,
                            char *err, size_t err_size);

/* Decodes one SideBlock object (a side_blocks_in_window row, or the payload
 * of a side_block event) into a share weighed as P2Pool weighs it: an uncle
 * keeps its difficulty less uncle_penalty percent, a block gains that
 * penalty of every uncle it included. */
int p2pool_parse_side_block_share(json_object *row, uint64_t uncle_penalty,
                                  p2pool_window_share_t *out, char *err,
                                  size_t err_size);

/* Decodes a payouts list into a newly allocated array (free with free()). */
int p2pool_parse_payouts(json_object *root, p2pool_payout_t **out,
                         size_t *out_num, char *err, size_t err_size);

/* Tells whether body is the observer's {"error":"not_found"} object. */
bool p2pool_body_is_not_found(const char *body, size_t len);

#endif /* P2POOL_OBSERVER_PARSE_H */
