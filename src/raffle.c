/*
 * raffle.c: xmrvsbeast raffle figures for wallets with Raffle true.
 *
 * Once per RaffleInterval the read callback kicks a worker thread, which
 * fetches every such wallet's figures at once, within one RaffleTimeout. It
 * tries the JSON endpoint first, and the HTML page for wallets whose JSON
 * response was unusable. HTTP 422 means xmrvsbeast has no entry for the
 * address. The 1 h and 24 h averages (type "hashrate", type instances
 * raffle_1h and raffle_24h, in H/s) and the fail count go out under the
 * wallet's name, on its observer's dispatch clock. Request health goes out
 * under plugin instance "raffle". After failed fetches the last figures
 * stay for at most an hour, because a 1 h average older than that tells
 * nothing about the present.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"
#include "utils_complain.h"

#include "raffle.h"
#include "raffle_parse.h"
#include "worker.h"

#include <string.h>

#define RAFFLE_DEFAULT_URL "https://xmrvsbeast.com"
/* How long the last good figures stay after failed fetches. */
#define RAFFLE_KEEP_FIGURES TIME_T_TO_CDTIME_T(3600)

#define RAFFLE_JSON_PATH "/cgi-bin/p2pool_bonus_history_gupaxx_api.cgi?address="
#define RAFFLE_PAGE_PATH "/cgi-bin/p2pool_bonus_history.cgi?address="
#define RAFFLE_HEALTH_INSTANCE "raffle"
/* xmrvsbeast's status for an address it has no entry for. */
#define HTTP_STATUS_UNPROCESSABLE 422

/* What one wallet's fetch amounted to. */
typedef enum {
  FETCH_OK = 0,
  FETCH_NOT_REGISTERED,
  FETCH_TRY_PAGE, /* the JSON response was unusable, so try the page */
  FETCH_FAILED,
} fetch_result_t;

/* One wallet with Raffle true. Used only by the worker thread, except the
 * figures in wallet->state, which its observer's lock guards. */
typedef struct {
  p2pool_wallet_t *wallet;
  fetch_result_t result;
  p2pool_raffle_figures_t figures;
  char json_problem[256]; /* why the JSON response was unusable */
  char problem[256];      /* why the fetch failed */

  cdtime_t figures_time; /* when the last good figures arrived, 0: none */
  bool fails_valid;
  uint64_t fails;
  bool not_registered_logged;
  bool dropped_logged;
  c_complain_t complaint;
} raffle_wallet_t;

struct p2pool_raffle_s {
  char *url; /* base URL without a trailing slash */
  cdtime_t interval;
  cdtime_t timeout;

  /* The read callback's. */
  p2pool_worker_t *worker;
  c_complain_t busy_complaint;

  /* The worker thread's. */
  p2pool_http_client_t *http;

  raffle_wallet_t *wallets;
  size_t wallets_num;
  p2pool_http_request_t *requests; /* one per wallet */
  p2pool_http_request_t **request_list;

  p2pool_health_t health;
  p2pool_dispatch_clock_t clock;
};

static void raffle_free(p2pool_raffle_t *raffle) {
  if (raffle == NULL)
    return;

  p2pool_worker_free(raffle->worker);
  for (size_t i = 0; raffle->requests != NULL && i < raffle->wallets_num; i++)
    p2pool_http_request_reset(&raffle->requests[i]);
  p2pool_http_client_destroy(raffle->http);
  p2pool_dispatch_clock_destroy(&raffle->clock);
  sfree(raffle->requests);
  sfree(raffle->request_list);
  sfree(raffle->wallets);
  sfree(raffle->url);
  sfree(raffle);
}

/* Points a wallet's request at path + the wallet's address. */
static int prepare_request(const p2pool_raffle_t *raffle,
                           p2pool_http_request_t *request,
                           const raffle_wallet_t *entry, const char *path,
                           const char *endpoint) {
  p2pool_http_request_reset(request);
  request->endpoint = endpoint;
  request->user_data = (void *)entry;
  ssnprintf(request->url, sizeof(request->url), "%s%s", raffle->url, path);
  return p2pool_http_url_append_escaped(request->url, sizeof(request->url),
                                        entry->wallet->address);
}

/* Sets a request's health outcome after its body was read: a 2xx response
 * is ok or bad_body whatever the content type, and 422 is not_found. */
