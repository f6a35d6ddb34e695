/*
 * events_connect.h: where and when the event stream connects: the parts of a
 * ws:// or wss:// URL, and the reconnect delay. No collectd.
 */
#ifndef P2POOL_EVENTS_CONNECT_H
#define P2POOL_EVENTS_CONNECT_H

#include <stdbool.h>
#include <stdint.h>

#define P2POOL_WS_HOST_MAX_BYTES 256
#define P2POOL_WS_PATH_MAX_BYTES 1024

/* First reconnect delay; each further attempt doubles it up to the cap. */
#define P2POOL_RECONNECT_INITIAL_MS 1000
#define P2POOL_RECONNECT_MAX_MS ((uint64_t)5 * 60 * 1000)
/* Each delay is moved at random by up to this share of itself, so that many
 * collectd instances do not reconnect in step after an observer restart. */
#define P2POOL_RECONNECT_JITTER_PERCENT 20

typedef struct {
  bool tls; /* wss:// */
  /* Host name or IP address, without the brackets of an IPv6 literal. */
  char host[P2POOL_WS_HOST_MAX_BYTES];
  /* Value of the Host header: host, with ":port" when not the default. */
  char host_header[P2POOL_WS_HOST_MAX_BYTES + 8];
  int port;
  char path[P2POOL_WS_PATH_MAX_BYTES]; /* with query; "/" when empty */
} p2pool_ws_url_t;

/* Splits a ws:// or wss:// URL. Returns 0, -EINVAL for another scheme, an
 * empty host, a bad port or user information in the URL, -ENAMETOOLONG when
 * a part does not fit. */
int p2pool_ws_url_parse(const char *url, p2pool_ws_url_t *out);

/* Delay (ms) before reconnect attempt number attempt (0 for the first):
 * P2POOL_RECONNECT_INITIAL_MS doubled per attempt, capped at
 * P2POOL_RECONNECT_MAX_MS, then moved by up to
 * P2POOL_RECONNECT_JITTER_PERCENT. random01 is uniform in [0, 1). */
uint64_t p2pool_reconnect_delay_ms(unsigned attempt, double random01);

#endif /* P2POOL_EVENTS_CONNECT_H */
