/*
 * node_parse.h: decoders for a P2Pool node's data API files (the directory
 * given to p2pool --data-api), and the per-node figures built from them.
 *
 * Each file is decoded into a p2pool_node_parsed_t, which records for every
 * figure whether the file set it, left it out (an older P2Pool), or held a
 * value that had to be rejected. p2pool_node_state_apply merges that into
 * the node's state so that a rejected field keeps its last good value, and
 * p2pool_node_collect turns the state into the samples to dispatch. No
 * collectd: the caller logs the issues a decoder reports.
 */
#ifndef P2POOL_NODE_PARSE_H
#define P2POOL_NODE_PARSE_H

#include "json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Largest data API file read. A node with ten thousand stratum connections
 * writes about 1 MB of local/stratum. */
#define P2POOL_NODE_FILE_MAX_BYTES ((size_t)4 * 1024 * 1024)

/* Maximum distinct worker names kept from one local/stratum file. */
#define P2POOL_NODE_WORKERS_MAX 4096

/* Worker names become type instances, which collectd caps at 127 bytes. */
#define P2POOL_NODE_WORKER_NAME_MAX_BYTES 128

/* Type instance of workers that logged in with an empty name. */
#define P2POOL_NODE_UNNAMED_WORKER "unnamed"

/* Maximum issues kept per decoded file. Further ones are only counted. */
#define P2POOL_NODE_ISSUES_MAX 8
#define P2POOL_NODE_ISSUE_FIELD_MAX_BYTES 48
#define P2POOL_NODE_ISSUE_DETAIL_MAX_BYTES 128

/* Data API files the plugin reads. */
typedef enum {
  P2POOL_NODE_FILE_LOCAL_STRATUM = 0,
  P2POOL_NODE_FILE_LOCAL_P2P,
  P2POOL_NODE_FILE_LOCAL_MINER,
  P2POOL_NODE_FILE_POOL_STATS,
  P2POOL_NODE_FILE_POOL_BLOCKS,
  P2POOL_NODE_FILE_NETWORK_STATS,
  P2POOL_NODE_FILES_NUM
} p2pool_node_file_t;

typedef struct {
  const char *path;        /* relative to the data API directory */
  const char *legacy_path; /* name used by older P2Pool versions, or NULL */
  const char *label;       /* type instance of the file's freshness figure */
} p2pool_node_file_info_t;

/* Describes a file: its paths and label. */
const p2pool_node_file_info_t *p2pool_node_file_info(p2pool_node_file_t file);

/* Figures of a node, by source file. */
typedef enum {
  /* local/stratum (local/stats before P2Pool v3.2) */
  P2POOL_NODE_STRATUM_HASHRATE_15M = 0,
  P2POOL_NODE_STRATUM_HASHRATE_1H,
  P2POOL_NODE_STRATUM_HASHRATE_24H,
  P2POOL_NODE_STRATUM_HASHES,
  P2POOL_NODE_STRATUM_SHARES,
  P2POOL_NODE_LAST_SHARE_FOUND_TIME,
  P2POOL_NODE_SHARES_FOUND,
  P2POOL_NODE_SHARES_FAILED,
  P2POOL_NODE_SHARE_EFFORT_AVERAGE,
  P2POOL_NODE_SHARE_EFFORT_CURRENT,
  P2POOL_NODE_STRATUM_CONNECTIONS,
  P2POOL_NODE_STRATUM_INCOMING,
  P2POOL_NODE_REWARD_SHARE,
  P2POOL_NODE_WORKERS,
  /* local/p2p */
  P2POOL_NODE_P2P_CONNECTIONS,
  P2POOL_NODE_P2P_INCOMING,
  P2POOL_NODE_PEER_LIST_SIZE,
  P2POOL_NODE_PEERS,
  P2POOL_NODE_UPTIME,
  P2POOL_NODE_ZMQ_IDLE,
  /* local/miner */
  P2POOL_NODE_MINER_HASHRATE,
  P2POOL_NODE_MINER_HASHES,
  P2POOL_NODE_MINER_THREADS,
  /* pool/stats */
  P2POOL_NODE_POOL_HASHRATE,
  P2POOL_NODE_POOL_MINERS,
  P2POOL_NODE_LAST_BLOCK_FOUND_TIME,
  P2POOL_NODE_POOL_TOTAL_HASHES,
  P2POOL_NODE_BLOCKS_FOUND,
  P2POOL_NODE_PPLNS_WEIGHT,
  P2POOL_NODE_PPLNS_WINDOW_SIZE,
  P2POOL_NODE_SIDECHAIN_DIFFICULTY,
  P2POOL_NODE_SIDECHAIN_HEIGHT,
  /* pool/blocks */
  P2POOL_NODE_LAST_BLOCK_TOTAL_HASHES,
  P2POOL_NODE_BLOCK_EFFORT_AVERAGE,
  /* network/stats */
  P2POOL_NODE_NETWORK_DIFFICULTY,
  P2POOL_NODE_NETWORK_HEIGHT,
  P2POOL_NODE_NETWORK_REWARD,
  P2POOL_NODE_FIGURES_NUM
} p2pool_node_figure_t;

