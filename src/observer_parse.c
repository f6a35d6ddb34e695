/*
 * observer_parse.c: decoders for the P2Pool Observer REST documents.
 */
#include "observer_parse.h"

#include "hashrate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Describes why a field could not be read, for the caller's log line. */
static int field_error(int status, const char *document, const char *field,
                       char *err, size_t err_size) {
  const char *reason = "is invalid";
  if (status == -ENOENT)
    reason = "is missing";
  else if (status == -EINVAL)
    reason = "has the wrong type";
  else if (status == -ERANGE)
    reason = "is out of range";
  snprintf(err, err_size, "%s: field \"%s\" %s", document, field, reason);
  return status;
}

static int need_object(json_object *parent, const char *key,
                       const char *document, json_object **out, char *err,
                       size_t err_size) {
  int status = p2pool_json_get_object(parent, key, out);
  if (status != 0)
    return field_error(status, document, key, err, err_size);
  return 0;
}

static int need_uint64(json_object *parent, const char *key,
                       const char *document, uint64_t *out, char *err,
                       size_t err_size) {
  int status = p2pool_json_get_uint64(parent, key, out);
  if (status != 0)
    return field_error(status, document, key, err, err_size);
  return 0;
}

/* Reads an optional effort percentage; absent or unusable reads as NAN,
 * because the observer omits efforts it cannot compute. */
static double optional_percent(json_object *effort, const char *key) {
  double value = NAN;
  if (effort == NULL || p2pool_json_get_double(effort, key, &value) != 0)
    return NAN;
  return value;
}

static int parse_consensus(json_object *sidechain, p2pool_pool_info_t *out,
                           char *err, size_t err_size) {
  json_object *consensus = NULL;
  const char *doc = "pool_info sidechain.consensus";
  int status = need_object(sidechain, "consensus", "pool_info sidechain",
                           &consensus, err, err_size);
  if (status != 0)
    return status;

  const char *name = "";
  if (p2pool_json_get_string(consensus, "name", &name) != 0)
    name = "";
  snprintf(out->sidechain, sizeof(out->sidechain), "%s", name);

  status = need_uint64(consensus, "block_time", doc, &out->block_time, err,
                       err_size);
  if (status == 0 && out->block_time == 0)
    status = field_error(-ERANGE, doc, "block_time", err, err_size);
  if (status == 0)
    status = need_uint64(consensus, "uncle_penalty", doc, &out->uncle_penalty,
                         err, err_size);
  if (status == 0 && out->uncle_penalty > 100)
    status = field_error(-ERANGE, doc, "uncle_penalty", err, err_size);
  return status;
}

static int parse_window(json_object *sidechain, p2pool_pool_info_t *out,
                        char *err, size_t err_size) {
  json_object *window = NULL;
  const char *doc = "pool_info sidechain.window";
  int status = need_object(sidechain, "window", "pool_info sidechain", &window,
                           err, err_size);
  if (status == 0)
    status =
        need_uint64(window, "miners", doc, &out->window_miners, err, err_size);
  if (status == 0)
    status =
        need_uint64(window, "blocks", doc, &out->window_blocks, err, err_size);
  if (status == 0)
    status =
        need_uint64(window, "uncles", doc, &out->window_uncles, err, err_size);
  if (status == 0) {
    status = p2pool_json_get_difficulty(window, "weight", &out->window_weight);
    if (status != 0)
      field_error(status, doc, "weight", err, err_size);
  }
  return status;
}

static int parse_sidechain(json_object *root, p2pool_pool_info_t *out,
                           char *err, size_t err_size) {
  json_object *sidechain = NULL;
  json_object *last_block = NULL;
  const char *doc = "pool_info sidechain";

  int status =
      need_object(root, "sidechain", "pool_info", &sidechain, err, err_size);
  if (status == 0)
    status = parse_consensus(sidechain, out, err, err_size);
  if (status == 0)
    status = parse_window(sidechain, out, err, err_size);
  if (status == 0)
    status =
        need_object(sidechain, "last_block", doc, &last_block, err, err_size);
  if (status == 0)
    status = need_uint64(last_block, "side_height", "pool_info last_block",
                         &out->side_height, err, err_size);
  if (status == 0)
    status = need_uint64(last_block, "difficulty", "pool_info last_block",
                         &out->side_difficulty, err, err_size);
  if (status == 0 && p2pool_json_get_uint64(last_block, "window_depth",
                                            &out->window_depth) != 0)
    out->window_depth = 0;
  if (status == 0)
    status = need_uint64(sidechain, "miners", doc, &out->miners_total, err,
                         err_size);
  if (status == 0)
    status =
        need_uint64(sidechain, "found", doc, &out->found_total, err, err_size);
  if (status != 0)
    return status;

  int64_t since = 0;
  status = p2pool_json_get_int64(sidechain, "seconds_since_last_block", &since);
  if (status == 0 && since < 0)
    status = -ERANGE;
  if (status != 0)
    return field_error(status, doc, "seconds_since_last_block", err, err_size);
  out->seconds_since_last_block = (uint64_t)since;

  json_object *effort = NULL;
  if (p2pool_json_get_object(sidechain, "effort", &effort) != 0)
    effort = NULL;
  out->effort_current = optional_percent(effort, "current");
  out->effort_average10 = optional_percent(effort, "average10");
  out->effort_average = optional_percent(effort, "average");
  out->effort_average200 = optional_percent(effort, "average200");
  return 0;
}

