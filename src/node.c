/*
 * node.c: <Node> blocks. Each reads a local P2Pool node's data API (the
 * directory given to p2pool --data-api, or a web server that serves it) and
 * dispatches the node's figures. The reading runs in the node's worker
 * thread, which its read callback kicks once per Interval, so a web server
 * that hangs delays neither collectd's other reads nor its exit.
 *
 * A node works without any observer. Its state is touched only by its
 * worker thread, which never runs twice at once, so it needs no lock. Nodes
 * are registered without a free_func: p2pool_node_shutdown frees them after
 * collectd has stopped the read threads and the workers are joined.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"
#include "utils_complain.h"

#include "config.h"
#include "context.h"
#include "node.h"
#include "node_parse.h"
#include "worker.h"

#include <ctype.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NODE_DEFAULT_TIMEOUT TIME_T_TO_CDTIME_T(5)
#define NODE_DEFAULT_MAX_WORKERS 32
#define NODE_INTERVAL_MIN_SECONDS 1.0
#define NODE_INTERVAL_MAX_SECONDS 86400.0
#define NODE_TIMEOUT_MIN_SECONDS 0.1
#define NODE_TIMEOUT_MAX_SECONDS 300.0
/* Room for the longest file path below the DataAPI directory. */
#define NODE_PATH_SUFFIX_MAX_BYTES 32

/* A file, plus local/stats for P2Pool before v3.2 in URL mode. */
#define NODE_REQUESTS_MAX (P2POOL_NODE_FILES_NUM + 1)

static const char *const node_http_schemes[] = {"http", "https", NULL};

/* Which name of the stratum file a URL-mode node requests. */
typedef enum {
  STRATUM_NAME_UNKNOWN = 0, /* request both */
  STRATUM_NAME_CURRENT,     /* local/stratum, P2Pool v3.2+ */
  STRATUM_NAME_LEGACY,      /* local/stats */
} stratum_name_t;

/* Log state of one data API file. */
typedef struct {
  c_complain_t missing;      /* logged once until the file appears */
  c_complain_t failure;      /* unreadable or not a valid document */
  c_complain_t fields;       /* a field was rejected */
  uint64_t fields_signature; /* of the fields rejected last */
} node_file_log_t;

struct p2pool_node_s {
  /* Configuration. */
  char *name;
  char *data_api; /* directory or base URL, without a trailing '/' */
  bool is_url;
  cdtime_t interval; /* 0 until init: collectd's interval */
  cdtime_t timeout;  /* 0 until init: NODE_DEFAULT_TIMEOUT */
  size_t max_workers;
  char *user_agent;
  bool verify_peer;
  bool verify_host;
  char *ca_cert;
  const char *http_option; /* first HTTP-only option set, for a warning */

  /* The read callback's. */
  p2pool_worker_t *worker;
  c_complain_t busy_complaint;

  /* Read state, used by the worker thread only. */
  bool registered;
  p2pool_dispatch_clock_t clock;
  p2pool_node_state_t state;
  p2pool_health_t health;
  node_file_log_t logs[P2POOL_NODE_FILES_NUM];
  c_complain_t directory_log;
  c_complain_t local_permission_log; /* local/ cannot be entered */
  c_complain_t unreachable_log;
  bool workers_capped_logged;
  p2pool_node_sample_t *samples;
  size_t samples_max;

  /* URL mode. */
  p2pool_http_client_t *http;
  p2pool_http_request_t requests[NODE_REQUESTS_MAX];
  stratum_name_t stratum_name;
};

/* ---- configuration ----------------------------------------------------- */

static void node_free(p2pool_node_t *node) {
  if (node == NULL)
    return;

  p2pool_worker_free(node->worker);
  for (size_t i = 0; i < NODE_REQUESTS_MAX; i++)
    p2pool_http_request_reset(&node->requests[i]);
  p2pool_http_client_destroy(node->http);
  if (node->registered)
    p2pool_dispatch_clock_destroy(&node->clock);
  p2pool_node_state_free(&node->state);
  sfree(node->samples);
  sfree(node->name);
  sfree(node->data_api);
  sfree(node->user_agent);
  sfree(node->ca_cert);
  sfree(node);
}

static bool starts_with_scheme(const char *value) {
  const char *colon = strstr(value, "://");
  if (colon == NULL || colon == value)
    return false;
  for (const char *p = value; p < colon; p++) {
    if (!isalpha((unsigned char)*p))
      return false;
  }
  return true;
}

