/*
 * node_parse.c: decoders for a P2Pool node's data API files.
 *
 * The text is first normalised (node_normalize.c), then parsed strictly,
 * then every field is read with a type and range check, driven by the
 * figure table below. A bad field is reported and marked REJECTED so that
 * its last good value is kept, and the rest of the file is still read.
 */
#include "node_parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A double field that arrives as an integer of this size was written by a
 * P2Pool older than v4.17 whose 16-byte buffer kept only the first 15
 * digits of "%.3f": the value may be 10 or more times too small. */
#define P2POOL_NODE_TRUNCATED_DOUBLE_MIN 1e14

/* Maximum entries read from pool/blocks (P2Pool writes at most 51). */
#define P2POOL_NODE_BLOCKS_MAX 1024

/* The figures, indexed by p2pool_node_figure_t. Types are in
 * p2pool.types.db, and the README's metric table follows this list. */
static const p2pool_node_figure_info_t node_figures[P2POOL_NODE_FIGURES_NUM] = {
    [P2POOL_NODE_STRATUM_HASHRATE_15M] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                          "hashrate_15m", P2POOL_NODE_JSON_UINT,
                                          true, "hashrate", "stratum_15m",
                                          false},
    [P2POOL_NODE_STRATUM_HASHRATE_1H] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                         "hashrate_1h", P2POOL_NODE_JSON_UINT,
                                         true, "hashrate", "stratum_1h", false},
    [P2POOL_NODE_STRATUM_HASHRATE_24H] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                          "hashrate_24h", P2POOL_NODE_JSON_UINT,
                                          true, "hashrate", "stratum_24h",
                                          false},
    [P2POOL_NODE_STRATUM_HASHES] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                    "total_hashes", P2POOL_NODE_JSON_UINT, true,
                                    "stratum_hashes", "", true},
    /* v4.3 */
    [P2POOL_NODE_STRATUM_SHARES] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                    "total_stratum_shares",
                                    P2POOL_NODE_JSON_UINT, false,
                                    "stratum_shares", "", true},
    /* v4.8, 0 if none, dispatched as an age */
    [P2POOL_NODE_LAST_SHARE_FOUND_TIME] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                           "last_share_found_time",
                                           P2POOL_NODE_JSON_UINT, false, NULL,
                                           NULL, false},
    [P2POOL_NODE_SHARES_FOUND] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                  "shares_found", P2POOL_NODE_JSON_UINT, true,
                                  "sidechain_shares", "found", true},
    /* v3.0 */
    [P2POOL_NODE_SHARES_FAILED] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                   "shares_failed", P2POOL_NODE_JSON_UINT,
                                   false, "sidechain_shares", "failed", true},
    [P2POOL_NODE_SHARE_EFFORT_AVERAGE] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                          "average_effort",
                                          P2POOL_NODE_JSON_DOUBLE, true,
                                          "share_effort_percent", "average",
                                          false},
    [P2POOL_NODE_SHARE_EFFORT_CURRENT] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                          "current_effort",
                                          P2POOL_NODE_JSON_DOUBLE, true,
                                          "share_effort_percent", "current",
                                          false},
    [P2POOL_NODE_STRATUM_CONNECTIONS] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                         "connections", P2POOL_NODE_JSON_UINT,
                                         true, "stratum_connections", "all",
                                         false},
    [P2POOL_NODE_STRATUM_INCOMING] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                      "incoming_connections",
                                      P2POOL_NODE_JSON_UINT, true,
                                      "stratum_connections", "incoming", false},
    /* v3.3 */
    [P2POOL_NODE_REWARD_SHARE] = {P2POOL_NODE_FILE_LOCAL_STRATUM,
                                  "block_reward_share_percent",
                                  P2POOL_NODE_JSON_DOUBLE, false,
                                  "reward_share_percent", "", false},
    /* v3.7: entries of the workers array */
    [P2POOL_NODE_WORKERS] = {P2POOL_NODE_FILE_LOCAL_STRATUM, NULL,
                             P2POOL_NODE_JSON_COMPUTED, false,
                             "stratum_workers", "", false},

    [P2POOL_NODE_P2P_CONNECTIONS] = {P2POOL_NODE_FILE_LOCAL_P2P, "connections",
                                     P2POOL_NODE_JSON_UINT, true,
                                     "p2p_connections", "all", false},
    [P2POOL_NODE_P2P_INCOMING] = {P2POOL_NODE_FILE_LOCAL_P2P,
                                  "incoming_connections", P2POOL_NODE_JSON_UINT,
                                  true, "p2p_connections", "incoming", false},
    [P2POOL_NODE_PEER_LIST_SIZE] = {P2POOL_NODE_FILE_LOCAL_P2P,
                                    "peer_list_size", P2POOL_NODE_JSON_UINT,
                                    true, "peer_list_size", "", false},
    /* entries of the peers array */
    [P2POOL_NODE_PEERS] = {P2POOL_NODE_FILE_LOCAL_P2P, NULL,
                           P2POOL_NODE_JSON_COMPUTED, true, "p2p_peers", "",
                           false},
    [P2POOL_NODE_UPTIME] = {P2POOL_NODE_FILE_LOCAL_P2P, "uptime",
                            P2POOL_NODE_JSON_UINT, true, "uptime_seconds", "",
                            false},
    /* v4.3, already "seconds since", not a timestamp */
    [P2POOL_NODE_ZMQ_IDLE] = {P2POOL_NODE_FILE_LOCAL_P2P, "zmq_last_active",
                              P2POOL_NODE_JSON_UINT, false, "age_seconds",
                              "last_zmq_message", false},

    [P2POOL_NODE_MINER_HASHRATE] = {P2POOL_NODE_FILE_LOCAL_MINER,
                                    "current_hashrate", P2POOL_NODE_JSON_UINT,
                                    true, "hashrate", "miner", false},
    [P2POOL_NODE_MINER_HASHES] = {P2POOL_NODE_FILE_LOCAL_MINER, "total_hashes",
                                  P2POOL_NODE_JSON_UINT, true, "miner_hashes",
                                  "", true},
    [P2POOL_NODE_MINER_THREADS] = {P2POOL_NODE_FILE_LOCAL_MINER, "threads",
                                   P2POOL_NODE_JSON_UINT, true, "miner_threads",
                                   "", false},

    /* pool/stats fields sit in its "pool_statistics" object. */
    [P2POOL_NODE_POOL_HASHRATE] = {P2POOL_NODE_FILE_POOL_STATS, "hashRate",
                                   P2POOL_NODE_JSON_UINT, true, "hashrate",
                                   "pool", false},
    [P2POOL_NODE_POOL_MINERS] = {P2POOL_NODE_FILE_POOL_STATS, "miners",
                                 P2POOL_NODE_JSON_UINT, true, "miners",
                                 "recent", false},
    /* local time the node saw the newest found block, 0 if none,
     * dispatched as an age */
    [P2POOL_NODE_LAST_BLOCK_FOUND_TIME] = {P2POOL_NODE_FILE_POOL_STATS,
                                           "lastBlockFoundTime",
                                           P2POOL_NODE_JSON_UINT, true, NULL,
                                           NULL, false},
    /* the sidechain's cumulative difficulty: an input of the round effort */
    [P2POOL_NODE_POOL_TOTAL_HASHES] = {P2POOL_NODE_FILE_POOL_STATS,
                                       "totalHashes", P2POOL_NODE_JSON_U128,
                                       true, NULL, NULL, false},
    /* blocks this node recorded, kept across P2Pool restarts */
    [P2POOL_NODE_BLOCKS_FOUND] = {P2POOL_NODE_FILE_POOL_STATS,
                                  "totalBlocksFound", P2POOL_NODE_JSON_UINT,
                                  true, "pool_blocks_found", "", true},
    /* v3.0 */
    [P2POOL_NODE_PPLNS_WEIGHT] = {P2POOL_NODE_FILE_POOL_STATS, "pplnsWeight",
                                  P2POOL_NODE_JSON_U128, false, "window_weight",
                                  "", false},
    /* v3.2 */
    [P2POOL_NODE_PPLNS_WINDOW_SIZE] = {P2POOL_NODE_FILE_POOL_STATS,
                                       "pplnsWindowSize", P2POOL_NODE_JSON_UINT,
                                       false, "window_blocks", "", false},
    [P2POOL_NODE_SIDECHAIN_DIFFICULTY] = {P2POOL_NODE_FILE_POOL_STATS,
                                          "sidechainDifficulty",
                                          P2POOL_NODE_JSON_U128, false,
                                          "difficulty", "side", false},
    [P2POOL_NODE_SIDECHAIN_HEIGHT] = {P2POOL_NODE_FILE_POOL_STATS,
                                      "sidechainHeight", P2POOL_NODE_JSON_UINT,
                                      false, "height", "side", false},

    /* totalHashes of the newest found block: an input of the round effort */
    [P2POOL_NODE_LAST_BLOCK_TOTAL_HASHES] = {P2POOL_NODE_FILE_POOL_BLOCKS, NULL,
                                             P2POOL_NODE_JSON_COMPUTED, false,
                                             NULL, NULL, false},
    [P2POOL_NODE_BLOCK_EFFORT_AVERAGE] = {P2POOL_NODE_FILE_POOL_BLOCKS, NULL,
                                          P2POOL_NODE_JSON_COMPUTED, false,
                                          "effort_percent", "average", false},

    [P2POOL_NODE_NETWORK_DIFFICULTY] = {P2POOL_NODE_FILE_NETWORK_STATS,
                                        "difficulty", P2POOL_NODE_JSON_U128,
                                        true, "difficulty", "main", false},
    [P2POOL_NODE_NETWORK_HEIGHT] = {P2POOL_NODE_FILE_NETWORK_STATS, "height",
                                    P2POOL_NODE_JSON_UINT, true, "height",
                                    "main", false},
    [P2POOL_NODE_NETWORK_REWARD] = {P2POOL_NODE_FILE_NETWORK_STATS, "reward",
                                    P2POOL_NODE_JSON_UINT, true,
                                    "reward_atomic_units", "main", false},
};

