/*
 * Unit tests of observer_parse.c and window.c: the pool_info, miner_info,
 * side_blocks_in_window and payouts decoders, on fixtures shaped like the
 * observer's responses and on copies of them with one field broken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "observer_parse.h"
#include "window.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 256
#define FIXTURE_MAX_BYTES (1024 * 1024)

/* Reads tests/fixtures/unit/<name> into a NUL-terminated buffer. */
static char *fixture_read(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/unit/%s", FIXTURES_DIR, name);

  FILE *file = fopen(path, "rb");
  if (file == NULL)
    fail_msg("cannot open fixture %s", path);
  char *buf = malloc(FIXTURE_MAX_BYTES);
  assert_non_null(buf);
  size_t n = fread(buf, 1, FIXTURE_MAX_BYTES - 1, file);
  fclose(file);
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Parses a fixture that the test requires to be valid JSON. */
static json_object *fixture_json(const char *name) {
  size_t len = 0;
  char *buf = fixture_read(name, &len);
  json_object *root = NULL;
  char err[ERR_BYTES] = "";

  int rc = p2pool_json_parse(buf, len, &root, err, sizeof(err));
  if (rc != 0)
    fail_msg("fixture %s does not parse: %s", name, err);
  free(buf);
  return root;
}

/* Finds the object that contains the last key of a dotted path, and that
 * key. */
static json_object *path_parent(json_object *root, const char *path, char *leaf,
                                size_t leaf_size) {
  char copy[256];
  snprintf(copy, sizeof(copy), "%s", path);

  json_object *node = root;
  char *key = copy;
  char *dot;
  while ((dot = strchr(key, '.')) != NULL) {
    *dot = '\0';
    if (!json_object_object_get_ex(node, key, &node))
      fail_msg("fixture has no %s in %s", key, path);
    key = dot + 1;
  }
  snprintf(leaf, leaf_size, "%s", key);
  return node;
}

/* Replaces the value at a dotted path. A NULL value removes the key. */
static void path_set(json_object *root, const char *path, json_object *value) {
  char leaf[256];
  json_object *parent = path_parent(root, path, leaf, sizeof(leaf));

  if (value == NULL)
    json_object_object_del(parent, leaf);
  else
    json_object_object_add(parent, leaf, value);
}

/* Leaf name of a dotted path, which the decoder's err must name. */
static const char *path_leaf(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot == NULL ? path : dot + 1;
}

static void assert_err_names(const char *err, const char *path) {
  if (strstr(err, path_leaf(path)) == NULL)
    fail_msg("error \"%s\" does not name %s", err, path_leaf(path));
}

static void assert_close(double actual, double expected, double tolerance) {
  if (!(fabs(actual - expected) <= tolerance))
    fail_msg("expected %.17g, got %.17g", expected, actual);
}

/* Kinds of damage done to one field of a fixture. */
typedef enum {
  BREAK_REMOVE,   /* key absent: -ENOENT */
  BREAK_NULL,     /* null: -ENOENT */
  BREAK_STRING,   /* "12xyz": -EINVAL */
  BREAK_DOUBLE,   /* 1.5: -EINVAL */
  BREAK_NEGATIVE, /* -1: -ERANGE */
  BREAK_ARRAY,    /* []: -EINVAL */
  BREAK_INTEGER,  /* 5: -EINVAL */
} break_kind_t;

static json_object *break_value(break_kind_t kind) {
  switch (kind) {
  case BREAK_NULL:
    return NULL;
  case BREAK_STRING:
    return json_object_new_string("12xyz");
  case BREAK_DOUBLE:
    return json_object_new_double(1.5);
  case BREAK_NEGATIVE:
    return json_object_new_int64(-1);
  case BREAK_ARRAY:
    return json_object_new_array();
  case BREAK_INTEGER:
    return json_object_new_int64(5);
  case BREAK_REMOVE:
    break;
  }
  return NULL;
}

static int break_expected_rc(break_kind_t kind) {
  switch (kind) {
  case BREAK_REMOVE:
  case BREAK_NULL:
    return -ENOENT;
  case BREAK_NEGATIVE:
    return -ERANGE;
  case BREAK_STRING:
  case BREAK_DOUBLE:
  case BREAK_ARRAY:
  case BREAK_INTEGER:
    break;
  }
  return -EINVAL;
}

static const char *break_name(break_kind_t kind) {
  static const char *names[] = {"removed",  "null",     "string", "double",
                                "negative", "an array", "integer"};
  return names[kind];
}

/* Breaks one field of a fixture's copy. BREAK_NULL stores a JSON null. */
static json_object *fixture_broken(const char *name, const char *path,
                                   break_kind_t kind) {
  json_object *root = fixture_json(name);

  if (kind == BREAK_REMOVE) {
    path_set(root, path, NULL);
  } else if (kind == BREAK_NULL) {
    char leaf[256];
    json_object *parent = path_parent(root, path, leaf, sizeof(leaf));
    json_object_object_add(parent, leaf, NULL);
  } else {
    path_set(root, path, break_value(kind));
  }
  return root;
}

/* A decoder under test, with its output buffer. */
typedef int (*decode_fn)(json_object *root, char *err, size_t err_size);

static int decode_pool_info(json_object *root, char *err, size_t err_size) {
  p2pool_pool_info_t info;
  return p2pool_parse_pool_info(root, &info, err, err_size);
}

static int decode_miner_info(json_object *root, char *err, size_t err_size) {
  p2pool_miner_info_t info;
  return p2pool_parse_miner_info(root, &info, err, err_size);
}

static int decode_payouts(json_object *root, char *err, size_t err_size) {
  p2pool_payout_t *payouts = NULL;
  size_t payouts_num = 0;
  int rc = p2pool_parse_payouts(root, &payouts, &payouts_num, err, err_size);
  if (rc == 0)
    free(payouts);
  return rc;
}

typedef struct {
  const char *path;
  break_kind_t kind;
} field_break_t;

/* Checks a decoder's code and message for one broken field. It prints a
 * mismatch and returns 1, so that one run lists every failing case. */
static int check_break_result(const char *what, const char *path,
                              break_kind_t kind, int rc, const char *err) {
  int expected = break_expected_rc(kind);

  if (rc != expected) {
    print_error("%s with %s %s: expected %d, got %d (%s)\n", what, path,
                break_name(kind), expected, rc, err);
    return 1;
  }
  if (strstr(err, path_leaf(path)) == NULL) {
    print_error("%s with %s %s: error \"%s\" does not name %s\n", what, path,
                break_name(kind), err, path_leaf(path));
    return 1;
  }
  return 0;
}

/* Decodes a fixture once per broken field and checks code and message. */
static void check_breaks(const char *fixture, decode_fn decode,
                         const field_break_t *breaks, size_t breaks_num) {
  int failures = 0;

  for (size_t i = 0; i < breaks_num; i++) {
    json_object *root = fixture_broken(fixture, breaks[i].path, breaks[i].kind);
    char err[ERR_BYTES] = "";
    int rc = decode(root, err, sizeof(err));

    failures +=
        check_break_result(fixture, breaks[i].path, breaks[i].kind, rc, err);
    json_object_put(root);
  }
  if (failures > 0)
    fail_msg("%d of %zu broken fields were not reported as expected", failures,
             breaks_num);
}

static void pool_info_main_sidechain(void **state) {
  (void)state;
  json_object *root = fixture_json("pool_info_main.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_parse_pool_info(root, &info, err, sizeof(err)), 0);
  assert_string_equal(info.sidechain, "default");
  assert_int_equal(info.block_time, 10);
  assert_int_equal(info.uncle_penalty, 20);
  assert_int_equal(info.side_height, 9123456);
  assert_int_equal(info.window_depth, 800);
  assert_int_equal(info.side_difficulty, 1500000000);
  assert_int_equal(info.seconds_since_last_block, 7);
  assert_true(info.window_weight.hi == 0);
  assert_true(info.window_weight.lo == UINT64_C(298000001400));
  assert_int_equal(info.window_miners, 42);
  assert_int_equal(info.window_blocks, 800);
  assert_int_equal(info.window_uncles, 19);
  assert_int_equal(info.miners_total, 25000);
  assert_int_equal(info.found_total, 3210);
  assert_true(info.effort_current == 61.25);
  assert_true(info.effort_average10 == 95.5);
  assert_true(info.effort_average == 101.75);
  assert_true(info.effort_average200 == 99.125);
  assert_true(info.main_difficulty.hi == 0);
  assert_true(info.main_difficulty.lo == UINT64_C(600000000123));
  assert_int_equal(info.main_height, 3300123);
  assert_true(info.main_reward == UINT64_C(601234567890));
  /* 1500000000 / 10 s */
  assert_close(info.pool_hashrate, 150000000.0, 1e-6);
  json_object_put(root);
}

static void pool_info_nano_hex_difficulty(void **state) {
  (void)state;
  json_object *root = fixture_json("pool_info_nano_difficulty_hex.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_parse_pool_info(root, &info, err, sizeof(err)), 0);
  assert_string_equal(info.sidechain, "nano");
  assert_int_equal(info.block_time, 30);
  assert_int_equal(info.uncle_penalty, 10);
  /* "0000000000000001000000000000002a" = 2^64 + 42 */
  assert_true(info.window_weight.hi == 1);
  assert_true(info.window_weight.lo == 42);
  /* "0x0000000000000000000000e8d4a51000" = 10^12 */
  assert_true(info.main_difficulty.hi == 0);
  assert_true(info.main_difficulty.lo == UINT64_C(1000000000000));
  /* 1500000000 / 30 s */
  assert_close(info.pool_hashrate, 50000000.0, 1e-6);
  json_object_put(root);
}

static void pool_info_effort_absent(void **state) {
  (void)state;
  json_object *root = fixture_json("pool_info_effort_absent.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_parse_pool_info(root, &info, err, sizeof(err)), 0);
  assert_true(info.effort_current == 3.5);
  assert_true(isnan(info.effort_average10));
  assert_true(isnan(info.effort_average));
  assert_true(isnan(info.effort_average200));
  json_object_put(root);
}

static void pool_info_effort_object_absent(void **state) {
  (void)state;
  json_object *root = fixture_json("pool_info_main.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";

  path_set(root, "sidechain.effort", NULL);
  assert_int_equal(p2pool_parse_pool_info(root, &info, err, sizeof(err)), 0);
  assert_true(isnan(info.effort_current));
  assert_true(isnan(info.effort_average10));
  assert_true(isnan(info.effort_average));
  assert_true(isnan(info.effort_average200));
  assert_int_equal(info.side_difficulty, 1500000000);
  json_object_put(root);
}

static const field_break_t pool_info_breaks[] = {
    {"sidechain", BREAK_REMOVE},
    {"sidechain", BREAK_ARRAY},
    {"mainchain", BREAK_REMOVE},
    {"mainchain", BREAK_INTEGER},
    {"sidechain.consensus", BREAK_REMOVE},
    {"sidechain.last_block", BREAK_REMOVE},
    {"sidechain.window", BREAK_REMOVE},
    {"sidechain.consensus.block_time", BREAK_REMOVE},
    {"sidechain.consensus.block_time", BREAK_STRING},
    {"sidechain.consensus.block_time", BREAK_DOUBLE},
    {"sidechain.consensus.uncle_penalty", BREAK_REMOVE},
    {"sidechain.consensus.uncle_penalty", BREAK_NEGATIVE},
    {"sidechain.last_block.side_height", BREAK_REMOVE},
    {"sidechain.last_block.side_height", BREAK_NULL},
    {"sidechain.last_block.difficulty", BREAK_REMOVE},
    {"sidechain.last_block.difficulty", BREAK_STRING},
    {"sidechain.last_block.difficulty", BREAK_DOUBLE},
    {"sidechain.seconds_since_last_block", BREAK_REMOVE},
    {"sidechain.seconds_since_last_block", BREAK_STRING},
    {"sidechain.window.weight", BREAK_REMOVE},
    {"sidechain.window.weight", BREAK_STRING},
    {"sidechain.window.weight", BREAK_DOUBLE},
    {"sidechain.window.weight", BREAK_NEGATIVE},
    {"sidechain.window.miners", BREAK_REMOVE},
    {"sidechain.window.miners", BREAK_DOUBLE},
    {"sidechain.window.blocks", BREAK_REMOVE},
    {"sidechain.window.blocks", BREAK_ARRAY},
    {"sidechain.window.uncles", BREAK_REMOVE},
    {"sidechain.window.uncles", BREAK_NEGATIVE},
    {"sidechain.miners", BREAK_REMOVE},
    {"sidechain.miners", BREAK_STRING},
    {"sidechain.found", BREAK_REMOVE},
    {"sidechain.found", BREAK_DOUBLE},
    {"mainchain.difficulty", BREAK_REMOVE},
    {"mainchain.difficulty", BREAK_STRING},
    {"mainchain.difficulty", BREAK_DOUBLE},
    {"mainchain.height", BREAK_REMOVE},
    {"mainchain.height", BREAK_NEGATIVE},
    {"mainchain.reward", BREAK_REMOVE},
    {"mainchain.reward", BREAK_DOUBLE},
};

static void pool_info_broken_fields(void **state) {
  (void)state;
  check_breaks("pool_info_main.json", decode_pool_info, pool_info_breaks,
               sizeof(pool_info_breaks) / sizeof(pool_info_breaks[0]));
}

static void pool_info_bad_name_and_effort_kept(void **state) {
  (void)state;
  json_object *root = fixture_json("pool_info_main.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";

  /* The sidechain name is only informational, and a young observer leaves
   * efforts out, so neither costs the pool figures. */
  path_set(root, "sidechain.consensus.name", json_object_new_int64(5));
  path_set(root, "sidechain.effort.current", json_object_new_string("12abc"));
  path_set(root, "sidechain.effort.average", json_object_new_array());
  assert_int_equal(p2pool_parse_pool_info(root, &info, err, sizeof(err)), 0);
  assert_string_equal(info.sidechain, "");
  assert_true(isnan(info.effort_current));
  assert_true(isnan(info.effort_average));
  assert_true(info.effort_average10 == 95.5);
  assert_true(info.effort_average200 == 99.125);
  assert_int_equal(info.side_difficulty, 1500000000);

  path_set(root, "sidechain.consensus.name", NULL);
  assert_int_equal(p2pool_parse_pool_info(root, &info, err, sizeof(err)), 0);
  assert_string_equal(info.sidechain, "");
  json_object_put(root);
}

static void pool_info_window_depth_absent(void **state) {
  (void)state;
  json_object *root = fixture_json("pool_info_main.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";

  path_set(root, "sidechain.last_block.window_depth", NULL);
  assert_int_equal(p2pool_parse_pool_info(root, &info, err, sizeof(err)), 0);
  assert_int_equal(info.window_depth, 0);
  json_object_put(root);
}

static void pool_info_saturated_difficulty(void **state) {
  (void)state;
  const char *paths[] = {"sidechain.last_block.difficulty",
                         "sidechain.window.weight", "mainchain.difficulty",
                         "mainchain.reward"};

  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    json_object *root = fixture_json("pool_info_main.json");
    p2pool_pool_info_t info;
    char err[ERR_BYTES] = "";

    /* What json-c makes of any integer of 2^64 or more. */
    path_set(root, paths[i], json_object_new_uint64(UINT64_MAX));
    int rc = p2pool_parse_pool_info(root, &info, err, sizeof(err));
    if (rc != -ERANGE)
      fail_msg("%s saturated: expected -ERANGE, got %d", paths[i], rc);
    json_object_put(root);
  }
}

static void pool_info_block_time_zero(void **state) {
  (void)state;
  json_object *root = fixture_json("pool_info_main.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";

  /* The pool hashrate divides by the block time. */
  path_set(root, "sidechain.consensus.block_time", json_object_new_int64(0));
  assert_true(p2pool_parse_pool_info(root, &info, err, sizeof(err)) < 0);
  assert_err_names(err, "block_time");
  json_object_put(root);
}

static void pool_info_uncle_penalty_over_100(void **state) {
  (void)state;
  json_object *root = fixture_json("pool_info_main.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";

  /* A penalty over 100 % would give uncles a negative weight. */
  path_set(root, "sidechain.consensus.uncle_penalty",
           json_object_new_int64(101));
  assert_true(p2pool_parse_pool_info(root, &info, err, sizeof(err)) < 0);
  assert_err_names(err, "uncle_penalty");
  json_object_put(root);
}

static void pool_info_long_sidechain_name(void **state) {
  (void)state;
  json_object *root = fixture_json("pool_info_main.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";
  const char *name = "a-private-sidechain-with-a-long-name";

  /* A private sidechain's name is free text, and the figures still count. */
  path_set(root, "sidechain.consensus.name", json_object_new_string(name));
  assert_int_equal(p2pool_parse_pool_info(root, &info, err, sizeof(err)), 0);
  assert_true(strlen(info.sidechain) < sizeof(info.sidechain));
  assert_memory_equal(info.sidechain, name, strlen(info.sidechain));
  json_object_put(root);
}

static void pool_info_wrong_documents(void **state) {
  (void)state;
  json_object *not_found = fixture_json("error_not_found.json");
  json_object *list = fixture_json("empty_list.json");
  p2pool_pool_info_t info;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_parse_pool_info(not_found, &info, err, sizeof(err)),
                   -ENOENT);
  assert_int_equal(p2pool_parse_pool_info(list, &info, err, sizeof(err)),
                   -EINVAL);
  json_object_put(not_found);
  json_object_put(list);
}

static void miner_info_fields(void **state) {
  (void)state;
  json_object *root = fixture_json("miner_info.json");
  p2pool_miner_info_t info;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_parse_miner_info(root, &info, err, sizeof(err)), 0);
  assert_int_equal(info.last_share_height, 9123400);
  assert_int_equal(info.last_share_timestamp, 1700004400);
  json_object_put(root);
}

static void miner_info_no_shares(void **state) {
  (void)state;
  json_object *root = fixture_json("miner_info.json");
  p2pool_miner_info_t info;
  char err[ERR_BYTES] = "";

  /* A miner with no share in the verified chain gets zeros. */
  path_set(root, "last_share_height", json_object_new_int64(0));
  path_set(root, "last_share_timestamp", json_object_new_int64(0));
  assert_int_equal(p2pool_parse_miner_info(root, &info, err, sizeof(err)), 0);
  assert_int_equal(info.last_share_height, 0);
  assert_int_equal(info.last_share_timestamp, 0);
  json_object_put(root);
}

static const field_break_t miner_info_breaks[] = {
    {"last_share_height", BREAK_REMOVE},
    {"last_share_height", BREAK_NULL},
    {"last_share_height", BREAK_STRING},
    {"last_share_height", BREAK_DOUBLE},
    {"last_share_height", BREAK_NEGATIVE},
    {"last_share_timestamp", BREAK_REMOVE},
    {"last_share_timestamp", BREAK_STRING},
    {"last_share_timestamp", BREAK_DOUBLE},
    {"last_share_timestamp", BREAK_NEGATIVE},
};

static void miner_info_broken_fields(void **state) {
  (void)state;
  check_breaks("miner_info.json", decode_miner_info, miner_info_breaks,
               sizeof(miner_info_breaks) / sizeof(miner_info_breaks[0]));
}

static void miner_info_wrong_documents(void **state) {
  (void)state;
  json_object *not_found = fixture_json("error_not_found.json");
  json_object *list = fixture_json("empty_list.json");
  p2pool_miner_info_t info;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_parse_miner_info(not_found, &info, err, sizeof(err)),
                   -ENOENT);
  assert_int_equal(p2pool_parse_miner_info(list, &info, err, sizeof(err)),
                   -EINVAL);
  json_object_put(not_found);
  json_object_put(list);
}

/*
 * window_uncle_and_includer.json, by hand, with an uncle penalty of 20 %:
 *   row 0, a share of 1000000007 that included another miner's uncle of
 *     900000003: bonus 900000003 * 20 / 100 = 180000000 (integer division),
 *     weight 1000000007 + 180000000 = 1180000007;
 *   row 1, this miner's uncle of 1000000009: penalty
 *     1000000009 * 20 / 100 = 200000001, weight 800000008;
 *   row 2, a plain share: 999999999.
 * Sum: 1180000007 + 800000008 + 999999999 = 2980000014.
 */
#define WINDOW_WEIGHT_PENALTY_20 UINT64_C(2980000014)

/*
 * The same rows with a penalty of 10 % (nano):
 *   row 0: 1000000007 + 900000003 * 10 / 100 = 1000000007 + 90000000;
 *   row 1: 1000000009 - 1000000009 * 10 / 100 = 1000000009 - 100000000;
 *   row 2: 999999999.
 * Sum: 1090000007 + 900000009 + 999999999 = 2990000015.
 */
#define WINDOW_WEIGHT_PENALTY_10 UINT64_C(2990000015)

static void window_uncle_and_includer(void **state) {
  (void)state;
  json_object *root = fixture_json("window_uncle_and_includer.json");
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   0);
  assert_int_equal(summary.shares, 2);
  assert_int_equal(summary.uncles, 1);
  assert_true(summary.weight == WINDOW_WEIGHT_PENALTY_20);
  assert_int_equal(summary.newest_height, 5000300);
  assert_int_equal(summary.newest_timestamp, 1700003000);

  assert_int_equal(p2pool_parse_window(root, 10, &summary, err, sizeof(err)),
                   0);
  assert_true(summary.weight == WINDOW_WEIGHT_PENALTY_10);
  json_object_put(root);
}

static void window_own_uncle(void **state) {
  (void)state;
  json_object *root = fixture_json("window_own_uncle.json");
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  /* The miner's share of 2000000000 included the miner's own uncle of
   * 1000000050: the penalty of 200000010 leaves the uncle and returns as the
   * includer's bonus, so the weight is the sum of both difficulties. */
  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   0);
  assert_int_equal(summary.shares, 1);
  assert_int_equal(summary.uncles, 1);
  assert_true(summary.weight == UINT64_C(3000000050));
  assert_int_equal(summary.newest_height, 6000010);
  assert_int_equal(summary.newest_timestamp, 1700010000);
  json_object_put(root);
}

static void window_row_order_ignored(void **state) {
  (void)state;
  json_object *rows = fixture_json("window_uncle_and_includer.json");
  json_object *reversed = json_object_new_array();
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  for (size_t i = json_object_array_length(rows); i-- > 0;)
    json_object_array_add(reversed,
                          json_object_get(json_object_array_get_idx(rows, i)));

  assert_int_equal(
      p2pool_parse_window(reversed, 20, &summary, err, sizeof(err)), 0);
  assert_true(summary.weight == WINDOW_WEIGHT_PENALTY_20);
  assert_int_equal(summary.newest_height, 5000300);
  assert_int_equal(summary.newest_timestamp, 1700003000);
  json_object_put(reversed);
  json_object_put(rows);
}

static void window_duplicate_row_once(void **state) {
  (void)state;
  json_object *root = fixture_json("window_uncle_and_includer.json");
  json_object *copy = NULL;
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  /* The observer can list one share twice, under two main_ids. */
  assert_int_equal(
      json_object_deep_copy(json_object_array_get_idx(root, 2), &copy, NULL),
      0);
  json_object_object_add(
      copy, "main_id",
      json_object_new_string(
          "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"));
  json_object_array_add(root, copy);

  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   0);
  assert_int_equal(summary.shares, 2);
  assert_int_equal(summary.uncles, 1);
  assert_true(summary.weight == WINDOW_WEIGHT_PENALTY_20);
  json_object_put(root);
}

static void window_empty_list(void **state) {
  (void)state;
  json_object *root = fixture_json("empty_list.json");
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  memset(&summary, 0xff, sizeof(summary));
  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   0);
  assert_int_equal(summary.shares, 0);
  assert_int_equal(summary.uncles, 0);
  assert_int_equal(summary.weight, 0);
  assert_int_equal(summary.newest_height, 0);
  assert_int_equal(summary.newest_timestamp, 0);
  json_object_put(root);
}

static void window_uncle_of_null_is_share(void **state) {
  (void)state;
  json_object *root = fixture_json("window_uncle_and_includer.json");
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  /* Row 1 loses its uncle_of (null reads as absent) and its penalty. */
  json_object_object_add(json_object_array_get_idx(root, 1), "uncle_of", NULL);
  json_object_object_add(json_object_array_get_idx(root, 0), "uncles",
                         json_object_new_array());
  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   0);
  assert_int_equal(summary.shares, 3);
  assert_int_equal(summary.uncles, 0);
  assert_true(summary.weight == UINT64_C(1000000007) + UINT64_C(1000000009) +
                                    UINT64_C(999999999));
  json_object_put(root);
}

static const field_break_t window_breaks[] = {
    {"0.difficulty", BREAK_REMOVE},   {"2.difficulty", BREAK_REMOVE},
    {"2.difficulty", BREAK_STRING},   {"1.difficulty", BREAK_DOUBLE},
    {"2.difficulty", BREAK_NEGATIVE}, {"1.side_height", BREAK_REMOVE},
    {"1.side_height", BREAK_STRING},  {"0.timestamp", BREAK_REMOVE},
    {"0.timestamp", BREAK_DOUBLE},    {"1.uncle_of", BREAK_INTEGER},
    {"0.uncles", BREAK_INTEGER},
};

/* Breaks a field of one row of a list fixture. The path's first part is the
 * row index. */
static json_object *row_broken(const char *fixture, const char *path,
                               break_kind_t kind) {
  json_object *root = fixture_json(fixture);
  char *end = NULL;
  long index = strtol(path, &end, 10);
  json_object *row = json_object_array_get_idx(root, (size_t)index);
  const char *key = end + 1;

  if (kind == BREAK_REMOVE)
    json_object_object_del(row, key);
  else
    json_object_object_add(row, key, break_value(kind));
  return root;
}

static void window_broken_fields(void **state) {
  (void)state;
  size_t breaks_num = sizeof(window_breaks) / sizeof(window_breaks[0]);
  int failures = 0;

  for (size_t i = 0; i < breaks_num; i++) {
    json_object *root =
        row_broken("window_uncle_and_includer.json", window_breaks[i].path,
                   window_breaks[i].kind);
    p2pool_window_summary_t summary;
    char err[ERR_BYTES] = "";
    int rc = p2pool_parse_window(root, 20, &summary, err, sizeof(err));

    failures += check_break_result("window row", window_breaks[i].path,
                                   window_breaks[i].kind, rc, err);
    json_object_put(root);
  }
  if (failures > 0)
    fail_msg("%d of %zu broken fields were not reported as expected", failures,
             breaks_num);
}

static void window_broken_uncle_entry(void **state) {
  (void)state;
  char err[ERR_BYTES] = "";
  p2pool_window_summary_t summary;

  /* An entry of "uncles" without its difficulty. */
  json_object *root = fixture_json("window_uncle_and_includer.json");
  json_object *uncles = NULL;
  json_object_object_get_ex(json_object_array_get_idx(root, 0), "uncles",
                            &uncles);
  json_object_object_del(json_object_array_get_idx(uncles, 0), "difficulty");
  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   -ENOENT);
  assert_err_names(err, "difficulty");
  json_object_put(root);

  /* An entry of "uncles" that is not an object. */
  root = fixture_json("window_uncle_and_includer.json");
  json_object_object_get_ex(json_object_array_get_idx(root, 0), "uncles",
                            &uncles);
  json_object_array_put_idx(uncles, 0, json_object_new_string("uncle"));
  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   -EINVAL);
  json_object_put(root);

  /* An uncle's difficulty that is a double. */
  root = fixture_json("window_uncle_and_includer.json");
  json_object_object_get_ex(json_object_array_get_idx(root, 0), "uncles",
                            &uncles);
  json_object_object_add(json_object_array_get_idx(uncles, 0), "difficulty",
                         json_object_new_double(900000003.5));
  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   -EINVAL);
  json_object_put(root);
}

