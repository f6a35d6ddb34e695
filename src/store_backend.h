/*
 * store_backend.h: the two places store.c keeps saved state, the state file
 * (store_file.c) and Redis (store_redis.c), behind one set of operations.
 * A backend is used by one thread at a time: the store thread, or init and
 * shutdown while that thread is not running.
 */
#ifndef P2POOL_STORE_BACKEND_H
#define P2POOL_STORE_BACKEND_H

#include "collectd.h"

#include "state_codec.h"

typedef struct p2pool_store_backend_s p2pool_store_backend_t;

struct p2pool_store_backend_s {
  /* Reads the saved entries of the wallets and observers listed in
   * configured into out, leaving out those the store does not have. Returns
   * 0, or -EAGAIN when the store cannot be read now. A store that is
   * unreadable for good is logged, set aside and loads as empty. */
  int (*load)(p2pool_store_backend_t *backend,
              const p2pool_saved_state_t *configured,
              p2pool_saved_state_t *out);

  /* Writes state. With refresh, it also writes the entries that did not
   * change since the last write. Returns 0, -EAGAIN while the store is
   * unavailable, -EROFS when it must not be written (logged once at load), or a
   * negative errno after logging the failure. */
  int (*save)(p2pool_store_backend_t *backend,
              const p2pool_saved_state_t *state, bool refresh);

  /* Lets the next load or save try at once, ignoring a retry back-off.
   * NULL when the backend has none. */
  void (*retry_now)(p2pool_store_backend_t *backend);

  /* Closes the store and frees the backend. */
  void (*destroy)(p2pool_store_backend_t *backend);
};

/* Connection settings of the <Redis> block. */
typedef struct {
  char *host; /* a host name or address, or a UNIX socket path ("/...") */
  int port;
  char *user;     /* NULL: AUTH with the password only */
  char *password; /* NULL: no AUTH; never logged */
  int database;
  char *prefix;
  cdtime_t timeout; /* connect and command timeout */
} p2pool_redis_config_t;

/* Parses a <Redis> block into a newly allocated config. */
int p2pool_redis_config_parse(oconfig_item_t *ci, p2pool_redis_config_t **out);
void p2pool_redis_config_free(p2pool_redis_config_t *config);

/* Creates a backend. The file backend copies path; the Redis backend takes
 * ownership of config. Neither touches the store yet. */
p2pool_store_backend_t *p2pool_store_file_create(const char *path);
p2pool_store_backend_t *
p2pool_store_redis_create(p2pool_redis_config_t *config);

#endif /* P2POOL_STORE_BACKEND_H */
