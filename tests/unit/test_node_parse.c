/*
 * test_node_parse.c: decoding a P2Pool node's data API files, the quirks of
 * its number formatting, and the figures built from them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "node_parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_FIXTURES FIXTURES_DIR "/node"

/* ---- helpers ----------------------------------------------------------- */

/* cmocka 1.1.5 (Debian 12) compares only floats. */
#define assert_near(actual, expected, tolerance)                               \
  assert_near_at((actual), (expected), (tolerance), __LINE__)

static void assert_near_at(double actual, double expected, double tolerance,
                           int line) {
  if (!(fabs(actual - expected) <= tolerance))
    fail_msg("line %d: %.17g is not within %g of %.17g", line, actual,
             tolerance, expected);
}

static char *read_fixture(const char *relative, size_t *len) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", NODE_FIXTURES, relative);

  FILE *file = fopen(path, "rb");
  assert_non_null(file);
  char *text = calloc(1, P2POOL_NODE_FILE_MAX_BYTES + 1);
  assert_non_null(text);
  *len = fread(text, 1, P2POOL_NODE_FILE_MAX_BYTES, file);
  fclose(file);
  return text;
}

static void parse_text(p2pool_node_file_t file, const char *text,
                       p2pool_node_parsed_t *parsed) {
  char err[256];
  int status =
      p2pool_node_parse(file, text, strlen(text), parsed, err, sizeof(err));
  if (status != 0)
    fail_msg("parse failed: %s", err);
}

static void parse_fixture(p2pool_node_file_t file, const char *relative,
                          p2pool_node_parsed_t *parsed) {
  size_t len = 0;
  char *text = read_fixture(relative, &len);
  char err[256];
  int status = p2pool_node_parse(file, text, len, parsed, err, sizeof(err));
  free(text);
  if (status != 0)
    fail_msg("parse of %s failed: %s", relative, err);
}

static void apply_fixture(p2pool_node_state_t *state, p2pool_node_file_t file,
                          const char *relative) {
  p2pool_node_parsed_t parsed;
  parse_fixture(file, relative, &parsed);
  p2pool_node_state_apply(state, &parsed);
  p2pool_node_parsed_free(&parsed);
}

static const p2pool_node_issue_t *find_issue(const p2pool_node_issues_t *issues,
                                             const char *field) {
  for (size_t i = 0; i < issues->num; i++) {
    if (strcmp(issues->items[i].field, field) == 0)
      return &issues->items[i];
  }
  return NULL;
}

static void assert_set(const p2pool_node_parsed_t *parsed,
                       p2pool_node_figure_t figure, double expected) {
  assert_int_equal(parsed->values[figure].status, P2POOL_NODE_SET);
  assert_near(parsed->values[figure].value, expected, 1e-9);
}

static void assert_status(const p2pool_node_parsed_t *parsed,
                          p2pool_node_figure_t figure,
                          p2pool_node_status_t expected) {
  assert_int_equal(parsed->values[figure].status, expected);
}

static const p2pool_node_sample_t *
find_sample(const p2pool_node_sample_t *samples, size_t num, const char *type,
            const char *type_instance) {
  for (size_t i = 0; i < num; i++) {
    if (strcmp(samples[i].type, type) == 0 &&
        strcmp(samples[i].type_instance, type_instance) == 0)
      return &samples[i];
  }
  return NULL;
}

static char *normalize(const char *text, p2pool_node_issues_t *issues) {
  size_t len = 0;
  memset(issues, 0, sizeof(*issues));
  char *out = p2pool_node_normalize(text, strlen(text), &len, issues);
  assert_non_null(out);
  assert_int_equal(len, strlen(out));
  return out;
}

/* ---- normaliser -------------------------------------------------------- */

static void normalize_trailing_dot(void **state) {
  (void)state;
  p2pool_node_issues_t issues;
  char *out = normalize("{\"a\":12345678901234.,\"b\":1.5,\"c\":7}", &issues);
  assert_string_equal(out, "{\"a\":12345678901234.0,\"b\":1.5,\"c\":7}");
  assert_int_equal(issues.num, 0);
  free(out);
}

static void normalize_non_finite(void **state) {
  (void)state;
  p2pool_node_issues_t issues;
  char *out = normalize("{\"a\":inf,\"b\":-nan,\"c\":-nan(ind),\"d\":-INF,"
                        "\"e\":NaN,\"f\":Infinity,\"g\":1}",
                        &issues);
  assert_string_equal(out, "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,"
                           "\"e\":null,\"f\":null,\"g\":1}");
  assert_int_equal(issues.num, 6);
  assert_non_null(find_issue(&issues, "a"));
  assert_non_null(strstr(find_issue(&issues, "a")->detail, "(inf)"));
  assert_non_null(strstr(find_issue(&issues, "c")->detail, "(-nan(ind))"));
  assert_null(find_issue(&issues, "g"));
  free(out);
}

static void normalize_big_integer(void **state) {
  (void)state;
  p2pool_node_issues_t issues;
  char *out = normalize("{\"a\":1234567890123456789012,\"b\":"
                        "1234567890123456789,\"c\":-98765432109876543210}",
                        &issues);
  assert_string_equal(out, "{\"a\":\"1234567890123456789012\",\"b\":"
                           "1234567890123456789,\"c\":"
                           "\"-98765432109876543210\"}");
  assert_int_equal(issues.num, 0);
  free(out);
}

static void normalize_leaves_strings(void **state) {
  (void)state;
  p2pool_node_issues_t issues;
  const char *text = "{\"w\":[\"1.2.3.4:5,inf,nan,1.,name\","
                     "\"quote \\\" inf\"],\"k\":true,\"n\":null}";
  char *out = normalize(text, &issues);
  assert_string_equal(out, text);
  assert_int_equal(issues.num, 0);
  free(out);
}

static void normalize_nested_key(void **state) {
  (void)state;
  p2pool_node_issues_t issues;
  char *out = normalize("{\"pool_statistics\":{\"hashRate\":nan}}", &issues);
  assert_string_equal(out, "{\"pool_statistics\":{\"hashRate\":null}}");
  assert_non_null(find_issue(&issues, "hashRate"));
  free(out);
}