static void window_wrong_documents(void **state) {
  (void)state;
  json_object *not_found = fixture_json("error_not_found.json");
  json_object *rows = json_object_new_array();
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  assert_int_equal(
      p2pool_parse_window(not_found, 20, &summary, err, sizeof(err)), -EINVAL);

  json_object_array_add(rows, json_object_new_int64(5));
  assert_int_equal(p2pool_parse_window(rows, 20, &summary, err, sizeof(err)),
                   -EINVAL);
  json_object_put(not_found);
  json_object_put(rows);
}

static void window_weight_overflow(void **state) {
  (void)state;
  json_object *root = fixture_json("window_uncle_and_includer.json");
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  /* Two shares of 10^19 sum past 2^64 - 1. */
  json_object_object_add(
      json_object_array_get_idx(root, 0), "difficulty",
      json_object_new_uint64(UINT64_C(10000000000000000000)));
  json_object_object_add(
      json_object_array_get_idx(root, 2), "difficulty",
      json_object_new_uint64(UINT64_C(10000000000000000000)));
  int rc = p2pool_parse_window(root, 20, &summary, err, sizeof(err));
  json_object_put(root);
  if (rc >= 0)
    fail_msg("a weight past 2^64 - 1 was accepted as %ju",
             (uintmax_t)summary.weight);
}

