/*
 * observer.c: polling a P2Pool Observer's REST API for its wallets.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"
#include "utils_complain.h"

#include "events.h"
#include "hashrate.h"
#include "notify.h"
#include "observer.h"
#include "store.h"
#include "window.h"

#include <math.h>

/* Wallets polled in one batch. Larger configurations run several batches
 * within the same deadline, which keeps request buffers small. */
#define WALLETS_PER_BATCH 256
#define REQUESTS_PER_WALLET 3

enum { REQUEST_MINER_INFO = 0, REQUEST_WINDOW = 1, REQUEST_PAYOUTS = 2 };

/* Poll bookkeeping of one wallet, used only by the poller thread. */
typedef struct {
  p2pool_wallet_t *wallet;
  c_complain_t complaints[REQUESTS_PER_WALLET];
  bool not_found_logged;
  int answered;            /* requests of this poll that succeeded */
  cdtime_t last_full_poll; /* when all three requests last succeeded */
} wallet_poll_t;

typedef struct {
  p2pool_observer_t *observer;
  c_complain_t pool_complaint;
  c_complain_t busy_complaint;
  wallet_poll_t *wallets;
  wallet_poll_t **due;             /* wallets this poll requests */
  p2pool_http_request_t *requests; /* WALLETS_PER_BATCH * 3 */
  p2pool_http_request_t **request_list;
  uint64_t uncle_penalty; /* from the last good pool_info */
  bool uncle_penalty_valid;
  bool state_changed; /* saved state changed during this poll */
} poll_state_t;

static const char *const wallet_endpoints[REQUESTS_PER_WALLET] = {
    "miner_info", "side_blocks_in_window", "payouts"};

static wallet_poll_t *wallet_poll_of(const p2pool_http_request_t *request) {
  return request->user_data;
}

/* Logs a failed request once per complaint interval, with what happens
 * next. */
static void complain_request(const p2pool_observer_t *observer,
                             const char *wallet_name, c_complain_t *complaint,
                             const p2pool_http_request_t *request,
                             const char *detail) {
  char subject[256];
  if (wallet_name != NULL)
    ssnprintf(subject, sizeof(subject), "%s for wallet \"%s\"",
              request->endpoint, wallet_name);
  else
    ssnprintf(subject, sizeof(subject), "%s", request->endpoint);

  char reason[512];
  int len = ssnprintf(reason, sizeof(reason), "%s",
                      p2pool_outcome_name(request->outcome));
  if (request->status > 0 && len > 0 && (size_t)len < sizeof(reason))
    len += ssnprintf(reason + len, sizeof(reason) - (size_t)len, ", HTTP %ld",
                     request->status);
  if (detail != NULL && detail[0] != '\0' && len > 0 &&
      (size_t)len < sizeof(reason))
    ssnprintf(reason + len, sizeof(reason) - (size_t)len, ": %s", detail);

  if (request->outcome == P2POOL_OUTCOME_BLOCKED)
    c_complain(LOG_WARNING, complaint,
               "p2pool plugin: observer \"%s\": %s was blocked: HTTP %ld with "
               "an HTML page (a bot filter or proxy error) from %s; keeping "
               "the last figures and retrying every %.0f s.",
               observer->name, subject, request->status, request->url,
               CDTIME_T_TO_DOUBLE(observer->interval));
  else
    c_complain(LOG_WARNING, complaint,
               "p2pool plugin: observer \"%s\": %s failed (%s) from %s; "
               "keeping the last figures and retrying every %.0f s.",
               observer->name, subject, reason, request->url,
               CDTIME_T_TO_DOUBLE(observer->interval));
}

static void release_request(const p2pool_observer_t *observer,
                            const char *wallet_name, c_complain_t *complaint,
                            const char *endpoint) {
  if (wallet_name != NULL)
    c_release(LOG_INFO, complaint,
              "p2pool plugin: observer \"%s\": %s for wallet \"%s\" works "
              "again.",
              observer->name, endpoint, wallet_name);
  else
    c_release(LOG_INFO, complaint,
              "p2pool plugin: observer \"%s\": %s works again.", observer->name,
              endpoint);
}

