/*
 * store_redis.c: saved state in Redis, when a <Redis> block is configured.
 *
 * Keys (values are the JSON entries of state_codec.h, with no expiry):
 *   <Prefix>wallet:<address>:<observer name>
 *     a wallet's payout ledger and last share; several collectd hosts can
 *     share one Redis for different wallets;
 *   <Prefix>observer:<collectd Hostname>:<observer name>
 *     an observer's event counters, per host, because each host counts the
 *     events its own stream received.
 *
 * Every connect is bounded by Timeout, and every command by the same
 * timeout through SO_RCVTIMEO/SO_SNDTIMEO (redisSetTimeout; hiredis 0.14
 * and 1.x only bound the connect otherwise). AUTH and SELECT follow each
 * connect. After any failure the context is freed and the next connect
 * waits for an exponential back-off measured on CLOCK_MONOTONIC, so an
 * unreachable Redis costs a caller at most one timeout per back-off step.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"

#include "store_backend.h"

#include <hiredis/hiredis.h>

#include <math.h>
#include <time.h>

#define REDIS_DEFAULT_HOST "127.0.0.1"
#define REDIS_DEFAULT_PORT 6379
#define REDIS_DEFAULT_PREFIX "p2pool:"
#define REDIS_DEFAULT_TIMEOUT_S 2.0
#define REDIS_TIMEOUT_MIN_S 0.001
#define REDIS_TIMEOUT_MAX_S 60.0
#define REDIS_PREFIX_MAX_BYTES 256
#define REDIS_RETRY_MIN_MS 1000
#define REDIS_RETRY_MAX_MS 60000
/* Longest Redis error text copied into a log line. */
#define REDIS_ERROR_MAX_CHARS 200

/* A key the backend reads or writes, with the value it last wrote. */
typedef struct {
  char *key;
  char *written; /* NULL: not written since the last connect */
  bool newer;    /* contains a newer format version, so never written */
} redis_key_t;

typedef struct {
  p2pool_store_backend_t base;
  p2pool_redis_config_t *config;
  char server[512]; /* host:port or socket path, for log lines */

  redisContext *context; /* NULL while disconnected */
  uint64_t retry_at_ms;  /* CLOCK_MONOTONIC */
  uint64_t retry_delay_ms;
  bool outage_logged;

  redis_key_t **keys; /* each allocated alone, so pointers stay valid */
  size_t keys_num;
} redis_backend_t;

/* ---- configuration ----------------------------------------------------- */

void p2pool_redis_config_free(p2pool_redis_config_t *config) {
  if (config == NULL)
    return;
  free(config->host);
  free(config->user);
  free(config->password);
  free(config->prefix);
  free(config);
}

static int config_timeout(oconfig_item_t *child, cdtime_t *out) {
  double seconds = 0;
  if (cf_util_get_double(child, &seconds) != 0)
    return -EINVAL;

  if (!isfinite(seconds) || seconds < REDIS_TIMEOUT_MIN_S ||
      seconds > REDIS_TIMEOUT_MAX_S) {
    ERROR("p2pool plugin: <Redis> Timeout %g is invalid: expected %g to %g "
          "seconds.",
          seconds, REDIS_TIMEOUT_MIN_S, REDIS_TIMEOUT_MAX_S);
    return -EINVAL;
  }
  *out = DOUBLE_TO_CDTIME_T(seconds);
  return 0;
}

static int config_option(oconfig_item_t *child, p2pool_redis_config_t *config) {
  if (strcasecmp(child->key, "Host") == 0)
    return cf_util_get_string(child, &config->host);
  if (strcasecmp(child->key, "User") == 0)
    return cf_util_get_string(child, &config->user);
  if (strcasecmp(child->key, "Password") == 0)
    return cf_util_get_string(child, &config->password);
  if (strcasecmp(child->key, "Prefix") == 0)
    return cf_util_get_string(child, &config->prefix);
  if (strcasecmp(child->key, "Timeout") == 0)
    return config_timeout(child, &config->timeout);

  if (strcasecmp(child->key, "Port") == 0) {
    int port = cf_util_get_port_number(child);
    if (port <= 0)
      return -EINVAL;
    config->port = port;
    return 0;
  }

  if (strcasecmp(child->key, "Database") == 0) {
    if (cf_util_get_int(child, &config->database) != 0)
      return -EINVAL;
    if (config->database < 0) {
      ERROR("p2pool plugin: <Redis> Database %d is invalid: expected a "
            "number of 0 or more.",
            config->database);
      return -EINVAL;
    }
    return 0;
  }

  ERROR("p2pool plugin: Unknown option \"%s\" in <Redis>.", child->key);
  return -EINVAL;
}