static void set_outcome(p2pool_http_request_t *request, bool usable) {
  if (request->curl_code != CURLE_OK || request->body_too_large)
    return;
  if (request->status == HTTP_STATUS_UNPROCESSABLE)
    request->outcome = P2POOL_OUTCOME_NOT_FOUND;
  else if (request->status >= 200 && request->status < 300)
    request->outcome = usable ? P2POOL_OUTCOME_OK : P2POOL_OUTCOME_BAD_BODY;
}

/* Describes a request that brought no usable response. */
static void describe_failure(const p2pool_http_request_t *request,
                             const char *reason, char *out, size_t out_size) {
  if (request->curl_code != CURLE_OK)
    ssnprintf(out, out_size, "%s: %s", p2pool_outcome_name(request->outcome),
              request->error);
  else if (request->body_too_large)
    ssnprintf(out, out_size, "the response is larger than %zu bytes",
              P2POOL_RAFFLE_BODY_MAX_BYTES);
  else if (reason != NULL)
    ssnprintf(out, out_size, "HTTP %ld, %s", request->status, reason);
  else
    ssnprintf(out, out_size, "HTTP %ld", request->status);
}

/* Reads the JSON endpoint's response into entry->result. */
static void read_json_response(raffle_wallet_t *entry,
                               p2pool_http_request_t *request) {
  char reason[160] = "";
  bool received = request->curl_code == CURLE_OK && !request->body_too_large;
  bool ok_status = request->status >= 200 && request->status < 300;

  if (received && request->status == HTTP_STATUS_UNPROCESSABLE) {
    entry->result = FETCH_NOT_REGISTERED;
    sstrncpy(entry->problem, "HTTP 422 from the JSON endpoint",
             sizeof(entry->problem));
  } else if (received && p2pool_raffle_body_not_registered(request->body,
                                                           request->body_len)) {
    entry->result = FETCH_NOT_REGISTERED;
    sstrncpy(entry->problem, "reported by the JSON endpoint",
             sizeof(entry->problem));
  } else if (received && ok_status &&
             p2pool_raffle_parse_json(request->body, request->body_len,
                                      &entry->figures, reason,
                                      sizeof(reason)) == 0) {
    entry->result = FETCH_OK;
  } else if (request->outcome == P2POOL_OUTCOME_TIMEOUT ||
             request->outcome == P2POOL_OUTCOME_UNREACHABLE) {
    /* The site is down: the page would fail the same way. */
    entry->result = FETCH_FAILED;
    describe_failure(request, NULL, entry->problem, sizeof(entry->problem));
  } else {
    entry->result = FETCH_TRY_PAGE;
    describe_failure(request, ok_status ? reason : NULL, entry->json_problem,
                     sizeof(entry->json_problem));
  }
  set_outcome(request, entry->result == FETCH_OK ||
                           entry->result == FETCH_NOT_REGISTERED);
}

/* Reads the HTML page's response into entry->result. */
static void read_page_response(raffle_wallet_t *entry,
                               p2pool_http_request_t *request) {
  char reason[160] = "";
  bool received = request->curl_code == CURLE_OK && !request->body_too_large;
  bool ok_status = request->status >= 200 && request->status < 300;
  int status = -EINVAL;
  if (received && ok_status)
    status = p2pool_raffle_parse_page(request->body, request->body_len,
                                      &entry->figures, reason, sizeof(reason));

  if (status == 0) {
    entry->result = FETCH_OK;
  } else if (status == -ENOENT ||
             (received && request->status == HTTP_STATUS_UNPROCESSABLE)) {
    entry->result = FETCH_NOT_REGISTERED;
    sstrncpy(entry->problem,
             status == -ENOENT ? "reported by the page"
                               : "HTTP 422 from the page",
             sizeof(entry->problem));
  } else {
    entry->result = FETCH_FAILED;
    char page_problem[256];
    describe_failure(request, ok_status ? reason : NULL, page_problem,
                     sizeof(page_problem));
    ssnprintf(entry->problem, sizeof(entry->problem),
              "JSON endpoint: %s; page: %s", entry->json_problem, page_problem);
  }
  set_outcome(request, entry->result != FETCH_FAILED);
}

/* Runs one request per listed wallet and reads each response. Returns 0,
 * or -EINTR when shutdown cut the requests short: they are then neither
 * counted nor logged. */