/* ---- local/stratum ----------------------------------------------------- */

static void stratum_current_layout(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_fixture(P2POOL_NODE_FILE_LOCAL_STRATUM, "current/local/stratum",
                &parsed);

  assert_set(&parsed, P2POOL_NODE_STRATUM_HASHRATE_15M, 61234);
  assert_set(&parsed, P2POOL_NODE_STRATUM_HASHRATE_1H, 59876);
  assert_set(&parsed, P2POOL_NODE_STRATUM_HASHRATE_24H, 60412);
  assert_set(&parsed, P2POOL_NODE_STRATUM_HASHES, 5218765432.0);
  assert_int_equal(parsed.values[P2POOL_NODE_STRATUM_HASHES].exact.lo,
                   5218765432ULL);
  assert_set(&parsed, P2POOL_NODE_STRATUM_SHARES, 18233);
  assert_set(&parsed, P2POOL_NODE_LAST_SHARE_FOUND_TIME, 1781203311.0);
  assert_set(&parsed, P2POOL_NODE_SHARES_FOUND, 42);
  assert_set(&parsed, P2POOL_NODE_SHARES_FAILED, 1);
  assert_set(&parsed, P2POOL_NODE_SHARE_EFFORT_AVERAGE, 103.257);
  assert_set(&parsed, P2POOL_NODE_SHARE_EFFORT_CURRENT, 27.604);
  assert_set(&parsed, P2POOL_NODE_STRATUM_CONNECTIONS, 4);
  assert_set(&parsed, P2POOL_NODE_STRATUM_INCOMING, 4);
  assert_set(&parsed, P2POOL_NODE_REWARD_SHARE, 0.418);
  assert_set(&parsed, P2POOL_NODE_WORKERS, 4);
  assert_int_equal(parsed.issues.num, 0);

  /* rig-a has two connections; names sort by hashrate, highest first */
  assert_int_equal(parsed.workers_status, P2POOL_NODE_SET);
  assert_int_equal(parsed.workers_num, 3);
  assert_string_equal(parsed.workers[0].name, "rig-a");
  assert_near(parsed.workers[0].hashrate, 20480 + 20736, 1e-9);
  assert_int_equal(parsed.workers[0].connections, 2);
  assert_string_equal(parsed.workers[1].name, "rig-b");
  assert_near(parsed.workers[1].hashrate, 19968, 1e-9);
  assert_string_equal(parsed.workers[2].name, "not logged in");
  assert_near(parsed.workers[2].hashrate, 0, 1e-9);

  /* other files' figures stay untouched */
  assert_status(&parsed, P2POOL_NODE_POOL_HASHRATE, P2POOL_NODE_ABSENT);
  p2pool_node_parsed_free(&parsed);
}

static void stratum_v3_0_stats_layout(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_fixture(P2POOL_NODE_FILE_LOCAL_STRATUM, "v3_0/local/stats", &parsed);

  assert_set(&parsed, P2POOL_NODE_STRATUM_HASHRATE_15M, 48000);
  assert_set(&parsed, P2POOL_NODE_STRATUM_HASHES, 3901234567.0);
  assert_set(&parsed, P2POOL_NODE_SHARES_FOUND, 12);
  assert_set(&parsed, P2POOL_NODE_SHARES_FAILED, 0);
  assert_set(&parsed, P2POOL_NODE_SHARE_EFFORT_AVERAGE, 88.125);
  assert_set(&parsed, P2POOL_NODE_SHARE_EFFORT_CURRENT, 64.5);
  assert_set(&parsed, P2POOL_NODE_STRATUM_CONNECTIONS, 2);

  /* added in later versions, so absent without complaint */
  assert_status(&parsed, P2POOL_NODE_STRATUM_SHARES, P2POOL_NODE_ABSENT);
  assert_status(&parsed, P2POOL_NODE_LAST_SHARE_FOUND_TIME, P2POOL_NODE_ABSENT);
  assert_status(&parsed, P2POOL_NODE_REWARD_SHARE, P2POOL_NODE_ABSENT);
  assert_status(&parsed, P2POOL_NODE_WORKERS, P2POOL_NODE_ABSENT);
  assert_int_equal(parsed.workers_status, P2POOL_NODE_ABSENT);
  assert_int_equal(parsed.workers_num, 0);
  assert_int_equal(parsed.issues.num, 0);
  p2pool_node_parsed_free(&parsed);
}

static void stratum_trailing_dot_accepted(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":1,\"hashrate_1h\":1,\"hashrate_24h\":1,"
             "\"total_hashes\":1,\"shares_found\":0,\"shares_failed\":0,"
             "\"average_effort\":12345678901.23,"
             "\"current_effort\":12345678901234.,\"connections\":0,"
             "\"incoming_connections\":0}",
             &parsed);
  assert_set(&parsed, P2POOL_NODE_SHARE_EFFORT_CURRENT, 12345678901234.0);
  assert_set(&parsed, P2POOL_NODE_SHARE_EFFORT_AVERAGE, 12345678901.23);
  assert_int_equal(parsed.issues.num, 0);
  p2pool_node_parsed_free(&parsed);
}

static void stratum_cut_double_rejected(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  /* "%.3f" of 1234567890123456.0 in a 16-byte buffer: 15 digits, no dot */
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":1,\"hashrate_1h\":1,\"hashrate_24h\":1,"
             "\"total_hashes\":1,\"shares_found\":0,\"average_effort\":97,"
             "\"current_effort\":123456789012345,\"connections\":0,"
             "\"incoming_connections\":0}",
             &parsed);
  assert_status(&parsed, P2POOL_NODE_SHARE_EFFORT_CURRENT,
                P2POOL_NODE_REJECTED);
  const p2pool_node_issue_t *issue =
      find_issue(&parsed.issues, "current_effort");
  assert_non_null(issue);
  assert_non_null(strstr(issue->detail, "v4.17"));
  /* a small integer in a double field is fine */
  assert_set(&parsed, P2POOL_NODE_SHARE_EFFORT_AVERAGE, 97);
  p2pool_node_parsed_free(&parsed);
}

