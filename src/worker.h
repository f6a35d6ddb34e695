/*
 * worker.h: a background thread that runs one function each time a read
 * callback kicks it.
 *
 * collectd 5.12 stops and joins its read threads at shutdown before any
 * plugin shutdown callback runs, so a read callback that waits on the
 * network delays collectd's exit by up to its timeout. A source that reads
 * over the network does that work in a worker instead: its read callback
 * only kicks the worker and returns, and its shutdown stops the worker,
 * which makes a running p2pool_http_run return -EINTR at once.
 */
#ifndef P2POOL_WORKER_H
#define P2POOL_WORKER_H

#include "http.h"

#include <stdbool.h>

typedef struct p2pool_worker_s p2pool_worker_t;

/* The work of one run. It runs in the worker thread, never twice at once. */
typedef void (*p2pool_worker_fn)(void *arg);

/* Starts a thread named thread_name (at most 15 characters, or collectd
 * cuts it) that calls work(arg) once per kick. http, when not NULL, is the
 * client the work uses: p2pool_worker_stop wakes it. Call from an init
 * callback, so the thread inherits the plugin's context. Returns 0 and sets
 * *worker, or a negative errno. */
int p2pool_worker_start(p2pool_worker_t **worker, const char *thread_name,
                        p2pool_worker_fn work, void *arg,
                        p2pool_http_client_t *http);

/* Asks for a run and returns 0 at once. Returns -EBUSY, and asks for
 * nothing, while the previous run is still running: the caller then skips
 * this interval. Kicks before a run has started make a single run. */
int p2pool_worker_kick(p2pool_worker_t *worker);

/* Asks for a run, also while one is running: then another run follows it
 * at once. Thread-safe; does not wait. */
void p2pool_worker_request(p2pool_worker_t *worker);

/* Tells whether p2pool_worker_stop has been called. Work cut short by it is
 * neither counted nor logged as a failure. */
bool p2pool_worker_stopping(p2pool_worker_t *worker);

/* Stops the thread: sets the stop flag, wakes the thread and its HTTP
 * client, and joins it. One p2pool_http_run, the running one or else the
 * next, returns -EINTR; the work must then return without starting another
 * batch, and must check p2pool_worker_stopping before other slow steps.
 * Accepts NULL and a worker stopped already. */
void p2pool_worker_stop(p2pool_worker_t *worker);

/* Stops the worker if it still runs, and frees it. Accepts NULL. */
void p2pool_worker_free(p2pool_worker_t *worker);

#endif /* P2POOL_WORKER_H */