static int config_check(const p2pool_redis_config_t *config) {
  if (config->host[0] == '\0') {
    ERROR("p2pool plugin: <Redis> Host must not be empty.");
    return -EINVAL;
  }
  if (config->password != NULL && config->password[0] == '\0') {
    ERROR("p2pool plugin: <Redis> Password must not be empty; remove the "
          "option to connect without AUTH.");
    return -EINVAL;
  }
  if (config->user != NULL && config->password == NULL) {
    ERROR("p2pool plugin: <Redis> User \"%s\" needs a Password.", config->user);
    return -EINVAL;
  }
  if (strlen(config->prefix) > REDIS_PREFIX_MAX_BYTES) {
    ERROR("p2pool plugin: <Redis> Prefix is longer than %d bytes.",
          REDIS_PREFIX_MAX_BYTES);
    return -EINVAL;
  }
  return 0;
}

int p2pool_redis_config_parse(oconfig_item_t *ci, p2pool_redis_config_t **out) {
  if (ci->values_num != 0) {
    ERROR("p2pool plugin: <Redis> takes no argument.");
    return -EINVAL;
  }

  p2pool_redis_config_t *config = calloc(1, sizeof(*config));
  if (config == NULL)
    return -ENOMEM;
  config->host = strdup(REDIS_DEFAULT_HOST);
  config->prefix = strdup(REDIS_DEFAULT_PREFIX);
  config->port = REDIS_DEFAULT_PORT;
  config->timeout = DOUBLE_TO_CDTIME_T(REDIS_DEFAULT_TIMEOUT_S);
  if (config->host == NULL || config->prefix == NULL) {
    p2pool_redis_config_free(config);
    return -ENOMEM;
  }

  for (int i = 0; i < ci->children_num; i++) {
    if (config_option(&ci->children[i], config) != 0) {
      p2pool_redis_config_free(config);
      return -EINVAL;
    }
  }
  if (config_check(config) != 0) {
    p2pool_redis_config_free(config);
    return -EINVAL;
  }

  *out = config;
  return 0;
}

/* ---- connection -------------------------------------------------------- */