static int parse_mainchain(json_object *root, p2pool_pool_info_t *out,
                           char *err, size_t err_size) {
  json_object *mainchain = NULL;
  const char *doc = "pool_info mainchain";
  int status =
      need_object(root, "mainchain", "pool_info", &mainchain, err, err_size);
  if (status == 0)
    status =
        need_uint64(mainchain, "height", doc, &out->main_height, err, err_size);
  if (status == 0) {
    status = p2pool_json_get_difficulty(mainchain, "difficulty",
                                        &out->main_difficulty);
    if (status != 0)
      field_error(status, doc, "difficulty", err, err_size);
  }
  if (status == 0)
    status =
        need_uint64(mainchain, "reward", doc, &out->main_reward, err, err_size);
  return status;
}

int p2pool_parse_pool_info(json_object *root, p2pool_pool_info_t *out,
                           char *err, size_t err_size) {
  memset(out, 0, sizeof(*out));
  if (!json_object_is_type(root, json_type_object)) {
    snprintf(err, err_size, "pool_info: expected an object, got %s",
             p2pool_json_type_name(root));
    return -EINVAL;
  }

  int status = parse_sidechain(root, out, err, err_size);
  if (status == 0)
    status = parse_mainchain(root, out, err, err_size);
  if (status != 0)
    return status;

  out->pool_hashrate = (double)out->side_difficulty / (double)out->block_time;
  return 0;
}

int p2pool_parse_miner_info(json_object *root, p2pool_miner_info_t *out,
                            char *err, size_t err_size) {
  memset(out, 0, sizeof(*out));
  if (!json_object_is_type(root, json_type_object)) {
    snprintf(err, err_size, "miner_info: expected an object, got %s",
             p2pool_json_type_name(root));
    return -EINVAL;
  }

  int status = need_uint64(root, "last_share_height", "miner_info",
                           &out->last_share_height, err, err_size);
  if (status == 0)
    status = need_uint64(root, "last_share_timestamp", "miner_info",
                         &out->last_share_timestamp, err, err_size);
  return status;
}

static int check_list(json_object *root, const char *document, char *err,
                      size_t err_size) {
  if (!json_object_is_type(root, json_type_array)) {
    snprintf(err, err_size, "%s: expected a list, got %s", document,
             p2pool_json_type_name(root));
    return -EINVAL;
  }
  size_t rows = json_object_array_length(root);
  if (rows > P2POOL_LIST_MAX_ROWS) {
    snprintf(err, err_size, "%s: %zu rows exceed the limit of %d", document,
             rows, P2POOL_LIST_MAX_ROWS);
    return -ERANGE;
  }
  return 0;
}

/* Adds the bonus a block earns for the uncles it included. */
static int add_uncle_bonus(json_object *row, uint64_t uncle_penalty,
                           uint64_t *weight, char *err, size_t err_size) {
  json_object *uncles = NULL;
  int status = p2pool_json_get_array(row, "uncles", &uncles);
  if (status == -ENOENT)
    return 0;
  if (status != 0 || json_object_array_length(uncles) > 64) {
    snprintf(err, err_size, "side block: field \"uncles\" is invalid");
    return -EINVAL;
  }

  for (size_t i = 0; i < json_object_array_length(uncles); i++) {
    uint64_t difficulty = 0;
    json_object *uncle = json_object_array_get_idx(uncles, i);
    status = p2pool_json_get_uint64(uncle, "difficulty", &difficulty);
    if (status != 0) {
      snprintf(err, err_size, "side block: uncles[%zu].difficulty is invalid",
               i);
      return status;
    }
    uint64_t bonus = p2pool_uncle_bonus(difficulty, uncle_penalty);
    if (bonus > UINT64_MAX - *weight) {
      snprintf(err, err_size, "side block: weight with uncle bonus overflows");
      return -ERANGE;
    }
    *weight += bonus;
  }
  return 0;
}

