/*
 * window.h: one wallet's shares in the PPLNS window, kept up to date by the
 * event stream between REST polls.
 *
 * A REST poll of side_blocks_in_window replaces the list. Each side_block
 * event of the wallet adds to it. As the sidechain tip moves, shares whose
 * effective height falls out of the window are dropped. The summary is the
 * same one a REST poll computes, so the figures do not depend on which
 * source updated them last. Pure logic, no collectd.
 */
#ifndef P2POOL_WINDOW_H
#define P2POOL_WINDOW_H

#include "observer_parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most shares kept for one wallet: a PPLNS window holds at most 2160
 * blocks and their uncles. */
#define P2POOL_WINDOW_SHARES_MAX 4320

typedef struct {
  p2pool_window_share_t *shares;
  size_t shares_num;
  size_t shares_cap;
} p2pool_window_t;

/* Adds a share unless one with the same side height and kind is present.
 * Returns 1 when added, 0 for a repeat, -ENOSPC when full, -ENOMEM. */
int p2pool_window_add(p2pool_window_t *window,
                      const p2pool_window_share_t *share);

/* Drops shares whose effective height is at or below tip_height -
 * window_depth, as side_blocks_in_window selects them. */
void p2pool_window_expire(p2pool_window_t *window, uint64_t tip_height,
                          uint64_t window_depth);

/* Moves the shares of source into window, replacing what it held. */
void p2pool_window_replace(p2pool_window_t *window, p2pool_window_t *source);

/* Sums the shares as p2pool_parse_window does. */
void p2pool_window_summarize(const p2pool_window_t *window,
                             p2pool_window_summary_t *summary);

void p2pool_window_free(p2pool_window_t *window);

/* Decodes a miner's side_blocks_in_window list into window (emptied first).
 * uncle_penalty is the percentage from pool_info's consensus. */
int p2pool_parse_window_shares(json_object *root, uint64_t uncle_penalty,
                               p2pool_window_t *window, char *err,
                               size_t err_size);

/* Decodes and sums a miner's side_blocks_in_window list. */
int p2pool_parse_window(json_object *root, uint64_t uncle_penalty,
                        p2pool_window_summary_t *out, char *err,
                        size_t err_size);

#endif /* P2POOL_WINDOW_H */