/* Reads DataAPI: an http(s) URL, or an absolute directory path. */
static int node_config_data_api(p2pool_node_t *node, oconfig_item_t *child) {
  if (child->values_num == 1 && child->values[0].type == OCONFIG_TYPE_STRING &&
      starts_with_scheme(child->values[0].value.string)) {
    node->is_url = true;
    return p2pool_config_get_url(child, node_http_schemes, &node->data_api);
  }

  node->is_url = false;
  int status = cf_util_get_string(child, &node->data_api);
  if (status != 0)
    return status;

  size_t len = strlen(node->data_api);
  while (len > 1 && node->data_api[len - 1] == '/')
    node->data_api[--len] = '\0';

  if (node->data_api[0] != '/' ||
      len + NODE_PATH_SUFFIX_MAX_BYTES >= PATH_MAX) {
    ERROR("p2pool plugin: <Node \"%s\">: DataAPI \"%s\" is neither an "
          "absolute directory path nor an http:// or https:// URL.",
          node->name, node->data_api);
    return -EINVAL;
  }
  return 0;
}

static int node_config_max_workers(p2pool_node_t *node, oconfig_item_t *child) {
  double value = -1.0;
  if (child->values_num == 1 && child->values[0].type == OCONFIG_TYPE_NUMBER)
    value = child->values[0].value.number;

  if (!isfinite(value) || value < 0 || value > P2POOL_NODE_WORKERS_MAX ||
      value != floor(value)) {
    ERROR("p2pool plugin: <Node \"%s\">: MaxWorkers %g is invalid; it must "
          "be a whole number from 0 to %d.",
          node->name, value, P2POOL_NODE_WORKERS_MAX);
    return -EINVAL;
  }
  node->max_workers = (size_t)value;
  return 0;
}

/* Reads an option that only URL mode uses, and remembers it for a warning
 * when DataAPI is a directory. */
static int node_config_http_option(p2pool_node_t *node, oconfig_item_t *child) {
  int status = -EINVAL;

  if (strcasecmp("Timeout", child->key) == 0)
    status =
        p2pool_config_get_seconds(child, NODE_TIMEOUT_MIN_SECONDS,
                                  NODE_TIMEOUT_MAX_SECONDS, &node->timeout);
  else if (strcasecmp("UserAgent", child->key) == 0)
    status = cf_util_get_string(child, &node->user_agent);
  else if (strcasecmp("VerifyPeer", child->key) == 0)
    status = cf_util_get_boolean(child, &node->verify_peer);
  else if (strcasecmp("VerifyHost", child->key) == 0)
    status = cf_util_get_boolean(child, &node->verify_host);
  else if (strcasecmp("CACert", child->key) == 0)
    status = cf_util_get_string(child, &node->ca_cert);

  if (status == 0 && node->http_option == NULL)
    node->http_option = child->key;
  return status;
}

static int node_config_option(p2pool_node_t *node, oconfig_item_t *child) {
  if (strcasecmp("DataAPI", child->key) == 0)
    return node_config_data_api(node, child);
  if (strcasecmp("Interval", child->key) == 0)
    return p2pool_config_get_seconds(child, NODE_INTERVAL_MIN_SECONDS,
                                     NODE_INTERVAL_MAX_SECONDS,
                                     &node->interval);
  if (strcasecmp("MaxWorkers", child->key) == 0)
    return node_config_max_workers(node, child);
  if (strcasecmp("Timeout", child->key) == 0 ||
      strcasecmp("UserAgent", child->key) == 0 ||
      strcasecmp("VerifyPeer", child->key) == 0 ||
      strcasecmp("VerifyHost", child->key) == 0 ||
      strcasecmp("CACert", child->key) == 0)
    return node_config_http_option(node, child);

  ERROR("p2pool plugin: <Node \"%s\">: unknown option \"%s\".", node->name,
        child->key);
  return -EINVAL;
}

static int node_validate(p2pool_node_t *node) {
  if (node->data_api == NULL) {
    ERROR("p2pool plugin: <Node \"%s\">: DataAPI is missing; set it to the "
          "directory given to p2pool --data-api, or to a URL serving it.",
          node->name);
    return -EINVAL;
  }
  if (node->is_url && node->interval != 0 && node->timeout > node->interval) {
    ERROR("p2pool plugin: <Node \"%s\">: Timeout %.3g s is longer than "
          "Interval %.3g s; a read must end before the next one starts.",
          node->name, CDTIME_T_TO_DOUBLE(node->timeout),
          CDTIME_T_TO_DOUBLE(node->interval));
    return -EINVAL;
  }
  if (node->user_agent != NULL && node->user_agent[0] == '\0') {
    ERROR("p2pool plugin: <Node \"%s\">: UserAgent must not be empty.",
          node->name);
    return -EINVAL;
  }
  if (!node->is_url && node->http_option != NULL)
    WARNING("p2pool plugin: <Node \"%s\">: %s has no effect because DataAPI "
            "\"%s\" is a directory; it applies to http(s) URLs only.",
            node->name, node->http_option, node->data_api);
  return 0;
}