/* Builds a list of n references to one row object. */
static json_object *list_repeating(json_object *row, size_t n) {
  json_object *list = json_object_new_array_ext((int)n);
  for (size_t i = 0; i < n; i++)
    json_object_array_add(list, json_object_get(row));
  return list;
}

static void window_too_many_rows(void **state) {
  (void)state;
  json_object *rows = fixture_json("window_uncle_and_includer.json");
  json_object *list = list_repeating(json_object_array_get_idx(rows, 2),
                                     P2POOL_WINDOW_SHARES_MAX + 1);
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  int rc = p2pool_parse_window(list, 20, &summary, err, sizeof(err));
  json_object_put(list);
  json_object_put(rows);
  assert_true(rc < 0);
}

static void window_full_list_accepted(void **state) {
  (void)state;
  json_object *list = json_object_new_array();
  p2pool_window_summary_t summary;
  char err[ERR_BYTES] = "";

  /* The largest window: P2POOL_WINDOW_SHARES_MAX shares of difficulty 1000
   * at distinct heights. */
  for (size_t i = 0; i < P2POOL_WINDOW_SHARES_MAX; i++) {
    json_object *row = json_object_new_object();
    json_object_object_add(row, "side_height",
                           json_object_new_uint64(5000000 + i));
    json_object_object_add(row, "timestamp",
                           json_object_new_uint64(1700000000 + i));
    json_object_object_add(row, "difficulty", json_object_new_uint64(1000));
    json_object_array_add(list, row);
  }

  int rc = p2pool_parse_window(list, 20, &summary, err, sizeof(err));
  json_object_put(list);
  if (rc != 0)
    fail_msg("full window rejected: %d (%s)", rc, err);
  assert_int_equal(summary.shares, P2POOL_WINDOW_SHARES_MAX);
  assert_int_equal(summary.uncles, 0);
  assert_int_equal(summary.weight, (uint64_t)P2POOL_WINDOW_SHARES_MAX * 1000);
  assert_int_equal(summary.newest_height,
                   5000000 + P2POOL_WINDOW_SHARES_MAX - 1);
}