/* Parses an OK response's body; on failure reclassifies it as bad_body and
 * writes the reason into err. */
static json_object *parse_body(p2pool_http_request_t *request, char *err,
                               size_t err_size) {
  json_object *root = NULL;
  if (request->body == NULL) {
    snprintf(err, err_size, "empty body");
    request->outcome = P2POOL_OUTCOME_BAD_BODY;
    return NULL;
  }
  if (p2pool_json_parse(request->body, request->body_len, &root, err,
                        err_size) != 0) {
    request->outcome = P2POOL_OUTCOME_BAD_BODY;
    return NULL;
  }
  return root;
}

static void record_health(p2pool_observer_t *observer,
                          const p2pool_http_request_t *request) {
  pthread_mutex_lock(&observer->lock);
  p2pool_health_record(&observer->health, request);
  pthread_mutex_unlock(&observer->lock);
}

/* Applies a wallet's not_found response: the miner has no shares yet. */
static void apply_not_found(poll_state_t *poll, wallet_poll_t *entry,
                            int kind) {
  p2pool_observer_t *observer = poll->observer;
  p2pool_wallet_t *wallet = entry->wallet;

  pthread_mutex_lock(&observer->lock);
  wallet->state.miner_not_found = true;
  wallet->state.window_valid = true;
  wallet->state.window.shares_num = 0;
  p2pool_observer_refresh_wallet(observer, wallet);
  if (kind == REQUEST_PAYOUTS && !wallet->state.payouts.history_loaded) {
    wallet->state.payouts.history_loaded = true;
    poll->state_changed = true;
  }
  pthread_mutex_unlock(&observer->lock);

  if (!entry->not_found_logged) {
    INFO("p2pool plugin: observer \"%s\" does not know wallet \"%s\" (%s) "
         "yet: it has found no shares on this sidechain. Its figures are "
         "zero until it does.",
         observer->name, wallet->name, wallet->address);
    entry->not_found_logged = true;
  }
}

static void apply_miner_info(poll_state_t *poll, wallet_poll_t *entry,
                             json_object *root, char *err, size_t err_size,
                             p2pool_http_request_t *request) {
  p2pool_miner_info_t info;
  if (p2pool_parse_miner_info(root, &info, err, err_size) != 0) {
    request->outcome = P2POOL_OUTCOME_BAD_BODY;
    return;
  }

  p2pool_wallet_state_t *state = &entry->wallet->state;
  pthread_mutex_lock(&poll->observer->lock);
  state->miner_not_found = false;
  if (info.last_share_height > state->last_share_height) {
    state->last_share_height = info.last_share_height;
    state->last_share_time = info.last_share_timestamp;
    poll->state_changed = true;
  }
  pthread_mutex_unlock(&poll->observer->lock);
}

void p2pool_observer_refresh_wallet(p2pool_observer_t *observer,
                                    p2pool_wallet_t *wallet) {
  p2pool_wallet_state_t *state = &wallet->state;
  const p2pool_pool_info_t *pool = &observer->pool;
  p2pool_window_summary_t summary;

  p2pool_window_expire(&state->window, pool->side_height, pool->window_depth);
  p2pool_window_summarize(&state->window, &summary);

  double window_weight = p2pool_u128_to_double(pool->window_weight);
  state->window_shares = summary.shares;
  state->window_uncles = summary.uncles;
  state->share_weight = summary.weight;
  state->share_fraction =
      window_weight > 0.0 ? (double)summary.weight / window_weight : 0.0;
  state->hashrate = p2pool_window_hashrate(summary.weight, pool->window_weight,
                                           pool->pool_hashrate);
  if (summary.newest_height > state->last_share_height) {
    state->last_share_height = summary.newest_height;
    state->last_share_time = summary.newest_timestamp;
  }
}

