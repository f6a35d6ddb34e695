/*
 * dispatch.h: hands figures to collectd as value lists of plugin "p2pool".
 *
 * Every figure has the source's name (wallet, observer, node) as plugin
 * instance, a type from p2pool.types.db and an optional type instance. A
 * batch shares one timestamp; p2pool_batch_begin makes that timestamp
 * strictly later than the previous batch of the same clock, so two threads
 * that dispatch for one source never send an identifier back in time.
 */
#ifndef P2POOL_DISPATCH_H
#define P2POOL_DISPATCH_H

#include "collectd.h"

#include "plugin.h"

#include "health.h"

#include <pthread.h>

/* Serialises the batches of one source. */
typedef struct {
  pthread_mutex_t lock;
  cdtime_t last_time;
} p2pool_dispatch_clock_t;

typedef struct {
  p2pool_dispatch_clock_t *clock;
  const char *plugin_instance;
  cdtime_t time;
  cdtime_t interval;
} p2pool_batch_t;

void p2pool_dispatch_clock_init(p2pool_dispatch_clock_t *clock);
void p2pool_dispatch_clock_destroy(p2pool_dispatch_clock_t *clock);

/* Locks the clock and picks the batch's timestamp. Every p2pool_batch_begin
 * needs a p2pool_batch_end from the same thread. */
void p2pool_batch_begin(p2pool_batch_t *batch, p2pool_dispatch_clock_t *clock,
                        const char *plugin_instance, cdtime_t interval);
void p2pool_batch_end(p2pool_batch_t *batch);

void p2pool_submit_gauge(const p2pool_batch_t *batch, const char *type,
                         const char *type_instance, gauge_t value);
void p2pool_submit_derive(const p2pool_batch_t *batch, const char *type,
                          const char *type_instance, derive_t value);

/* Submits a source's request counters and latencies. */
void p2pool_submit_health(const p2pool_batch_t *batch,
                          const p2pool_health_t *health);

/* Types the plugin dispatches; init checks that TypesDB defines each. */
extern const char *const p2pool_types[];

/* Checks every type in p2pool_types against the loaded TypesDB. Returns 0,
 * or -ENOENT after logging the first missing type. */
int p2pool_check_types(void);

#endif /* P2POOL_DISPATCH_H */
