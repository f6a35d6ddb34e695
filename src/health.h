/*
 * health.h: the plugin's own request figures, per source and endpoint:
 * requests by outcome (a DERIVE counter each) and the last latency (s).
 * Callers serialise access with the lock of the source that owns it.
 */
#ifndef P2POOL_HEALTH_H
#define P2POOL_HEALTH_H

#include "http.h"

#include <stdbool.h>
#include <stdint.h>

#define P2POOL_HEALTH_ENDPOINTS_MAX 16
#define P2POOL_ENDPOINT_NAME_MAX_BYTES 32

typedef struct {
  char endpoint[P2POOL_ENDPOINT_NAME_MAX_BYTES];
  uint64_t outcomes[P2POOL_OUTCOME_COUNT];
  double latency_seconds;
  bool latency_valid;
} p2pool_endpoint_health_t;

typedef struct {
  p2pool_endpoint_health_t endpoints[P2POOL_HEALTH_ENDPOINTS_MAX];
  size_t endpoints_num;
} p2pool_health_t;

/* Counts one finished request under its endpoint and outcome. */
void p2pool_health_record(p2pool_health_t *health,
                          const p2pool_http_request_t *request);

/* Counts an outcome for an endpoint without a request (e.g. a file read). */
void p2pool_health_count(p2pool_health_t *health, const char *endpoint,
                         p2pool_outcome_t outcome, double latency_seconds);

#endif /* P2POOL_HEALTH_H */