int p2pool_node_config(oconfig_item_t *ci) {
  p2pool_node_t *node = calloc(1, sizeof(*node));
  if (node == NULL)
    return -ENOMEM;
  node->max_workers = NODE_DEFAULT_MAX_WORKERS;
  node->verify_peer = true;
  node->verify_host = true;

  int status = p2pool_config_get_name(ci, "Node", &node->name);
  for (int i = 0; status == 0 && i < ci->children_num; i++)
    status = node_config_option(node, &ci->children[i]);
  if (status == 0)
    status = node_validate(node);

  p2pool_node_t **nodes =
      status == 0
          ? realloc(p2pool_g.nodes, (p2pool_g.nodes_num + 1) * sizeof(*nodes))
          : NULL;
  if (nodes == NULL) {
    node_free(node);
    return status != 0 ? status : -ENOMEM;
  }

  p2pool_g.nodes = nodes;
  p2pool_g.nodes[p2pool_g.nodes_num++] = node;
  return 0;
}

/* ---- logging ----------------------------------------------------------- */

/* Writes the name of the user collectd runs as into buffer. */
static void current_user_name(char *buffer, size_t size) {
  struct passwd entry;
  struct passwd *result = NULL;
  char strings[1024];
  uid_t uid = geteuid();

  if (getpwuid_r(uid, &entry, strings, sizeof(strings), &result) == 0 &&
      result != NULL)
    ssnprintf(buffer, size, "%s", result->pw_name);
  else
    ssnprintf(buffer, size, "uid %u", (unsigned)uid);
}

/* Finds the group that owns the directory of path: writes its name (or
 * number) into buffer and its id into *gid. Returns false when the
 * directory cannot be examined. */
static bool directory_group(const char *path, char *buffer, size_t size,
                            gid_t *gid) {
  char copy[PATH_MAX];
  struct stat st;
  struct group entry;
  struct group *result = NULL;
  char strings[1024];

  sstrncpy(copy, path, sizeof(copy));
  if (stat(dirname(copy), &st) != 0)
    return false;

  *gid = st.st_gid;
  if (getgrgid_r(st.st_gid, &entry, strings, sizeof(strings), &result) == 0 &&
      result != NULL)
    ssnprintf(buffer, size, "%s", result->gr_name);
  else
    ssnprintf(buffer, size, "%u", (unsigned)st.st_gid);
  return true;
}

/* Explains a permission error on a data API file, once for its directory
 * when the directory itself cannot be entered. P2Pool v4.8+ creates local/
 * with mode 0750 and its files with mode 0640. */
static void log_permission_denied(p2pool_node_t *node, node_file_log_t *log,
                                  const char *path) {
  char directory[PATH_MAX];
  char user[128];
  char group[128];
  gid_t gid = 0;
  sstrncpy(directory, path, sizeof(directory));
  dirname(directory);
  current_user_name(user, sizeof(user));
  bool group_known = directory_group(path, group, sizeof(group), &gid);

  bool directory_denied = access(directory, X_OK) != 0 && errno == EACCES;
  c_complain_t *complaint =
      directory_denied ? &node->local_permission_log : &log->failure;
  const char *target = directory_denied ? directory : path;

  /* Joining group root would give collectd far more than these files. */
  if (!group_known || gid == 0) {
    c_complain(LOG_ERR, complaint,
               "p2pool plugin: node \"%s\": cannot read %s: permission "
               "denied. P2Pool v4.8+ makes local/ readable by its own user "
               "and group only. Grant collectd's user \"%s\" read access with "
               "an ACL (setfacl -m u:%s:rX and setfacl -d -m u:%s:r on %s), "
               "or run P2Pool under a group of its own. Will retry every "
               "interval.",
               node->name, target, user, user, user, directory);
    return;
  }

  c_complain(LOG_ERR, complaint,
             "p2pool plugin: node \"%s\": cannot read %s: permission denied. "
             "P2Pool v4.8+ makes local/ readable by its own user and group "
             "only. Add collectd's user \"%s\" to group \"%s\" (usermod -aG "
             "%s %s, then restart collectd), or grant read access with an "
             "ACL (setfacl). Will retry every interval.",
             node->name, target, user, group, group, user);
}

