/*
 * events.c: follows an observer's /api/events websocket in a thread of its
 * own, so found, orphaned and side blocks and difficulty changes reach
 * collectd as they happen instead of at the next poll.
 *
 * The thread owns its libwebsockets context: it creates, services and
 * destroys it, and p2pool_events_stop only sets the stop flag and wakes it
 * with lws_cancel_service. Each complete message is decoded outside the
 * observer's lock, applied under it (events_state.c), and the figures that
 * changed are dispatched once lws_service returns, so a burst of messages
 * read together costs one dispatch. The poller dispatches the stream's
 * figures every interval as well (p2pool_events_submit), so they never
 * expire between events.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"
#include "utils_complain.h"
#include "utils_random.h"

#include "events.h"
#include "events_client.h"
#include "notify.h"
#include "observer.h"
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define P2POOL_EVENTS_THREAD_NAME "p2pool events"
#define P2POOL_EVENTS_PROTOCOL "p2pool-events"
/* Size of libwebsockets' receive buffer; larger messages arrive in
 * fragments and are joined by the reassembler. */
#define P2POOL_EVENTS_RX_BUFFER_BYTES 65536
/* Saved state is written at most this long after an event changed it. */
#define P2POOL_EVENTS_SAVE_DELAY_MS 1000
/* libwebsockets sends a ping after this much silence and closes the
 * connection when nothing at all arrives for the hang-up time, which finds a
 * dead TCP connection before EventTimeout passes. */
#define P2POOL_EVENTS_PING_S 60
#define P2POOL_EVENTS_HANGUP_S 90
/* Log lines about single bad messages: at most this many per window. */
#define P2POOL_LOG_LIMIT_LINES 3
#define P2POOL_LOG_LIMIT_WINDOW TIME_T_TO_CDTIME_T(60)
/* Bytes of a rejected message quoted in its log line. */
#define P2POOL_LOG_PREVIEW_BYTES 64
/* Bytes of a close frame's reason quoted in the reconnect log line. */
#define P2POOL_CLOSE_REASON_PREVIEW_BYTES 32

static const lws_retry_bo_t events_retry_policy = {
    .secs_since_valid_ping = P2POOL_EVENTS_PING_S,
    .secs_since_valid_hangup = P2POOL_EVENTS_HANGUP_S,
};

static pthread_once_t lws_log_once = PTHREAD_ONCE_INIT;

/* libwebsockets repeats its messages on every attempt of a reconnect loop,
 * so its lines share one rate limit across all observers. */
static pthread_mutex_t lws_log_lock = PTHREAD_MUTEX_INITIALIZER;
static p2pool_log_limit_t lws_log_limit;

/* Tells whether another line of a rate-limited kind may be logged now. When
 * it may, suffix reports how many lines were held back before it. */
static bool log_limit_allow(p2pool_log_limit_t *limit, char *suffix,
                            size_t suffix_size) {
  cdtime_t now = cdtime();
  if (now - limit->window_start >= P2POOL_LOG_LIMIT_WINDOW) {
    limit->window_start = now;
    limit->lines = 0;
  }

  if (limit->lines >= P2POOL_LOG_LIMIT_LINES) {
    limit->suppressed++;
    return false;
  }

  limit->lines++;
  suffix[0] = '\0';
  if (limit->suppressed > 0)
    snprintf(suffix, suffix_size, " (%" PRIu64 " similar lines suppressed)",
             limit->suppressed);
  limit->suppressed = 0;
  return true;
}

/* Forwards libwebsockets' errors and warnings to collectd's log. */
static void lws_log_emit(int level, const char *line) {
  char suffix[64];
  pthread_mutex_lock(&lws_log_lock);
  bool allowed = log_limit_allow(&lws_log_limit, suffix, sizeof(suffix));
  pthread_mutex_unlock(&lws_log_lock);
  if (!allowed)
    return;

  size_t len = strlen(line);
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  plugin_log(level == LLL_ERR ? LOG_ERR : LOG_WARNING,
             "p2pool plugin: libwebsockets: %.*s%s", (int)len, line, suffix);
}