static void payouts_fixture_rows(void **state) {
  (void)state;
  json_object *root = fixture_json("payouts.json");
  p2pool_payout_t *payouts = NULL;
  size_t payouts_num = 0;
  char err[ERR_BYTES] = "";

  assert_int_equal(
      p2pool_parse_payouts(root, &payouts, &payouts_num, err, sizeof(err)), 0);
  assert_int_equal(payouts_num, 3);
  assert_non_null(payouts);

  assert_string_equal(
      payouts[0].main_id,
      "e1ecf95ca85e986167af065e932dce2294a83d1c733cee1b5e6c61571a5c28d0");
  assert_int_equal(payouts[0].main_height, 3300120);
  assert_int_equal(payouts[0].timestamp, 1700004000);
  assert_int_equal(payouts[0].amount, UINT64_C(3000000003));

  assert_string_equal(
      payouts[1].main_id,
      "ef79f826f9977b5102566f29b51a4b797f1958d8ef831d37ea5844b097454ab6");
  assert_int_equal(payouts[1].main_height, 3300080);
  assert_int_equal(payouts[1].timestamp, 1700000000);
  assert_int_equal(payouts[1].amount, UINT64_C(2500000002));

  assert_string_equal(
      payouts[2].main_id,
      "52ca5b1b93999565ee0efd84964c4a98660d954e111aed18382ecfea589c0c39");
  assert_int_equal(payouts[2].main_height, 3300010);
  assert_int_equal(payouts[2].timestamp, 1699990000);
  assert_int_equal(payouts[2].amount, UINT64_C(1234567891));

  free(payouts);
  json_object_put(root);
}

