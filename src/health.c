/*
 * health.c: the plugin's own request figures, per source and endpoint.
 */
#include "health.h"

#include <stdio.h>
#include <string.h>

static p2pool_endpoint_health_t *find_or_add(p2pool_health_t *health,
                                             const char *endpoint) {
  for (size_t i = 0; i < health->endpoints_num; i++) {
    if (strcmp(health->endpoints[i].endpoint, endpoint) == 0)
      return &health->endpoints[i];
  }
  if (health->endpoints_num >= P2POOL_HEALTH_ENDPOINTS_MAX)
    return NULL;

  p2pool_endpoint_health_t *entry = &health->endpoints[health->endpoints_num];
  memset(entry, 0, sizeof(*entry));
  snprintf(entry->endpoint, sizeof(entry->endpoint), "%s", endpoint);
  health->endpoints_num++;
  return entry;
}

void p2pool_health_count(p2pool_health_t *health, const char *endpoint,
                         p2pool_outcome_t outcome, double latency_seconds) {
  if (endpoint == NULL || outcome >= P2POOL_OUTCOME_COUNT)
    return;

  p2pool_endpoint_health_t *entry = find_or_add(health, endpoint);
  if (entry == NULL)
    return;

  entry->outcomes[outcome]++;
  if (outcome != P2POOL_OUTCOME_TIMEOUT &&
      outcome != P2POOL_OUTCOME_UNREACHABLE) {
    entry->latency_seconds = latency_seconds;
    entry->latency_valid = true;
  }
}

void p2pool_health_record(p2pool_health_t *health,
                          const p2pool_http_request_t *request) {
  p2pool_health_count(health, request->endpoint, request->outcome,
                      request->latency_seconds);
}
