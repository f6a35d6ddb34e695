/*
 * http.h: concurrent HTTP GETs on one libcurl multi handle.
 *
 * A client owns one CURLM, whose connection cache keeps TCP and TLS
 * connections open between batches. A batch runs every request at once and
 * returns when all are done or the batch deadline passes. Bodies are capped
 * in size while they arrive. Each finished request is classified into an
 * outcome that the health figures count. No collectd; the caller logs.
 */
#ifndef P2POOL_HTTP_H
#define P2POOL_HTTP_H

#include <curl/curl.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest response body kept, after decompression. A full payout history of
 * a large miner is the biggest document we read (about 500 bytes a row). */
#define P2POOL_HTTP_BODY_MAX_BYTES ((size_t)64 * 1024 * 1024)
/* Most connections one client opens to one host. */
#define P2POOL_HTTP_HOST_CONNECTIONS_MAX 32
/* Most transfers one client runs at once; further requests of a batch wait
 * for a free slot, so a batch of thousands stays small in memory. */
#define P2POOL_HTTP_TRANSFERS_MAX 64

typedef enum {
  P2POOL_OUTCOME_OK = 0,
  P2POOL_OUTCOME_NOT_FOUND,   /* 404 {"error":"not_found"} */
  P2POOL_OUTCOME_HTTP_ERROR,  /* any other non-2xx status */
  P2POOL_OUTCOME_BAD_BODY,    /* 2xx, but not a usable document */
  P2POOL_OUTCOME_TIMEOUT,     /* the deadline passed */
  P2POOL_OUTCOME_BLOCKED,     /* an HTML page: bot filter or proxy */
  P2POOL_OUTCOME_UNREACHABLE, /* DNS, connect or TLS failure */
  P2POOL_OUTCOME_COUNT
} p2pool_outcome_t;

/* Lower-case name of an outcome, as used in figure names and log lines. */
const char *p2pool_outcome_name(p2pool_outcome_t outcome);

typedef struct {
  const char *user_agent; /* required: the observers deny an empty one */
  bool verify_peer;
  bool verify_host;
  const char *ca_cert;   /* NULL: the system store */
  size_t body_max_bytes; /* 0: P2POOL_HTTP_BODY_MAX_BYTES */
} p2pool_http_options_t;

typedef struct p2pool_http_request_s p2pool_http_request_t;

/* Called from p2pool_http_run as soon as a request has finished and been
 * classified. It may consume the body and call p2pool_http_request_reset. */
typedef void (*p2pool_http_done_cb)(p2pool_http_request_t *request);

struct p2pool_http_request_s {
  /* Set by the caller. */
  char url[2048];
  const char *endpoint;        /* health label, e.g. "miner_info" */
  struct curl_slist *headers;  /* extra headers, owned by the caller */
  p2pool_http_done_cb on_done; /* optional */
  void *user_data;

  /* Set by p2pool_http_run. */
  char *body; /* NUL-terminated, owned by the request */
  size_t body_len;
  long status;
  double latency_seconds;
  CURLcode curl_code;
  bool body_too_large;
  /* Seconds the response's Retry-After header requests to wait (a delay or a
   * date); 0 when it has none. */
  long retry_after_seconds;
  char error[CURL_ERROR_SIZE];
  p2pool_outcome_t outcome;

  /* Private. */
  size_t body_cap;
  size_t body_max;
  bool done;
};

typedef struct p2pool_http_client_s p2pool_http_client_t;

/* Creates a client. The options' strings are copied. */
p2pool_http_client_t *
p2pool_http_client_create(const p2pool_http_options_t *options);
void p2pool_http_client_destroy(p2pool_http_client_t *client);

/* Runs every request concurrently until all finish or timeout_ms passes.
 * Requests still running at the deadline end with P2POOL_OUTCOME_TIMEOUT.
 * Returns 0, -EINTR after p2pool_http_client_wakeup, or -ENOMEM. */
int p2pool_http_run(p2pool_http_client_t *client,
                    p2pool_http_request_t **requests, size_t requests_num,
                    long timeout_ms);

/* Makes a running p2pool_http_run return -EINTR soon. Thread-safe. */
void p2pool_http_client_wakeup(p2pool_http_client_t *client);

/* Frees a request's body and results so it can be reused. */
void p2pool_http_request_reset(p2pool_http_request_t *request);

/* Appends a percent-encoded copy of text to url (bounded by url_size).
 * Returns 0, or -ENAMETOOLONG when it does not fit. */
int p2pool_http_url_append_escaped(char *url, size_t url_size,
                                   const char *text);

/* Classifies a finished request from its curl code, status and body. */
p2pool_outcome_t p2pool_http_classify(const p2pool_http_request_t *request);

#endif /* P2POOL_HTTP_H */