static void lws_log_setup(void) {
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
}

static int64_t monotonic_ms(void) {
  struct timespec now = {0, 0};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The events thread's client; the context's user data. */
static p2pool_events_t *client_of(struct lws *wsi) {
  return lws_context_user(lws_get_context(wsi));
}

static void schedule_save(p2pool_events_t *client);

/* Closes the current connection soon; on_closed schedules the reconnect. */
static void close_connection(p2pool_events_t *client, const char *reason) {
  if (client->wsi == NULL)
    return;

  sstrncpy(client->close_reason, reason, sizeof(client->close_reason));
  lws_set_timeout(client->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void connect_now(p2pool_events_t *client);

static void reconnect_timer_fired(lws_sorted_usec_list_t *timer) {
  p2pool_events_t *client =
      lws_container_of(timer, p2pool_events_t, reconnect_timer);

  client->reconnect_scheduled = false;
  connect_now(client);
}

/* Schedules the next connection attempt after a back-off delay. Called from
 * every path that ends a connection or an attempt; only the first call per
 * attempt counts. */
static void schedule_reconnect(p2pool_events_t *client, const char *reason) {
  p2pool_observer_t *observer = client->observer;
  if (atomic_load(&client->stop) || client->reconnect_scheduled)
    return;

  uint64_t delay_ms = p2pool_reconnect_delay_ms(client->attempt, cdrand_d());
  if (client->attempt < UINT16_MAX)
    client->attempt++;

  pthread_mutex_lock(&observer->lock);
  client->connected = false;
  client->reconnects++;
  observer->events_healthy = false;
  pthread_mutex_unlock(&observer->lock);
  client->dispatch_pending = true;

  c_complain(
      LOG_WARNING, &client->connect_complaint,
      "p2pool plugin: observer \"%s\": event stream %s: %s; reconnecting "
      "in %.1f s",
      observer->name, observer->events_url, reason, (double)delay_ms / 1000.0);

  client->reconnect_scheduled = true;
  lws_sul_schedule(client->context, 0, &client->reconnect_timer,
                   reconnect_timer_fired, (lws_usec_t)delay_ms * LWS_US_PER_MS);
}

static void silence_timer_fired(lws_sorted_usec_list_t *timer);

/* Arms the silence timer to fire EventTimeout after the last frame. */
static void schedule_silence_check(p2pool_events_t *client) {
  int64_t timeout_ms = (int64_t)CDTIME_T_TO_MS(client->observer->event_timeout);
  int64_t due_ms = client->last_frame_ms + timeout_ms - monotonic_ms();
  if (due_ms < 1)
    due_ms = 1;

  lws_sul_schedule(client->context, 0, &client->silence_timer,
                   silence_timer_fired, (lws_usec_t)due_ms * LWS_US_PER_MS);
}

/* Reconnects after EventTimeout without a frame: the observer sends no
 * pings, so a stalled stream is only noticed by its silence. */
static void silence_timer_fired(lws_sorted_usec_list_t *timer) {
  p2pool_events_t *client =
      lws_container_of(timer, p2pool_events_t, silence_timer);
  if (!client->established)
    return;

  int64_t timeout_ms = (int64_t)CDTIME_T_TO_MS(client->observer->event_timeout);
  int64_t silent_ms = monotonic_ms() - client->last_frame_ms;
  if (silent_ms < timeout_ms) {
    schedule_silence_check(client);
    return;
  }

  char reason[96];
  snprintf(reason, sizeof(reason), "no message for %.1f s (EventTimeout)",
           (double)silent_ms / 1000.0);
  close_connection(client, reason);
}

static void connect_now(p2pool_events_t *client) {
  p2pool_observer_t *observer = client->observer;
  struct lws_client_connect_info info;
  memset(&info, 0, sizeof(info));

  info.context = client->context;
  info.address = client->url.host;
  info.port = client->url.port;
  info.path = client->url.path;
  info.host = client->url.host_header;
  info.origin = client->url.host_header;
  info.local_protocol_name = P2POOL_EVENTS_PROTOCOL;
  info.retry_and_idle_policy = &events_retry_policy;
  info.pwsi = &client->wsi;
  info.ietf_version_or_minus_one = -1;
  if (client->url.tls) {
    info.ssl_connection = LCCSCF_USE_SSL;
    if (!observer->verify_peer)
      info.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_ALLOW_EXPIRED |
                             LCCSCF_ALLOW_INSECURE;
    if (!observer->verify_host)
      info.ssl_connection |= LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
    /* Offer HTTP/1.1 only: the websocket upgrade is an HTTP/1.1 request. */
    info.alpn = "http/1.1";
  }

  client->close_reason[0] = '\0';
  client->established = false;
  if (lws_client_connect_via_info(&info) == NULL)
    schedule_reconnect(client, "connection could not be started");
}

static int append_user_agent(p2pool_events_t *client, struct lws *wsi, void *in,
                             size_t len) {
  unsigned char **position = in;
  unsigned char *end = *position + len;
  const char *user_agent = client->observer->user_agent;
  if (user_agent == NULL || user_agent[0] == '\0')
    return 0;

  if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_USER_AGENT,
                                   (const unsigned char *)user_agent,
                                   (int)strlen(user_agent), position, end))
    return -1;
  return 0;
}

static void on_established(p2pool_events_t *client) {
  p2pool_observer_t *observer = client->observer;

  client->established = true;
  client->last_frame_ms = monotonic_ms();
  schedule_silence_check(client);
  p2pool_reassembler_reset(&client->reassembler);
  client->binary_message = false;

  pthread_mutex_lock(&observer->lock);
  client->connected = true;
  pthread_mutex_unlock(&observer->lock);
  client->dispatch_pending = true;

  if (!client->ever_established) {
    client->ever_established = true;
    client->first_connect_time = (uint64_t)time(NULL);
    INFO("p2pool plugin: observer \"%s\": event stream connected to %s",
         observer->name, observer->events_url);
    return;
  }

  /* Events sent while the stream was down are lost: the poll catches up on
   * the wallets and the pool, the backfill on found blocks. */
  p2pool_observer_request_poll(observer);
  client->backfill_pending = true;
}

/* Marks the connection healthy once its first event arrived: the back-off
 * starts over and a reconnect that was logged is reported as recovered. */
static void confirm_connection(p2pool_events_t *client) {
  if (client->attempt == 0)
    return;

  c_release(
      LOG_INFO, &client->connect_complaint,
      "p2pool plugin: observer \"%s\": event stream to %s receives events "
      "again",
      client->observer->name, client->observer->events_url);
  client->attempt = 0;
}

/* Describes a refused websocket handshake from its HTTP status. Bot
 * filters and proxies respond with 403 or 418 and an HTML page. */
static void describe_refusal(p2pool_events_t *client, struct lws *wsi,
                             const char *error, char *reason,
                             size_t reason_size) {
  unsigned int status = wsi != NULL ? lws_http_client_http_response(wsi) : 0;
  if (status == 0 || status == 101) {
    snprintf(reason, reason_size, "connection failed: %s",
             error != NULL ? error : "unknown error");
    return;
  }

  char content_type[64] = "";
  if (lws_hdr_copy(wsi, content_type, sizeof(content_type),
                   WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
    content_type[0] = '\0';
  bool html = strncasecmp(content_type, "text/html", 9) == 0;

  if (status == 403 || status == 418 || html) {
    pthread_mutex_lock(&client->observer->lock);
    client->blocked_handshakes++;
    pthread_mutex_unlock(&client->observer->lock);
    snprintf(reason, reason_size,
             "handshake blocked with HTTP %u%s (a bot filter or proxy; check "
             "UserAgent)",
             status, html ? " and an HTML page" : "");
    return;
  }
  snprintf(reason, reason_size, "handshake refused with HTTP %u", status);
}

static void on_connection_error(p2pool_events_t *client, struct lws *wsi,
                                const char *error) {
  char reason[192];
  describe_refusal(client, wsi, error, reason, sizeof(reason));

  client->wsi = NULL;
  client->established = false;
  schedule_reconnect(client, reason);
}

/* Keeps the status code and reason of the observer's close frame for the
 * reconnect log line. */
static void note_peer_close(p2pool_events_t *client, const unsigned char *in,
                            size_t len) {
  if (len < 2) {
    sstrncpy(client->close_reason, "closed by the observer",
             sizeof(client->close_reason));
    return;
  }

  char reason[4 * P2POOL_CLOSE_REASON_PREVIEW_BYTES + 4];
  p2pool_escape_bytes((const char *)in + 2, len - 2,
                      P2POOL_CLOSE_REASON_PREVIEW_BYTES, reason,
                      sizeof(reason));
  snprintf(client->close_reason, sizeof(client->close_reason),
           "closed by the observer with status %u%s%s",
           (unsigned int)in[0] << 8 | in[1], reason[0] != '\0' ? ": " : "",
           reason);
}

static void on_closed(p2pool_events_t *client) {
  client->wsi = NULL;
  client->established = false;
  lws_sul_cancel(&client->silence_timer);
  p2pool_reassembler_reset(&client->reassembler);

  schedule_reconnect(client, client->close_reason[0] != '\0'
                                 ? client->close_reason
                                 : "connection closed");
}

/* Logs what an applied event did that operators want to see at once. */
static void log_effect(p2pool_events_t *client, const p2pool_event_t *event,
                       const p2pool_event_effect_t *effect) {
  const char *name = client->observer->name;

  if (event->type == P2POOL_EVENT_FOUND_BLOCK && effect->counted)
    INFO("p2pool plugin: observer \"%s\": pool found Monero block %" PRIu64
         " (%s)",
         name, event->found_block.main_height, event->found_block.main_id);
  if (event->type == P2POOL_EVENT_FOUND_BLOCK && event->outputs_error[0])
    WARNING("p2pool plugin: observer \"%s\": coinbase outputs of block %" PRIu64
            " are invalid (%s); the next poll counts the payouts",
            name, event->found_block.main_height, event->outputs_error);
  if (effect->payouts > 0)
    INFO("p2pool plugin: observer \"%s\": block %" PRIu64
         " paid configured wallets %" PRIu64 " atomic units (payouts: %zu)",
         name, event->found_block.main_height, effect->payout_atomic_units,
         effect->payouts);

  if (event->type == P2POOL_EVENT_ORPHANED_BLOCK && effect->counted)
    NOTICE("p2pool plugin: observer \"%s\": Monero block %" PRIu64
           " (%s) of side height %" PRIu64 " was orphaned%s",
           name, event->side_block.main_height, event->side_block.main_id,
           event->side_block.side_height,
           effect->wallets > 0 ? "; it was mined by a configured wallet" : "");
}

/* Sends the collectd notifications of a counted found or orphaned block. */
static void notify_effect(p2pool_events_t *client, const p2pool_event_t *event,
                          const p2pool_event_effect_t *effect) {
  p2pool_observer_t *observer = client->observer;
  if (!effect->counted)
    return;

  if (event->type == P2POOL_EVENT_FOUND_BLOCK) {
    p2pool_notify_found_block(observer, event->found_block.main_height,
                              effect->wallets);
    return;
  }
  if (event->type != P2POOL_EVENT_ORPHANED_BLOCK)
    return;

  const p2pool_address_entry_t *entries = NULL;
  size_t entries_num = p2pool_address_index_find(
      &client->wallet_index, event->side_block.miner_address, &entries);
  for (size_t i = 0; i < entries_num; i++)
    p2pool_notify_orphaned_block(observer->wallets[entries[i].wallet],
                                 event->side_block.main_height);
}

static void log_invalid(p2pool_events_t *client, const char *message,
                        size_t len, const char *error) {
  char suffix[64];
  if (!log_limit_allow(&client->invalid_limit, suffix, sizeof(suffix)))
    return;

  char preview[4 * P2POOL_LOG_PREVIEW_BYTES + 4];
  p2pool_escape_bytes(message, len, P2POOL_LOG_PREVIEW_BYTES, preview,
                      sizeof(preview));
  WARNING(
      "p2pool plugin: observer \"%s\": skipping invalid event message of %zu "
      "bytes (%s): \"%s\"%s",
      client->observer->name, len, error, preview, suffix);
}

static void log_other_type(p2pool_events_t *client, const char *type_name) {
  char suffix[64];
  if (!log_limit_allow(&client->other_type_limit, suffix, sizeof(suffix)))
    return;

  char escaped[4 * P2POOL_LOG_PREVIEW_BYTES + 4];
  p2pool_escape_bytes(type_name, strlen(type_name), P2POOL_LOG_PREVIEW_BYTES,
                      escaped, sizeof(escaped));
  INFO("p2pool plugin: observer \"%s\": ignoring event of unknown type "
       "\"%s\"%s",
       client->observer->name, escaped, suffix);
}

/* Decodes one complete message and applies it to the observer's state. */
static void handle_message(p2pool_events_t *client, const char *message,
                           size_t len) {
  p2pool_observer_t *observer = client->observer;
  p2pool_event_t event;
  char error[P2POOL_EVENT_ERROR_MAX_BYTES] = "";

  int status = p2pool_event_parse(message, len, &event, error, sizeof(error));
  if (status != 0) {
    pthread_mutex_lock(&observer->lock);
    client->invalid_messages++;
    pthread_mutex_unlock(&observer->lock);
    client->dispatch_pending = true;
    log_invalid(client, message, len, error);
    return;
  }

  p2pool_event_effect_t effect;
  memset(&effect, 0, sizeof(effect));
  pthread_mutex_lock(&observer->lock);
  client->events[event.type]++;
  client->last_event_time = cdtime();
  observer->events_healthy = true;
  if (event.type != P2POOL_EVENT_OTHER)
    p2pool_events_apply(observer, &client->wallet_index, &event, &client->marks,
                        &effect);
  pthread_mutex_unlock(&observer->lock);

  client->dispatch_pending = true;
  client->pool_changed |= effect.pool_changed;
  if (event.type == P2POOL_EVENT_FOUND_BLOCK &&
      event.found_block.main_height > client->newest_found_height)
    client->newest_found_height = event.found_block.main_height;
  /* Side blocks arrive every few seconds; their counters and last shares
   * are saved lazily. Payouts and found or orphaned blocks at once. */
  if (effect.state_changed && event.type == P2POOL_EVENT_SIDE_BLOCK &&
      effect.payouts == 0)
    p2pool_store_mark_lazy_dirty();
  else if (effect.state_changed)
    schedule_save(client);

  if (event.type == P2POOL_EVENT_OTHER)
    log_other_type(client, event.type_name);
  else
    log_effect(client, &event, &effect);
  notify_effect(client, &event, &effect);
  confirm_connection(client);
  p2pool_event_clear(&event);
}

static void log_dropped(p2pool_events_t *client, const char *description,
                        size_t len) {
  char suffix[64];
  if (!log_limit_allow(&client->dropped_limit, suffix, sizeof(suffix)))
    return;

  WARNING(
      "p2pool plugin: observer \"%s\": ignoring %s of %zu bytes on the event "
      "stream%s",
      client->observer->name, description, len, suffix);
}

static void on_receive(p2pool_events_t *client, struct lws *wsi,
                       const char *data, size_t len) {
  bool first = lws_is_first_fragment(wsi) != 0;
  bool final = lws_is_final_fragment(wsi) != 0;
  client->last_frame_ms = monotonic_ms();

  /* Continuation frames do not repeat the opcode: remember the first. */
  if (first)
    client->binary_message = lws_frame_is_binary(wsi) != 0;
  if (client->binary_message) {
    if (first)
      log_dropped(client, "a binary message", len);
    return;
  }

  const char *message = NULL;
  size_t message_len = 0;
  int status = p2pool_reassembler_add(&client->reassembler, data, len, first,
                                      final, &message, &message_len);
  if (status == P2POOL_REASSEMBLY_COMPLETE) {
    handle_message(client, message, message_len);
    return;
  }
  if (status == P2POOL_REASSEMBLY_PARTIAL)
    return;

  pthread_mutex_lock(&client->observer->lock);
  client->invalid_messages++;
  pthread_mutex_unlock(&client->observer->lock);
  client->dispatch_pending = true;
  if (status == P2POOL_REASSEMBLY_OVERSIZE)
    log_dropped(client, "a message over the size limit", message_len);
  else
    log_dropped(client, "a message (out of memory)", len);
}

static int events_callback(struct lws *wsi, enum lws_callback_reasons reason,
                           void *user, void *in, size_t len) {
  p2pool_events_t *client = client_of(wsi);

  switch (reason) {
  case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    if (append_user_agent(client, wsi, in, len) != 0)
      return -1;
    break;
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    on_established(client);
    break;
  case LWS_CALLBACK_CLIENT_RECEIVE:
    on_receive(client, wsi, in, len);
    break;
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    on_connection_error(client, wsi, in);
    break;
  case LWS_CALLBACK_CLIENT_CLOSED:
    on_closed(client);
    break;
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    note_peer_close(client, in, len);
    break;
  default:
    break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols events_protocols[] = {
    {
        .name = P2POOL_EVENTS_PROTOCOL,
        .callback = events_callback,
        .rx_buffer_size = P2POOL_EVENTS_RX_BUFFER_BYTES,
    },
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void save_timer_fired(lws_sorted_usec_list_t *timer) {
  p2pool_events_t *client =
      lws_container_of(timer, p2pool_events_t, save_timer);

  client->save_scheduled = false;
  p2pool_store_save();
}

/* Marks saved state changed and saves it shortly, once per burst. */
static void schedule_save(p2pool_events_t *client) {
  p2pool_store_mark_dirty();
  if (client->save_scheduled)
    return;

  client->save_scheduled = true;
  lws_sul_schedule(client->context, 0, &client->save_timer, save_timer_fired,
                   (lws_usec_t)P2POOL_EVENTS_SAVE_DELAY_MS * LWS_US_PER_MS);
}

/* Dispatches the figures events changed since the last call. */
static void dispatch_changes(p2pool_events_t *client) {
  p2pool_observer_t *observer = client->observer;
  if (!client->dispatch_pending || atomic_load(&client->stop))
    return;

  p2pool_batch_t batch;
  p2pool_batch_begin(&batch, &observer->clock, observer->name,
                     observer->interval);
  pthread_mutex_lock(&observer->lock);
  if (client->pool_changed && observer->pool_valid)
    p2pool_observer_submit_pool(&batch, observer);
  p2pool_events_submit(&batch, observer);
  pthread_mutex_unlock(&observer->lock);
  p2pool_batch_end(&batch);

  for (size_t i = 0; i < client->marks.num; i++) {
    p2pool_wallet_t *wallet = observer->wallets[client->marks.list[i]];
    p2pool_batch_begin(&batch, &observer->clock, wallet->name,
                       observer->interval);
    pthread_mutex_lock(&observer->lock);
    if (wallet->state.window_valid)
      p2pool_observer_refresh_wallet(observer, wallet);
    p2pool_observer_submit_wallet(&batch, wallet);
    pthread_mutex_unlock(&observer->lock);
    p2pool_batch_end(&batch);
  }

  p2pool_wallet_marks_clear(&client->marks);
  client->dispatch_pending = false;
  client->pool_changed = false;
}

static struct lws_context *create_context(p2pool_events_t *client) {
  p2pool_observer_t *observer = client->observer;
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));

  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = events_protocols;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.client_ssl_ca_filepath = observer->ca_cert;
  info.user = client;
  info.fd_limit_per_thread = 4;
  /* Bounds connecting and the handshake; silence after it is bounded by
   * EventTimeout. */
  unsigned int timeout_s = (unsigned int)CDTIME_T_TO_TIME_T(observer->timeout);
  info.timeout_secs = timeout_s > 0 ? timeout_s : 1;
  info.connect_timeout_secs = info.timeout_secs;

  return lws_create_context(&info);
}

/* Publishes or withdraws the context for lws_cancel_service. */
static void set_context(p2pool_events_t *client, struct lws_context *context) {
  pthread_mutex_lock(&client->context_lock);
  client->context = context;
  pthread_mutex_unlock(&client->context_lock);
}

static void *events_thread(void *arg) {
  p2pool_events_t *client = arg;
  p2pool_observer_t *observer = client->observer;

  struct lws_context *context = create_context(client);
  if (context == NULL) {
    ERROR("p2pool plugin: observer \"%s\": creating the libwebsockets context "
          "failed; the event stream stays off",
          observer->name);
    return NULL;
  }
  set_context(client, context);

  connect_now(client);
  while (!atomic_load(&client->stop)) {
    if (lws_service(context, 0) < 0)
      break;
    dispatch_changes(client);
    if (client->backfill_pending && !atomic_load(&client->stop)) {
      client->backfill_pending = false;
      if (p2pool_events_backfill(client) > 0)
        schedule_save(client);
      dispatch_changes(client);
    }
  }

  set_context(client, NULL);
  lws_context_destroy(context);

  pthread_mutex_lock(&observer->lock);
  client->connected = false;
  observer->events_healthy = false;
  pthread_mutex_unlock(&observer->lock);
  return NULL;
}

static void client_free(p2pool_events_t *client) {
  if (client == NULL)
    return;

  p2pool_http_client_destroy(client->http);
  p2pool_address_index_free(&client->wallet_index);
  p2pool_wallet_marks_free(&client->marks);
  p2pool_reassembler_free(&client->reassembler);
  pthread_mutex_destroy(&client->context_lock);
  free(client);
}

/* Builds the address index of the observer's wallets.
 * NOTE: a wallet configured with its 8... subaddress is not found: the
 * stream carries the 4... mining address P2Pool derives from it, so such a
 * wallet's figures follow the REST polls only. */
static int index_wallets(p2pool_events_t *client) {
  p2pool_observer_t *observer = client->observer;
  if (observer->wallets_num == 0)
    return 0;

  const char **addresses = calloc(observer->wallets_num, sizeof(*addresses));
  if (addresses == NULL)
    return -ENOMEM;
  for (size_t i = 0; i < observer->wallets_num; i++)
    addresses[i] = observer->wallets[i]->address;

  int status = p2pool_address_index_build(&client->wallet_index, addresses,
                                          observer->wallets_num);
  free(addresses);
  return status;
}

static p2pool_events_t *client_create(p2pool_observer_t *observer) {
  p2pool_events_t *client = calloc(1, sizeof(*client));
  if (client == NULL)
    return NULL;

  client->observer = observer;
  atomic_init(&client->stop, false);
  pthread_mutex_init(&client->context_lock, NULL);
  p2pool_reassembler_init(&client->reassembler, P2POOL_EVENT_MESSAGE_MAX_BYTES);
  C_COMPLAIN_INIT(&client->connect_complaint);
  C_COMPLAIN_INIT(&client->backfill_complaint);

  p2pool_http_options_t options = {
      .user_agent = observer->user_agent,
      .verify_peer = observer->verify_peer,
      .verify_host = observer->verify_host,
      .ca_cert = observer->ca_cert,
      .body_max_bytes = P2POOL_EVENT_MESSAGE_MAX_BYTES,
  };
  client->http = p2pool_http_client_create(&options);
  if (client->http == NULL ||
      p2pool_wallet_marks_init(&client->marks, observer->wallets_num) != 0 ||
      index_wallets(client) != 0) {
    client_free(client);
    return NULL;
  }
  return client;
}

int p2pool_events_start(p2pool_observer_t *observer) {
  if (!observer->events || observer->events_client != NULL)
    return 0;

  p2pool_ws_url_t url;
  int status = observer->events_url != NULL
                   ? p2pool_ws_url_parse(observer->events_url, &url)
                   : -EINVAL;
  if (status != 0) {
    ERROR("p2pool plugin: observer \"%s\": invalid EventsURL \"%s\" (%s); the "
          "event stream stays off",
          observer->name,
          observer->events_url != NULL ? observer->events_url : "",
          STRERROR(-status));
    return status;
  }

  p2pool_events_t *client = client_create(observer);
  if (client == NULL) {
    ERROR("p2pool plugin: observer \"%s\": out of memory starting the event "
          "stream",
          observer->name);
    return -ENOMEM;
  }
  client->url = url;
  pthread_once(&lws_log_once, lws_log_setup);

  pthread_mutex_lock(&observer->lock);
  observer->events_client = client;
  pthread_mutex_unlock(&observer->lock);

  status = plugin_thread_create(&client->thread, events_thread, client,
                                P2POOL_EVENTS_THREAD_NAME);
  if (status != 0) {
    ERROR("p2pool plugin: observer \"%s\": starting the event stream thread "
          "failed: %s",
          observer->name, STRERROR(status));
    pthread_mutex_lock(&observer->lock);
    observer->events_client = NULL;
    pthread_mutex_unlock(&observer->lock);
    client_free(client);
    return -status;
  }
  client->thread_started = true;
  return 0;
}

void p2pool_events_stop(p2pool_observer_t *observer) {
  p2pool_events_t *client = observer->events_client;
  if (client == NULL)
    return;

  if (client->thread_started) {
    atomic_store(&client->stop, true);
    pthread_mutex_lock(&client->context_lock);
    if (client->context != NULL)
      lws_cancel_service(client->context);
    pthread_mutex_unlock(&client->context_lock);
    p2pool_http_client_wakeup(client->http);
    pthread_join(client->thread, NULL);
  }

  pthread_mutex_lock(&observer->lock);
  observer->events_client = NULL;
  pthread_mutex_unlock(&observer->lock);
  client_free(client);
}

void p2pool_events_submit(const p2pool_batch_t *batch,
                          p2pool_observer_t *observer) {
  const p2pool_events_t *client = observer->events_client;
  if (client == NULL)
    return;

  const p2pool_event_counters_t *counters = &observer->counters;
  p2pool_submit_derive(batch, "blocks", "side",
                       (derive_t)counters->side_blocks);
  p2pool_submit_derive(batch, "blocks", "found",
                       (derive_t)counters->found_blocks);
  p2pool_submit_derive(batch, "blocks", "orphaned",
                       (derive_t)counters->orphaned_blocks);

  p2pool_submit_gauge(batch, "websocket_connected", NULL,
                      client->connected ? 1.0 : 0.0);
  p2pool_submit_derive(batch, "websocket_reconnects", NULL,
                       (derive_t)client->reconnects);
  p2pool_submit_derive(batch, "websocket_blocked", NULL,
                       (derive_t)client->blocked_handshakes);

  for (int type = 0; type < P2POOL_EVENT_TYPE_COUNT; type++)
    p2pool_submit_derive(batch, "events",
                         p2pool_event_type_name((p2pool_event_type_t)type),
                         (derive_t)client->events[type]);
  p2pool_submit_derive(batch, "events", "invalid",
                       (derive_t)client->invalid_messages);

  if (client->last_event_time != 0 && batch->time >= client->last_event_time)
    p2pool_submit_gauge(
        batch, "age_seconds", "last_event",
        CDTIME_T_TO_DOUBLE(batch->time - client->last_event_time));
}