/* Logs once that a file does not exist, with its likely reason. */
static void log_missing(p2pool_node_t *node, p2pool_node_file_t file,
                        const char *where) {
  node_file_log_t *log = &node->logs[file];
  const p2pool_node_file_info_t *info = p2pool_node_file_info(file);

  switch (file) {
  case P2POOL_NODE_FILE_LOCAL_MINER:
    c_complain_once(LOG_INFO, &log->missing,
                    "p2pool plugin: node \"%s\": %s not found: P2Pool writes "
                    "it only while its built-in miner runs (--start-mining). "
                    "No miner figures until it appears.",
                    node->name, where);
    break;
  case P2POOL_NODE_FILE_LOCAL_STRATUM:
  case P2POOL_NODE_FILE_LOCAL_P2P:
    c_complain_once(LOG_NOTICE, &log->missing,
                    "p2pool plugin: node \"%s\": %s not found: start P2Pool "
                    "with --local-api (and --data-api) to get its %s "
                    "figures. Will keep checking.",
                    node->name, where,
                    file == P2POOL_NODE_FILE_LOCAL_P2P ? "P2P" : "stratum");
    break;
  default:
    c_complain_once(LOG_NOTICE, &log->missing,
                    "p2pool plugin: node \"%s\": %s not found: P2Pool writes "
                    "%s once it has synchronised with monerod and the "
                    "sidechain. Will keep checking.",
                    node->name, where, info->path);
    break;
  }
}

/* Hashes the names of the rejected fields (FNV-1a). */
static uint64_t issues_signature(const p2pool_node_issues_t *issues) {
  uint64_t hash = 14695981039346656037ULL;
  for (size_t i = 0; i < issues->num; i++) {
    for (const char *c = issues->items[i].field; *c != '\0'; c++)
      hash = (hash ^ (unsigned char)*c) * 1099511628211ULL;
    hash = (hash ^ ',') * 1099511628211ULL;
  }
  return hash;
}

/* Logs the fields a decoder rejected. The same fields again are
 * rate-limited, but a different set is logged at once. */
static void log_issues(p2pool_node_t *node, p2pool_node_file_t file,
                       const p2pool_node_issues_t *issues) {
  node_file_log_t *log = &node->logs[file];
  const char *path = p2pool_node_file_info(file)->path;

  if (issues->num == 0) {
    c_release(LOG_INFO, &log->fields,
              "p2pool plugin: node \"%s\": %s has valid fields again.",
              node->name, path);
    log->fields_signature = 0;
    return;
  }

  uint64_t signature = issues_signature(issues);
  if (signature != log->fields_signature) {
    C_COMPLAIN_INIT(&log->fields);
    log->fields_signature = signature;
  }

  char text[512] = "";
  size_t len = 0;
  for (size_t i = 0; i < issues->num && len < sizeof(text); i++)
    len += (size_t)ssnprintf(text + len, sizeof(text) - len, "%s%s %s",
                             i > 0 ? "; " : "", issues->items[i].field,
                             issues->items[i].detail);

  c_complain(LOG_WARNING, &log->fields,
             "p2pool plugin: node \"%s\": %s: %s%s. Rejected fields keep "
             "their last good values, and the rest of the file is read.",
             node->name, path, text, issues->dropped > 0 ? "; and more" : "");
}

/* ---- decoding ---------------------------------------------------------- */

/* Decodes a file's text into the node's state. Returns the health outcome. */
static p2pool_outcome_t node_accept_text(p2pool_node_t *node,
                                         p2pool_node_file_t file,
                                         const char *where, const char *text,
                                         size_t len) {
  node_file_log_t *log = &node->logs[file];
  p2pool_node_parsed_t parsed;
  char err[256];

  c_release(LOG_INFO, &log->missing, "p2pool plugin: node \"%s\": %s appeared.",
            node->name, where);

  int status = p2pool_node_parse(file, text, len, &parsed, err, sizeof(err));
  if (status != 0) {
    c_complain(LOG_WARNING, &log->failure,
               "p2pool plugin: node \"%s\": %s is not a valid data API "
               "document (%s); keeping its last figures.",
               node->name, where, err);
    return P2POOL_OUTCOME_BAD_BODY;
  }

  c_release(LOG_INFO, &log->failure,
            "p2pool plugin: node \"%s\": %s is readable again.", node->name,
            where);
  if (strncmp(p2pool_node_file_info(file)->path, "local/", 6) == 0)
    c_release(LOG_INFO, &node->local_permission_log,
              "p2pool plugin: node \"%s\": local/ is readable again.",
              node->name);
  log_issues(node, file, &parsed.issues);
  p2pool_node_state_apply(&node->state, &parsed);
  p2pool_node_parsed_free(&parsed);
  return P2POOL_OUTCOME_OK;
}

/* ---- directory mode ---------------------------------------------------- */

