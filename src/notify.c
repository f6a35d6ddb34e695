/*
 * notify.c: collectd notifications of the plugin.
 *
 * Callers fill a pending notification and queue it. The "p2pool notify"
 * thread fills in host and meta data and hands each to
 * plugin_dispatch_notification, so no consumer runs under an observer's lock.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"
#include "utils_complain.h"

#include "notify.h"
#include "notify_rules.h"

#include <inttypes.h>
#include <math.h>

/* Notifications waiting for the dispatch thread. A burst larger than this
 * (thousands of wallets paid by one block) drops the newest ones. */
#define QUEUE_MAX 512
#define META_MAX 4
#define META_NAME_MAX_BYTES 32

typedef enum { META_UNSIGNED, META_DOUBLE } meta_kind_t;

typedef struct {
  char name[META_NAME_MAX_BYTES];
  meta_kind_t kind;
  uint64_t unsigned_value;
  double double_value;
} meta_entry_t;

typedef struct {
  int severity;
  cdtime_t time;
  char plugin_instance[DATA_MAX_NAME_LEN];
  char type[DATA_MAX_NAME_LEN];
  char type_instance[DATA_MAX_NAME_LEN];
  char message[NOTIF_MAX_MSG_LEN];
  meta_entry_t meta[META_MAX];
  size_t meta_num;
} pending_t;

static double drought_factor = P2POOL_DROUGHT_FACTOR_DEFAULT;

/* The queue, a ring of QUEUE_MAX entries, and its thread. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_filled = PTHREAD_COND_INITIALIZER;
static pending_t queue[QUEUE_MAX];
static size_t queue_head; /* oldest entry */
static size_t queue_num;
static uint64_t queue_dropped;
static bool thread_started;
static bool thread_stopping;
static pthread_t thread;

int p2pool_notify_config_drought_factor(const oconfig_item_t *ci) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
    ERROR("p2pool plugin: %s needs one number, e.g. %s %g.", ci->key, ci->key,
          P2POOL_DROUGHT_FACTOR_DEFAULT);
    return -EINVAL;
  }

  double factor = ci->values[0].value.number;
  if (!isfinite(factor) || factor < 0.0 || factor > P2POOL_DROUGHT_FACTOR_MAX) {
    ERROR("p2pool plugin: %s %g is out of range; it must be between 0 (no "
          "drought notifications) and %g.",
          ci->key, factor, P2POOL_DROUGHT_FACTOR_MAX);
    return -ERANGE;
  }
  drought_factor = factor;
  return 0;
}

static pending_t pending_begin(int severity, const char *plugin_instance,
                               const char *type, const char *type_instance) {
  pending_t pending = {.severity = severity, .time = cdtime()};
  sstrncpy(pending.plugin_instance, plugin_instance,
           sizeof(pending.plugin_instance));
  sstrncpy(pending.type, type, sizeof(pending.type));
  if (type_instance != NULL)
    sstrncpy(pending.type_instance, type_instance,
             sizeof(pending.type_instance));
  return pending;
}

static void pending_add_unsigned(pending_t *pending, const char *name,
                                 uint64_t value) {
  if (pending->meta_num >= META_MAX)
    return;
  meta_entry_t *entry = &pending->meta[pending->meta_num++];
  sstrncpy(entry->name, name, sizeof(entry->name));
  entry->kind = META_UNSIGNED;
  entry->unsigned_value = value;
}

static void pending_add_double(pending_t *pending, const char *name,
                               double value) {
  if (pending->meta_num >= META_MAX)
    return;
  meta_entry_t *entry = &pending->meta[pending->meta_num++];
  sstrncpy(entry->name, name, sizeof(entry->name));
  entry->kind = META_DOUBLE;
  entry->double_value = value;
}

/* Queues a notification for the dispatch thread. Callers may hold an
 * observer's lock, because this only copies the entry under queue_lock. */
static void enqueue(const pending_t *pending) {
  pthread_mutex_lock(&queue_lock);
  if (queue_num >= QUEUE_MAX) {
    queue_dropped++;
  } else {
    queue[(queue_head + queue_num) % QUEUE_MAX] = *pending;
    queue_num++;
    pthread_cond_signal(&queue_filled);
  }
  pthread_mutex_unlock(&queue_lock);
}

static void dispatch(const pending_t *pending) {
  notification_t notification = {
      .severity = pending->severity,
      .time = pending->time,
  };
  sstrncpy(notification.message, pending->message,
           sizeof(notification.message));
  sstrncpy(notification.host, hostname_g, sizeof(notification.host));
  sstrncpy(notification.plugin, "p2pool", sizeof(notification.plugin));
  sstrncpy(notification.plugin_instance, pending->plugin_instance,
           sizeof(notification.plugin_instance));
  sstrncpy(notification.type, pending->type, sizeof(notification.type));
  sstrncpy(notification.type_instance, pending->type_instance,
           sizeof(notification.type_instance));

  for (size_t i = 0; i < pending->meta_num; i++) {
    const meta_entry_t *entry = &pending->meta[i];
    if (entry->kind == META_UNSIGNED)
      plugin_notification_meta_add_unsigned_int(&notification, entry->name,
                                                entry->unsigned_value);
    else
      plugin_notification_meta_add_double(&notification, entry->name,
                                          entry->double_value);
  }

  /* Returns -1 when no plugin consumes notifications, which is a valid
   * setup: the figures alone are enough for Prometheus users. */
  plugin_dispatch_notification(&notification);
  plugin_notification_meta_free(notification.meta);
}