static void payouts_empty_list(void **state) {
  (void)state;
  json_object *root = fixture_json("empty_list.json");
  p2pool_payout_t *payouts = NULL;
  size_t payouts_num = 99;
  char err[ERR_BYTES] = "";

  assert_int_equal(
      p2pool_parse_payouts(root, &payouts, &payouts_num, err, sizeof(err)), 0);
  assert_int_equal(payouts_num, 0);
  free(payouts);
  json_object_put(root);
}

static const field_break_t payout_breaks[] = {
    {"1.main_id", BREAK_REMOVE},         {"1.main_id", BREAK_INTEGER},
    {"0.main_height", BREAK_REMOVE},     {"2.main_height", BREAK_STRING},
    {"1.timestamp", BREAK_REMOVE},       {"1.timestamp", BREAK_DOUBLE},
    {"0.coinbase_reward", BREAK_REMOVE}, {"2.coinbase_reward", BREAK_NULL},
    {"1.coinbase_reward", BREAK_DOUBLE}, {"1.coinbase_reward", BREAK_NEGATIVE},
    {"1.coinbase_reward", BREAK_STRING},
};

static void payouts_broken_fields(void **state) {
  (void)state;
  size_t breaks_num = sizeof(payout_breaks) / sizeof(payout_breaks[0]);
  int failures = 0;

  for (size_t i = 0; i < breaks_num; i++) {
    json_object *root = row_broken("payouts.json", payout_breaks[i].path,
                                   payout_breaks[i].kind);
    char err[ERR_BYTES] = "";
    int rc = decode_payouts(root, err, sizeof(err));

    failures += check_break_result("payout row", payout_breaks[i].path,
                                   payout_breaks[i].kind, rc, err);
    json_object_put(root);
  }
  if (failures > 0)
    fail_msg("%d of %zu broken fields were not reported as expected", failures,
             breaks_num);
}

