/*
 * node_state.c: a node's figures across reads, and the samples built from
 * them: file merging that keeps the last good value of a rejected field,
 * the freshness of each file, the pool's round effort, and the per-worker
 * figures.
 */
#include "node_parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 128-bit helpers --------------------------------------------------- */

static bool u128_is_zero(p2pool_u128_t value) {
  return value.hi == 0 && value.lo == 0;
}

static int u128_compare(p2pool_u128_t a, p2pool_u128_t b) {
  if (a.hi != b.hi)
    return a.hi < b.hi ? -1 : 1;
  if (a.lo != b.lo)
    return a.lo < b.lo ? -1 : 1;
  return 0;
}

/* Subtracts b from a. The caller ensures a >= b. */
static p2pool_u128_t u128_subtract(p2pool_u128_t a, p2pool_u128_t b) {
  p2pool_u128_t result = {.hi = a.hi - b.hi, .lo = a.lo - b.lo};
  if (a.lo < b.lo)
    result.hi--;
  return result;
}

int p2pool_node_effort(p2pool_u128_t end_total_hashes,
                       p2pool_u128_t start_total_hashes,
                       p2pool_u128_t difficulty, double *out) {
  if (u128_is_zero(start_total_hashes) || u128_is_zero(difficulty))
    return -EINVAL;
  if (u128_compare(end_total_hashes, start_total_hashes) < 0)
    return -EINVAL;

  p2pool_u128_t hashes = u128_subtract(end_total_hashes, start_total_hashes);
  *out =
      p2pool_u128_to_double(hashes) * 100.0 / p2pool_u128_to_double(difficulty);
  return 0;
}

/* ---- state ------------------------------------------------------------- */

void p2pool_node_state_free(p2pool_node_state_t *state) {
  if (state == NULL)
    return;
  free(state->workers);
  state->workers = NULL;
  state->workers_num = 0;
}

void p2pool_node_state_apply(p2pool_node_state_t *state,
                             p2pool_node_parsed_t *parsed) {
  for (int figure = 0; figure < P2POOL_NODE_FIGURES_NUM; figure++) {
    if (p2pool_node_figure_info((p2pool_node_figure_t)figure)->file !=
        parsed->file)
      continue;

    const p2pool_node_value_t *value = &parsed->values[figure];
    if (value->status == P2POOL_NODE_SET)
      state->values[figure] = *value;
    else if (value->status == P2POOL_NODE_ABSENT)
      memset(&state->values[figure], 0, sizeof(state->values[figure]));
  }

  if (parsed->file != P2POOL_NODE_FILE_LOCAL_STRATUM ||
      parsed->workers_status == P2POOL_NODE_REJECTED)
    return;

  free(state->workers);
  state->workers = parsed->workers;
  state->workers_num = parsed->workers_num;
  state->workers_truncated = parsed->workers_truncated;
  parsed->workers = NULL;
  parsed->workers_num = 0;
}

void p2pool_node_state_note_mtime(p2pool_node_state_t *state,
                                  p2pool_node_file_t file, double mtime) {
  if (p2pool_node_file_info(file) == NULL)
    return;
  state->files[file].seen = true;
  state->files[file].changed_at = mtime;
}

/* FNV-1a, enough to notice that a file's content changed. */
static uint64_t content_hash(const char *text, size_t len) {
  uint64_t hash = 14695981039346656037ULL;
  for (size_t i = 0; i < len; i++) {
    hash ^= (unsigned char)text[i];
    hash *= 1099511628211ULL;
  }
  return hash;
}

void p2pool_node_state_note_content(p2pool_node_state_t *state,
                                    p2pool_node_file_t file, const char *text,
                                    size_t len, double now) {
  if (p2pool_node_file_info(file) == NULL)
    return;

  p2pool_node_file_state_t *file_state = &state->files[file];
  uint64_t hash = content_hash(text, len);
  if (!file_state->seen || file_state->content_hash != hash)
    file_state->changed_at = now;
  file_state->seen = true;
  file_state->content_hash = hash;
}

/* ---- samples ----------------------------------------------------------- */