static void stratum_non_finite_rejected(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":500,\"hashrate_1h\":400,\"hashrate_24h\":300,"
             "\"total_hashes\":99,\"shares_found\":0,\"shares_failed\":0,"
             "\"average_effort\":-nan,\"current_effort\":inf,"
             "\"connections\":1,\"incoming_connections\":1,"
             "\"block_reward_share_percent\":nan,\"workers\":[]}",
             &parsed);

  assert_status(&parsed, P2POOL_NODE_SHARE_EFFORT_AVERAGE,
                P2POOL_NODE_REJECTED);
  assert_status(&parsed, P2POOL_NODE_SHARE_EFFORT_CURRENT,
                P2POOL_NODE_REJECTED);
  /* optional, but present and bad: kept, not forgotten */
  assert_status(&parsed, P2POOL_NODE_REWARD_SHARE, P2POOL_NODE_REJECTED);
  assert_non_null(strstr(find_issue(&parsed.issues, "current_effort")->detail,
                         "not a finite number (inf)"));
  assert_non_null(
      strstr(find_issue(&parsed.issues, "average_effort")->detail, "(-nan)"));
  assert_non_null(find_issue(&parsed.issues, "block_reward_share_percent"));
  assert_int_equal(parsed.issues.num, 3);

  /* the rest of the file is read */
  assert_set(&parsed, P2POOL_NODE_STRATUM_HASHRATE_15M, 500);
  assert_set(&parsed, P2POOL_NODE_STRATUM_CONNECTIONS, 1);
  assert_set(&parsed, P2POOL_NODE_WORKERS, 0);
  assert_int_equal(parsed.workers_status, P2POOL_NODE_SET);
  p2pool_node_parsed_free(&parsed);
}

static void stratum_wrong_types(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":\"fast\",\"hashrate_1h\":-5,"
             "\"hashrate_24h\":1.5,\"total_hashes\":true,\"shares_found\":3,"
             "\"average_effort\":\"97.0\",\"current_effort\":-1.000,"
             "\"connections\":[],\"incoming_connections\":{},"
             "\"workers\":{\"a\":1}}",
             &parsed);

  p2pool_node_figure_t rejected[] = {P2POOL_NODE_STRATUM_HASHRATE_15M,
                                     P2POOL_NODE_STRATUM_HASHRATE_1H,
                                     P2POOL_NODE_STRATUM_HASHRATE_24H,
                                     P2POOL_NODE_STRATUM_HASHES,
                                     P2POOL_NODE_SHARE_EFFORT_AVERAGE,
                                     P2POOL_NODE_SHARE_EFFORT_CURRENT,
                                     P2POOL_NODE_STRATUM_CONNECTIONS,
                                     P2POOL_NODE_STRATUM_INCOMING,
                                     P2POOL_NODE_WORKERS};
  for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++)
    assert_status(&parsed, rejected[i], P2POOL_NODE_REJECTED);
  assert_int_equal(parsed.workers_status, P2POOL_NODE_REJECTED);
  assert_set(&parsed, P2POOL_NODE_SHARES_FOUND, 3);

  assert_non_null(strstr(find_issue(&parsed.issues, "hashrate_15m")->detail,
                         "is a string"));
  assert_non_null(strstr(find_issue(&parsed.issues, "hashrate_24h")->detail,
                         "is a double"));
  assert_non_null(
      strstr(find_issue(&parsed.issues, "current_effort")->detail, "negative"));
  /* eight issues fit; the ninth (workers) is only counted */
  assert_int_equal(parsed.issues.num, P2POOL_NODE_ISSUES_MAX);
  assert_int_equal(parsed.issues.dropped, 1);
  p2pool_node_parsed_free(&parsed);
}

static void stratum_missing_required_field(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":1,\"hashrate_24h\":1,\"total_hashes\":1,"
             "\"shares_found\":0,\"average_effort\":0.000,"
             "\"current_effort\":0.000,\"connections\":0,"
             "\"incoming_connections\":0}",
             &parsed);
  assert_status(&parsed, P2POOL_NODE_STRATUM_HASHRATE_1H, P2POOL_NODE_REJECTED);
  assert_non_null(
      strstr(find_issue(&parsed.issues, "hashrate_1h")->detail, "is missing"));
  assert_int_equal(parsed.issues.num, 1);
  p2pool_node_parsed_free(&parsed);
}

static void stratum_22_digit_total_hashes(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":1,\"hashrate_1h\":1,\"hashrate_24h\":1,"
             "\"total_hashes\":1234567890123456789012,\"shares_found\":0,"
             "\"average_effort\":0.000,\"current_effort\":0.000,"
             "\"connections\":0,\"incoming_connections\":0}",
             &parsed);
  assert_status(&parsed, P2POOL_NODE_STRATUM_HASHES, P2POOL_NODE_REJECTED);
  assert_non_null(strstr(find_issue(&parsed.issues, "total_hashes")->detail,
                         "out of range"));
  p2pool_node_parsed_free(&parsed);
}

static void stratum_counter_beyond_int64(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  /* fits uint64 but not collectd's signed DERIVE */
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":1,\"hashrate_1h\":1,\"hashrate_24h\":1,"
             "\"total_hashes\":9223372036854775808,\"shares_found\":0,"
             "\"average_effort\":0.000,\"current_effort\":0.000,"
             "\"connections\":0,\"incoming_connections\":0}",
             &parsed);
  assert_status(&parsed, P2POOL_NODE_STRATUM_HASHES, P2POOL_NODE_REJECTED);
  assert_non_null(find_issue(&parsed.issues, "total_hashes"));
  p2pool_node_parsed_free(&parsed);
}