static uint64_t monotonic_ms(void) {
  struct timespec now = {0};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static struct timeval timeout_timeval(cdtime_t timeout) {
  uint64_t ms = CDTIME_T_TO_MS(timeout);
  if (ms == 0)
    ms = 1; /* a zero socket timeout would mean none at all */
  return (struct timeval){.tv_sec = (time_t)(ms / 1000),
                          .tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

/* Checks that reply is +OK and frees it. A NULL reply means the
 * connection failed. */
static int check_ok_reply(redisContext *context, redisReply *reply,
                          const char *command, char *err, size_t err_size) {
  int rc = 0;

  if (reply == NULL) {
    snprintf(err, err_size, "%s failed: %.*s", command, REDIS_ERROR_MAX_CHARS,
             context->errstr);
    return -EIO;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    snprintf(err, err_size, "%s failed: %.*s", command, REDIS_ERROR_MAX_CHARS,
             reply->str);
    rc = -EPROTO;
  } else if (reply->type != REDIS_REPLY_STATUS ||
             strcmp(reply->str, "OK") != 0) {
    snprintf(err, err_size, "%s returned an unexpected reply of type %d",
             command, reply->type);
    rc = -EPROTO;
  }

  freeReplyObject(reply);
  return rc;
}

/* Sends AUTH and SELECT as configured. */
static int redis_handshake(redisContext *context,
                           const p2pool_redis_config_t *config, char *err,
                           size_t err_size) {
  int rc = 0;

  if (config->password != NULL && config->user != NULL) {
    rc = check_ok_reply(context,
                        redisCommand(context, "AUTH %b %b", config->user,
                                     strlen(config->user), config->password,
                                     strlen(config->password)),
                        "AUTH", err, err_size);
  } else if (config->password != NULL) {
    rc = check_ok_reply(context,
                        redisCommand(context, "AUTH %b", config->password,
                                     strlen(config->password)),
                        "AUTH", err, err_size);
  }
  if (rc != 0)
    return rc;

  if (config->database != 0) {
    rc = check_ok_reply(context,
                        redisCommand(context, "SELECT %d", config->database),
                        "SELECT", err, err_size);
  }
  return rc;
}

static int redis_open(redis_backend_t *redis, char *err, size_t err_size) {
  const p2pool_redis_config_t *config = redis->config;
  struct timeval timeout = timeout_timeval(config->timeout);

  /* NOTE: hiredis resolves a host name with getaddrinfo before the connect
   * timeout applies, so a slow resolver can block longer than Timeout; an
   * address or a socket path avoids that. */
  redisContext *context =
      config->host[0] == '/'
          ? redisConnectUnixWithTimeout(config->host, timeout)
          : redisConnectWithTimeout(config->host, config->port, timeout);
  if (context == NULL) {
    snprintf(err, err_size, "out of memory");
    return -ENOMEM;
  }
  if (context->err != 0) {
    snprintf(err, err_size, "connect failed: %.*s", REDIS_ERROR_MAX_CHARS,
             context->errstr);
    redisFree(context);
    return -ECONNREFUSED;
  }

  int rc = 0;
  if (redisSetTimeout(context, timeout) != REDIS_OK) {
    snprintf(err, err_size, "setting the command timeout failed: %.*s",
             REDIS_ERROR_MAX_CHARS, context->errstr);
    rc = -EIO;
  }
  if (rc == 0)
    rc = redis_handshake(context, config, err, err_size);
  if (rc != 0) {
    redisFree(context);
    return rc;
  }

  redis->context = context;
  return 0;
}

static void forget_written(redis_backend_t *redis) {
  for (size_t i = 0; i < redis->keys_num; i++)
    sfree(redis->keys[i]->written);
}

/* Frees the context after a failure and schedules the next connect. Logs
 * the first failure of an outage only. */
static void redis_fail(redis_backend_t *redis, const char *reason) {
  if (redis->context != NULL) {
    redisFree(redis->context);
    redis->context = NULL;
  }

  if (!redis->outage_logged) {
    /* Redis error texts may end with a full stop of their own. */
    int reason_len = (int)strlen(reason);
    if (reason_len > 0 && reason[reason_len - 1] == '.')
      reason_len--;
    WARNING("p2pool plugin: Redis at %s is unavailable: %.*s. Totals are kept "
            "in memory and saved when Redis is back; retrying with a "
            "back-off of up to %d s.",
            redis->server, reason_len, reason, REDIS_RETRY_MAX_MS / 1000);
    redis->outage_logged = true;
  }

  redis->retry_at_ms = monotonic_ms() + redis->retry_delay_ms;
  redis->retry_delay_ms *= 2;
  if (redis->retry_delay_ms > REDIS_RETRY_MAX_MS)
    redis->retry_delay_ms = REDIS_RETRY_MAX_MS;
}

/* Returns true with a usable context, connecting first unless the back-off
 * has not expired. */
static bool redis_ready(redis_backend_t *redis) {
  if (redis->context != NULL)
    return true;
  if (monotonic_ms() < redis->retry_at_ms)
    return false;

  char err[512] = "";
  if (redis_open(redis, err, sizeof(err)) != 0) {
    redis_fail(redis, err);
    return false;
  }

  if (redis->outage_logged)
    INFO("p2pool plugin: Redis at %s is available again.", redis->server);
  else
    INFO("p2pool plugin: Connected to Redis at %s.", redis->server);
  redis->outage_logged = false;
  redis->retry_delay_ms = REDIS_RETRY_MIN_MS;

  /* Redis may have lost keys while we were away: write everything. */
  forget_written(redis);
  return true;
}

/* ---- keys -------------------------------------------------------------- */

static char *wallet_key(const redis_backend_t *redis,
                        const p2pool_saved_wallet_t *wallet) {
  return ssnprintf_alloc("%swallet:%s:%s", redis->config->prefix,
                         wallet->address, wallet->observer);
}

static char *observer_key(const redis_backend_t *redis,
                          const p2pool_saved_observer_t *observer) {
  return ssnprintf_alloc("%sobserver:%s:%s", redis->config->prefix, hostname_g,
                         observer->name);
}

/* Finds the record of key, adding one when needed; takes ownership of
 * key. */
static redis_key_t *find_key(redis_backend_t *redis, char *key) {
  if (key == NULL)
    return NULL;

  for (size_t i = 0; i < redis->keys_num; i++) {
    if (strcmp(redis->keys[i]->key, key) == 0) {
      free(key);
      return redis->keys[i];
    }
  }

  redis_key_t *record = calloc(1, sizeof(*record));
  redis_key_t **keys =
      realloc(redis->keys, (redis->keys_num + 1) * sizeof(*keys));
  if (keys != NULL)
    redis->keys = keys;
  if (record == NULL || keys == NULL) {
    free(record);
    free(key);
    return NULL;
  }

  record->key = key;
  redis->keys[redis->keys_num++] = record;
  return record;
}

/* ---- load -------------------------------------------------------------- */

/* Renames a key whose value cannot be decoded, keeping it for the
 * operator to inspect. */
static void set_key_aside(redis_backend_t *redis, const redis_key_t *record,
                          const char *reason) {
  char *aside =
      ssnprintf_alloc("%s:corrupt-%lld", record->key, (long long)time(NULL));
  char err[512] = "";
  int rc = -ENOMEM;

  if (aside != NULL)
    rc =
        check_ok_reply(redis->context,
                       redisCommand(redis->context, "RENAME %b %b", record->key,
                                    strlen(record->key), aside, strlen(aside)),
                       "RENAME", err, sizeof(err));
  if (rc == 0)
    ERROR("p2pool plugin: Redis key \"%s\" holds an invalid value (%s). "
          "Renamed it to \"%s\" and starting that entry with empty totals.",
          record->key, reason, aside);
  else
    ERROR("p2pool plugin: Redis key \"%s\" holds an invalid value (%s) and "
          "renaming it failed (%s). Starting that entry with empty totals; "
          "the next save replaces it.",
          record->key, reason, err[0] != '\0' ? err : "out of memory");
  free(aside);
}

/* What a GET of one entry found. */
typedef enum { ENTRY_ABSENT, ENTRY_LOADED, ENTRY_SKIPPED } entry_result_t;

/* Decodes a GET reply into a wallet or an observer entry. */
static entry_result_t decode_reply(redis_backend_t *redis, redis_key_t *record,
                                   const redisReply *reply, void *out,
                                   bool is_wallet, const char *expected_name,
                                   const char *expected_observer) {
  char err[256] = "";
  int rc = 0;

  if (reply == NULL || reply->type == REDIS_REPLY_NIL)
    return ENTRY_ABSENT;

  if (is_wallet) {
    p2pool_saved_wallet_t *wallet = out;
    rc = p2pool_state_decode_wallet(reply->str, reply->len, wallet, err,
                                    sizeof(err));
    if (rc == 0 && (strcmp(wallet->address, expected_name) != 0 ||
                    strcmp(wallet->observer, expected_observer) != 0)) {
      snprintf(err, sizeof(err), "it belongs to another wallet");
      rc = -EINVAL;
    }
  } else {
    p2pool_saved_observer_t *observer = out;
    rc = p2pool_state_decode_observer(reply->str, reply->len, observer, err,
                                      sizeof(err));
    if (rc == 0 && strcmp(observer->name, expected_name) != 0) {
      snprintf(err, sizeof(err), "it belongs to another observer");
      rc = -EINVAL;
    }
  }

  if (rc == 0)
    return ENTRY_LOADED;
  if (rc == -P2POOL_STATE_ENEWER) {
    record->newer = true;
    ERROR("p2pool plugin: Redis key \"%s\" was written by a newer version of "
          "this plugin (%s). It is left unchanged and that entry's totals "
          "are kept in memory only; upgrade the plugin, or delete the key to "
          "start new totals.",
          record->key, err);
    return ENTRY_SKIPPED;
  }

  set_key_aside(redis, record, err);
  return ENTRY_SKIPPED;
}

/* Sends one GET per configured entry in a single pipeline. */
static int send_gets(redis_backend_t *redis,
                     const p2pool_saved_state_t *configured,
                     redis_key_t **records) {
  size_t n = 0;

  for (size_t i = 0; i < configured->wallets_num; i++, n++) {
    records[n] = find_key(redis, wallet_key(redis, &configured->wallets[i]));
    if (records[n] == NULL)
      return -ENOMEM;
  }
  for (size_t i = 0; i < configured->observers_num; i++, n++) {
    records[n] =
        find_key(redis, observer_key(redis, &configured->observers[i]));
    if (records[n] == NULL)
      return -ENOMEM;
  }

  for (size_t i = 0; i < n; i++) {
    if (redisAppendCommand(redis->context, "GET %b", records[i]->key,
                           strlen(records[i]->key)) != REDIS_OK)
      return -ENOMEM;
  }
  return 0;
}

/* Reads every GET reply before decoding, so that a failed connection
 * leaves nothing half loaded. */
static int receive_replies(redis_backend_t *redis, redisReply **replies,
                           size_t num, char *err, size_t err_size) {
  for (size_t i = 0; i < num; i++) {
    void *reply = NULL;
    if (redisGetReply(redis->context, &reply) != REDIS_OK || reply == NULL) {
      snprintf(err, err_size, "GET failed: %.*s", REDIS_ERROR_MAX_CHARS,
               redis->context->errstr);
      return -EIO;
    }
    replies[i] = reply;

    if (replies[i]->type == REDIS_REPLY_ERROR) {
      snprintf(err, err_size, "GET failed: %.*s", REDIS_ERROR_MAX_CHARS,
               replies[i]->str);
      return -EPROTO;
    }
    if (replies[i]->type != REDIS_REPLY_STRING &&
        replies[i]->type != REDIS_REPLY_NIL) {
      snprintf(err, err_size, "GET returned a reply of type %d",
               replies[i]->type);
      return -EPROTO;
    }
  }
  return 0;
}

static void decode_replies(redis_backend_t *redis,
                           const p2pool_saved_state_t *configured,
                           redis_key_t **records, redisReply **replies,
                           p2pool_saved_state_t *out) {
  size_t n = 0;
  out->wallets_num = 0;
  out->observers_num = 0;

  for (size_t i = 0; i < configured->wallets_num; i++, n++) {
    const p2pool_saved_wallet_t *entry = &configured->wallets[i];
    if (decode_reply(redis, records[n], replies[n],
                     &out->wallets[out->wallets_num], true, entry->address,
                     entry->observer) == ENTRY_LOADED)
      out->wallets_num++;
  }
  for (size_t i = 0; i < configured->observers_num; i++, n++) {
    const p2pool_saved_observer_t *entry = &configured->observers[i];
    if (decode_reply(redis, records[n], replies[n],
                     &out->observers[out->observers_num], false, entry->name,
                     NULL) == ENTRY_LOADED)
      out->observers_num++;
  }
}

static int redis_load(p2pool_store_backend_t *backend,
                      const p2pool_saved_state_t *configured,
                      p2pool_saved_state_t *out) {
  redis_backend_t *redis = (redis_backend_t *)backend;
  size_t num = configured->wallets_num + configured->observers_num;
  char err[512] = "out of memory";

  memset(out, 0, sizeof(*out));
  if (!redis_ready(redis))
    return -EAGAIN;

  redis_key_t **records = calloc(num + 1, sizeof(*records));
  redisReply **replies = calloc(num + 1, sizeof(*replies));
  int rc = -ENOMEM;
  if (records != NULL && replies != NULL)
    rc = p2pool_saved_state_alloc(out, configured->wallets_num,
                                  configured->observers_num);
  if (rc == 0)
    rc = send_gets(redis, configured, records);
  if (rc == 0)
    rc = receive_replies(redis, replies, num, err, sizeof(err));
  if (rc == 0)
    decode_replies(redis, configured, records, replies, out);

  for (size_t i = 0; replies != NULL && i < num; i++) {
    if (replies[i] != NULL)
      freeReplyObject(replies[i]);
  }
  free(replies);
  free(records);

  if (rc != 0) {
    p2pool_saved_state_free(out);
    redis_fail(redis, err);
    return -EAGAIN;
  }

  INFO("p2pool plugin: Loaded totals of %zu of %zu wallets and %zu of %zu "
       "observers from Redis at %s.",
       out->wallets_num, configured->wallets_num, out->observers_num,
       configured->observers_num, redis->server);
  return 0;
}

/* ---- save -------------------------------------------------------------- */

/* A SET waiting for its reply. */
typedef struct {
  redis_key_t *record;
  char *value;
} pending_set_t;

/* Encodes entry number index of state into a new string. */
static int encode_entry(const redis_backend_t *redis,
                        const p2pool_saved_state_t *state, size_t index,
                        char **key, char **value, size_t *value_len, char *err,
                        size_t err_size) {
  if (index < state->wallets_num) {
    const p2pool_saved_wallet_t *wallet = &state->wallets[index];
    *key = wallet_key(redis, wallet);
    return p2pool_state_encode_wallet(wallet, value, value_len, err, err_size);
  }

  const p2pool_saved_observer_t *observer =
      &state->observers[index - state->wallets_num];
  *key = observer_key(redis, observer);
  return p2pool_state_encode_observer(observer, value, value_len, err,
                                      err_size);
}

/* Queues a SET for every entry whose value changed since it was last
 * written. Entries that fail to encode are logged and left out. */
static int send_sets(redis_backend_t *redis, const p2pool_saved_state_t *state,
                     pending_set_t *pending, size_t *pending_num) {
  size_t num = state->wallets_num + state->observers_num;
  *pending_num = 0;

  for (size_t i = 0; i < num; i++) {
    char *key = NULL;
    char *value = NULL;
    size_t value_len = 0;
    char err[256] = "";

    int rc = encode_entry(redis, state, i, &key, &value, &value_len, err,
                          sizeof(err));
    redis_key_t *record = find_key(redis, key);
    if (record == NULL) {
      free(value);
      return -ENOMEM;
    }
    if (rc != 0) {
      ERROR("p2pool plugin: Encoding the value of Redis key \"%s\" failed "
            "(%s); it is not saved.",
            record->key, err[0] != '\0' ? err : STRERROR(-rc));
      continue;
    }

    bool unchanged =
        record->written != NULL && strcmp(record->written, value) == 0;
    if (unchanged || record->newer) {
      free(value);
      continue;
    }

    if (redisAppendCommand(redis->context, "SET %b %b", record->key,
                           strlen(record->key), value, value_len) != REDIS_OK) {
      free(value);
      return -ENOMEM;
    }
    pending[(*pending_num)++] = (pending_set_t){record, value};
  }
  return 0;
}

static int redis_save(p2pool_store_backend_t *backend,
                      const p2pool_saved_state_t *state, bool refresh) {
  redis_backend_t *redis = (redis_backend_t *)backend;
  size_t num = state->wallets_num + state->observers_num;
  size_t pending_num = 0;
  char err[512] = "";

  if (!redis_ready(redis))
    return -EAGAIN;
  if (refresh)
    forget_written(redis);

  pending_set_t *pending = calloc(num + 1, sizeof(*pending));
  if (pending == NULL)
    return -ENOMEM;

  int rc = send_sets(redis, state, pending, &pending_num);
  if (rc != 0)
    snprintf(err, sizeof(err), "queueing SET failed: %s", STRERROR(-rc));

  /* Every queued command needs its reply read, even after a failure. */
  for (size_t i = 0; rc == 0 && i < pending_num; i++) {
    void *reply = NULL;
    if (redisGetReply(redis->context, &reply) != REDIS_OK)
      reply = NULL;
    rc = check_ok_reply(redis->context, reply, "SET", err, sizeof(err));
    if (rc == 0) {
      free(pending[i].record->written);
      pending[i].record->written = pending[i].value;
      pending[i].value = NULL;
    }
  }

  for (size_t i = 0; i < pending_num; i++)
    free(pending[i].value);
  free(pending);

  if (rc != 0) {
    redis_fail(redis, err);
    return -EAGAIN;
  }
  return 0;
}

/* ---- life cycle -------------------------------------------------------- */

static void redis_retry_now(p2pool_store_backend_t *backend) {
  redis_backend_t *redis = (redis_backend_t *)backend;
  redis->retry_at_ms = 0;
}

static void redis_destroy(p2pool_store_backend_t *backend) {
  redis_backend_t *redis = (redis_backend_t *)backend;
  if (redis == NULL)
    return;

  if (redis->context != NULL)
    redisFree(redis->context);
  forget_written(redis);
  for (size_t i = 0; i < redis->keys_num; i++) {
    free(redis->keys[i]->key);
    free(redis->keys[i]);
  }
  free(redis->keys);
  p2pool_redis_config_free(redis->config);
  free(redis);
}

p2pool_store_backend_t *
p2pool_store_redis_create(p2pool_redis_config_t *config) {
  redis_backend_t *redis = calloc(1, sizeof(*redis));
  if (redis == NULL)
    return NULL;

  redis->config = config;
  if (config->host[0] == '/')
    snprintf(redis->server, sizeof(redis->server), "%s", config->host);
  else
    snprintf(redis->server, sizeof(redis->server), "%s:%d", config->host,
             config->port);
  redis->retry_delay_ms = REDIS_RETRY_MIN_MS;
  INFO("p2pool plugin: Keeping totals in Redis at %s, database %d, key "
       "prefix \"%s\".",
       redis->server, config->database, config->prefix);

  redis->base.load = redis_load;
  redis->base.save = redis_save;
  redis->base.retry_now = redis_retry_now;
  redis->base.destroy = redis_destroy;
  return &redis->base;
}