static p2pool_node_sample_t *next_sample(p2pool_node_sample_t *out,
                                         size_t out_max, size_t *num,
                                         const char *type,
                                         const char *type_instance) {
  if (*num >= out_max)
    return NULL;
  p2pool_node_sample_t *sample = &out[(*num)++];
  memset(sample, 0, sizeof(*sample));
  sample->type = type;
  snprintf(sample->type_instance, sizeof(sample->type_instance), "%s",
           type_instance);
  return sample;
}

static void add_gauge(p2pool_node_sample_t *out, size_t out_max, size_t *num,
                      const char *type, const char *type_instance,
                      double value) {
  p2pool_node_sample_t *sample =
      next_sample(out, out_max, num, type, type_instance);
  if (sample != NULL)
    sample->gauge = value;
}

static bool figure_set(const p2pool_node_state_t *state,
                       p2pool_node_figure_t figure) {
  return state->values[figure].status == P2POOL_NODE_SET;
}

static void collect_table(const p2pool_node_state_t *state,
                          p2pool_node_sample_t *out, size_t out_max,
                          size_t *num) {
  for (int figure = 0; figure < P2POOL_NODE_FIGURES_NUM; figure++) {
    const p2pool_node_figure_info_t *info =
        p2pool_node_figure_info((p2pool_node_figure_t)figure);
    if (info->type == NULL || !figure_set(state, (p2pool_node_figure_t)figure))
      continue;

    p2pool_node_sample_t *sample =
        next_sample(out, out_max, num, info->type, info->type_instance);
    if (sample == NULL)
      return;
    sample->derive = info->derive;
    if (info->derive)
      sample->derive_value = (int64_t)state->values[figure].exact.lo;
    else
      sample->gauge = state->values[figure].value;
  }
}

/* Adds the figures computed from several fields or files. */
static void collect_derived(const p2pool_node_state_t *state, double now,
                            p2pool_node_sample_t *out, size_t out_max,
                            size_t *num) {
  const p2pool_node_value_t *values = state->values;

  const struct {
    p2pool_node_figure_t figure;
    const char *type_instance;
  } ages[] = {{P2POOL_NODE_LAST_SHARE_FOUND_TIME, "last_share"},
              {P2POOL_NODE_LAST_BLOCK_FOUND_TIME, "last_found_block"}};
  for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
    double timestamp = values[ages[i].figure].value;
    if (figure_set(state, ages[i].figure) && timestamp > 0)
      add_gauge(out, out_max, num, "age_seconds", ages[i].type_instance,
                fmax(0.0, now - timestamp));
  }

  double effort = 0.0;
  if (figure_set(state, P2POOL_NODE_POOL_TOTAL_HASHES) &&
      figure_set(state, P2POOL_NODE_LAST_BLOCK_TOTAL_HASHES) &&
      figure_set(state, P2POOL_NODE_NETWORK_DIFFICULTY) &&
      p2pool_node_effort(values[P2POOL_NODE_POOL_TOTAL_HASHES].exact,
                         values[P2POOL_NODE_LAST_BLOCK_TOTAL_HASHES].exact,
                         values[P2POOL_NODE_NETWORK_DIFFICULTY].exact,
                         &effort) == 0)
    add_gauge(out, out_max, num, "effort_percent", "current", effort);

  for (int file = 0; file < P2POOL_NODE_FILES_NUM; file++) {
    const p2pool_node_file_state_t *file_state = &state->files[file];
    if (file_state->seen)
      add_gauge(out, out_max, num, "data_age_seconds",
                p2pool_node_file_info((p2pool_node_file_t)file)->label,
                fmax(0.0, now - file_state->changed_at));
  }
}

size_t p2pool_node_collect(const p2pool_node_state_t *state, double now,
                           size_t max_workers, p2pool_node_sample_t *out,
                           size_t out_max, bool *workers_capped) {
  size_t num = 0;

  collect_table(state, out, out_max, &num);
  collect_derived(state, now, out, out_max, &num);

  /* state->workers is sorted by hashrate, so the first ones are kept. */
  size_t workers = state->workers_num;
  *workers_capped = workers > max_workers || state->workers_truncated;
  if (workers > max_workers)
    workers = max_workers;
  for (size_t i = 0; i < workers; i++)
    add_gauge(out, out_max, &num, "worker_hashrate", state->workers[i].name,
              state->workers[i].hashrate);

  return num;
}