static int fetch_all(p2pool_raffle_t *raffle, raffle_wallet_t **entries,
                     size_t entries_num, bool page, long timeout_ms) {
  size_t requests_num = 0;
  for (size_t i = 0; i < entries_num; i++) {
    p2pool_http_request_t *request = &raffle->requests[i];
    int status = prepare_request(raffle, request, entries[i],
                                 page ? RAFFLE_PAGE_PATH : RAFFLE_JSON_PATH,
                                 page ? "raffle_page" : "raffle_api");
    if (status != 0) {
      /* Unreachable with the configuration's URL length limit. */
      request->user_data = NULL;
      entries[i]->result = FETCH_FAILED;
      ssnprintf(entries[i]->problem, sizeof(entries[i]->problem),
                "the request URL is too long");
      continue;
    }
    raffle->request_list[requests_num++] = request;
  }

  int status = p2pool_http_run(raffle->http, raffle->request_list, requests_num,
                               timeout_ms);
  if (status == -EINTR) {
    for (size_t i = 0; i < requests_num; i++)
      p2pool_http_request_reset(raffle->request_list[i]);
    return -EINTR;
  }
  if (status == -ENOMEM)
    ERROR("p2pool plugin: raffle: out of memory while sending requests.");

  for (size_t i = 0; i < entries_num; i++) {
    p2pool_http_request_t *request = &raffle->requests[i];
    if (request->user_data == NULL)
      continue;
    if (page)
      read_page_response(entries[i], request);
    else
      read_json_response(entries[i], request);
    p2pool_health_record(&raffle->health, request);
    p2pool_http_request_reset(request);
  }
  return 0;
}

/* Stores the result of one wallet's fetch and logs a change. */
static void apply_result(p2pool_raffle_t *raffle, raffle_wallet_t *entry,
                         cdtime_t now) {
  p2pool_wallet_t *wallet = entry->wallet;
  p2pool_observer_t *observer = wallet->observer;

  if (entry->result == FETCH_OK) {
    pthread_mutex_lock(&observer->lock);
    wallet->state.raffle_valid = true;
    wallet->state.raffle_1h = entry->figures.avg_1h;
    wallet->state.raffle_24h = entry->figures.avg_24h;
    pthread_mutex_unlock(&observer->lock);

    entry->figures_time = now;
    entry->fails_valid = entry->figures.fails_valid;
    entry->fails = entry->figures.fails;
    entry->dropped_logged = false;
    if (entry->not_registered_logged) {
      INFO("p2pool plugin: raffle: wallet \"%s\" is registered with "
           "xmrvsbeast now; its raffle figures follow.",
           wallet->name);
      entry->not_registered_logged = false;
    }
    c_release(LOG_INFO, &entry->complaint,
              "p2pool plugin: raffle: wallet \"%s\": xmrvsbeast responds "
              "again.",
              wallet->name);
    return;
  }

  if (entry->result == FETCH_NOT_REGISTERED) {
    pthread_mutex_lock(&observer->lock);
    wallet->state.raffle_valid = false;
    pthread_mutex_unlock(&observer->lock);

    entry->figures_time = 0;
    entry->fails_valid = false;
    if (!entry->not_registered_logged) {
      NOTICE("p2pool plugin: raffle: wallet \"%s\" is not registered with "
             "xmrvsbeast (%s); it gets no raffle figures until it is. "
             "Checking again every %.0f s.",
             wallet->name, entry->problem,
             CDTIME_T_TO_DOUBLE(raffle->interval));
      entry->not_registered_logged = true;
    }
    return;
  }

  char kept[96] = "it has no figures until a fetch succeeds";
  if (entry->figures_time != 0)
    ssnprintf(kept, sizeof(kept), "keeping the last figures for up to %.0f s",
              CDTIME_T_TO_DOUBLE(RAFFLE_KEEP_FIGURES));
  c_complain(LOG_WARNING, &entry->complaint,
             "p2pool plugin: raffle: wallet \"%s\": no figures from %s (%s); "
             "%s; retrying every %.0f s.",
             wallet->name, raffle->url, entry->problem, kept,
             CDTIME_T_TO_DOUBLE(raffle->interval));
}

/* Drops figures older than RAFFLE_KEEP_FIGURES. Returns whether the
 * wallet's figures are current enough to dispatch. */