static const p2pool_node_file_info_t node_files[P2POOL_NODE_FILES_NUM] = {
    /* renamed from local/stats in P2Pool v3.2 */
    [P2POOL_NODE_FILE_LOCAL_STRATUM] = {"local/stratum", "local/stats",
                                        "local_stratum"},
    [P2POOL_NODE_FILE_LOCAL_P2P] = {"local/p2p", NULL, "local_p2p"},
    [P2POOL_NODE_FILE_LOCAL_MINER] = {"local/miner", NULL, "local_miner"},
    [P2POOL_NODE_FILE_POOL_STATS] = {"pool/stats", NULL, "pool_stats"},
    [P2POOL_NODE_FILE_POOL_BLOCKS] = {"pool/blocks", NULL, "pool_blocks"},
    [P2POOL_NODE_FILE_NETWORK_STATS] = {"network/stats", NULL, "network_stats"},
};

const p2pool_node_figure_info_t *
p2pool_node_figure_info(p2pool_node_figure_t figure) {
  if ((int)figure < 0 || figure >= P2POOL_NODE_FIGURES_NUM)
    return NULL;
  return &node_figures[figure];
}

const p2pool_node_file_info_t *p2pool_node_file_info(p2pool_node_file_t file) {
  if ((int)file < 0 || file >= P2POOL_NODE_FILES_NUM)
    return NULL;
  return &node_files[file];
}