static void apply_window(poll_state_t *poll, wallet_poll_t *entry,
                         json_object *root, char *err, size_t err_size,
                         p2pool_http_request_t *request) {
  p2pool_window_t window = {0};
  if (p2pool_parse_window_shares(root, poll->uncle_penalty, &window, err,
                                 err_size) != 0) {
    p2pool_window_free(&window);
    request->outcome = P2POOL_OUTCOME_BAD_BODY;
    return;
  }

  p2pool_observer_t *observer = poll->observer;
  p2pool_wallet_t *wallet = entry->wallet;
  pthread_mutex_lock(&observer->lock);
  uint64_t last_share_height = wallet->state.last_share_height;
  p2pool_window_replace(&wallet->state.window, &window);
  wallet->state.window_valid = true;
  p2pool_observer_refresh_wallet(observer, wallet);
  if (wallet->state.last_share_height != last_share_height)
    poll->state_changed = true;
  pthread_mutex_unlock(&observer->lock);
}

static void apply_payouts(poll_state_t *poll, wallet_poll_t *entry,
                          json_object *root, char *err, size_t err_size,
                          p2pool_http_request_t *request) {
  p2pool_payout_t *payouts = NULL;
  size_t payouts_num = 0;
  if (p2pool_parse_payouts(root, &payouts, &payouts_num, err, err_size) != 0) {
    request->outcome = P2POOL_OUTCOME_BAD_BODY;
    return;
  }

  p2pool_wallet_t *wallet = entry->wallet;
  size_t counted = 0;
  pthread_mutex_lock(&poll->observer->lock);
  bool first_read = !wallet->state.payouts.history_loaded;
  uint64_t highest = 0;
  p2pool_payout_ledger_t *ledger = &wallet->state.payouts;
  for (size_t i = 0; i < payouts_num; i++) {
    /* An earlier list confirmed everything below the cursor; an observer
     * that ignores from_height sends those rows again. */
    if (!first_read && payouts[i].main_height < ledger->cursor_height)
      continue;
    if (p2pool_payout_ledger_add(ledger, &payouts[i]) > 0)
      counted++;
    if (payouts[i].main_height > highest)
      highest = payouts[i].main_height;
  }
  p2pool_payout_ledger_confirm(ledger, highest);
  ledger->history_loaded = true;
  pthread_mutex_unlock(&poll->observer->lock);
  free(payouts);

  if (counted > 0 || first_read)
    poll->state_changed = true;
  if (first_read)
    INFO("p2pool plugin: observer \"%s\": read the payout history of wallet "
         "\"%s\": %zu payouts.",
         poll->observer->name, wallet->name, payouts_num);
  else if (counted > 0)
    INFO("p2pool plugin: observer \"%s\": wallet \"%s\" received %zu new "
         "payouts.",
         poll->observer->name, wallet->name, counted);
}

/* Tells whether a finished request is neither counted nor logged: one cut
 * short by shutdown, or a window that cannot be weighed because pool_info
 * never succeeded (that failure is counted and logged already). */
static bool request_is_moot(poll_state_t *poll,
                            const p2pool_http_request_t *request, int kind) {
  if (kind == REQUEST_WINDOW && request->outcome == P2POOL_OUTCOME_OK &&
      !poll->uncle_penalty_valid)
    return true;
  return request->outcome == P2POOL_OUTCOME_TIMEOUT &&
         p2pool_worker_stopping(poll->observer->poller);
}