/* JSON form of a figure's field. */
typedef enum {
  P2POOL_NODE_JSON_COMPUTED = 0, /* no field of its own */
  P2POOL_NODE_JSON_UINT,         /* uint64 */
  P2POOL_NODE_JSON_U128,         /* difficulty_type, printed in decimal */
  P2POOL_NODE_JSON_DOUBLE,       /* printed with "%.3f" */
} p2pool_node_json_kind_t;

typedef struct {
  p2pool_node_file_t file;
  const char *key; /* JSON field, NULL for computed figures */
  p2pool_node_json_kind_t kind;
  bool required;    /* present since the file's first version */
  const char *type; /* NULL: an input of other figures, not dispatched */
  const char *type_instance;
  bool derive; /* a running total that resets when P2Pool restarts */
} p2pool_node_figure_info_t;

/* Describes a figure: its source field and how it is dispatched. */
const p2pool_node_figure_info_t *
p2pool_node_figure_info(p2pool_node_figure_t figure);

/* How a decoded file left a figure. */
typedef enum {
  P2POOL_NODE_ABSENT = 0, /* not in this file or version: forget it */
  P2POOL_NODE_SET,        /* a new value */
  P2POOL_NODE_REJECTED,   /* present but unusable: keep the last good one */
} p2pool_node_status_t;

typedef struct {
  p2pool_node_status_t status;
  /* Exact value of integer fields, 128-bit ones included. The double is
   * the value itself for fractional fields and an approximation otherwise. */
  p2pool_u128_t exact;
  double value;
} p2pool_node_value_t;

typedef struct {
  char field[P2POOL_NODE_ISSUE_FIELD_MAX_BYTES];
  char detail[P2POOL_NODE_ISSUE_DETAIL_MAX_BYTES];
} p2pool_node_issue_t;

/* Problems found in one file, at most one per field. */
typedef struct {
  p2pool_node_issue_t items[P2POOL_NODE_ISSUES_MAX];
  size_t num;
  size_t dropped; /* issues beyond P2POOL_NODE_ISSUES_MAX */
} p2pool_node_issues_t;

/* Stratum connections that share a worker name. */
typedef struct {
  char name[P2POOL_NODE_WORKER_NAME_MAX_BYTES];
  double hashrate; /* H/s, sum of P2Pool's per-connection estimates */
  uint32_t connections;
} p2pool_node_worker_t;

typedef struct {
  p2pool_node_file_t file;
  p2pool_node_value_t values[P2POOL_NODE_FIGURES_NUM];
  p2pool_node_issues_t issues;

  /* local/stratum: workers by name, highest hashrate first. workers_status
   * is ABSENT before P2Pool v3.7, REJECTED when the field is not an array. */
  p2pool_node_status_t workers_status;
  p2pool_node_worker_t *workers;
  size_t workers_num;
  bool workers_truncated; /* more than P2POOL_NODE_WORKERS_MAX names */
} p2pool_node_parsed_t;

/* Decodes one file's text (not NUL-terminated, len bytes) into *out, which
 * the caller releases with p2pool_node_parsed_free. Returns 0 when the
 * document was read (field problems are in out->issues), or -EINVAL when it
 * is not a JSON document of the expected shape, with the reason in err. */
int p2pool_node_parse(p2pool_node_file_t file, const char *text, size_t len,
                      p2pool_node_parsed_t *out, char *err, size_t err_size);

void p2pool_node_parsed_free(p2pool_node_parsed_t *parsed);

/* Per-file bookkeeping for the freshness figure. */
typedef struct {
  bool seen;         /* read successfully at least once */
  double changed_at; /* Unix s of the last change */
  uint64_t content_hash;
} p2pool_node_file_state_t;