static void stratum_worker_entries(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":1,\"hashrate_1h\":1,\"hashrate_24h\":1,"
             "\"total_hashes\":1,\"shares_found\":0,\"average_effort\":0.0,"
             "\"current_effort\":0.0,\"connections\":5,"
             "\"incoming_connections\":5,\"workers\":["
             "\"[::ffff:192.0.2.1]:3333,10,1000,700,\","
             "\"198.51.100.2:1,5,1000,300,a,b\","
             "\"192.0.2.9:2,x,1000,1,bad\","
             "42,"
             "\"[fe80::1]:4444,1,18446744073709551616000,250,rig\\u0001x\"]}",
             &parsed);

  /* four strings are workers; the number is not */
  assert_set(&parsed, P2POOL_NODE_WORKERS, 4);
  assert_int_equal(parsed.workers_num, 3);
  assert_string_equal(parsed.workers[0].name, P2POOL_NODE_UNNAMED_WORKER);
  assert_near(parsed.workers[0].hashrate, 700, 1e-9);
  assert_string_equal(parsed.workers[1].name, "a,b");
  assert_string_equal(parsed.workers[2].name, "rig_x");
  assert_near(parsed.workers[2].hashrate, 250, 1e-9);

  /* one issue per field: the first bad entry is named */
  const p2pool_node_issue_t *issue = find_issue(&parsed.issues, "workers");
  assert_non_null(issue);
  assert_non_null(strstr(issue->detail, "entry 2"));
  p2pool_node_parsed_free(&parsed);
}

static void stratum_workers_same_label(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  /* both names become "rig_x" as a type instance, so they are summed */
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":1,\"hashrate_1h\":1,\"hashrate_24h\":1,"
             "\"total_hashes\":1,\"shares_found\":0,\"average_effort\":0.0,"
             "\"current_effort\":0.0,\"connections\":2,"
             "\"incoming_connections\":2,\"workers\":["
             "\"192.0.2.1:1,1,1000,100,rig\\u0001x\","
             "\"192.0.2.2:2,1,1000,50,rig\\u0002x\"]}",
             &parsed);
  assert_int_equal(parsed.workers_num, 1);
  assert_string_equal(parsed.workers[0].name, "rig_x");
  assert_near(parsed.workers[0].hashrate, 150, 0);
  assert_int_equal(parsed.workers[0].connections, 2);
  p2pool_node_parsed_free(&parsed);
}

static void stratum_workers_beyond_max(void **state) {
  (void)state;
  size_t names = P2POOL_NODE_WORKERS_MAX + 4;
  size_t size = 512 + names * 64;
  char *text = malloc(size);
  assert_non_null(text);

  size_t len = (size_t)snprintf(
      text, size,
      "{\"hashrate_15m\":1,\"hashrate_1h\":1,\"hashrate_24h\":1,"
      "\"total_hashes\":1,\"shares_found\":0,\"average_effort\":0.0,"
      "\"current_effort\":0.0,\"connections\":1,"
      "\"incoming_connections\":1,\"workers\":[");
  for (size_t i = 0; i < names; i++)
    len += (size_t)snprintf(text + len, size - len,
                            "%s\"10.0.0.1:%zu,60,1000,%zu,w%05zu\"",
                            i > 0 ? "," : "", i, i, i);
  snprintf(text + len, size - len, "]}");

  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM, text, &parsed);
  free(text);

  /* the highest hashrates are kept, whatever their names */
  assert_true(parsed.workers_truncated);
  assert_int_equal(parsed.workers_num, P2POOL_NODE_WORKERS_MAX);
  assert_near(parsed.workers[0].hashrate, (double)(names - 1), 0);
  assert_near(parsed.workers[P2POOL_NODE_WORKERS_MAX - 1].hashrate, 4, 0);
  assert_near(parsed.values[P2POOL_NODE_WORKERS].value, (double)names, 0);

  p2pool_node_state_t node = {0};
  p2pool_node_state_apply(&node, &parsed);
  p2pool_node_parsed_free(&parsed);

  p2pool_node_sample_t samples[P2POOL_NODE_SAMPLES_MAX + 8];
  bool capped = false;
  p2pool_node_collect(&node, 0.0, 8, samples, P2POOL_NODE_SAMPLES_MAX + 8,
                      &capped);
  assert_true(capped);
  p2pool_node_state_free(&node);
}

static void stratum_not_an_object(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  char err[256];
  const char *text = "[1,2,3]";
  assert_int_equal(p2pool_node_parse(P2POOL_NODE_FILE_LOCAL_STRATUM, text,
                                     strlen(text), &parsed, err, sizeof(err)),
                   -EINVAL);
  assert_non_null(strstr(err, "expected an object"));
  p2pool_node_parsed_free(&parsed);
}

static void stratum_cut_document(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  char err[256] = "";
  const char *text = "{\"hashrate_15m\":1,\"hashrate_1h\":";
  assert_int_equal(p2pool_node_parse(P2POOL_NODE_FILE_LOCAL_STRATUM, text,
                                     strlen(text), &parsed, err, sizeof(err)),
                   -EINVAL);
  assert_true(strlen(err) > 0);
  p2pool_node_parsed_free(&parsed);
}

/* ---- local/p2p and local/miner ----------------------------------------- */

static void p2p_current_layout(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_fixture(P2POOL_NODE_FILE_LOCAL_P2P, "current/local/p2p", &parsed);
  assert_set(&parsed, P2POOL_NODE_P2P_CONNECTIONS, 9);
  assert_set(&parsed, P2POOL_NODE_P2P_INCOMING, 3);
  assert_set(&parsed, P2POOL_NODE_PEER_LIST_SIZE, 874);
  assert_set(&parsed, P2POOL_NODE_PEERS, 4);
  assert_set(&parsed, P2POOL_NODE_UPTIME, 91234);
  assert_set(&parsed, P2POOL_NODE_ZMQ_IDLE, 2);
  assert_int_equal(parsed.issues.num, 0);
  p2pool_node_parsed_free(&parsed);
}

static void p2p_before_zmq_field(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_P2P,
             "{\"connections\":2,\"incoming_connections\":0,"
             "\"peer_list_size\":10,\"peers\":[\"O,1,2,P2Pool v3.2,5,"
             "192.0.2.1:37889\",\"X,1\"],\"uptime\":30}",
             &parsed);
  assert_status(&parsed, P2POOL_NODE_ZMQ_IDLE, P2POOL_NODE_ABSENT);
  /* a malformed peer is reported but still counted */
  assert_set(&parsed, P2POOL_NODE_PEERS, 2);
  assert_non_null(
      strstr(find_issue(&parsed.issues, "peers")->detail, "entry 1"));
  p2pool_node_parsed_free(&parsed);
}