static void payouts_invalid_main_id(void **state) {
  (void)state;
  const char *bad_ids[] = {
      "E1ECF95CA85E986167AF065E932DCE2294A83D1C733CEE1B5E6C61571A5C28D0",
      "e1ecf95ca85e986167af065e932dce2294a83d1c733cee1b5e6c61571a5c28d",
      "e1ecf95ca85e986167af065e932dce2294a83d1c733cee1b5e6c61571a5c28d00",
      "not a hash",
      "",
  };

  for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
    json_object *root = fixture_json("payouts.json");
    char err[ERR_BYTES] = "";

    json_object_object_add(json_object_array_get_idx(root, 0), "main_id",
                           json_object_new_string(bad_ids[i]));
    int rc = decode_payouts(root, err, sizeof(err));
    json_object_put(root);
    if (rc != -EINVAL)
      fail_msg("main_id \"%s\": expected -EINVAL, got %d", bad_ids[i], rc);
    assert_err_names(err, "main_id");
  }
}

static void payouts_wrong_documents(void **state) {
  (void)state;
  json_object *not_found = fixture_json("error_not_found.json");
  json_object *rows = json_object_new_array();
  char err[ERR_BYTES] = "";

  assert_int_equal(decode_payouts(not_found, err, sizeof(err)), -EINVAL);
  json_object_array_add(rows, json_object_new_string("payout"));
  assert_int_equal(decode_payouts(rows, err, sizeof(err)), -EINVAL);
  json_object_put(not_found);
  json_object_put(rows);
}