/* ---- field readers ----------------------------------------------------- */

static bool is_decimal_text(const char *text) {
  if (*text == '\0')
    return false;
  for (; *text != '\0'; text++) {
    if (!isdigit((unsigned char)*text))
      return false;
  }
  return true;
}

/* Reads an integer field into value->exact. 128-bit fields accept the
 * strings the normaliser makes of integers of 20 digits or more. */
static int read_integer(json_object *field, const char *key, bool wide,
                        p2pool_node_value_t *value,
                        p2pool_node_issues_t *issues) {
  json_type type = json_object_get_type(field);

  if (type == json_type_string) {
    const char *text = json_object_get_string(field);
    if (!is_decimal_text(text)) {
      P2POOL_NODE_ISSUE_ADD(issues, key, "is a string, expected an integer");
      return -EINVAL;
    }
    if (!wide || p2pool_u128_from_decimal(text, &value->exact) != 0) {
      P2POOL_NODE_ISSUE_ADD(issues, key, "is out of range (%.40s)", text);
      return -ERANGE;
    }
    return 0;
  }

  if (type != json_type_int) {
    P2POOL_NODE_ISSUE_ADD(issues, key, "is a %s, expected an integer",
                          p2pool_json_type_name(field));
    return -EINVAL;
  }

  uint64_t number = 0;
  int status = p2pool_json_value_uint64(field, &number);
  if (status != 0) {
    P2POOL_NODE_ISSUE_ADD(issues, key, "is negative or out of range");
    return status;
  }
  value->exact = (p2pool_u128_t){.hi = 0, .lo = number};
  return 0;
}