static void p2p_peers_missing(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_P2P,
             "{\"connections\":2,\"incoming_connections\":0,"
             "\"peer_list_size\":10,\"uptime\":30,\"zmq_last_active\":1}",
             &parsed);
  assert_status(&parsed, P2POOL_NODE_PEERS, P2POOL_NODE_REJECTED);
  assert_non_null(find_issue(&parsed.issues, "peers"));
  p2pool_node_parsed_free(&parsed);
}

static void miner_current_layout(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_fixture(P2POOL_NODE_FILE_LOCAL_MINER, "current/local/miner", &parsed);
  assert_set(&parsed, P2POOL_NODE_MINER_HASHRATE, 3820);
  assert_set(&parsed, P2POOL_NODE_MINER_HASHES, 298765432);
  assert_set(&parsed, P2POOL_NODE_MINER_THREADS, 6);
  assert_int_equal(parsed.issues.num, 0);
  p2pool_node_parsed_free(&parsed);
}

/* ---- pool and network -------------------------------------------------- */

static void pool_stats_current_layout(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_fixture(P2POOL_NODE_FILE_POOL_STATS, "current/pool/stats", &parsed);
  assert_set(&parsed, P2POOL_NODE_POOL_HASHRATE, 17123456);
  assert_set(&parsed, P2POOL_NODE_POOL_MINERS, 1803);
  assert_set(&parsed, P2POOL_NODE_LAST_BLOCK_FOUND_TIME, 1781199000);
  assert_int_equal(parsed.values[P2POOL_NODE_POOL_TOTAL_HASHES].exact.lo,
                   21345678901234567ULL);
  assert_set(&parsed, P2POOL_NODE_BLOCKS_FOUND, 93);
  assert_set(&parsed, P2POOL_NODE_PPLNS_WEIGHT, 341234567890.0);
  assert_set(&parsed, P2POOL_NODE_PPLNS_WINDOW_SIZE, 2160);
  assert_set(&parsed, P2POOL_NODE_SIDECHAIN_DIFFICULTY, 171234560);
  assert_set(&parsed, P2POOL_NODE_SIDECHAIN_HEIGHT, 15123456);
  assert_int_equal(parsed.issues.num, 0);
  p2pool_node_parsed_free(&parsed);
}

static void pool_stats_v3_0_layout(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_fixture(P2POOL_NODE_FILE_POOL_STATS, "v3_0/pool/stats", &parsed);
  assert_set(&parsed, P2POOL_NODE_POOL_HASHRATE, 9123456);
  assert_set(&parsed, P2POOL_NODE_PPLNS_WEIGHT, 123456789012.0);
  assert_status(&parsed, P2POOL_NODE_PPLNS_WINDOW_SIZE, P2POOL_NODE_ABSENT);
  assert_status(&parsed, P2POOL_NODE_SIDECHAIN_DIFFICULTY, P2POOL_NODE_ABSENT);
  assert_status(&parsed, P2POOL_NODE_SIDECHAIN_HEIGHT, P2POOL_NODE_ABSENT);
  assert_int_equal(parsed.issues.num, 0);
  p2pool_node_parsed_free(&parsed);
}

static void pool_stats_128_bit_values(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  /* 2^65 + 7 and 2^64 need the 128-bit decoder */
  parse_text(P2POOL_NODE_FILE_POOL_STATS,
             "{\"pool_list\":[\"pplns\"],\"pool_statistics\":{"
             "\"hashRate\":1,\"miners\":1,"
             "\"totalHashes\":36893488147419103239,"
             "\"lastBlockFoundTime\":0,\"lastBlockFound\":0,"
             "\"totalBlocksFound\":0,\"pplnsWeight\":18446744073709551616,"
             "\"pplnsWindowSize\":10,\"sidechainDifficulty\":12,"
             "\"sidechainHeight\":5}}",
             &parsed);
  const p2pool_node_value_t *total =
      &parsed.values[P2POOL_NODE_POOL_TOTAL_HASHES];
  assert_int_equal(total->status, P2POOL_NODE_SET);
  assert_int_equal(total->exact.hi, 2);
  assert_int_equal(total->exact.lo, 7);
  assert_int_equal(parsed.values[P2POOL_NODE_PPLNS_WEIGHT].exact.hi, 1);
  assert_int_equal(parsed.values[P2POOL_NODE_PPLNS_WEIGHT].exact.lo, 0);
  assert_near(parsed.values[P2POOL_NODE_PPLNS_WEIGHT].value,
              18446744073709551616.0, 1.0);
  assert_int_equal(parsed.issues.num, 0);
  p2pool_node_parsed_free(&parsed);
}

static void pool_stats_without_statistics(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  char err[256];
  const char *text = "{\"pool_list\":[\"pplns\"]}";
  assert_int_equal(p2pool_node_parse(P2POOL_NODE_FILE_POOL_STATS, text,
                                     strlen(text), &parsed, err, sizeof(err)),
                   -EINVAL);
  assert_non_null(strstr(err, "pool_statistics"));
  p2pool_node_parsed_free(&parsed);
}

static void pool_blocks_effort(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_fixture(P2POOL_NODE_FILE_POOL_BLOCKS, "current/pool/blocks", &parsed);

  const p2pool_node_value_t *last =
      &parsed.values[P2POOL_NODE_LAST_BLOCK_TOTAL_HASHES];
  assert_int_equal(last->status, P2POOL_NODE_SET);
  assert_int_equal(last->exact.lo, 21345000000000000ULL);

  /* block 0: 600e9 hashes over difficulty 600e9 = 100 %;
   * block 1: 500e9 over 250e9 = 200 %; block 2 has no predecessor. */
  assert_set(&parsed, P2POOL_NODE_BLOCK_EFFORT_AVERAGE, 150.0);
  assert_int_equal(parsed.issues.num, 0);
  p2pool_node_parsed_free(&parsed);
}

static void pool_blocks_empty(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_POOL_BLOCKS, "[]", &parsed);
  assert_status(&parsed, P2POOL_NODE_LAST_BLOCK_TOTAL_HASHES,
                P2POOL_NODE_ABSENT);
  assert_status(&parsed, P2POOL_NODE_BLOCK_EFFORT_AVERAGE, P2POOL_NODE_ABSENT);
  p2pool_node_parsed_free(&parsed);
}