/* Handles one finished wallet request; runs in the poller thread. */
static void on_wallet_request_done(p2pool_http_request_t *request) {
  wallet_poll_t *entry = wallet_poll_of(request);
  p2pool_wallet_t *wallet = entry->wallet;
  poll_state_t *poll = wallet->observer->poll_state;
  int kind = (int)(request - poll->requests) % REQUESTS_PER_WALLET;
  char err[256] = "";

  if (request_is_moot(poll, request, kind)) {
    p2pool_http_request_reset(request);
    return;
  }

  if (request->outcome == P2POOL_OUTCOME_NOT_FOUND) {
    apply_not_found(poll, entry, kind);
  } else if (request->outcome == P2POOL_OUTCOME_OK) {
    json_object *root = parse_body(request, err, sizeof(err));
    if (root != NULL && kind == REQUEST_MINER_INFO)
      apply_miner_info(poll, entry, root, err, sizeof(err), request);
    else if (root != NULL && kind == REQUEST_WINDOW)
      apply_window(poll, entry, root, err, sizeof(err), request);
    else if (root != NULL)
      apply_payouts(poll, entry, root, err, sizeof(err), request);
    json_object_put(root);
  }

  record_health(wallet->observer, request);
  if (request->outcome == P2POOL_OUTCOME_OK ||
      request->outcome == P2POOL_OUTCOME_NOT_FOUND)
    entry->answered++;
  if (request->outcome == P2POOL_OUTCOME_OK ||
      request->outcome == P2POOL_OUTCOME_NOT_FOUND)
    release_request(wallet->observer, wallet->name, &entry->complaints[kind],
                    request->endpoint);
  else
    complain_request(wallet->observer, wallet->name, &entry->complaints[kind],
                     request, err[0] != '\0' ? err : request->error);
  p2pool_http_request_reset(request);
}

static void build_wallet_requests(poll_state_t *poll, wallet_poll_t *entry,
                                  p2pool_http_request_t *requests) {
  const p2pool_observer_t *observer = poll->observer;
  const p2pool_wallet_t *wallet = entry->wallet;

  for (int kind = 0; kind < REQUESTS_PER_WALLET; kind++) {
    requests[kind].endpoint = wallet_endpoints[kind];
    requests[kind].user_data = entry;
    requests[kind].on_done = on_wallet_request_done;
  }

  ssnprintf(requests[REQUEST_MINER_INFO].url, sizeof(requests[0].url),
            "%s/api/miner_info/%s?shareEstimates", observer->url,
            wallet->address);
  ssnprintf(requests[REQUEST_WINDOW].url, sizeof(requests[0].url),
            "%s/api/side_blocks_in_window/%s?noMainStatus&noMiner",
            observer->url, wallet->address);

  pthread_mutex_lock(&poll->observer->lock);
  const p2pool_payout_ledger_t *ledger = &wallet->state.payouts;
  if (ledger->history_loaded && ledger->cursor_height > 0)
    ssnprintf(requests[REQUEST_PAYOUTS].url, sizeof(requests[0].url),
              "%s/api/payouts/%s?from_height=%" PRIu64, observer->url,
              wallet->address, ledger->cursor_height);
  else
    ssnprintf(requests[REQUEST_PAYOUTS].url, sizeof(requests[0].url),
              "%s/api/payouts/%s?search_limit=0", observer->url,
              wallet->address);
  pthread_mutex_unlock(&poll->observer->lock);
}

static long remaining_ms(cdtime_t deadline) {
  cdtime_t now = cdtime();
  return now >= deadline ? 0 : (long)CDTIME_T_TO_MS(deadline - now);
}

/* Lists the wallets this poll requests. While the event stream is healthy
 * it keeps wallet figures current, so a wallet is polled over REST only once
 * per ReconcileInterval to correct what the stream may have missed. */
static size_t select_due_wallets(poll_state_t *poll, cdtime_t now) {
  p2pool_observer_t *observer = poll->observer;

  pthread_mutex_lock(&observer->lock);
  bool stream_healthy =
      observer->events_healthy && !observer->full_poll_requested;
  observer->full_poll_requested = false;
  pthread_mutex_unlock(&observer->lock);

  size_t due_num = 0;
  for (size_t i = 0; i < observer->wallets_num; i++) {
    wallet_poll_t *entry = &poll->wallets[i];
    bool recent = entry->last_full_poll != 0 &&
                  now - entry->last_full_poll < observer->reconcile_interval;
    if (stream_healthy && recent)
      continue;
    poll->due[due_num++] = entry;
  }
  return due_num;
}