/* Reads a whole regular file of at most P2POOL_NODE_FILE_MAX_BYTES.
 * Returns 0 or a negative errno value (-EFBIG for a larger file). */
static int read_local_file(const char *path, char **text, size_t *len,
                           double *mtime) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return -errno;

  struct stat st;
  int status = 0;
  char *buffer = NULL;
  size_t used = 0;

  if (fstat(fd, &st) != 0) {
    status = -errno;
    goto done;
  }
  if (!S_ISREG(st.st_mode)) {
    status = -EINVAL;
    goto done;
  }
  if ((size_t)st.st_size > P2POOL_NODE_FILE_MAX_BYTES) {
    status = -EFBIG;
    goto done;
  }

  buffer = malloc((size_t)st.st_size + 1);
  if (buffer == NULL) {
    status = -ENOMEM;
    goto done;
  }
  while (used < (size_t)st.st_size) {
    ssize_t n = read(fd, buffer + used, (size_t)st.st_size - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      status = -errno;
      goto done;
    }
    if (n == 0)
      break;
    used += (size_t)n;
  }
  buffer[used] = '\0';

  *text = buffer;
  *len = used;
  *mtime = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
  buffer = NULL;

done:
  free(buffer);
  close(fd);
  return status;
}

static double monotonic_seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Reads one file of the data API directory into the node's state. */
static void node_read_local(p2pool_node_t *node, p2pool_node_file_t file) {
  const p2pool_node_file_info_t *info = p2pool_node_file_info(file);
  node_file_log_t *log = &node->logs[file];
  char path[PATH_MAX];
  char *text = NULL;
  size_t len = 0;
  double mtime = 0.0;
  double started = monotonic_seconds();

  ssnprintf(path, sizeof(path), "%s/%s", node->data_api, info->path);
  int status = read_local_file(path, &text, &len, &mtime);
  /* P2Pool before v3.2 named local/stratum local/stats. */
  if (status == -ENOENT && info->legacy_path != NULL) {
    char legacy[PATH_MAX];
    ssnprintf(legacy, sizeof(legacy), "%s/%s", node->data_api,
              info->legacy_path);
    if (read_local_file(legacy, &text, &len, &mtime) == 0) {
      sstrncpy(path, legacy, sizeof(path));
      status = 0;
    }
  }
  double latency = monotonic_seconds() - started;

  p2pool_outcome_t outcome = P2POOL_OUTCOME_OK;
  if (status == 0) {
    outcome = node_accept_text(node, file, path, text, len);
    p2pool_node_state_note_mtime(&node->state, file, mtime);
  } else if (status == -ENOENT) {
    log_missing(node, file, path);
    outcome = P2POOL_OUTCOME_NOT_FOUND;
  } else if (status == -EACCES || status == -EPERM) {
    log_permission_denied(node, log, path);
    outcome = P2POOL_OUTCOME_BLOCKED;
  } else {
    c_complain(LOG_ERR, &log->failure,
               "p2pool plugin: node \"%s\": cannot read %s: %s; keeping its "
               "last figures.",
               node->name, path,
               status == -EFBIG    ? "larger than 4 MiB"
               : status == -EINVAL ? "not a regular file"
                                   : STRERROR(-status));
    outcome = status == -EFBIG || status == -EINVAL
                  ? P2POOL_OUTCOME_BAD_BODY
                  : P2POOL_OUTCOME_UNREACHABLE;
  }

  free(text);
  p2pool_health_count(&node->health, info->label, outcome, latency);
}

/* Reads every file of the data API directory. Returns 0, or -EINTR when
 * shutdown began before all were read. */
static int node_read_directory(p2pool_node_t *node) {
  struct stat st;
  char problem[256] = "";
  if (stat(node->data_api, &st) != 0)
    sstrerror(errno, problem, sizeof(problem));
  else if (!S_ISDIR(st.st_mode))
    sstrncpy(problem, "not a directory", sizeof(problem));

  if (problem[0] != '\0') {
    c_complain(LOG_ERR, &node->directory_log,
               "p2pool plugin: node \"%s\": DataAPI directory %s is not "
               "usable (%s). Start P2Pool with --data-api %s --local-api. "
               "Will retry every interval.",
               node->name, node->data_api, problem, node->data_api);
    return 0;
  }
  c_release(LOG_INFO, &node->directory_log,
            "p2pool plugin: node \"%s\": DataAPI directory %s is back.",
            node->name, node->data_api);

  /* NOTE: a read blocked in the kernel (a hung network file system) cannot
   * be interrupted; shutdown then waits for it. */
  for (int file = 0; file < P2POOL_NODE_FILES_NUM; file++) {
    if (p2pool_worker_stopping(node->worker))
      return -EINTR;
    node_read_local(node, (p2pool_node_file_t)file);
  }
  return 0;
}