static void pool_blocks_old_records(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  /* records from before totalHashes was kept carry 0 */
  parse_text(P2POOL_NODE_FILE_POOL_BLOCKS,
             "[{\"height\":3,\"hash\":\"aa\",\"difficulty\":100,"
             "\"totalHashes\":1300,\"ts\":3},"
             "{\"height\":2,\"hash\":\"bb\",\"difficulty\":100,"
             "\"totalHashes\":1200,\"ts\":2},"
             "{\"height\":1,\"hash\":\"cc\",\"difficulty\":100,"
             "\"totalHashes\":0,\"ts\":1}]",
             &parsed);
  assert_int_equal(parsed.values[P2POOL_NODE_LAST_BLOCK_TOTAL_HASHES].exact.lo,
                   1300);
  /* only the pair 1300 - 1200 counts */
  assert_set(&parsed, P2POOL_NODE_BLOCK_EFFORT_AVERAGE, 100.0);
  p2pool_node_parsed_free(&parsed);
}

static void pool_blocks_bad_entry(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_POOL_BLOCKS,
             "[{\"height\":3,\"difficulty\":100,\"totalHashes\":\"x\"},"
             "{\"height\":2,\"difficulty\":100,\"totalHashes\":1200}]",
             &parsed);
  assert_status(&parsed, P2POOL_NODE_LAST_BLOCK_TOTAL_HASHES,
                P2POOL_NODE_REJECTED);
  assert_status(&parsed, P2POOL_NODE_BLOCK_EFFORT_AVERAGE,
                P2POOL_NODE_REJECTED);
  assert_non_null(find_issue(&parsed.issues, "[0].totalHashes"));
  p2pool_node_parsed_free(&parsed);
}

static void network_stats_current_layout(void **state) {
  (void)state;
  p2pool_node_parsed_t parsed;
  parse_fixture(P2POOL_NODE_FILE_NETWORK_STATS, "current/network/stats",
                &parsed);
  assert_set(&parsed, P2POOL_NODE_NETWORK_DIFFICULTY, 700000000000.0);
  assert_set(&parsed, P2POOL_NODE_NETWORK_HEIGHT, 3712400);
  assert_set(&parsed, P2POOL_NODE_NETWORK_REWARD, 600123450000.0);
  assert_int_equal(parsed.issues.num, 0);
  p2pool_node_parsed_free(&parsed);
}

/* ---- effort ------------------------------------------------------------ */

static void round_effort_by_hand(void **state) {
  (void)state;
  double effort = 0.0;
  p2pool_u128_t pool = {0, 21345678901234567ULL};
  p2pool_u128_t last = {0, 21345000000000000ULL};
  p2pool_u128_t difficulty = {0, 700000000000ULL};

  /* 678901234567 hashes since the block, over 700e9 */
  assert_int_equal(p2pool_node_effort(pool, last, difficulty, &effort), 0);
  assert_near(effort, 678901234567.0 * 100.0 / 700000000000.0, 1e-9);
}

static void round_effort_exact_above_2_53(void **state) {
  (void)state;
  double effort = 0.0;
  /* as doubles both totals round to 2^60; subtracted exactly they differ
   * by 2 */
  p2pool_u128_t pool = {0, (1ULL << 60) + 3};
  p2pool_u128_t last = {0, (1ULL << 60) + 1};
  p2pool_u128_t difficulty = {0, 2};
  assert_int_equal(p2pool_node_effort(pool, last, difficulty, &effort), 0);
  assert_near(effort, 100.0, 1e-12);

  /* and across the 64-bit boundary */
  p2pool_u128_t pool_high = {1, 5};
  p2pool_u128_t last_low = {0, UINT64_MAX};
  assert_int_equal(p2pool_node_effort(pool_high, last_low, difficulty, &effort),
                   0);
  assert_near(effort, 300.0, 1e-12);
}

static void round_effort_undefined(void **state) {
  (void)state;
  double effort = -1.0;
  p2pool_u128_t zero = {0, 0};
  p2pool_u128_t ten = {0, 10};
  p2pool_u128_t twenty = {0, 20};

  assert_int_equal(p2pool_node_effort(twenty, zero, ten, &effort), -EINVAL);
  assert_int_equal(p2pool_node_effort(twenty, ten, zero, &effort), -EINVAL);
  assert_int_equal(p2pool_node_effort(ten, twenty, ten, &effort), -EINVAL);
  assert_near(effort, -1.0, 0);
}

/* ---- state and samples ------------------------------------------------- */

static void state_keeps_rejected_value(void **state) {
  (void)state;
  p2pool_node_state_t node = {0};
  apply_fixture(&node, P2POOL_NODE_FILE_LOCAL_STRATUM, "current/local/stratum");

  p2pool_node_parsed_t parsed;
  parse_text(P2POOL_NODE_FILE_LOCAL_STRATUM,
             "{\"hashrate_15m\":7,\"hashrate_1h\":7,\"hashrate_24h\":7,"
             "\"total_hashes\":7,\"shares_found\":7,\"average_effort\":inf,"
             "\"current_effort\":1.5,\"connections\":7,"
             "\"incoming_connections\":7,\"workers\":\"broken\"}",
             &parsed);
  p2pool_node_state_apply(&node, &parsed);
  p2pool_node_parsed_free(&parsed);

  /* rejected: the last good value stays */
  assert_near(node.values[P2POOL_NODE_SHARE_EFFORT_AVERAGE].value, 103.257,
              1e-9);
  assert_int_equal(node.workers_num, 3);
  assert_near(node.values[P2POOL_NODE_WORKERS].value, 4, 0);
  /* new values replace old ones */
  assert_near(node.values[P2POOL_NODE_SHARE_EFFORT_CURRENT].value, 1.5, 1e-9);
  assert_near(node.values[P2POOL_NODE_STRATUM_HASHRATE_15M].value, 7, 0);
  /* absent (an older P2Pool): forgotten */
  assert_int_equal(node.values[P2POOL_NODE_STRATUM_SHARES].status,
                   P2POOL_NODE_ABSENT);
  assert_int_equal(node.values[P2POOL_NODE_REWARD_SHARE].status,
                   P2POOL_NODE_ABSENT);

  p2pool_node_state_free(&node);
}

