/*
 * dispatch.c: hands figures to collectd as value lists of plugin "p2pool".
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"

#include "dispatch.h"

const char *const p2pool_types[] = {
    /* Wallets and observers. */
    "hashrate", "window_shares", "window_uncles", "window_blocks",
    "window_weight", "share_weight", "share_fraction", "height",
    "timestamp_seconds", "age_seconds", "payouts", "payout_atomic_units",
    "last_payout_atomic_units", "difficulty", "miners", "effort_percent",
    "reward_atomic_units",
    /* Share drought checks. */
    "share_interval_seconds",
    /* Local P2Pool nodes. */
    "stratum_hashes", "stratum_shares", "sidechain_shares",
    "share_effort_percent", "stratum_connections", "stratum_workers",
    "worker_hashrate", "reward_share_percent", "p2p_connections", "p2p_peers",
    "peer_list_size", "uptime_seconds", "miner_hashes", "miner_threads",
    "pool_blocks_found", "data_age_seconds",
    /* Health of the plugin's own requests. */
    "api_requests", "latency_seconds",
    /* Observer event stream. */
    "blocks", "events", "websocket_connected", "websocket_reconnects",
    "websocket_blocked",
    /* Exchange rates and the xmrvsbeast raffle. */
    "price", "price_age_seconds", "rate_limits", "raffle_fails",
    /* End of the list. */
    NULL};

int p2pool_check_types(void) {
  for (size_t i = 0; p2pool_types[i] != NULL; i++) {
    if (plugin_get_ds(p2pool_types[i]) != NULL)
      continue;
    ERROR("p2pool plugin: type \"%s\" is not defined. TypesDB must list "
          "collectd's types.db and p2pool.types.db, e.g. TypesDB "
          "\"/usr/share/collectd/types.db\" "
          "\"/usr/share/collectd/p2pool.types.db\".",
          p2pool_types[i]);
    return -ENOENT;
  }
  return 0;
}

void p2pool_dispatch_clock_init(p2pool_dispatch_clock_t *clock) {
  pthread_mutex_init(&clock->lock, NULL);
  clock->last_time = 0;
}

void p2pool_dispatch_clock_destroy(p2pool_dispatch_clock_t *clock) {
  pthread_mutex_destroy(&clock->lock);
}

void p2pool_batch_begin(p2pool_batch_t *batch, p2pool_dispatch_clock_t *clock,
                        const char *plugin_instance, cdtime_t interval) {
  pthread_mutex_lock(&clock->lock);

  cdtime_t now = cdtime();
  if (now <= clock->last_time)
    now = clock->last_time + 1;
  clock->last_time = now;

  batch->clock = clock;
  batch->plugin_instance = plugin_instance;
  batch->time = now;
  batch->interval = interval;
}

void p2pool_batch_end(p2pool_batch_t *batch) {
  pthread_mutex_unlock(&batch->clock->lock);
  batch->clock = NULL;
}

static void submit(const p2pool_batch_t *batch, const char *type,
                   const char *type_instance, value_t value) {
  value_list_t vl = VALUE_LIST_INIT;

  vl.values = &value;
  vl.values_len = 1;
  vl.time = batch->time;
  vl.interval = batch->interval;
  sstrncpy(vl.plugin, "p2pool", sizeof(vl.plugin));
  sstrncpy(vl.plugin_instance, batch->plugin_instance,
           sizeof(vl.plugin_instance));
  sstrncpy(vl.type, type, sizeof(vl.type));
  if (type_instance != NULL)
    sstrncpy(vl.type_instance, type_instance, sizeof(vl.type_instance));

  plugin_dispatch_values(&vl);
}

void p2pool_submit_gauge(const p2pool_batch_t *batch, const char *type,
                         const char *type_instance, gauge_t value) {
  submit(batch, type, type_instance, (value_t){.gauge = value});
}

void p2pool_submit_derive(const p2pool_batch_t *batch, const char *type,
                          const char *type_instance, derive_t value) {
  submit(batch, type, type_instance, (value_t){.derive = value});
}

void p2pool_submit_health(const p2pool_batch_t *batch,
                          const p2pool_health_t *health) {
  for (size_t i = 0; i < health->endpoints_num; i++) {
    const p2pool_endpoint_health_t *entry = &health->endpoints[i];

    for (int outcome = 0; outcome < P2POOL_OUTCOME_COUNT; outcome++) {
      char name[DATA_MAX_NAME_LEN];
      ssnprintf(name, sizeof(name), "%s-%s", entry->endpoint,
                p2pool_outcome_name((p2pool_outcome_t)outcome));
      p2pool_submit_derive(batch, "api_requests", name,
                           (derive_t)entry->outcomes[outcome]);
    }

    if (entry->latency_valid)
      p2pool_submit_gauge(batch, "latency_seconds", entry->endpoint,
                          entry->latency_seconds);
  }
}
