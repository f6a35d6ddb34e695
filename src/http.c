/*
 * http.c: concurrent HTTP GETs on one libcurl multi handle.
 */
#include "http.h"

#include "observer_parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Maximum single wait in curl_multi_poll, so a wake-up that races with the
 * start of a poll is noticed soon. */
#define HTTP_POLL_SLICE_MS 250
#define HTTP_CONNECT_TIMEOUT_MAX_MS 10000

typedef struct {
  CURL *easy;
  p2pool_http_request_t *request; /* NULL when the slot is free */
} transfer_slot_t;

struct p2pool_http_client_s {
  CURLM *multi;
  char *user_agent;
  char *ca_cert;
  bool verify_peer;
  bool verify_host;
  size_t body_max_bytes;
  transfer_slot_t slots[P2POOL_HTTP_TRANSFERS_MAX];
  atomic_bool wakeup_requested;
};

static const char *const outcome_names[P2POOL_OUTCOME_COUNT] = {
    [P2POOL_OUTCOME_OK] = "ok",
    [P2POOL_OUTCOME_NOT_FOUND] = "not_found",
    [P2POOL_OUTCOME_HTTP_ERROR] = "http_error",
    [P2POOL_OUTCOME_BAD_BODY] = "bad_body",
    [P2POOL_OUTCOME_TIMEOUT] = "timeout",
    [P2POOL_OUTCOME_BLOCKED] = "blocked",
    [P2POOL_OUTCOME_UNREACHABLE] = "unreachable",
};

const char *p2pool_outcome_name(p2pool_outcome_t outcome) {
  if (outcome >= P2POOL_OUTCOME_COUNT)
    return "unknown";
  return outcome_names[outcome];
}

static char *copy_string(const char *text) {
  return text == NULL ? NULL : strdup(text);
}

p2pool_http_client_t *
p2pool_http_client_create(const p2pool_http_options_t *options) {
  p2pool_http_client_t *client = calloc(1, sizeof(*client));
  if (client == NULL)
    return NULL;

  client->multi = curl_multi_init();
  client->user_agent = copy_string(options->user_agent);
  client->ca_cert = copy_string(options->ca_cert);
  client->verify_peer = options->verify_peer;
  client->verify_host = options->verify_host;
  client->body_max_bytes = options->body_max_bytes != 0
                               ? options->body_max_bytes
                               : P2POOL_HTTP_BODY_MAX_BYTES;
  atomic_init(&client->wakeup_requested, false);

  if (client->multi == NULL || client->user_agent == NULL ||
      (options->ca_cert != NULL && client->ca_cert == NULL)) {
    p2pool_http_client_destroy(client);
    return NULL;
  }

  curl_multi_setopt(client->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    (long)P2POOL_HTTP_HOST_CONNECTIONS_MAX);
  curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS,
                    (long)P2POOL_HTTP_HOST_CONNECTIONS_MAX);
  return client;
}

void p2pool_http_client_destroy(p2pool_http_client_t *client) {
  if (client == NULL)
    return;

  for (size_t i = 0; i < P2POOL_HTTP_TRANSFERS_MAX; i++) {
    if (client->slots[i].easy != NULL)
      curl_easy_cleanup(client->slots[i].easy);
  }
  if (client->multi != NULL)
    curl_multi_cleanup(client->multi);
  free(client->user_agent);
  free(client->ca_cert);
  free(client);
}

void p2pool_http_client_wakeup(p2pool_http_client_t *client) {
  if (client == NULL)
    return;
  atomic_store(&client->wakeup_requested, true);
  curl_multi_wakeup(client->multi);
}

void p2pool_http_request_reset(p2pool_http_request_t *request) {
  free(request->body);
  request->body = NULL;
  request->body_len = 0;
  request->body_cap = 0;
  request->status = 0;
  request->latency_seconds = 0.0;
  request->curl_code = CURLE_OK;
  request->body_too_large = false;
  request->retry_after_seconds = 0;
  request->error[0] = '\0';
  request->outcome = P2POOL_OUTCOME_OK;
  request->done = false;
}

/* Appends received bytes to the request's body, up to its cap. Returning a
 * short count makes libcurl fail the transfer with CURLE_WRITE_ERROR. */
