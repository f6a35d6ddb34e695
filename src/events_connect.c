/*
 * events_connect.c: websocket URL parts and reconnect delays. See
 * events_connect.h.
 */
#include "events_connect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copies len bytes of text into out (size bytes) with a NUL. */
static int copy_part(const char *text, size_t len, char *out, size_t size) {
  if (len >= size)
    return -ENAMETOOLONG;
  memcpy(out, text, len);
  out[len] = '\0';
  return 0;
}

/* Reads a decimal port of 1 to 65535 from text[0..len). */
static int parse_port(const char *text, size_t len, int *out) {
  if (len == 0 || len > 5)
    return -EINVAL;

  int port = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] < '0' || text[i] > '9')
      return -EINVAL;
    port = port * 10 + (text[i] - '0');
  }
  if (port < 1 || port > 65535)
    return -EINVAL;
  *out = port;
  return 0;
}

/* Splits "host", "host:port", "[v6]" or "[v6]:port" into out. */
static int parse_authority(const char *text, size_t len, p2pool_ws_url_t *out) {
  const char *host = text;
  size_t host_len = len;
  const char *port = NULL;
  size_t port_len = 0;

  if (memchr(text, '@', len) != NULL)
    return -EINVAL;

  if (len > 0 && text[0] == '[') {
    const char *close = memchr(text, ']', len);
    if (close == NULL)
      return -EINVAL;
    host = text + 1;
    host_len = (size_t)(close - host);
    size_t rest = len - (size_t)(close + 1 - text);
    if (rest > 0) {
      if (close[1] != ':')
        return -EINVAL;
      port = close + 2;
      port_len = rest - 1;
    }
  } else {
    const char *colon = memchr(text, ':', len);
    if (colon != NULL) {
      host_len = (size_t)(colon - text);
      port = colon + 1;
      port_len = len - host_len - 1;
    }
  }

  if (host_len == 0)
    return -EINVAL;
  if (port != NULL && parse_port(port, port_len, &out->port) != 0)
    return -EINVAL;
  return copy_part(host, host_len, out->host, sizeof(out->host));
}

int p2pool_ws_url_parse(const char *url, p2pool_ws_url_t *out) {
  memset(out, 0, sizeof(*out));

  const char *rest = NULL;
  if (strncasecmp(url, "ws://", 5) == 0) {
    rest = url + 5;
    out->port = 80;
  } else if (strncasecmp(url, "wss://", 6) == 0) {
    rest = url + 6;
    out->tls = true;
    out->port = 443;
  } else {
    return -EINVAL;
  }
  int default_port = out->port;

  size_t authority_len = strcspn(rest, "/?#");
  int status = parse_authority(rest, authority_len, out);
  if (status != 0)
    return status;

  const char *path = rest + authority_len;
  size_t path_len = strcspn(path, "#");
  if (path_len == 0 || path[0] != '/') {
    if (path_len + 2 > sizeof(out->path))
      return -ENAMETOOLONG;
    out->path[0] = '/';
    status = copy_part(path, path_len, out->path + 1, sizeof(out->path) - 1);
  } else {
    status = copy_part(path, path_len, out->path, sizeof(out->path));
  }
  if (status != 0)
    return status;

  bool ipv6 = strchr(out->host, ':') != NULL;
  int written = 0;
  if (out->port == default_port)
    written = snprintf(out->host_header, sizeof(out->host_header),
                       ipv6 ? "[%s]" : "%s", out->host);
  else
    written = snprintf(out->host_header, sizeof(out->host_header),
                       ipv6 ? "[%s]:%d" : "%s:%d", out->host, out->port);
  if (written < 0 || (size_t)written >= sizeof(out->host_header))
    return -ENAMETOOLONG;
  return 0;
}

uint64_t p2pool_reconnect_delay_ms(unsigned attempt, double random01) {
  uint64_t delay = P2POOL_RECONNECT_INITIAL_MS;
  for (unsigned i = 0; i < attempt && delay < P2POOL_RECONNECT_MAX_MS; i++)
    delay *= 2;
  if (delay > P2POOL_RECONNECT_MAX_MS)
    delay = P2POOL_RECONNECT_MAX_MS;

  if (random01 < 0.0 || !(random01 < 1.0))
    random01 = 0.5;
  double factor =
      1.0 + (2.0 * random01 - 1.0) * P2POOL_RECONNECT_JITTER_PERCENT / 100.0;
  uint64_t jittered = (uint64_t)((double)delay * factor);
  if (jittered > P2POOL_RECONNECT_MAX_MS)
    jittered = P2POOL_RECONNECT_MAX_MS;
  return jittered;
}