static void report_dropped(uint64_t dropped, c_complain_t *complaint) {
  if (dropped > 0)
    c_complain(LOG_WARNING, complaint,
               "p2pool plugin: %" PRIu64 " notifications were dropped "
               "because more than %d were waiting for dispatch; the "
               "figures still count every event.",
               dropped, QUEUE_MAX);
}

/* Dispatches queued notifications until shutdown, then the rest. */
static void *notify_main(void *arg) {
  (void)arg;
  c_complain_t dropped_complaint = C_COMPLAIN_INIT_STATIC;

  pthread_mutex_lock(&queue_lock);
  while (queue_num > 0 || !thread_stopping) {
    if (queue_num == 0) {
      pthread_cond_wait(&queue_filled, &queue_lock);
      continue;
    }

    pending_t pending = queue[queue_head];
    queue_head = (queue_head + 1) % QUEUE_MAX;
    queue_num--;
    uint64_t dropped = queue_dropped;
    queue_dropped = 0;
    pthread_mutex_unlock(&queue_lock);

    report_dropped(dropped, &dropped_complaint);
    dispatch(&pending);

    pthread_mutex_lock(&queue_lock);
  }
  pthread_mutex_unlock(&queue_lock);
  return NULL;
}

int p2pool_notify_init(void) {
  pthread_mutex_lock(&queue_lock);
  thread_stopping = false;
  pthread_mutex_unlock(&queue_lock);

  int status =
      plugin_thread_create(&thread, notify_main, NULL, "p2pool notify");
  if (status != 0) {
    ERROR("p2pool plugin: starting the notification thread failed: %s.",
          STRERROR(status));
    return -status;
  }
  thread_started = true;
  return 0;
}

void p2pool_notify_shutdown(void) {
  if (!thread_started)
    return;

  pthread_mutex_lock(&queue_lock);
  thread_stopping = true;
  pthread_cond_broadcast(&queue_filled);
  pthread_mutex_unlock(&queue_lock);

  pthread_join(thread, NULL);
  thread_started = false;
}

void p2pool_notify_prime_payouts(void) {
  for (size_t i = 0; i < p2pool_g.wallets_num; i++) {
    p2pool_wallet_t *wallet = p2pool_g.wallets[i];
    if (wallet->observer == NULL)
      continue;

    pthread_mutex_lock(&wallet->observer->lock);
    const p2pool_payout_ledger_t *ledger = &wallet->state.payouts;
    uint64_t ignored;
    p2pool_payout_watch_check(&wallet->state.payout_watch,
                              ledger->history_loaded, ledger->count,
                              ledger->amount, &ignored);
    pthread_mutex_unlock(&wallet->observer->lock);
  }
}

void p2pool_notify_check_payouts(p2pool_wallet_t *wallet) {
  const p2pool_payout_ledger_t *ledger = &wallet->state.payouts;
  uint64_t amount_atomic_units = 0;
  uint64_t payouts = p2pool_payout_watch_check(
      &wallet->state.payout_watch, ledger->history_loaded, ledger->count,
      ledger->amount, &amount_atomic_units);
  if (payouts == 0)
    return;

  char amount[32];
  p2pool_format_xmr(amount_atomic_units, amount, sizeof(amount));
  pending_t pending = pending_begin(NOTIF_OKAY, wallet->name, "payouts", NULL);
  if (payouts == 1)
    ssnprintf(pending.message, sizeof(pending.message),
              "Wallet \"%s\" received a payout of %s XMR in Monero block "
              "%" PRIu64 ".",
              wallet->name, amount, ledger->newest_height);
  else
    ssnprintf(pending.message, sizeof(pending.message),
              "Wallet \"%s\" received %" PRIu64 " payouts, %s XMR in all; "
              "the newest in Monero block %" PRIu64 ".",
              wallet->name, payouts, amount, ledger->newest_height);
  pending_add_unsigned(&pending, "payouts", payouts);
  pending_add_unsigned(&pending, "amount_atomic_units", amount_atomic_units);
  pending_add_unsigned(&pending, "main_height", ledger->newest_height);
  enqueue(&pending);
}

void p2pool_notify_found_block(const p2pool_observer_t *observer,
                               uint64_t main_height, size_t wallets_paid) {
  pending_t pending =
      pending_begin(NOTIF_OKAY, observer->name, "blocks", "found");
  if (wallets_paid == 0)
    ssnprintf(pending.message, sizeof(pending.message),
              "The pool on observer \"%s\" found Monero block %" PRIu64
              "; it paid none of the configured wallets.",
              observer->name, main_height);
  else
    ssnprintf(pending.message, sizeof(pending.message),
              "The pool on observer \"%s\" found Monero block %" PRIu64
              "; it paid %zu of the configured wallets.",
              observer->name, main_height, wallets_paid);
  pending_add_unsigned(&pending, "main_height", main_height);
  pending_add_unsigned(&pending, "wallets_paid", (uint64_t)wallets_paid);
  enqueue(&pending);
}