/* Polls the due wallets, WALLETS_PER_BATCH at a time, until the deadline. */
static int poll_wallets(poll_state_t *poll, cdtime_t deadline) {
  p2pool_observer_t *observer = poll->observer;
  cdtime_t now = cdtime();
  size_t due_num = select_due_wallets(poll, now);

  for (size_t first = 0; first < due_num; first += WALLETS_PER_BATCH) {
    size_t count = due_num - first;
    if (count > WALLETS_PER_BATCH)
      count = WALLETS_PER_BATCH;

    for (size_t i = 0; i < count; i++) {
      poll->due[first + i]->answered = 0;
      build_wallet_requests(poll, poll->due[first + i],
                            &poll->requests[i * REQUESTS_PER_WALLET]);
    }

    int status =
        p2pool_http_run(observer->http, poll->request_list,
                        count * REQUESTS_PER_WALLET, remaining_ms(deadline));
    if (status != 0)
      return status;

    for (size_t i = 0; i < count; i++) {
      if (poll->due[first + i]->answered == REQUESTS_PER_WALLET)
        poll->due[first + i]->last_full_poll = now;
    }
  }
  return 0;
}

/* Keeps the tip figures the event stream delivered when they are newer than
 * pool_info's, which the observer rebuilds only every few seconds. */
static void keep_newer_tips(const p2pool_pool_info_t *current,
                            p2pool_pool_info_t *info) {
  if (current->side_height > info->side_height) {
    info->side_height = current->side_height;
    info->side_difficulty = current->side_difficulty;
    info->pool_hashrate = current->pool_hashrate;
    if (current->window_depth != 0)
      info->window_depth = current->window_depth;
  }
  if (current->main_height > info->main_height) {
    info->main_height = current->main_height;
    info->main_difficulty = current->main_difficulty;
  }
}

static void apply_pool_info(poll_state_t *poll, p2pool_http_request_t *request,
                            char *err, size_t err_size) {
  json_object *root = parse_body(request, err, err_size);
  if (root == NULL)
    return;

  p2pool_pool_info_t info;
  int status = p2pool_parse_pool_info(root, &info, err, err_size);
  json_object_put(root);
  if (status != 0) {
    request->outcome = P2POOL_OUTCOME_BAD_BODY;
    return;
  }

  pthread_mutex_lock(&poll->observer->lock);
  keep_newer_tips(&poll->observer->pool, &info);
  poll->observer->pool = info;
  poll->observer->pool_valid = true;
  pthread_mutex_unlock(&poll->observer->lock);
  poll->uncle_penalty = info.uncle_penalty;
  poll->uncle_penalty_valid = true;
}

static int poll_pool_info(poll_state_t *poll, cdtime_t deadline) {
  p2pool_observer_t *observer = poll->observer;
  p2pool_http_request_t request = {.endpoint = "pool_info"};
  p2pool_http_request_t *list[] = {&request};
  char err[256] = "";

  ssnprintf(request.url, sizeof(request.url), "%s/api/pool_info",
            observer->url);
  int status = p2pool_http_run(observer->http, list, 1, remaining_ms(deadline));
  if (status == 0 && request.outcome == P2POOL_OUTCOME_OK)
    apply_pool_info(poll, &request, err, sizeof(err));

  if (status == 0)
    record_health(observer, &request);
  if (request.outcome == P2POOL_OUTCOME_OK)
    release_request(observer, NULL, &poll->pool_complaint, "pool_info");
  else if (status == 0)
    complain_request(observer, NULL, &poll->pool_complaint, &request,
                     err[0] != '\0' ? err : request.error);
  p2pool_http_request_reset(&request);
  return status;
}