int p2pool_parse_side_block_share(json_object *row, uint64_t uncle_penalty,
                                  p2pool_window_share_t *out, char *err,
                                  size_t err_size) {
  const char *doc = "side block";
  memset(out, 0, sizeof(*out));
  if (!json_object_is_type(row, json_type_object)) {
    snprintf(err, err_size, "%s: expected an object, got %s", doc,
             p2pool_json_type_name(row));
    return -EINVAL;
  }

  uint64_t difficulty = 0;
  int status = need_uint64(row, "difficulty", doc, &difficulty, err, err_size);
  if (status == 0)
    status =
        need_uint64(row, "side_height", doc, &out->side_height, err, err_size);
  if (status == 0)
    status = need_uint64(row, "timestamp", doc, &out->timestamp, err, err_size);
  if (status != 0)
    return status;

  status =
      p2pool_json_get_uint64(row, "effective_height", &out->effective_height);
  if (status == -ENOENT)
    out->effective_height = out->side_height;
  else if (status != 0)
    return field_error(status, doc, "effective_height", err, err_size);

  const char *uncle_of = NULL;
  status = p2pool_json_get_string(row, "uncle_of", &uncle_of);
  if (status != 0 && status != -ENOENT)
    return field_error(status, doc, "uncle_of", err, err_size);

  out->uncle = uncle_of != NULL;
  if (out->uncle) {
    out->weight = p2pool_uncle_weight(difficulty, uncle_penalty);
    return 0;
  }
  out->weight = difficulty;
  return add_uncle_bonus(row, uncle_penalty, &out->weight, err, err_size);
}

static int parse_payout_row(json_object *row, size_t index,
                            p2pool_payout_t *out, char *err, size_t err_size) {
  char doc[48];
  snprintf(doc, sizeof(doc), "payouts row %zu", index);
  if (!json_object_is_type(row, json_type_object)) {
    snprintf(err, err_size, "%s: expected an object, got %s", doc,
             p2pool_json_type_name(row));
    return -EINVAL;
  }

  const char *main_id = NULL;
  int status = p2pool_json_get_string(row, "main_id", &main_id);
  if (status == 0 && !p2pool_hash_is_valid(main_id))
    status = -EINVAL;
  if (status != 0)
    return field_error(status, doc, "main_id", err, err_size);
  memcpy(out->main_id, main_id, P2POOL_HASH_HEX_CHARS + 1);

  status =
      need_uint64(row, "main_height", doc, &out->main_height, err, err_size);
  if (status == 0)
    status = need_uint64(row, "timestamp", doc, &out->timestamp, err, err_size);
  if (status == 0)
    status =
        need_uint64(row, "coinbase_reward", doc, &out->amount, err, err_size);
  return status;
}

int p2pool_parse_payouts(json_object *root, p2pool_payout_t **out,
                         size_t *out_num, char *err, size_t err_size) {
  *out = NULL;
  *out_num = 0;
  int status = check_list(root, "payouts", err, err_size);
  if (status != 0)
    return status;

  size_t rows = json_object_array_length(root);
  if (rows == 0)
    return 0;

  p2pool_payout_t *payouts = calloc(rows, sizeof(*payouts));
  if (payouts == NULL) {
    snprintf(err, err_size, "payouts: out of memory for %zu rows", rows);
    return -ENOMEM;
  }

  for (size_t i = 0; i < rows; i++) {
    status = parse_payout_row(json_object_array_get_idx(root, i), i,
                              &payouts[i], err, err_size);
    if (status != 0) {
      free(payouts);
      return status;
    }
  }

  *out = payouts;
  *out_num = rows;
  return 0;
}

bool p2pool_body_is_not_found(const char *body, size_t len) {
  if (body == NULL || len == 0 || len > 256)
    return false;

  json_object *root = NULL;
  char err[128];
  if (p2pool_json_parse(body, len, &root, err, sizeof(err)) != 0)
    return false;

  const char *error = NULL;
  bool not_found = p2pool_json_get_string(root, "error", &error) == 0 &&
                   strcmp(error, "not_found") == 0;
  json_object_put(root);
  return not_found;
}
