/*
 * events.h: the observer's /api/events websocket, followed by one
 * libwebsockets client thread per observer with Events true.
 */
#ifndef P2POOL_EVENTS_H
#define P2POOL_EVENTS_H

#include "context.h"

/* Starts the observer's event thread. Called from init. */
int p2pool_events_start(p2pool_observer_t *observer);

/* Stops and joins the observer's event thread, and frees its client. Safe
 * when the thread was never started. */
void p2pool_events_stop(p2pool_observer_t *observer);

/* Submits the stream's health figures. Called with observer->lock held,
 * inside a batch of the observer. */
void p2pool_events_submit(const p2pool_batch_t *batch,
                          p2pool_observer_t *observer);

#endif /* P2POOL_EVENTS_H */