/* Queues the notifications of payouts, share droughts and a blocked
 * observer. */
static void check_notifications(p2pool_observer_t *observer) {
  cdtime_t now = cdtime();

  pthread_mutex_lock(&observer->lock);
  bool responded = p2pool_notify_check_observer(observer);
  for (size_t i = 0; i < observer->wallets_num; i++) {
    p2pool_notify_check_payouts(observer->wallets[i]);
    /* Without responses the last share time is stale, not old. */
    if (responded)
      p2pool_notify_check_drought(observer->wallets[i], now);
  }
  pthread_mutex_unlock(&observer->lock);
}

static void poll_once(poll_state_t *poll) {
  p2pool_observer_t *observer = poll->observer;
  cdtime_t deadline = cdtime() + observer->timeout;

  poll->state_changed = false;
  int status = poll_pool_info(poll, deadline);
  if (status == 0)
    status = poll_wallets(poll, deadline);
  if (status == -EINTR)
    return; /* shutting down */

  check_notifications(observer);
  p2pool_observer_dispatch_all(observer);
  if (poll->state_changed) {
    p2pool_store_mark_dirty();
    p2pool_store_save();
  }
}

void p2pool_observer_submit_pool(const p2pool_batch_t *batch,
                                 const p2pool_observer_t *observer) {
  if (observer->pool_valid) {
    const p2pool_pool_info_t *pool = &observer->pool;
    p2pool_submit_gauge(batch, "difficulty", "main",
                        p2pool_u128_to_double(pool->main_difficulty));
    p2pool_submit_gauge(batch, "difficulty", "side",
                        (gauge_t)pool->side_difficulty);
    p2pool_submit_gauge(batch, "hashrate", "pool", pool->pool_hashrate);
    p2pool_submit_gauge(batch, "miners", "window",
                        (gauge_t)pool->window_miners);
    p2pool_submit_gauge(batch, "miners", "total", (gauge_t)pool->miners_total);
    p2pool_submit_gauge(batch, "window_blocks", NULL,
                        (gauge_t)pool->window_blocks);
    p2pool_submit_gauge(batch, "window_uncles", NULL,
                        (gauge_t)pool->window_uncles);
    p2pool_submit_gauge(batch, "window_weight", NULL,
                        p2pool_u128_to_double(pool->window_weight));
    p2pool_submit_gauge(batch, "height", "main", (gauge_t)pool->main_height);
    p2pool_submit_gauge(batch, "height", "side", (gauge_t)pool->side_height);
    p2pool_submit_gauge(batch, "age_seconds", "last_block",
                        (gauge_t)pool->seconds_since_last_block);
    p2pool_submit_gauge(batch, "reward_atomic_units", "main",
                        (gauge_t)pool->main_reward);

    const struct {
      const char *name;
      double value;
    } efforts[] = {{"current", pool->effort_current},
                   {"average10", pool->effort_average10},
                   {"average", pool->effort_average},
                   {"average200", pool->effort_average200}};
    for (size_t i = 0; i < STATIC_ARRAY_SIZE(efforts); i++) {
      if (!isnan(efforts[i].value))
        p2pool_submit_gauge(batch, "effort_percent", efforts[i].name,
                            efforts[i].value);
    }
  }
}