/* ---- URL mode ---------------------------------------------------------- */

typedef struct {
  p2pool_node_file_t file;
  bool legacy; /* local/stats */
} node_request_t;

typedef enum {
  RESPONSE_OK,      /* the file was read */
  RESPONSE_FAILED,  /* the file may exist, but this read failed */
  RESPONSE_MISSING, /* HTTP 404 */
} node_response_t;

/* Prepares this read's requests and returns how many there are. */
static size_t node_prepare_requests(p2pool_node_t *node,
                                    p2pool_http_request_t **list,
                                    node_request_t *targets) {
  size_t num = 0;

  for (int file = 0; file < P2POOL_NODE_FILES_NUM; file++) {
    const p2pool_node_file_info_t *info =
        p2pool_node_file_info((p2pool_node_file_t)file);

    for (int legacy = 0; legacy <= 1; legacy++) {
      if (legacy && info->legacy_path == NULL)
        continue;
      if (info->legacy_path != NULL &&
          ((legacy && node->stratum_name == STRATUM_NAME_CURRENT) ||
           (!legacy && node->stratum_name == STRATUM_NAME_LEGACY)))
        continue;

      p2pool_http_request_t *request = &node->requests[num];
      p2pool_http_request_reset(request);
      ssnprintf(request->url, sizeof(request->url), "%s/%s", node->data_api,
                legacy ? info->legacy_path : info->path);
      request->endpoint = legacy ? "local_stats" : info->label;
      targets[num] = (node_request_t){(p2pool_node_file_t)file, legacy};
      list[num] = request;
      num++;
    }
  }
  return num;
}

/* Handles one finished request: its figures, its log lines and its health
 * outcome. */
static node_response_t node_handle_response(p2pool_node_t *node,
                                            p2pool_http_request_t *request,
                                            node_request_t target, double now) {
  node_file_log_t *log = &node->logs[target.file];

  if (request->outcome == P2POOL_OUTCOME_OK) {
    request->outcome = node_accept_text(node, target.file, request->url,
                                        request->body, request->body_len);
    p2pool_node_state_note_content(&node->state, target.file, request->body,
                                   request->body_len, now);
    return RESPONSE_OK;
  }
  if (request->status == 404) {
    /* web servers send their own 404 pages, not only JSON ones */
    request->outcome = P2POOL_OUTCOME_NOT_FOUND;
    return RESPONSE_MISSING;
  }

  if (request->status == 401 || request->status == 403) {
    c_complain(LOG_ERR, &log->failure,
               "p2pool plugin: node \"%s\": %s answered HTTP %ld. If it is "
               "under local/, the web server's user may lack read access: "
               "P2Pool v4.8+ makes local/ readable by its own user and group "
               "only. Will retry every interval.",
               node->name, request->url, request->status);
  } else if (request->outcome != P2POOL_OUTCOME_TIMEOUT &&
             request->outcome != P2POOL_OUTCOME_UNREACHABLE) {
    c_complain(LOG_WARNING, &log->failure,
               "p2pool plugin: node \"%s\": %s failed: %s (HTTP %ld%s%s); "
               "keeping its last figures.",
               node->name, request->url, p2pool_outcome_name(request->outcome),
               request->status, request->error[0] ? ", " : "", request->error);
  }
  return RESPONSE_FAILED;
}

/* Logs a transport failure once per read rather than once per file. */
static void node_log_transport(p2pool_node_t *node, size_t failed, size_t num,
                               const p2pool_http_request_t *first) {
  if (failed == 0) {
    c_release(LOG_INFO, &node->unreachable_log,
              "p2pool plugin: node \"%s\": %s answers again.", node->name,
              node->data_api);
    return;
  }
  c_complain(LOG_ERR, &node->unreachable_log,
             "p2pool plugin: node \"%s\": %zu of %zu requests to %s failed "
             "(%s: %s); keeping the last figures. Will retry every interval.",
             node->name, failed, num, node->data_api,
             p2pool_outcome_name(first->outcome), first->error);
}

/* Remembers which name of the stratum file exists, so later reads
 * request only that one. */
static void node_note_stratum_name(p2pool_node_t *node,
                                   const node_response_t *current,
                                   const node_response_t *legacy) {
  if (*current == RESPONSE_OK)
    node->stratum_name = STRATUM_NAME_CURRENT;
  else if (*legacy == RESPONSE_OK)
    node->stratum_name = STRATUM_NAME_LEGACY;
  else if (*current == RESPONSE_MISSING || *legacy == RESPONSE_MISSING)
    node->stratum_name = STRATUM_NAME_UNKNOWN;
}

