/*
 * events_client.h: the event stream client of one observer, shared by the
 * websocket thread (events.c) and the found-block backfill
 * (events_backfill.c). Not part of the plugin's interface.
 */
#ifndef P2POOL_EVENTS_CLIENT_H
#define P2POOL_EVENTS_CLIENT_H

#include "collectd.h"

#include "utils_complain.h"

#include "context.h"
#include "event_parse.h"
#include "events_connect.h"
#include "events_index.h"
#include "events_state.h"
#include "http.h"

#include <libwebsockets.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Rate limit of log lines about single bad messages, per kind. */
typedef struct {
  cdtime_t window_start;
  unsigned lines;
  uint64_t suppressed;
} p2pool_log_limit_t;

struct p2pool_events_s {
  p2pool_observer_t *observer;
  p2pool_ws_url_t url;
  p2pool_address_index_t wallet_index; /* addresses of observer->wallets */
  p2pool_http_client_t *http;          /* backfill requests */

  /* Thread control. context_lock guards context, so that the stopping
   * thread can wake lws_service while the events thread owns the context. */
  pthread_t thread;
  bool thread_started;
  atomic_bool stop;
  pthread_mutex_t context_lock;
  struct lws_context *context;

  /* Connection state, used by the events thread only. */
  struct lws *wsi;
  bool established;
  bool ever_established;
  bool reconnect_scheduled;
  unsigned attempt; /* failed attempts since the last healthy connection */
  char close_reason[256];
  int64_t last_frame_ms; /* monotonic */
  lws_sorted_usec_list_t reconnect_timer;
  lws_sorted_usec_list_t silence_timer;
  lws_sorted_usec_list_t save_timer;
  p2pool_reassembler_t reassembler;
  bool binary_message; /* dropping the fragments of a binary message */

  /* Work left for the thread's loop after lws_service returns. */
  p2pool_wallet_marks_t marks; /* wallets to dispatch */
  bool dispatch_pending;
  bool pool_changed;
  bool save_scheduled;
  bool backfill_pending;

  /* Found blocks: the newest counted (main height) and the wall-clock time
   * of the first connection, before which the backfill counts nothing. */
  uint64_t newest_found_height;
  uint64_t first_connect_time; /* Unix s */

  c_complain_t connect_complaint;
  c_complain_t backfill_complaint;
  p2pool_log_limit_t invalid_limit;
  p2pool_log_limit_t other_type_limit;
  p2pool_log_limit_t dropped_limit;

  /* Stream figures, guarded by observer->lock. */
  bool connected;
  uint64_t reconnects;
  uint64_t blocked_handshakes;
  uint64_t events[P2POOL_EVENT_TYPE_COUNT];
  uint64_t invalid_messages;
  cdtime_t last_event_time; /* 0 until the first event */
};

/* Fetches /api/found_blocks and counts the blocks found while the stream
 * was down. Runs in the events thread, bounded by the observer's Timeout.
 * Returns the number of blocks counted, or a negative errno after logging
 * (-EINTR when p2pool_events_stop interrupted it). */
int p2pool_events_backfill(p2pool_events_t *client);

#endif /* P2POOL_EVENTS_CLIENT_H */