void p2pool_observer_submit_wallet(const p2pool_batch_t *batch,
                                   const p2pool_wallet_t *wallet) {
  const p2pool_wallet_state_t *state = &wallet->state;

  if (state->window_valid) {
    p2pool_submit_gauge(batch, "hashrate", "window", state->hashrate);
    p2pool_submit_gauge(batch, "window_shares", NULL,
                        (gauge_t)state->window_shares);
    p2pool_submit_gauge(batch, "window_uncles", NULL,
                        (gauge_t)state->window_uncles);
    p2pool_submit_gauge(batch, "share_weight", NULL,
                        (gauge_t)state->share_weight);
    p2pool_submit_gauge(batch, "share_fraction", NULL, state->share_fraction);
  }

  if (state->last_share_height > 0 || state->miner_not_found)
    p2pool_submit_gauge(batch, "height", "last_share",
                        (gauge_t)state->last_share_height);
  if (state->last_share_time > 0) {
    double now = CDTIME_T_TO_DOUBLE(batch->time);
    p2pool_submit_gauge(batch, "timestamp_seconds", "last_share",
                        (gauge_t)state->last_share_time);
    p2pool_submit_gauge(batch, "age_seconds", "last_share",
                        now - (double)state->last_share_time);
  }

  const p2pool_payout_ledger_t *ledger = &state->payouts;
  if (ledger->history_loaded) {
    p2pool_submit_derive(batch, "payouts", NULL, (derive_t)ledger->count);
    p2pool_submit_derive(batch, "payout_atomic_units", NULL,
                         (derive_t)ledger->amount);
  }
  if (ledger->count > 0) {
    p2pool_submit_gauge(batch, "last_payout_atomic_units", NULL,
                        (gauge_t)ledger->newest_amount);
    p2pool_submit_gauge(batch, "timestamp_seconds", "last_payout",
                        (gauge_t)ledger->newest_timestamp);
  }

  p2pool_notify_submit_wallet(batch, wallet);
}

void p2pool_observer_dispatch_all(p2pool_observer_t *observer) {
  p2pool_batch_t batch;

  p2pool_batch_begin(&batch, &observer->clock, observer->name,
                     observer->interval);
  pthread_mutex_lock(&observer->lock);
  p2pool_observer_submit_pool(&batch, observer);
  p2pool_submit_health(&batch, &observer->health);
  if (observer->events_client != NULL)
    p2pool_events_submit(&batch, observer);
  pthread_mutex_unlock(&observer->lock);
  p2pool_batch_end(&batch);

  for (size_t i = 0; i < observer->wallets_num; i++) {
    p2pool_wallet_t *wallet = observer->wallets[i];
    p2pool_batch_begin(&batch, &observer->clock, wallet->name,
                       observer->interval);
    pthread_mutex_lock(&observer->lock);
    if (wallet->state.window_valid)
      p2pool_observer_refresh_wallet(observer, wallet);
    p2pool_observer_submit_wallet(&batch, wallet);
    pthread_mutex_unlock(&observer->lock);
    p2pool_batch_end(&batch);
  }
}

/* One run of the poller thread. */
static void poll_work(void *arg) { poll_once(arg); }

/* The read callback: wakes the poller, or notes that it is still busy. */
static int observer_read(user_data_t *user_data) {
  p2pool_observer_t *observer = user_data->data;
  poll_state_t *poll = observer->poll_state;

  if (p2pool_worker_kick(observer->poller) == -EBUSY)
    c_complain(LOG_WARNING, &poll->busy_complaint,
               "p2pool plugin: observer \"%s\": the previous poll is still "
               "running; skipping this interval.",
               observer->name);
  else
    c_release(LOG_INFO, &poll->busy_complaint,
              "p2pool plugin: observer \"%s\": polls finish within the "
              "interval again.",
              observer->name);
  return 0;
}

