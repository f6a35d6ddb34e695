/*
 * window.c: one wallet's shares in the PPLNS window.
 */
#include "window.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int p2pool_window_add(p2pool_window_t *window,
                      const p2pool_window_share_t *share) {
  for (size_t i = 0; i < window->shares_num; i++) {
    const p2pool_window_share_t *present = &window->shares[i];
    if (present->side_height == share->side_height &&
        present->uncle == share->uncle)
      return 0;
  }
  if (window->shares_num >= P2POOL_WINDOW_SHARES_MAX)
    return -ENOSPC;

  if (window->shares_num == window->shares_cap) {
    size_t cap = window->shares_cap == 0 ? 4 : window->shares_cap * 2;
    p2pool_window_share_t *shares =
        realloc(window->shares, cap * sizeof(*shares));
    if (shares == NULL)
      return -ENOMEM;
    window->shares = shares;
    window->shares_cap = cap;
  }

  window->shares[window->shares_num++] = *share;
  return 1;
}

void p2pool_window_expire(p2pool_window_t *window, uint64_t tip_height,
                          uint64_t window_depth) {
  if (window_depth == 0 || tip_height < window_depth)
    return;

  uint64_t bottom = tip_height - window_depth;
  size_t kept = 0;
  for (size_t i = 0; i < window->shares_num; i++) {
    if (window->shares[i].effective_height > bottom)
      window->shares[kept++] = window->shares[i];
  }
  window->shares_num = kept;
}

void p2pool_window_replace(p2pool_window_t *window, p2pool_window_t *source) {
  free(window->shares);
  *window = *source;
  memset(source, 0, sizeof(*source));
}

void p2pool_window_summarize(const p2pool_window_t *window,
                             p2pool_window_summary_t *summary) {
  memset(summary, 0, sizeof(*summary));
  for (size_t i = 0; i < window->shares_num; i++) {
    const p2pool_window_share_t *share = &window->shares[i];
    if (share->uncle)
      summary->uncles++;
    else
      summary->shares++;
    /* Saturates: a list that could overflow was rejected when parsed. */
    if (share->weight > UINT64_MAX - summary->weight)
      summary->weight = UINT64_MAX;
    else
      summary->weight += share->weight;
    if (share->side_height >= summary->newest_height) {
      summary->newest_height = share->side_height;
      summary->newest_timestamp = share->timestamp;
    }
  }
}

void p2pool_window_free(p2pool_window_t *window) {
  if (window == NULL)
    return;
  free(window->shares);
  memset(window, 0, sizeof(*window));
}

int p2pool_parse_window_shares(json_object *root, uint64_t uncle_penalty,
                               p2pool_window_t *window, char *err,
                               size_t err_size) {
  window->shares_num = 0;
  if (!json_object_is_type(root, json_type_array)) {
    snprintf(err, err_size, "side_blocks_in_window: expected a list, got %s",
             p2pool_json_type_name(root));
    return -EINVAL;
  }

  size_t rows = json_object_array_length(root);
  if (rows > P2POOL_WINDOW_SHARES_MAX) {
    snprintf(err, err_size,
             "side_blocks_in_window: %zu rows exceed the limit of %d", rows,
             P2POOL_WINDOW_SHARES_MAX);
    return -ERANGE;
  }

  uint64_t total_weight = 0;
  for (size_t i = 0; i < rows; i++) {
    p2pool_window_share_t share;
    char row_err[192];
    int status = p2pool_parse_side_block_share(
        json_object_array_get_idx(root, i), uncle_penalty, &share, row_err,
        sizeof(row_err));
    if (status != 0) {
      snprintf(err, err_size, "side_blocks_in_window row %zu: %s", i, row_err);
      return status;
    }
    if (share.weight > UINT64_MAX - total_weight) {
      snprintf(err, err_size,
               "side_blocks_in_window row %zu: the window weight overflows", i);
      return -ERANGE;
    }
    total_weight += share.weight;
    status = p2pool_window_add(window, &share);
    if (status < 0) {
      snprintf(err, err_size, "side_blocks_in_window row %zu: out of memory",
               i);
      return status;
    }
  }
  return 0;
}

int p2pool_parse_window(json_object *root, uint64_t uncle_penalty,
                        p2pool_window_summary_t *out, char *err,
                        size_t err_size) {
  p2pool_window_t window = {0};
  int status =
      p2pool_parse_window_shares(root, uncle_penalty, &window, err, err_size);
  if (status == 0)
    p2pool_window_summarize(&window, out);
  p2pool_window_free(&window);
  return status;
}