/* Fetches every file at once. Returns 0, or -EINTR when shutdown cut the
 * requests short: they are then neither counted nor logged. */
static int node_read_url(p2pool_node_t *node, double now) {
  p2pool_http_request_t *list[NODE_REQUESTS_MAX];
  node_request_t targets[NODE_REQUESTS_MAX];

  size_t num = node_prepare_requests(node, list, targets);
  long timeout_ms = (long)CDTIME_T_TO_MS(node->timeout);
  int status = p2pool_http_run(node->http, list, num, timeout_ms);
  if (status == -EINTR) {
    for (size_t i = 0; i < num; i++)
      p2pool_http_request_reset(list[i]);
    return -EINTR;
  }
  if (status == -ENOMEM) {
    ERROR("p2pool plugin: node \"%s\": out of memory while reading %s.",
          node->name, node->data_api);
    return 0;
  }

  /* A file counts as missing unless some request for it did not 404. */
  node_response_t responses[P2POOL_NODE_FILES_NUM];
  node_response_t stratum_current = RESPONSE_MISSING;
  node_response_t stratum_legacy = RESPONSE_MISSING;
  size_t transport_failed = 0;
  const p2pool_http_request_t *first_failure = NULL;
  for (int file = 0; file < P2POOL_NODE_FILES_NUM; file++)
    responses[file] = RESPONSE_MISSING;

  for (size_t i = 0; i < num; i++) {
    p2pool_http_request_t *request = list[i];
    node_request_t target = targets[i];

    if (request->outcome == P2POOL_OUTCOME_TIMEOUT ||
        request->outcome == P2POOL_OUTCOME_UNREACHABLE) {
      transport_failed++;
      if (first_failure == NULL)
        first_failure = request;
    }

    /* With both names requested, local/stratum comes first and wins. */
    node_response_t response = RESPONSE_MISSING;
    if (!(target.legacy && responses[target.file] == RESPONSE_OK))
      response = node_handle_response(node, request, target, now);
    else if (request->status == 404)
      request->outcome = P2POOL_OUTCOME_NOT_FOUND;
    p2pool_health_record(&node->health, request);

    if (target.file == P2POOL_NODE_FILE_LOCAL_STRATUM)
      *(target.legacy ? &stratum_legacy : &stratum_current) = response;
    if (response != RESPONSE_MISSING && responses[target.file] != RESPONSE_OK)
      responses[target.file] = response;
  }

  node_log_transport(node, transport_failed, num, first_failure);
  for (int file = 0; file < P2POOL_NODE_FILES_NUM; file++) {
    if (responses[file] == RESPONSE_MISSING)
      log_missing(node, (p2pool_node_file_t)file,
                  p2pool_node_file_info((p2pool_node_file_t)file)->path);
  }
  node_note_stratum_name(node, &stratum_current, &stratum_legacy);

  for (size_t i = 0; i < num; i++)
    p2pool_http_request_reset(list[i]);
  return 0;
}

/* ---- dispatch ---------------------------------------------------------- */

static void node_dispatch(p2pool_node_t *node, double now) {
  bool capped = false;
  size_t num = p2pool_node_collect(&node->state, now, node->max_workers,
                                   node->samples, node->samples_max, &capped);

  if (capped && node->max_workers > 0 && !node->workers_capped_logged)
    INFO("p2pool plugin: node \"%s\": more workers than MaxWorkers (%zu); "
         "dispatching per-worker hashrate for the %zu with the highest "
         "hashrate only. Raise MaxWorkers to see more.",
         node->name, node->max_workers, node->max_workers);
  node->workers_capped_logged = capped;

  p2pool_batch_t batch;
  p2pool_batch_begin(&batch, &node->clock, node->name, node->interval);
  for (size_t i = 0; i < num; i++) {
    const p2pool_node_sample_t *sample = &node->samples[i];
    if (sample->derive)
      p2pool_submit_derive(&batch, sample->type, sample->type_instance,
                           (derive_t)sample->derive_value);
    else
      p2pool_submit_gauge(&batch, sample->type, sample->type_instance,
                          (gauge_t)sample->gauge);
  }
  p2pool_submit_health(&batch, &node->health);
  p2pool_batch_end(&batch);
}

/* One run of the node's worker thread: reads the data API, then dispatches
 * the figures. */
static void node_work(void *arg) {
  p2pool_node_t *node = arg;
  double now = CDTIME_T_TO_DOUBLE(cdtime());

  int status =
      node->is_url ? node_read_url(node, now) : node_read_directory(node);
  if (status == -EINTR)
    return; /* shutting down */

  node_dispatch(node, now);
}