static void payouts_too_many_rows(void **state) {
  (void)state;
  json_object *rows = fixture_json("payouts.json");
  json_object *list = list_repeating(json_object_array_get_idx(rows, 0),
                                     P2POOL_LIST_MAX_ROWS + 1);
  char err[ERR_BYTES] = "";

  assert_true(decode_payouts(list, err, sizeof(err)) < 0);
  json_object_put(list);
  json_object_put(rows);
}

static void payouts_truncated_body(void **state) {
  (void)state;
  size_t len = 0;
  char *body = fixture_read("payouts_truncated.json", &len);
  json_object *root = NULL;
  char err[ERR_BYTES] = "";

  /* A stream that failed after its 200 status: an error, not "no rows". */
  assert_int_equal(p2pool_json_parse(body, len, &root, err, sizeof(err)),
                   -EINVAL);
  assert_null(root);
  assert_false(p2pool_body_is_not_found(body, len));
  free(body);
}

static void html_body_is_not_json(void **state) {
  (void)state;
  size_t len = 0;
  char *body = fixture_read("bot_challenge.html", &len);
  json_object *root = NULL;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_json_parse(body, len, &root, err, sizeof(err)),
                   -EINVAL);
  assert_null(root);
  assert_false(p2pool_body_is_not_found(body, len));
  free(body);
}