static void state_files_are_independent(void **state) {
  (void)state;
  p2pool_node_state_t node = {0};
  apply_fixture(&node, P2POOL_NODE_FILE_POOL_STATS, "current/pool/stats");
  apply_fixture(&node, P2POOL_NODE_FILE_LOCAL_MINER, "current/local/miner");
  assert_int_equal(node.values[P2POOL_NODE_POOL_HASHRATE].status,
                   P2POOL_NODE_SET);
  assert_int_equal(node.values[P2POOL_NODE_MINER_HASHRATE].status,
                   P2POOL_NODE_SET);
  p2pool_node_state_free(&node);
}

static void freshness_from_content(void **state) {
  (void)state;
  p2pool_node_state_t node = {0};
  const char *first = "{\"a\":1}";
  const char *second = "{\"a\":2}";

  p2pool_node_state_note_content(&node, P2POOL_NODE_FILE_POOL_STATS, first,
                                 strlen(first), 1000.0);
  p2pool_node_state_note_content(&node, P2POOL_NODE_FILE_POOL_STATS, first,
                                 strlen(first), 1030.0);
  assert_near(node.files[P2POOL_NODE_FILE_POOL_STATS].changed_at, 1000.0, 0);

  p2pool_node_state_note_content(&node, P2POOL_NODE_FILE_POOL_STATS, second,
                                 strlen(second), 1060.0);
  assert_near(node.files[P2POOL_NODE_FILE_POOL_STATS].changed_at, 1060.0, 0);

  p2pool_node_sample_t samples[P2POOL_NODE_SAMPLES_MAX];
  bool capped = true;
  size_t num = p2pool_node_collect(&node, 1100.0, 10, samples,
                                   P2POOL_NODE_SAMPLES_MAX, &capped);
  assert_false(capped);
  assert_int_equal(num, 1);
  assert_string_equal(samples[0].type, "data_age_seconds");
  assert_string_equal(samples[0].type_instance, "pool_stats");
  assert_near(samples[0].gauge, 40.0, 0);

  /* a modification time in the future counts as age 0 */
  p2pool_node_state_note_mtime(&node, P2POOL_NODE_FILE_POOL_STATS, 1200.0);
  num = p2pool_node_collect(&node, 1100.0, 10, samples, P2POOL_NODE_SAMPLES_MAX,
                            &capped);
  assert_near(samples[0].gauge, 0.0, 0);
  p2pool_node_state_free(&node);
}

static void collect_current_node(void **state) {
  (void)state;
  p2pool_node_state_t node = {0};
  apply_fixture(&node, P2POOL_NODE_FILE_LOCAL_STRATUM, "current/local/stratum");
  apply_fixture(&node, P2POOL_NODE_FILE_LOCAL_P2P, "current/local/p2p");
  apply_fixture(&node, P2POOL_NODE_FILE_LOCAL_MINER, "current/local/miner");
  apply_fixture(&node, P2POOL_NODE_FILE_POOL_STATS, "current/pool/stats");
  apply_fixture(&node, P2POOL_NODE_FILE_POOL_BLOCKS, "current/pool/blocks");
  apply_fixture(&node, P2POOL_NODE_FILE_NETWORK_STATS, "current/network/stats");
  p2pool_node_state_note_mtime(&node, P2POOL_NODE_FILE_LOCAL_STRATUM,
                               1781203300.0);

  p2pool_node_sample_t samples[P2POOL_NODE_SAMPLES_MAX + 8];
  bool capped = false;
  double now = 1781203411.0;
  size_t num = p2pool_node_collect(&node, now, 32, samples,
                                   P2POOL_NODE_SAMPLES_MAX + 8, &capped);
  assert_false(capped);

  const p2pool_node_sample_t *sample =
      find_sample(samples, num, "hashrate", "stratum_15m");
  assert_non_null(sample);
  assert_false(sample->derive);
  assert_near(sample->gauge, 61234, 0);

  sample = find_sample(samples, num, "stratum_hashes", "");
  assert_non_null(sample);
  assert_true(sample->derive);
  assert_int_equal(sample->derive_value, 5218765432LL);

  sample = find_sample(samples, num, "sidechain_shares", "found");
  assert_non_null(sample);
  assert_int_equal(sample->derive_value, 42);

  assert_non_null(find_sample(samples, num, "hashrate", "miner"));
  assert_non_null(find_sample(samples, num, "hashrate", "pool"));
  assert_non_null(find_sample(samples, num, "difficulty", "main"));
  assert_non_null(find_sample(samples, num, "difficulty", "side"));
  assert_non_null(find_sample(samples, num, "stratum_workers", ""));
  assert_non_null(find_sample(samples, num, "p2p_peers", ""));

  sample = find_sample(samples, num, "age_seconds", "last_share");
  assert_non_null(sample);
  assert_near(sample->gauge, now - 1781203311.0, 0);
  sample = find_sample(samples, num, "age_seconds", "last_found_block");
  assert_near(sample->gauge, now - 1781199000.0, 0);
  sample = find_sample(samples, num, "age_seconds", "last_zmq_message");
  assert_near(sample->gauge, 2, 0);

  /* (21345678901234567 - 21345000000000000) * 100 / 700e9 */
  sample = find_sample(samples, num, "effort_percent", "current");
  assert_non_null(sample);
  assert_near(sample->gauge, 96.98589065242857, 1e-9);
  sample = find_sample(samples, num, "effort_percent", "average");
  assert_near(sample->gauge, 150.0, 1e-9);

  sample = find_sample(samples, num, "worker_hashrate", "rig-a");
  assert_non_null(sample);
  assert_near(sample->gauge, 41216, 0);
  assert_non_null(
      find_sample(samples, num, "worker_hashrate", "not logged in"));

  sample = find_sample(samples, num, "data_age_seconds", "local_stratum");
  assert_near(sample->gauge, 111.0, 0);
  /* inputs of other figures are not dispatched */
  for (size_t i = 0; i < num; i++)
    assert_non_null(samples[i].type);

  p2pool_node_state_free(&node);
}