/* Reads a "%.3f" field. Integers of 15 digits or more are rejected: P2Pool
 * before v4.17 printed them when it cut a large double short. */
static int read_double(json_object *field, const char *key,
                       p2pool_node_value_t *value,
                       p2pool_node_issues_t *issues) {
  json_type type = json_object_get_type(field);
  if (type != json_type_double && type != json_type_int) {
    P2POOL_NODE_ISSUE_ADD(issues, key, "is a %s, expected a number",
                          p2pool_json_type_name(field));
    return -EINVAL;
  }

  double number = 0.0;
  if (p2pool_json_value_double(field, &number) != 0 || !isfinite(number)) {
    P2POOL_NODE_ISSUE_ADD(issues, key, "is not a finite number");
    return -ERANGE;
  }
  if (number < 0.0) {
    P2POOL_NODE_ISSUE_ADD(issues, key, "is negative (%.3f)", number);
    return -ERANGE;
  }
  if (type == json_type_int && number >= P2POOL_NODE_TRUNCATED_DOUBLE_MIN) {
    P2POOL_NODE_ISSUE_ADD(issues, key,
                          "has 15 or more digits and no fraction, so P2Pool "
                          "before v4.17 may have cut it short");
    return -ERANGE;
  }

  value->value = number;
  return 0;
}

/* Reads one table-driven figure from obj into parsed. */
static void read_figure(json_object *obj, p2pool_node_figure_t figure,
                        p2pool_node_parsed_t *parsed) {
  const p2pool_node_figure_info_t *info = &node_figures[figure];
  p2pool_node_value_t *value = &parsed->values[figure];
  json_object *field = NULL;

  if (!json_object_object_get_ex(obj, info->key, &field)) {
    if (info->required) {
      P2POOL_NODE_ISSUE_ADD(&parsed->issues, info->key, "is missing");
      value->status = P2POOL_NODE_REJECTED;
    } else {
      value->status = P2POOL_NODE_ABSENT;
    }
    return;
  }

  /* null comes from the normaliser, which reported the field already */
  if (field == NULL) {
    P2POOL_NODE_ISSUE_ADD(&parsed->issues, info->key, "is null");
    value->status = P2POOL_NODE_REJECTED;
    return;
  }

  int status = 0;
  if (info->kind == P2POOL_NODE_JSON_DOUBLE) {
    status = read_double(field, info->key, value, &parsed->issues);
  } else {
    status = read_integer(field, info->key, info->kind == P2POOL_NODE_JSON_U128,
                          value, &parsed->issues);
    if (status == 0)
      value->value = p2pool_u128_to_double(value->exact);
  }

  if (status == 0 && info->derive &&
      (value->exact.hi != 0 || value->exact.lo > (uint64_t)INT64_MAX)) {
    P2POOL_NODE_ISSUE_ADD(&parsed->issues, info->key,
                          "exceeds the range of a counter");
    status = -ERANGE;
  }

  value->status = (status == 0) ? P2POOL_NODE_SET : P2POOL_NODE_REJECTED;
}

static void read_file_figures(json_object *obj, p2pool_node_parsed_t *parsed) {
  for (int figure = 0; figure < P2POOL_NODE_FIGURES_NUM; figure++) {
    const p2pool_node_figure_info_t *info = &node_figures[figure];
    if (info->file == parsed->file && info->kind != P2POOL_NODE_JSON_COMPUTED)
      read_figure(obj, (p2pool_node_figure_t)figure, parsed);
  }
}

static void set_count(p2pool_node_parsed_t *parsed, p2pool_node_figure_t figure,
                      uint64_t count) {
  parsed->values[figure].status = P2POOL_NODE_SET;
  parsed->values[figure].exact = (p2pool_u128_t){.hi = 0, .lo = count};
  parsed->values[figure].value = (double)count;
}

/* ---- comma-separated entries (workers, peers) -------------------------- */

/* Splits text at its first fields_num - 1 commas. The last field keeps any
 * further commas. Returns the number of fields found. */