static void not_found_body_detected(void **state) {
  (void)state;
  size_t len = 0;
  char *body = fixture_read("error_not_found.json", &len);

  assert_true(p2pool_body_is_not_found(body, len));
  free(body);

  /* A buffer that continues past len. */
  const char longer[] = "{\"error\":\"not_found\"}{\"error\":\"other\"}";
  assert_true(p2pool_body_is_not_found(longer, 21));

  const char newline[] = "{\"error\":\"not_found\"}\n";
  assert_true(p2pool_body_is_not_found(newline, strlen(newline)));
}

static void not_found_body_others(void **state) {
  (void)state;
  const char *bodies[] = {
      "{\"error\":\"miner_not_found\"}",
      "{\"error\":\"bad_request\"}",
      "{\"error\":\"not_fou",
      "{\"error\":\"not_found\"} trailing",
      "[\n\n]",
      "404 page not found\n",
      "{\"status\":\"not_found\"}",
      "",
  };

  for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    if (p2pool_body_is_not_found(bodies[i], strlen(bodies[i])))
      fail_msg("\"%s\" was taken for not_found", bodies[i]);
  }

  size_t len = 0;
  char *route = fixture_read("route_not_found.txt", &len);
  assert_false(p2pool_body_is_not_found(route, len));
  free(route);
  assert_false(p2pool_body_is_not_found(NULL, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pool_info_main_sidechain),
      cmocka_unit_test(pool_info_nano_hex_difficulty),
      cmocka_unit_test(pool_info_effort_absent),
      cmocka_unit_test(pool_info_effort_object_absent),
      cmocka_unit_test(pool_info_broken_fields),
      cmocka_unit_test(pool_info_bad_name_and_effort_kept),
      cmocka_unit_test(pool_info_window_depth_absent),
      cmocka_unit_test(pool_info_saturated_difficulty),
      cmocka_unit_test(pool_info_block_time_zero),
      cmocka_unit_test(pool_info_uncle_penalty_over_100),
      cmocka_unit_test(pool_info_long_sidechain_name),
      cmocka_unit_test(pool_info_wrong_documents),
      cmocka_unit_test(miner_info_fields),
      cmocka_unit_test(miner_info_no_shares),
      cmocka_unit_test(miner_info_broken_fields),
      cmocka_unit_test(miner_info_wrong_documents),
      cmocka_unit_test(window_uncle_and_includer),
      cmocka_unit_test(window_own_uncle),
      cmocka_unit_test(window_row_order_ignored),
      cmocka_unit_test(window_duplicate_row_once),
      cmocka_unit_test(window_empty_list),
      cmocka_unit_test(window_uncle_of_null_is_share),
      cmocka_unit_test(window_broken_fields),
      cmocka_unit_test(window_broken_uncle_entry),
      cmocka_unit_test(window_wrong_documents),
      cmocka_unit_test(window_weight_overflow),
      cmocka_unit_test(window_too_many_rows),
      cmocka_unit_test(window_full_list_accepted),
      cmocka_unit_test(payouts_fixture_rows),
      cmocka_unit_test(payouts_empty_list),
      cmocka_unit_test(payouts_broken_fields),
      cmocka_unit_test(payouts_invalid_main_id),
      cmocka_unit_test(payouts_wrong_documents),
      cmocka_unit_test(payouts_too_many_rows),
      cmocka_unit_test(payouts_truncated_body),
      cmocka_unit_test(html_body_is_not_json),
      cmocka_unit_test(not_found_body_detected),
      cmocka_unit_test(not_found_body_others),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