static bool figures_current(raffle_wallet_t *entry, cdtime_t now) {
  if (entry->figures_time == 0)
    return false;
  if (now - entry->figures_time <= RAFFLE_KEEP_FIGURES)
    return true;

  p2pool_wallet_t *wallet = entry->wallet;
  pthread_mutex_lock(&wallet->observer->lock);
  wallet->state.raffle_valid = false;
  pthread_mutex_unlock(&wallet->observer->lock);
  entry->figures_time = 0;
  entry->fails_valid = false;

  if (!entry->dropped_logged) {
    WARNING("p2pool plugin: raffle: wallet \"%s\": no figures from "
            "xmrvsbeast for %.0f s; dropping the last ones until a fetch "
            "succeeds.",
            wallet->name, CDTIME_T_TO_DOUBLE(RAFFLE_KEEP_FIGURES));
    entry->dropped_logged = true;
  }
  return false;
}

static void dispatch_wallet(const p2pool_raffle_t *raffle,
                            const raffle_wallet_t *entry) {
  p2pool_wallet_t *wallet = entry->wallet;
  p2pool_observer_t *observer = wallet->observer;
  p2pool_batch_t batch;

  p2pool_batch_begin(&batch, &observer->clock, wallet->name, raffle->interval);
  pthread_mutex_lock(&observer->lock);
  if (wallet->state.raffle_valid) {
    p2pool_submit_gauge(&batch, "hashrate", "raffle_1h",
                        wallet->state.raffle_1h);
    p2pool_submit_gauge(&batch, "hashrate", "raffle_24h",
                        wallet->state.raffle_24h);
  }
  pthread_mutex_unlock(&observer->lock);
  if (entry->fails_valid)
    p2pool_submit_gauge(&batch, "raffle_fails", NULL, (gauge_t)entry->fails);
  p2pool_batch_end(&batch);
}

static void dispatch_health(p2pool_raffle_t *raffle) {
  p2pool_batch_t batch;
  p2pool_batch_begin(&batch, &raffle->clock, RAFFLE_HEALTH_INSTANCE,
                     raffle->interval);
  p2pool_submit_health(&batch, &raffle->health);
  p2pool_batch_end(&batch);
}

static long remaining_ms(cdtime_t deadline) {
  cdtime_t now = cdtime();
  return now < deadline ? (long)CDTIME_T_TO_MS(deadline - now) : 0;
}

/* Fetches every wallet's JSON response, then the page for the wallets whose
 * JSON response was unusable, all within one timeout. Returns 0, or -EINTR
 * when shutdown cut the fetches short. */
static int fetch_wallets(p2pool_raffle_t *raffle, raffle_wallet_t **pending) {
  cdtime_t deadline = cdtime() + raffle->timeout;

  for (size_t i = 0; i < raffle->wallets_num; i++)
    pending[i] = &raffle->wallets[i];
  if (fetch_all(raffle, pending, raffle->wallets_num, false,
                remaining_ms(deadline)) == -EINTR)
    return -EINTR;

  size_t pages_num = 0;
  for (size_t i = 0; i < raffle->wallets_num; i++) {
    if (raffle->wallets[i].result == FETCH_TRY_PAGE)
      pending[pages_num++] = &raffle->wallets[i];
  }
  long left_ms = remaining_ms(deadline);
  if (pages_num > 0 && left_ms > 0 &&
      fetch_all(raffle, pending, pages_num, true, left_ms) == -EINTR)
    return -EINTR;
  for (size_t i = 0; i < pages_num; i++) {
    if (pending[i]->result == FETCH_TRY_PAGE) {
      pending[i]->result = FETCH_FAILED;
      ssnprintf(pending[i]->problem, sizeof(pending[i]->problem),
                "JSON endpoint: %s; no time left for the page",
                pending[i]->json_problem);
    }
  }
  return 0;
}

/* One run of the worker thread: fetches, then dispatches every figure. */
static void raffle_work(void *arg) {
  p2pool_raffle_t *raffle = arg;

  raffle_wallet_t **pending = calloc(raffle->wallets_num, sizeof(*pending));
  if (pending == NULL) {
    ERROR("p2pool plugin: raffle: out of memory; retrying in %.0f s.",
          CDTIME_T_TO_DOUBLE(raffle->interval));
    return;
  }
  int status = fetch_wallets(raffle, pending);
  sfree(pending);
  if (status == -EINTR)
    return; /* shutting down */

  cdtime_t now = cdtime();
  for (size_t i = 0; i < raffle->wallets_num; i++) {
    raffle_wallet_t *entry = &raffle->wallets[i];
    apply_result(raffle, entry, now);
    if (figures_current(entry, now))
      dispatch_wallet(raffle, entry);
  }
  dispatch_health(raffle);
}

