/*
 * context.h: the plugin's configuration and run-time state.
 *
 * One p2pool_t (p2pool_g) owns every configured source. The objects live from
 * the config callback until the shutdown callback, after every thread that
 * uses them has been joined. Read callbacks are registered without a
 * free_func, because collectd frees read user data before it runs shutdown
 * callbacks, while our background threads may still use it.
 */
#ifndef P2POOL_CONTEXT_H
#define P2POOL_CONTEXT_H

#include "collectd.h"

#include "dispatch.h"
#include "health.h"
#include "http.h"
#include "notify_rules.h"
#include "observer_parse.h"
#include "payouts.h"
#include "window.h"
#include "worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* collectd's name fields hold 127 bytes and a NUL (DATA_MAX_NAME_LEN). */
#define P2POOL_NAME_MAX_BYTES (DATA_MAX_NAME_LEN - 1)
#define P2POOL_URL_MAX_BYTES 1024

#define P2POOL_DEFAULT_OBSERVER_INTERVAL TIME_T_TO_CDTIME_T(60)
#define P2POOL_DEFAULT_OBSERVER_TIMEOUT TIME_T_TO_CDTIME_T(10)
#define P2POOL_DEFAULT_EVENT_TIMEOUT TIME_T_TO_CDTIME_T(300)
#define P2POOL_DEFAULT_RECONCILE_INTERVAL TIME_T_TO_CDTIME_T(1800)
#define P2POOL_DEFAULT_RAFFLE_INTERVAL TIME_T_TO_CDTIME_T(300)
#define P2POOL_DEFAULT_RAFFLE_TIMEOUT TIME_T_TO_CDTIME_T(10)

typedef struct p2pool_observer_s p2pool_observer_t;
typedef struct p2pool_events_s p2pool_events_t; /* events.c */
typedef struct p2pool_node_s p2pool_node_t;     /* node.c */
typedef struct p2pool_prices_s p2pool_prices_t; /* prices.c */
typedef struct p2pool_raffle_s p2pool_raffle_t; /* raffle.c */
typedef struct p2pool_store_s p2pool_store_t;   /* store.c */

/* Figures of one wallet. Guarded by its observer's lock. */
typedef struct {
  /* The wallet's shares in the PPLNS window, from the last REST poll and
   * the event stream since; the figures below are computed from it by
   * p2pool_observer_refresh_wallet. window_valid stays set across failed
   * polls, so the last good figures are kept. */
  p2pool_window_t window;
  bool window_valid;
  uint64_t window_shares;
  uint64_t window_uncles;
  uint64_t share_weight;
  double share_fraction; /* of the pool's window weight, 0..1 */
  double hashrate;       /* H/s over the PPLNS window */
  bool miner_not_found;  /* the observer returned not_found */

  /* Saved across restarts. */
  uint64_t last_share_height;
  uint64_t last_share_time; /* Unix s */
  p2pool_payout_ledger_t payouts;

  /* Raffle bonus hashrate (H/s), from raffle.c. */
  bool raffle_valid;
  double raffle_bonus;
  double raffle_1h;
  double raffle_24h;

  /* Share drought and payout notifications (notify.c). */
  p2pool_drought_t drought;
  p2pool_payout_watch_t payout_watch;
} p2pool_wallet_state_t;

typedef struct {
  char *name;    /* plugin instance of its figures */
  char *address; /* 4... or 8..., 95 base58 characters */
  char *observer_name;
  bool raffle;

  p2pool_observer_t *observer; /* resolved when the configuration ends */
  p2pool_wallet_state_t state;
} p2pool_wallet_t;

/* Blocks counted most recently, so a block that arrives twice (across a
 * reconnect, or on the stream and again over REST) is counted once. */
#define P2POOL_RECENT_BLOCKS_MAX 256

typedef struct {
  char template_id[P2POOL_HASH_HEX_CHARS + 1];
  char main_id[P2POOL_HASH_HEX_CHARS + 1];
  char kind; /* 's' side block, 'f' found block, 'o' orphaned block */
} p2pool_block_key_t;

/* Event-stream counters of one observer. Saved across restarts. */
typedef struct {
  uint64_t side_blocks;
  uint64_t found_blocks;
  uint64_t orphaned_blocks;
  p2pool_block_key_t recent[P2POOL_RECENT_BLOCKS_MAX];
  size_t recent_num;  /* filled entries */
  size_t recent_next; /* slot the next key overwrites once full */
} p2pool_event_counters_t;

struct p2pool_observer_s {
  /* Configuration. */
  char *name;
  char *url;        /* base URL without a trailing slash */
  char *events_url; /* ws:// or wss:// URL of /api/events */
  bool events;
  cdtime_t event_timeout;
  cdtime_t reconcile_interval; /* REST poll of a wallet while events flow */
  cdtime_t interval;
  cdtime_t timeout;
  char *user_agent;
  bool verify_peer;
  bool verify_host;
  char *ca_cert;

  p2pool_wallet_t **wallets; /* borrowed from p2pool_g.wallets */
  size_t wallets_num;

  /* Guards everything below, and the state of this observer's wallets. */
  pthread_mutex_t lock;
  bool sync_initialized; /* lock and clock are initialised */
  bool pool_valid;
  p2pool_pool_info_t pool;
  p2pool_event_counters_t counters;
  p2pool_health_t health;
  p2pool_blocked_t blocked; /* blocked notifications (notify.c) */
  /* Set by the event thread while the stream is connected and current;
   * the poller then polls each wallet only once per reconcile_interval. */
  bool events_healthy;

  /* Serialises this observer's and its wallets' dispatches. */
  p2pool_dispatch_clock_t clock;

  bool full_poll_requested; /* poll every wallet, whatever the stream did */

  /* Poller thread: polls when the read callback kicks it. */
  p2pool_worker_t *poller;
  void *poll_state; /* observer.c's per-wallet bookkeeping */
  p2pool_http_client_t *http;

  p2pool_events_t *events_client; /* NULL unless Events is true */
};

typedef struct {
  char *state_file; /* NULL: a file in collectd's BaseDir */
  char *raffle_url;
  cdtime_t raffle_interval; /* 0: P2POOL_DEFAULT_RAFFLE_INTERVAL */
  cdtime_t raffle_timeout;  /* 0: P2POOL_DEFAULT_RAFFLE_TIMEOUT */

  p2pool_observer_t **observers;
  size_t observers_num;
  p2pool_wallet_t **wallets;
  size_t wallets_num;
  p2pool_node_t **nodes;
  size_t nodes_num;
  p2pool_prices_t *prices; /* NULL unless <Prices> */
  p2pool_raffle_t *raffle; /* NULL unless a wallet has Raffle true */
  p2pool_store_t *store;
} p2pool_t;

extern p2pool_t p2pool_g;

/* Finds a configured observer by name, or NULL. */
p2pool_observer_t *p2pool_find_observer(const char *name);

/* Finds a configured wallet by address, or NULL. */
p2pool_wallet_t *p2pool_find_wallet_by_address(p2pool_observer_t *observer,
                                               const char *address);

#endif /* P2POOL_CONTEXT_H */