static size_t write_body(char *data, size_t size, size_t count, void *arg) {
  p2pool_http_request_t *request = arg;
  size_t len = size * count;

  if (len > request->body_max - request->body_len) {
    request->body_too_large = true;
    return 0;
  }

  if (request->body_len + len + 1 > request->body_cap) {
    size_t cap = request->body_cap == 0 ? 4096 : request->body_cap;
    while (cap < request->body_len + len + 1)
      cap *= 2;
    char *body = realloc(request->body, cap);
    if (body == NULL)
      return 0;
    request->body = body;
    request->body_cap = cap;
  }

  memcpy(request->body + request->body_len, data, len);
  request->body_len += len;
  request->body[request->body_len] = '\0';
  return len;
}

static void set_easy_options(p2pool_http_client_t *client, CURL *easy,
                             p2pool_http_request_t *request, long timeout_ms) {
  long connect_ms = timeout_ms < HTTP_CONNECT_TIMEOUT_MAX_MS
                        ? timeout_ms
                        : HTTP_CONNECT_TIMEOUT_MAX_MS;

  curl_easy_setopt(easy, CURLOPT_URL, request->url);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, request);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, client->user_agent);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, client->verify_peer ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, client->verify_host ? 2L : 0L);
  if (client->ca_cert != NULL)
    curl_easy_setopt(easy, CURLOPT_CAINFO, client->ca_cert);
  if (request->headers != NULL)
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, request->headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, request);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, request->error);
}

/* Starts request on a free slot. Returns 0, or -ENOMEM. */
static int start_transfer(p2pool_http_client_t *client, transfer_slot_t *slot,
                          p2pool_http_request_t *request, long timeout_ms) {
  if (slot->easy == NULL) {
    slot->easy = curl_easy_init();
    if (slot->easy == NULL)
      return -ENOMEM;
  } else {
    curl_easy_reset(slot->easy);
  }

  p2pool_http_request_reset(request);
  request->body_max = client->body_max_bytes;
  set_easy_options(client, slot->easy, request, timeout_ms);

  if (curl_multi_add_handle(client->multi, slot->easy) != CURLM_OK)
    return -ENOMEM;
  slot->request = request;
  return 0;
}

static bool body_looks_like_html(const p2pool_http_request_t *request) {
  for (size_t i = 0; i < request->body_len; i++) {
    unsigned char c = (unsigned char)request->body[i];
    if (!isspace(c))
      return c == '<';
  }
  return false;
}

static bool curl_code_is_unreachable(CURLcode code) {
  switch (code) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_UNSUPPORTED_PROTOCOL:
    return true;
  default:
    return false;
  }
}

p2pool_outcome_t p2pool_http_classify(const p2pool_http_request_t *request) {
  if (request->body_too_large)
    return P2POOL_OUTCOME_BAD_BODY;
  if (request->curl_code == CURLE_OPERATION_TIMEDOUT)
    return P2POOL_OUTCOME_TIMEOUT;
  if (curl_code_is_unreachable(request->curl_code))
    return P2POOL_OUTCOME_UNREACHABLE;
  if (request->curl_code != CURLE_OK)
    return P2POOL_OUTCOME_BAD_BODY; /* e.g. a body cut short */

  if (body_looks_like_html(request))
    return P2POOL_OUTCOME_BLOCKED;
  if (request->status >= 200 && request->status < 300)
    return P2POOL_OUTCOME_OK;
  if (request->status == 404 &&
      p2pool_body_is_not_found(request->body, request->body_len))
    return P2POOL_OUTCOME_NOT_FOUND;
  if (request->status == 403 || request->status == 418)
    return P2POOL_OUTCOME_BLOCKED;
  return P2POOL_OUTCOME_HTTP_ERROR;
}

/* Records the results of a finished transfer and frees its slot. */
static void finish_transfer(p2pool_http_client_t *client, transfer_slot_t *slot,
                            CURLcode code) {
  p2pool_http_request_t *request = slot->request;
  curl_off_t total_us = 0;

  curl_easy_getinfo(slot->easy, CURLINFO_RESPONSE_CODE, &request->status);
  if (curl_easy_getinfo(slot->easy, CURLINFO_TOTAL_TIME_T, &total_us) ==
      CURLE_OK)
    request->latency_seconds = (double)total_us / 1e6;
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(slot->easy, CURLINFO_RETRY_AFTER, &retry_after) ==
          CURLE_OK &&
      retry_after > 0)
    request->retry_after_seconds =
        retry_after < LONG_MAX ? (long)retry_after : LONG_MAX;
  curl_multi_remove_handle(client->multi, slot->easy);
  slot->request = NULL;

  request->curl_code = code;
  if (code != CURLE_OK && request->error[0] == '\0')
    snprintf(request->error, sizeof(request->error), "%s",
             curl_easy_strerror(code));
  request->outcome = p2pool_http_classify(request);
  request->done = true;
  if (request->on_done != NULL)
    request->on_done(request);
}