/* The read callback: kicks the worker, or notes that it is still busy. */
static int node_read(user_data_t *user_data) {
  p2pool_node_t *node = user_data->data;

  if (p2pool_worker_kick(node->worker) == -EBUSY)
    c_complain(LOG_WARNING, &node->busy_complaint,
               "p2pool plugin: node \"%s\": the previous read is still "
               "running; skipping this interval.",
               node->name);
  else
    c_release(LOG_INFO, &node->busy_complaint,
              "p2pool plugin: node \"%s\": reads finish within the interval "
              "again.",
              node->name);
  return 0;
}

/* ---- life cycle -------------------------------------------------------- */

static int node_start(p2pool_node_t *node) {
  if (node->interval == 0)
    node->interval = plugin_get_interval();
  if (node->timeout == 0)
    node->timeout = NODE_DEFAULT_TIMEOUT < node->interval ? NODE_DEFAULT_TIMEOUT
                                                          : node->interval;
  if (node->is_url && node->timeout > node->interval) {
    ERROR("p2pool plugin: <Node \"%s\">: Timeout %.3g s is longer than "
          "collectd's interval %.3g s; set a shorter Timeout or an Interval.",
          node->name, CDTIME_T_TO_DOUBLE(node->timeout),
          CDTIME_T_TO_DOUBLE(node->interval));
    return -EINVAL;
  }

  node->samples_max = P2POOL_NODE_SAMPLES_MAX + node->max_workers;
  node->samples = calloc(node->samples_max, sizeof(*node->samples));
  if (node->samples == NULL)
    return -ENOMEM;

  for (int file = 0; file < P2POOL_NODE_FILES_NUM; file++) {
    C_COMPLAIN_INIT(&node->logs[file].missing);
    C_COMPLAIN_INIT(&node->logs[file].failure);
    C_COMPLAIN_INIT(&node->logs[file].fields);
  }
  C_COMPLAIN_INIT(&node->directory_log);
  C_COMPLAIN_INIT(&node->local_permission_log);
  C_COMPLAIN_INIT(&node->unreachable_log);
  C_COMPLAIN_INIT(&node->busy_complaint);

  if (node->is_url) {
    p2pool_http_options_t options = {
        .user_agent = node->user_agent != NULL
                          ? node->user_agent
                          : "collectd-p2pool/" P2POOL_VERSION,
        .verify_peer = node->verify_peer,
        .verify_host = node->verify_host,
        .ca_cert = node->ca_cert,
        .body_max_bytes = P2POOL_NODE_FILE_MAX_BYTES,
    };
    node->http = p2pool_http_client_create(&options);
    if (node->http == NULL)
      return -ENOMEM;
  }

  p2pool_dispatch_clock_init(&node->clock);
  node->registered = true;

  int status = p2pool_worker_start(&node->worker, "p2pool node", node_work,
                                   node, node->http);
  if (status != 0) {
    ERROR("p2pool plugin: node \"%s\": starting the worker thread failed: "
          "%s.",
          node->name, STRERROR(-status));
    return -ECHILD;
  }

  char name[DATA_MAX_NAME_LEN * 2];
  ssnprintf(name, sizeof(name), "p2pool/node/%s", node->name);
  status = plugin_register_complex_read(
      "p2pool", name, node_read, node->interval,
      &(user_data_t){.data = node, .free_func = NULL});
  if (status != 0) {
    ERROR("p2pool plugin: node \"%s\": registering the read callback failed "
          "(status %d).",
          node->name, status);
    return -EINVAL;
  }

  INFO("p2pool plugin: node \"%s\": reading the data API %s every %.3g s.",
       node->name, node->data_api, CDTIME_T_TO_DOUBLE(node->interval));
  return 0;
}

int p2pool_node_init(void) {
  for (size_t i = 0; i < p2pool_g.nodes_num; i++) {
    int status = node_start(p2pool_g.nodes[i]);
    if (status != 0) {
      if (status == -ENOMEM)
        ERROR("p2pool plugin: node \"%s\": out of memory while starting.",
              p2pool_g.nodes[i]->name);
      return status;
    }
  }
  return 0;
}

void p2pool_node_stop(void) {
  for (size_t i = 0; i < p2pool_g.nodes_num; i++)
    p2pool_worker_stop(p2pool_g.nodes[i]->worker);
}

void p2pool_node_shutdown(void) {
  for (size_t i = 0; i < p2pool_g.nodes_num; i++)
    node_free(p2pool_g.nodes[i]);
  sfree(p2pool_g.nodes);
  p2pool_g.nodes_num = 0;
}