static void collect_v3_0_node(void **state) {
  (void)state;
  p2pool_node_state_t node = {0};
  apply_fixture(&node, P2POOL_NODE_FILE_LOCAL_STRATUM, "v3_0/local/stats");
  apply_fixture(&node, P2POOL_NODE_FILE_POOL_STATS, "v3_0/pool/stats");
  apply_fixture(&node, P2POOL_NODE_FILE_POOL_BLOCKS, "v3_0/pool/blocks");
  apply_fixture(&node, P2POOL_NODE_FILE_NETWORK_STATS, "v3_0/network/stats");

  p2pool_node_sample_t samples[P2POOL_NODE_SAMPLES_MAX];
  bool capped = false;
  size_t num = p2pool_node_collect(&node, 1680008600.0, 32, samples,
                                   P2POOL_NODE_SAMPLES_MAX, &capped);

  /* (987654321098765 - 987000000000000) * 100 / 360e9 */
  const p2pool_node_sample_t *sample =
      find_sample(samples, num, "effort_percent", "current");
  assert_non_null(sample);
  assert_near(sample->gauge, 181.75586076805556, 1e-9);
  /* one block: no average */
  assert_null(find_sample(samples, num, "effort_percent", "average"));
  assert_null(find_sample(samples, num, "stratum_workers", ""));
  assert_null(find_sample(samples, num, "window_blocks", ""));
  assert_null(find_sample(samples, num, "age_seconds", "last_share"));
  assert_non_null(find_sample(samples, num, "window_weight", ""));
  assert_non_null(find_sample(samples, num, "sidechain_shares", "failed"));
  p2pool_node_state_free(&node);
}

static void collect_caps_workers(void **state) {
  (void)state;
  p2pool_node_state_t node = {0};
  apply_fixture(&node, P2POOL_NODE_FILE_LOCAL_STRATUM, "current/local/stratum");

  p2pool_node_sample_t samples[P2POOL_NODE_SAMPLES_MAX + 8];
  bool capped = false;
  size_t num = p2pool_node_collect(&node, 0.0, 1, samples,
                                   P2POOL_NODE_SAMPLES_MAX + 8, &capped);
  assert_true(capped);
  size_t workers = 0;
  for (size_t i = 0; i < num; i++) {
    if (strcmp(samples[i].type, "worker_hashrate") == 0)
      workers++;
  }
  assert_int_equal(workers, 1);
  /* the highest hashrate is kept */
  assert_non_null(find_sample(samples, num, "worker_hashrate", "rig-a"));

  num = p2pool_node_collect(&node, 0.0, 0, samples, P2POOL_NODE_SAMPLES_MAX + 8,
                            &capped);
  assert_true(capped);
  assert_null(find_sample(samples, num, "worker_hashrate", "rig-a"));
  p2pool_node_state_free(&node);
}

static void collect_respects_room(void **state) {
  (void)state;
  p2pool_node_state_t node = {0};
  apply_fixture(&node, P2POOL_NODE_FILE_LOCAL_STRATUM, "current/local/stratum");
  p2pool_node_sample_t samples[3];
  bool capped = false;
  assert_int_equal(p2pool_node_collect(&node, 0.0, 32, samples, 3, &capped), 3);
  p2pool_node_state_free(&node);
}

static void file_info_paths(void **state) {
  (void)state;
  const p2pool_node_file_info_t *info =
      p2pool_node_file_info(P2POOL_NODE_FILE_LOCAL_STRATUM);
  assert_string_equal(info->path, "local/stratum");
  assert_string_equal(info->legacy_path, "local/stats");
  assert_null(p2pool_node_file_info(P2POOL_NODE_FILE_POOL_STATS)->legacy_path);
  assert_null(p2pool_node_file_info(P2POOL_NODE_FILES_NUM));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(normalize_trailing_dot),
      cmocka_unit_test(normalize_non_finite),
      cmocka_unit_test(normalize_big_integer),
      cmocka_unit_test(normalize_leaves_strings),
      cmocka_unit_test(normalize_nested_key),
      cmocka_unit_test(stratum_current_layout),
      cmocka_unit_test(stratum_v3_0_stats_layout),
      cmocka_unit_test(stratum_trailing_dot_accepted),
      cmocka_unit_test(stratum_cut_double_rejected),
      cmocka_unit_test(stratum_non_finite_rejected),
      cmocka_unit_test(stratum_wrong_types),
      cmocka_unit_test(stratum_missing_required_field),
      cmocka_unit_test(stratum_22_digit_total_hashes),
      cmocka_unit_test(stratum_counter_beyond_int64),
      cmocka_unit_test(stratum_worker_entries),
      cmocka_unit_test(stratum_workers_same_label),
      cmocka_unit_test(stratum_workers_beyond_max),
      cmocka_unit_test(stratum_not_an_object),
      cmocka_unit_test(stratum_cut_document),
      cmocka_unit_test(p2p_current_layout),
      cmocka_unit_test(p2p_before_zmq_field),
      cmocka_unit_test(p2p_peers_missing),
      cmocka_unit_test(miner_current_layout),
      cmocka_unit_test(pool_stats_current_layout),
      cmocka_unit_test(pool_stats_v3_0_layout),
      cmocka_unit_test(pool_stats_128_bit_values),
      cmocka_unit_test(pool_stats_without_statistics),
      cmocka_unit_test(pool_blocks_effort),
      cmocka_unit_test(pool_blocks_empty),
      cmocka_unit_test(pool_blocks_old_records),
      cmocka_unit_test(pool_blocks_bad_entry),
      cmocka_unit_test(network_stats_current_layout),
      cmocka_unit_test(round_effort_by_hand),
      cmocka_unit_test(round_effort_exact_above_2_53),
      cmocka_unit_test(round_effort_undefined),
      cmocka_unit_test(state_keeps_rejected_value),
      cmocka_unit_test(state_files_are_independent),
      cmocka_unit_test(freshness_from_content),
      cmocka_unit_test(collect_current_node),
      cmocka_unit_test(collect_v3_0_node),
      cmocka_unit_test(collect_caps_workers),
      cmocka_unit_test(collect_respects_room),
      cmocka_unit_test(file_info_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