/* The read callback: kicks the worker, or notes that it is still busy. */
static int raffle_read(user_data_t *user_data) {
  p2pool_raffle_t *raffle = user_data->data;

  if (p2pool_worker_kick(raffle->worker) == -EBUSY)
    c_complain(LOG_WARNING, &raffle->busy_complaint,
               "p2pool plugin: raffle: the previous fetch is still running; "
               "skipping this interval.");
  else
    c_release(LOG_INFO, &raffle->busy_complaint,
              "p2pool plugin: raffle: fetches finish within the interval "
              "again.");
  return 0;
}

static p2pool_raffle_t *raffle_create(size_t wallets_num) {
  p2pool_raffle_t *raffle = calloc(1, sizeof(*raffle));
  if (raffle == NULL)
    return NULL;
  p2pool_dispatch_clock_init(&raffle->clock);
  raffle->interval = p2pool_g.raffle_interval != 0
                         ? p2pool_g.raffle_interval
                         : P2POOL_DEFAULT_RAFFLE_INTERVAL;
  raffle->timeout = p2pool_g.raffle_timeout != 0
                        ? p2pool_g.raffle_timeout
                        : P2POOL_DEFAULT_RAFFLE_TIMEOUT;
  raffle->url = strdup(p2pool_g.raffle_url != NULL ? p2pool_g.raffle_url
                                                   : RAFFLE_DEFAULT_URL);
  raffle->wallets = calloc(wallets_num, sizeof(*raffle->wallets));
  raffle->requests = calloc(wallets_num, sizeof(*raffle->requests));
  raffle->request_list = calloc(wallets_num, sizeof(*raffle->request_list));

  p2pool_http_options_t options = {
      .user_agent = "collectd-p2pool/" P2POOL_VERSION,
      .verify_peer = true,
      .verify_host = true,
      .body_max_bytes = P2POOL_RAFFLE_BODY_MAX_BYTES,
  };
  raffle->http = p2pool_http_client_create(&options);

  if (raffle->url == NULL || raffle->wallets == NULL ||
      raffle->requests == NULL || raffle->request_list == NULL ||
      raffle->http == NULL) {
    raffle_free(raffle);
    return NULL;
  }
  return raffle;
}

int p2pool_raffle_init(void) {
  size_t wallets_num = 0;
  for (size_t i = 0; i < p2pool_g.wallets_num; i++)
    wallets_num += p2pool_g.wallets[i]->raffle ? 1 : 0;
  if (wallets_num == 0)
    return 0;

  p2pool_raffle_t *raffle = raffle_create(wallets_num);
  if (raffle == NULL) {
    ERROR("p2pool plugin: raffle: out of memory while starting.");
    return -ENOMEM;
  }
  for (size_t i = 0; i < p2pool_g.wallets_num; i++) {
    if (!p2pool_g.wallets[i]->raffle)
      continue;
    raffle_wallet_t *entry = &raffle->wallets[raffle->wallets_num++];
    entry->wallet = p2pool_g.wallets[i];
    C_COMPLAIN_INIT(&entry->complaint);
  }
  C_COMPLAIN_INIT(&raffle->busy_complaint);
  p2pool_g.raffle = raffle;

  int status = p2pool_worker_start(&raffle->worker, "p2pool raffle",
                                   raffle_work, raffle, raffle->http);
  if (status != 0) {
    ERROR("p2pool plugin: raffle: starting the worker thread failed: %s.",
          STRERROR(-status));
    return status;
  }

  status = plugin_register_complex_read("p2pool", "p2pool/raffle", raffle_read,
                                        raffle->interval,
                                        &(user_data_t){.data = raffle});
  if (status != 0) {
    ERROR("p2pool plugin: raffle: registering the read callback failed "
          "(status %d).",
          status);
    return -EIO;
  }

  INFO("p2pool plugin: raffle: fetching xmrvsbeast figures of %zu wallet(s) "
       "from %s every %.0f s.",
       raffle->wallets_num, raffle->url, CDTIME_T_TO_DOUBLE(raffle->interval));
  return 0;
}

void p2pool_raffle_stop(void) {
  if (p2pool_g.raffle != NULL)
    p2pool_worker_stop(p2pool_g.raffle->worker);
}

void p2pool_raffle_shutdown(void) {
  raffle_free(p2pool_g.raffle);
  p2pool_g.raffle = NULL;
}