/* Everything known about one node. Zero-initialise, free with
 * p2pool_node_state_free. */
typedef struct {
  p2pool_node_value_t values[P2POOL_NODE_FIGURES_NUM]; /* SET or ABSENT */
  p2pool_node_worker_t *workers;
  size_t workers_num;
  bool workers_truncated;
  p2pool_node_file_state_t files[P2POOL_NODE_FILES_NUM];
} p2pool_node_state_t;

void p2pool_node_state_free(p2pool_node_state_t *state);

/* Merges a decoded file into the state. SET figures replace the old value,
 * ABSENT ones are forgotten and REJECTED ones keep the last good value. The
 * workers list moves from parsed to state. */
void p2pool_node_state_apply(p2pool_node_state_t *state,
                             p2pool_node_parsed_t *parsed);

/* Records a file's modification time (Unix s), as its last change. */
void p2pool_node_state_note_mtime(p2pool_node_state_t *state,
                                  p2pool_node_file_t file, double mtime);

/* Records a file's content read at now (Unix s). When no modification time
 * is known, as over HTTP, the last change is the last read whose content
 * differed from the one before. */
void p2pool_node_state_note_content(p2pool_node_state_t *state,
                                    p2pool_node_file_t file, const char *text,
                                    size_t len, double now);

/* One figure ready for dispatch. */
typedef struct {
  const char *type;
  char type_instance[P2POOL_NODE_WORKER_NAME_MAX_BYTES];
  bool derive;
  double gauge;         /* GAUGE figures */
  int64_t derive_value; /* DERIVE figures */
} p2pool_node_sample_t;

/* Maximum samples p2pool_node_collect writes, besides one per worker. */
#define P2POOL_NODE_SAMPLES_MAX                                                \
  (P2POOL_NODE_FIGURES_NUM + P2POOL_NODE_FILES_NUM + 4)

/* Writes the state's figures as of now (Unix s) into out (room for
 * out_max samples), with at most max_workers per-worker figures, picked by
 * highest hashrate. Sets *workers_capped when workers were left out, by
 * max_workers or by P2POOL_NODE_WORKERS_MAX.
 * Returns the number of samples written. */
size_t p2pool_node_collect(const p2pool_node_state_t *state, double now,
                           size_t max_workers, p2pool_node_sample_t *out,
                           size_t out_max, bool *workers_capped);

/* Computes the effort (%) of a round of the pool: the sidechain hashes
 * between the cumulative totals at its start and its end, over the Monero
 * difficulty. Works on exact 128-bit totals, which exceed 2^53 on the main
 * sidechain. Returns 0, or -EINVAL when the figures do not allow it (a
 * start of 0 as in old block records, an end before the start, a zero
 * difficulty). */
int p2pool_node_effort(p2pool_u128_t end_total_hashes,
                       p2pool_u128_t start_total_hashes,
                       p2pool_u128_t difficulty, double *out);

/* Rewrites data API text that strict JSON rejects into a document json-c
 * reads exactly. Numbers that end in '.' (P2Pool before v4.17) get a 0,
 * integers of 20 digits or more become strings (json-c would saturate
 * them), and inf/nan in any spelling become null, each reported in issues
 * under the field it belongs to. Returns a new NUL-terminated buffer (free
 * with free()) and its length, or NULL when out of memory. */
char *p2pool_node_normalize(const char *text, size_t len, size_t *out_len,
                            p2pool_node_issues_t *issues);

/* Returns a new issue for field with its field name set, or NULL when
 * field has an issue already or the list is full (then it counts the issue
 * as dropped). */
p2pool_node_issue_t *p2pool_node_issue_slot(p2pool_node_issues_t *issues,
                                            const char *field);

/* Adds an issue for field, its detail formatted like printf, unless field
 * has one already. A macro rather than a variadic function, so snprintf
 * checks the format. */
#define P2POOL_NODE_ISSUE_ADD(issues, field, ...)                              \
  do {                                                                         \
    p2pool_node_issue_t *issue_ = p2pool_node_issue_slot((issues), (field));   \
    if (issue_ != NULL)                                                        \
      snprintf(issue_->detail, sizeof(issue_->detail), __VA_ARGS__);           \
  } while (0)

#endif /* P2POOL_NODE_PARSE_H */