static size_t split_fields(const char *text, const char **starts, size_t *lens,
                           size_t fields_num) {
  size_t found = 0;
  const char *start = text;

  while (found + 1 < fields_num) {
    const char *comma = strchr(start, ',');
    if (comma == NULL)
      break;
    starts[found] = start;
    lens[found] = (size_t)(comma - start);
    found++;
    start = comma + 1;
  }
  starts[found] = start;
  lens[found] = strlen(start);
  return found + 1;
}

static bool parse_decimal_field(const char *text, size_t len, uint64_t *out) {
  if (len == 0 || len > 20)
    return false;

  uint64_t value = 0;
  for (size_t i = 0; i < len; i++) {
    if (!isdigit((unsigned char)text[i]))
      return false;
    uint64_t digit = (uint64_t)(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

/* One stratum connection, or after aggregation all connections of a name.
 * The name points into the JSON string and is cut to the length of a
 * collectd type instance. */
typedef struct {
  const char *name;
  size_t name_len;
  double hashrate;
  uint32_t connections;
} node_connection_t;

/* Decodes "ip:port,connected_seconds,difficulty,hashrate,name". P2Pool
 * v3.7+ strips ',' from names, so the name is everything after the fourth
 * comma. The difficulty is a 128-bit decimal and only checked. */
static bool parse_worker_entry(const char *text, node_connection_t *out) {
  const char *starts[5];
  size_t lens[5];
  if (split_fields(text, starts, lens, 5) != 5 || lens[0] == 0)
    return false;

  uint64_t connected_seconds = 0;
  if (!parse_decimal_field(starts[1], lens[1], &connected_seconds))
    return false;

  if (lens[2] == 0 || lens[2] > 39)
    return false;
  for (size_t i = 0; i < lens[2]; i++) {
    if (!isdigit((unsigned char)starts[2][i]))
      return false;
  }

  uint64_t hashrate = 0;
  if (!parse_decimal_field(starts[3], lens[3], &hashrate))
    return false;
  out->hashrate = (double)hashrate;
  out->connections = 1;

  /* A login of "+diff" or ".x" leaves the name empty. */
  out->name = lens[4] > 0 ? starts[4] : P2POOL_NODE_UNNAMED_WORKER;
  out->name_len = lens[4] > 0 ? lens[4] : strlen(P2POOL_NODE_UNNAMED_WORKER);
  if (out->name_len > P2POOL_NODE_WORKER_NAME_MAX_BYTES - 1)
    out->name_len = P2POOL_NODE_WORKER_NAME_MAX_BYTES - 1;
  return true;
}

/* Maps a name byte to its form in a type instance: printable ASCII stays,
 * anything else becomes '_'. */
static char label_char(char c) {
  unsigned char byte = (unsigned char)c;
  if (byte >= 0x20 && byte <= 0x7e)
    return c;
  return '_';
}

/* Orders names as their type instances, so names that end up with the
 * same label are summed. */
static int compare_labels(const node_connection_t *left,
                          const node_connection_t *right) {
  size_t common =
      left->name_len < right->name_len ? left->name_len : right->name_len;
  for (size_t i = 0; i < common; i++) {
    char a = label_char(left->name[i]);
    char b = label_char(right->name[i]);
    if (a != b)
      return (unsigned char)a < (unsigned char)b ? -1 : 1;
  }
  if (left->name_len != right->name_len)
    return left->name_len < right->name_len ? -1 : 1;
  return 0;
}

static int compare_connection_names(const void *a, const void *b) {
  return compare_labels(a, b);
}

static int compare_connection_hashrates(const void *a, const void *b) {
  const node_connection_t *left = a;
  const node_connection_t *right = b;
  if (left->hashrate != right->hashrate)
    return left->hashrate > right->hashrate ? -1 : 1;
  return compare_labels(left, right);
}

/* Sums connections by name, and keeps the P2POOL_NODE_WORKERS_MAX names
 * with the highest hashrate in parsed->workers, highest first. */
static int aggregate_workers(node_connection_t *connections, size_t num,
                             p2pool_node_parsed_t *parsed) {
  if (num == 0)
    return 0;

  qsort(connections, num, sizeof(*connections), compare_connection_names);
  size_t names = 0;
  for (size_t i = 0; i < num; i++) {
    if (names > 0 &&
        compare_labels(&connections[names - 1], &connections[i]) == 0) {
      connections[names - 1].hashrate += connections[i].hashrate;
      connections[names - 1].connections++;
      continue;
    }
    connections[names++] = connections[i];
  }
  qsort(connections, names, sizeof(*connections), compare_connection_hashrates);

  parsed->workers_truncated = names > P2POOL_NODE_WORKERS_MAX;
  size_t workers_kept =
      parsed->workers_truncated ? P2POOL_NODE_WORKERS_MAX : names;
  parsed->workers = calloc(workers_kept, sizeof(*parsed->workers));
  if (parsed->workers == NULL)
    return -ENOMEM;

  for (size_t i = 0; i < workers_kept; i++) {
    p2pool_node_worker_t *worker = &parsed->workers[i];
    for (size_t c = 0; c < connections[i].name_len; c++)
      worker->name[c] = label_char(connections[i].name[c]);
    worker->name[connections[i].name_len] = '\0';
    worker->hashrate = connections[i].hashrate;
    worker->connections = connections[i].connections;
  }
  parsed->workers_num = workers_kept;
  return 0;
}

/* Reads local/stratum's workers array (P2Pool v3.7+). */
static int read_workers(json_object *root, p2pool_node_parsed_t *parsed) {
  json_object *array = NULL;
  if (!json_object_object_get_ex(root, "workers", &array)) {
    parsed->workers_status = P2POOL_NODE_ABSENT;
    parsed->values[P2POOL_NODE_WORKERS].status = P2POOL_NODE_ABSENT;
    return 0;
  }
  if (json_object_get_type(array) != json_type_array) {
    P2POOL_NODE_ISSUE_ADD(&parsed->issues, "workers",
                          "is a %s, expected an array",
                          p2pool_json_type_name(array));
    parsed->workers_status = P2POOL_NODE_REJECTED;
    parsed->values[P2POOL_NODE_WORKERS].status = P2POOL_NODE_REJECTED;
    return 0;
  }

  size_t num = json_object_array_length(array);
  node_connection_t *connections = NULL;
  if (num > 0) {
    connections = calloc(num, sizeof(*connections));
    if (connections == NULL)
      return -ENOMEM;
  }

  size_t strings = 0;
  size_t valid = 0;
  for (size_t i = 0; i < num; i++) {
    json_object *entry = json_object_array_get_idx(array, i);
    if (json_object_get_type(entry) != json_type_string) {
      P2POOL_NODE_ISSUE_ADD(&parsed->issues, "workers",
                            "entry %zu is a %s, expected a string; skipped", i,
                            p2pool_json_type_name(entry));
      continue;
    }
    strings++;
    if (!parse_worker_entry(json_object_get_string(entry),
                            &connections[valid])) {
      P2POOL_NODE_ISSUE_ADD(
          &parsed->issues, "workers",
          "entry %zu is not address,seconds,difficulty,hashrate,name "
          "(\"%.24s\"); skipped",
          i, json_object_get_string(entry));
      continue;
    }
    valid++;
  }

  set_count(parsed, P2POOL_NODE_WORKERS, strings);
  parsed->workers_status = P2POOL_NODE_SET;
  int status = aggregate_workers(connections, valid, parsed);
  free(connections);
  return status;
}

/* Checks "I|O,seconds,ping_ms,software,height,address:port". The software
 * field is empty for peers that did not announce one. */
static bool is_peer_entry(const char *text) {
  const char *starts[6];
  size_t lens[6];
  if (split_fields(text, starts, lens, 6) != 6)
    return false;
  return lens[0] == 1 && (starts[0][0] == 'I' || starts[0][0] == 'O') &&
         lens[5] > 0;
}

/* Counts local/p2p's peers array: peers that completed the handshake. */
static void read_peers(json_object *root, p2pool_node_parsed_t *parsed) {
  json_object *array = NULL;
  p2pool_node_value_t *value = &parsed->values[P2POOL_NODE_PEERS];

  if (!json_object_object_get_ex(root, "peers", &array)) {
    P2POOL_NODE_ISSUE_ADD(&parsed->issues, "peers", "is missing");
    value->status = P2POOL_NODE_REJECTED;
    return;
  }
  if (json_object_get_type(array) != json_type_array) {
    P2POOL_NODE_ISSUE_ADD(&parsed->issues, "peers",
                          "is a %s, expected an array",
                          p2pool_json_type_name(array));
    value->status = P2POOL_NODE_REJECTED;
    return;
  }

  size_t num = json_object_array_length(array);
  size_t strings = 0;
  for (size_t i = 0; i < num; i++) {
    json_object *entry = json_object_array_get_idx(array, i);
    if (json_object_get_type(entry) != json_type_string) {
      P2POOL_NODE_ISSUE_ADD(&parsed->issues, "peers",
                            "entry %zu is a %s, expected a string; not counted",
                            i, p2pool_json_type_name(entry));
      continue;
    }
    strings++;
    if (!is_peer_entry(json_object_get_string(entry))) {
      P2POOL_NODE_ISSUE_ADD(
          &parsed->issues, "peers",
          "entry %zu is not I|O,seconds,ping,software,height,address "
          "(\"%.16s\"); counted",
          i, json_object_get_string(entry));
    }
  }
  set_count(parsed, P2POOL_NODE_PEERS, strings);
}

/* ---- pool/blocks ------------------------------------------------------- */

typedef struct {
  bool valid;
  p2pool_u128_t total_hashes;
  p2pool_u128_t difficulty;
} node_block_t;

static bool read_block(json_object *entry, size_t index, node_block_t *block,
                       p2pool_node_issues_t *issues) {
  char field[P2POOL_NODE_ISSUE_FIELD_MAX_BYTES];

  if (json_object_get_type(entry) != json_type_object) {
    snprintf(field, sizeof(field), "[%zu]", index);
    P2POOL_NODE_ISSUE_ADD(issues, field, "is a %s, expected an object",
                          p2pool_json_type_name(entry));
    return false;
  }

  const char *keys[2] = {"totalHashes", "difficulty"};
  p2pool_u128_t *targets[2] = {&block->total_hashes, &block->difficulty};
  for (size_t k = 0; k < 2; k++) {
    json_object *value = NULL;
    snprintf(field, sizeof(field), "[%zu].%s", index, keys[k]);
    if (!json_object_object_get_ex(entry, keys[k], &value) || value == NULL) {
      P2POOL_NODE_ISSUE_ADD(issues, field, "is missing");
      return false;
    }
    p2pool_node_value_t decoded = {0};
    if (read_integer(value, field, true, &decoded, issues) != 0)
      return false;
    *targets[k] = decoded.exact;
  }

  block->valid = true;
  return true;
}

/* Reads pool/blocks (newest first): the newest block's totalHashes, and
 * the mean effort of the listed blocks, where block i took
 * (totalHashes[i] - totalHashes[i+1]) / difficulty[i]. Old records have
 * totalHashes 0 and are left out. */
static int read_blocks(json_object *root, p2pool_node_parsed_t *parsed,
                       char *err, size_t err_size) {
  if (json_object_get_type(root) != json_type_array) {
    snprintf(err, err_size, "the document is a %s, expected an array",
             p2pool_json_type_name(root));
    return -EINVAL;
  }

  size_t num = json_object_array_length(root);
  if (num > P2POOL_NODE_BLOCKS_MAX)
    num = P2POOL_NODE_BLOCKS_MAX;

  node_block_t *blocks = num > 0 ? calloc(num, sizeof(*blocks)) : NULL;
  if (num > 0 && blocks == NULL)
    return -ENOMEM;

  bool any_invalid = false;
  for (size_t i = 0; i < num; i++) {
    if (!read_block(json_object_array_get_idx(root, i), i, &blocks[i],
                    &parsed->issues))
      any_invalid = true;
  }

  p2pool_node_value_t *last =
      &parsed->values[P2POOL_NODE_LAST_BLOCK_TOTAL_HASHES];
  if (num == 0 || (blocks[0].valid && blocks[0].total_hashes.hi == 0 &&
                   blocks[0].total_hashes.lo == 0)) {
    last->status = P2POOL_NODE_ABSENT;
  } else if (!blocks[0].valid) {
    last->status = P2POOL_NODE_REJECTED;
  } else {
    last->status = P2POOL_NODE_SET;
    last->exact = blocks[0].total_hashes;
    last->value = p2pool_u128_to_double(blocks[0].total_hashes);
  }

  double effort_sum = 0.0;
  size_t efforts = 0;
  for (size_t i = 0; i + 1 < num; i++) {
    const node_block_t *block = &blocks[i];
    const node_block_t *previous = &blocks[i + 1];
    double effort = 0.0;
    if (!block->valid || !previous->valid ||
        p2pool_node_effort(block->total_hashes, previous->total_hashes,
                           block->difficulty, &effort) != 0)
      continue;
    effort_sum += effort;
    efforts++;
  }
  free(blocks);

  p2pool_node_value_t *average =
      &parsed->values[P2POOL_NODE_BLOCK_EFFORT_AVERAGE];
  if (efforts > 0) {
    average->status = P2POOL_NODE_SET;
    average->value = effort_sum / (double)efforts;
  } else {
    average->status = any_invalid ? P2POOL_NODE_REJECTED : P2POOL_NODE_ABSENT;
  }
  return 0;
}

/* ---- documents --------------------------------------------------------- */

static int expect_object(json_object *root, char *err, size_t err_size) {
  if (json_object_get_type(root) == json_type_object)
    return 0;
  snprintf(err, err_size, "the document is a %s, expected an object",
           p2pool_json_type_name(root));
  return -EINVAL;
}

static int parse_document(json_object *root, p2pool_node_parsed_t *parsed,
                          char *err, size_t err_size) {
  int status = 0;

  switch (parsed->file) {
  case P2POOL_NODE_FILE_LOCAL_STRATUM:
    if ((status = expect_object(root, err, err_size)) != 0)
      return status;
    read_file_figures(root, parsed);
    return read_workers(root, parsed);

  case P2POOL_NODE_FILE_LOCAL_P2P:
    if ((status = expect_object(root, err, err_size)) != 0)
      return status;
    read_file_figures(root, parsed);
    read_peers(root, parsed);
    return 0;

  case P2POOL_NODE_FILE_POOL_STATS: {
    if ((status = expect_object(root, err, err_size)) != 0)
      return status;
    json_object *statistics = NULL;
    if (p2pool_json_get_object(root, "pool_statistics", &statistics) != 0) {
      snprintf(err, err_size, "pool_statistics is missing or not an object");
      return -EINVAL;
    }
    read_file_figures(statistics, parsed);
    return 0;
  }

  case P2POOL_NODE_FILE_POOL_BLOCKS:
    return read_blocks(root, parsed, err, err_size);

  case P2POOL_NODE_FILE_LOCAL_MINER:
  case P2POOL_NODE_FILE_NETWORK_STATS:
    if ((status = expect_object(root, err, err_size)) != 0)
      return status;
    read_file_figures(root, parsed);
    return 0;

  case P2POOL_NODE_FILES_NUM:
    break;
  }

  snprintf(err, err_size, "unknown data API file %d", (int)parsed->file);
  return -EINVAL;
}

int p2pool_node_parse(p2pool_node_file_t file, const char *text, size_t len,
                      p2pool_node_parsed_t *out, char *err, size_t err_size) {
  memset(out, 0, sizeof(*out));
  out->file = file;
  snprintf(err, err_size, "%s", "");

  if (p2pool_node_file_info(file) == NULL) {
    snprintf(err, err_size, "unknown data API file %d", (int)file);
    return -EINVAL;
  }
  if (len > P2POOL_NODE_FILE_MAX_BYTES) {
    snprintf(err, err_size, "the file is larger than %zu bytes",
             P2POOL_NODE_FILE_MAX_BYTES);
    return -EINVAL;
  }

  size_t normalized_len = 0;
  char *normalized =
      p2pool_node_normalize(text, len, &normalized_len, &out->issues);
  if (normalized == NULL) {
    snprintf(err, err_size, "out of memory");
    return -ENOMEM;
  }

  json_object *root = NULL;
  int status =
      p2pool_json_parse(normalized, normalized_len, &root, err, err_size);
  free(normalized);
  if (status != 0)
    return -EINVAL;

  status = parse_document(root, out, err, err_size);
  json_object_put(root);
  if (status != 0) {
    p2pool_node_parsed_free(out);
    if (status == -ENOMEM)
      snprintf(err, err_size, "out of memory");
  }
  return status;
}

void p2pool_node_parsed_free(p2pool_node_parsed_t *parsed) {
  if (parsed == NULL)
    return;
  free(parsed->workers);
  parsed->workers = NULL;
  parsed->workers_num = 0;
}
