/*
 * events.c: placeholder until the event stream client lands; observers with
 * Events true are rejected by the configuration until then.
 */
#include "collectd.h"

#include "events.h"

int p2pool_events_start(p2pool_observer_t *observer) {
  (void)observer;
  return 0;
}

void p2pool_events_stop(p2pool_observer_t *observer) { (void)observer; }

void p2pool_events_submit(const p2pool_batch_t *batch,
                          p2pool_observer_t *observer) {
  (void)batch;
  (void)observer;
}