void p2pool_notify_orphaned_block(const p2pool_wallet_t *wallet,
                                  uint64_t main_height) {
  pending_t pending =
      pending_begin(NOTIF_WARNING, wallet->name, "blocks", "orphaned");
  ssnprintf(pending.message, sizeof(pending.message),
            "The Monero block %" PRIu64 " found by wallet \"%s\" was "
            "orphaned; its reward is lost.",
            main_height, wallet->name);
  pending_add_unsigned(&pending, "main_height", main_height);
  enqueue(&pending);
}

static void queue_drought(const p2pool_wallet_t *wallet,
                          p2pool_transition_t transition,
                          const p2pool_drought_figures_t *figures) {
  char age[32], expected[32], hashrate[32];
  p2pool_format_duration(figures->age_seconds, age, sizeof(age));
  p2pool_format_duration(figures->expected_seconds, expected, sizeof(expected));
  p2pool_format_hashrate(wallet->state.drought.reference_hashrate, hashrate,
                         sizeof(hashrate));

  int severity =
      transition == P2POOL_TRANSITION_BEGIN ? NOTIF_WARNING : NOTIF_OKAY;
  pending_t pending =
      pending_begin(severity, wallet->name, "age_seconds", "last_share");
  if (transition == P2POOL_TRANSITION_BEGIN)
    ssnprintf(pending.message, sizeof(pending.message),
              "Wallet \"%s\" has found no share for %s; at %s a share is "
              "expected every %s. Check the miners and the P2Pool node.",
              wallet->name, age, hashrate, expected);
  else
    ssnprintf(pending.message, sizeof(pending.message),
              "Wallet \"%s\" found a share again (%s ago); the share "
              "drought is over.",
              wallet->name, age);

  pending_add_double(&pending, "age_seconds", figures->age_seconds);
  pending_add_double(&pending, "expected_seconds", figures->expected_seconds);
  pending_add_double(&pending, "threshold_seconds", figures->threshold_seconds);
  enqueue(&pending);
}

void p2pool_notify_check_drought(p2pool_wallet_t *wallet, cdtime_t now) {
  const p2pool_observer_t *observer = wallet->observer;
  const p2pool_wallet_state_t *state = &wallet->state;

  p2pool_drought_input_t input = {
      .hashrate = state->window_valid ? state->hashrate : 0.0,
      .side_difficulty =
          observer->pool_valid ? observer->pool.side_difficulty : 0,
      .last_share_time = state->last_share_time,
      .now = CDTIME_T_TO_DOUBLE(now),
      .factor = drought_factor,
      .min_threshold_seconds =
          P2POOL_DROUGHT_MIN_INTERVALS * CDTIME_T_TO_DOUBLE(observer->interval),
  };
  p2pool_drought_figures_t figures;
  p2pool_transition_t transition =
      p2pool_drought_check(&wallet->state.drought, &input, &figures);
  if (transition != P2POOL_TRANSITION_NONE)
    queue_drought(wallet, transition, &figures);
}

bool p2pool_notify_check_observer(p2pool_observer_t *observer) {
  uint64_t blocked_total = 0;
  uint64_t responses_total = 0;
  for (size_t i = 0; i < observer->health.endpoints_num; i++) {
    const uint64_t *outcomes = observer->health.endpoints[i].outcomes;
    blocked_total += outcomes[P2POOL_OUTCOME_BLOCKED];
    responses_total +=
        outcomes[P2POOL_OUTCOME_OK] + outcomes[P2POOL_OUTCOME_NOT_FOUND];
  }

  bool responded = responses_total > observer->blocked.responses_seen;
  p2pool_transition_t transition =
      p2pool_blocked_check(&observer->blocked, blocked_total, responses_total);
  if (transition == P2POOL_TRANSITION_NONE)
    return responded;

  bool begin = transition == P2POOL_TRANSITION_BEGIN;
  pending_t pending = pending_begin(begin ? NOTIF_FAILURE : NOTIF_OKAY,
                                    observer->name, "api_requests", "blocked");
  if (begin)
    ssnprintf(pending.message, sizeof(pending.message),
              "Observer \"%s\" (%s) returns HTML pages of a bot filter or "
              "proxy; its figures stay stale until it responds again.",
              observer->name, observer->url);
  else
    ssnprintf(pending.message, sizeof(pending.message),
              "Observer \"%s\" (%s) responds again; the figures are "
              "current.",
              observer->name, observer->url);
  pending_add_unsigned(&pending, "blocked_requests", blocked_total);
  enqueue(&pending);
  return responded;
}

void p2pool_notify_submit_wallet(const p2pool_batch_t *batch,
                                 const p2pool_wallet_t *wallet) {
  double expected = wallet->state.drought.expected_seconds;
  if (expected > 0.0 && isfinite(expected))
    p2pool_submit_gauge(batch, "share_interval_seconds", "expected", expected);
}