static poll_state_t *poll_state_create(p2pool_observer_t *observer) {
  poll_state_t *poll = calloc(1, sizeof(*poll));
  if (poll == NULL)
    return NULL;
  poll->observer = observer;
  C_COMPLAIN_INIT(&poll->pool_complaint);
  C_COMPLAIN_INIT(&poll->busy_complaint);

  size_t batch = observer->wallets_num < WALLETS_PER_BATCH
                     ? observer->wallets_num
                     : WALLETS_PER_BATCH;
  size_t requests_num = batch * REQUESTS_PER_WALLET;
  poll->wallets = calloc(observer->wallets_num + 1, sizeof(*poll->wallets));
  poll->due = calloc(observer->wallets_num + 1, sizeof(*poll->due));
  poll->requests = calloc(requests_num + 1, sizeof(*poll->requests));
  poll->request_list = calloc(requests_num + 1, sizeof(*poll->request_list));
  if (poll->wallets == NULL || poll->due == NULL || poll->requests == NULL ||
      poll->request_list == NULL) {
    free(poll->wallets);
    free(poll->due);
    free(poll->requests);
    free(poll->request_list);
    free(poll);
    return NULL;
  }

  for (size_t i = 0; i < observer->wallets_num; i++) {
    poll->wallets[i].wallet = observer->wallets[i];
    for (int kind = 0; kind < REQUESTS_PER_WALLET; kind++)
      C_COMPLAIN_INIT(&poll->wallets[i].complaints[kind]);
  }
  for (size_t i = 0; i < requests_num; i++)
    poll->request_list[i] = &poll->requests[i];
  return poll;
}

static void poll_state_free(poll_state_t *poll) {
  if (poll == NULL)
    return;
  free(poll->wallets);
  free(poll->due);
  free(poll->requests);
  free(poll->request_list);
  free(poll);
}

static int observer_create_runtime(p2pool_observer_t *observer) {
  p2pool_http_options_t options = {
      .user_agent = observer->user_agent,
      .verify_peer = observer->verify_peer,
      .verify_host = observer->verify_host,
      .ca_cert = observer->ca_cert,
  };

  observer->http = p2pool_http_client_create(&options);
  observer->poll_state = poll_state_create(observer);
  if (observer->http == NULL || observer->poll_state == NULL) {
    ERROR("p2pool plugin: observer \"%s\": out of memory while starting.",
          observer->name);
    return -ENOMEM;
  }
  return 0;
}

int p2pool_observer_start(p2pool_observer_t *observer) {
  int status = observer_create_runtime(observer);
  if (status != 0)
    return status;

  status = p2pool_worker_start(&observer->poller, "p2pool poll", poll_work,
                               observer->poll_state, observer->http);
  if (status != 0) {
    ERROR("p2pool plugin: observer \"%s\": starting the poller thread "
          "failed: %s.",
          observer->name, STRERROR(-status));
    return status;
  }

  char name[DATA_MAX_NAME_LEN * 2];
  ssnprintf(name, sizeof(name), "p2pool/observer/%s", observer->name);
  status = plugin_register_complex_read("p2pool", name, observer_read,
                                        observer->interval,
                                        &(user_data_t){.data = observer});
  if (status != 0) {
    ERROR("p2pool plugin: observer \"%s\": registering the read callback "
          "failed (status %d).",
          observer->name, status);
    return -EINVAL;
  }

  INFO("p2pool plugin: observer \"%s\": polling %s every %.0f s; wallets: "
       "%zu.",
       observer->name, observer->url, CDTIME_T_TO_DOUBLE(observer->interval),
       observer->wallets_num);
  return 0;
}

void p2pool_observer_request_poll(p2pool_observer_t *observer) {
  if (observer->poller == NULL)
    return;

  pthread_mutex_lock(&observer->lock);
  observer->full_poll_requested = true;
  pthread_mutex_unlock(&observer->lock);
  p2pool_worker_request(observer->poller);
}

void p2pool_observer_stop(p2pool_observer_t *observer) {
  p2pool_worker_stop(observer->poller);
}

void p2pool_observer_free(p2pool_observer_t *observer) {
  if (observer == NULL)
    return;
  p2pool_worker_free(observer->poller);
  observer->poller = NULL;
  for (size_t i = 0; i < observer->wallets_num; i++)
    p2pool_window_free(&observer->wallets[i]->state.window);
  p2pool_http_client_destroy(observer->http);
  observer->http = NULL;
  poll_state_free(observer->poll_state);
  observer->poll_state = NULL;
}