static transfer_slot_t *slot_of(p2pool_http_client_t *client, CURL *easy) {
  for (size_t i = 0; i < P2POOL_HTTP_TRANSFERS_MAX; i++) {
    if (client->slots[i].easy == easy && client->slots[i].request != NULL)
      return &client->slots[i];
  }
  return NULL;
}

static size_t collect_finished(p2pool_http_client_t *client) {
  size_t finished = 0;
  int queued = 0;
  CURLMsg *message = NULL;

  while ((message = curl_multi_info_read(client->multi, &queued)) != NULL) {
    if (message->msg != CURLMSG_DONE)
      continue;
    transfer_slot_t *slot = slot_of(client, message->easy_handle);
    if (slot == NULL)
      continue;
    finish_transfer(client, slot, message->data.result);
    finished++;
  }
  return finished;
}

static long remaining_ms(const struct timespec *deadline) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long)(deadline->tv_sec - now.tv_sec) * 1000 +
         (long)(deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Fills free slots with the next waiting requests. */
static int start_waiting(p2pool_http_client_t *client,
                         p2pool_http_request_t **requests, size_t requests_num,
                         size_t *next, long timeout_ms) {
  for (size_t i = 0; i < P2POOL_HTTP_TRANSFERS_MAX && *next < requests_num;
       i++) {
    if (client->slots[i].request != NULL)
      continue;
    int status =
        start_transfer(client, &client->slots[i], requests[*next], timeout_ms);
    if (status != 0)
      return status;
    (*next)++;
  }
  return 0;
}

/* Ends every transfer still running, and marks requests that never started,
 * as timed out (or interrupted). */
static void abandon_all(p2pool_http_client_t *client,
                        p2pool_http_request_t **requests, size_t requests_num,
                        size_t next) {
  for (size_t i = 0; i < P2POOL_HTTP_TRANSFERS_MAX; i++) {
    if (client->slots[i].request != NULL)
      finish_transfer(client, &client->slots[i], CURLE_OPERATION_TIMEDOUT);
  }
  for (size_t i = next; i < requests_num; i++) {
    p2pool_http_request_t *request = requests[i];
    p2pool_http_request_reset(request);
    request->curl_code = CURLE_OPERATION_TIMEDOUT;
    snprintf(request->error, sizeof(request->error),
             "not started before the deadline");
    request->outcome = P2POOL_OUTCOME_TIMEOUT;
    request->done = true;
    if (request->on_done != NULL)
      request->on_done(request);
  }
}

int p2pool_http_run(p2pool_http_client_t *client,
                    p2pool_http_request_t **requests, size_t requests_num,
                    long timeout_ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000;
  }

  size_t next = 0;
  size_t finished = 0;
  int status = 0;

  while (finished < requests_num) {
    long left = remaining_ms(&deadline);
    if (atomic_exchange(&client->wakeup_requested, false)) {
      status = -EINTR;
      break;
    }
    if (left <= 0)
      break;

    status = start_waiting(client, requests, requests_num, &next, left);
    if (status != 0)
      break;

    int running = 0;
    curl_multi_perform(client->multi, &running);
    size_t just_finished = collect_finished(client);
    finished += just_finished;
    if (finished >= requests_num)
      break;

    /* Refill freed slots at once: waiting in curl_multi_poll with no
     * transfer running would stall the batch for a whole slice. */
    if (just_finished > 0 && next < requests_num)
      continue;

    int wait_ms = left < HTTP_POLL_SLICE_MS ? (int)left : HTTP_POLL_SLICE_MS;
    curl_multi_poll(client->multi, NULL, 0, wait_ms, NULL);
  }

  abandon_all(client, requests, requests_num, next);
  return status;
}

int p2pool_http_url_append_escaped(char *url, size_t url_size,
                                   const char *text) {
  static const char hex[] = "0123456789ABCDEF";
  size_t start = strnlen(url, url_size);
  size_t len = start;
  if (start >= url_size)
    return -ENAMETOOLONG;

  for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
    bool plain =
        isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~';
    size_t need = plain ? 1 : 3;
    if (len + need >= url_size) {
      url[start] = '\0'; /* leave the URL as it was */
      return -ENAMETOOLONG;
    }
    if (plain) {
      url[len++] = (char)*p;
    } else {
      url[len++] = '%';
      url[len++] = hex[*p >> 4];
      url[len++] = hex[*p & 0x0f];
    }
  }
  url[len] = '\0';
  return 0;
}
