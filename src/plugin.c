/*
 * plugin.c: registration of the p2pool plugin with collectd.
 *
 * Life cycle: the config callback (config.c) builds p2pool_g; init loads
 * saved state, starts a poller thread per observer, the event threads, and
 * a worker thread and a read callback each for the nodes, prices and the
 * raffle; shutdown stops and joins every thread, saves state once more and
 * frees p2pool_g.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"

#include "config.h"
#include "context.h"
#include "events.h"
#include "node.h"
#include "notify.h"
#include "observer.h"
#include "prices.h"
#include "raffle.h"
#include "store.h"

#include <curl/curl.h>

p2pool_t p2pool_g;

static bool curl_initialized;

static void stop_threads(void) {
  for (size_t i = 0; i < p2pool_g.observers_num; i++)
    p2pool_events_stop(p2pool_g.observers[i]);
  for (size_t i = 0; i < p2pool_g.observers_num; i++)
    p2pool_observer_stop(p2pool_g.observers[i]);
  p2pool_node_stop();
  p2pool_prices_stop();
  p2pool_raffle_stop();
}

static int start_observers(void) {
  for (size_t i = 0; i < p2pool_g.observers_num; i++) {
    p2pool_observer_t *observer = p2pool_g.observers[i];
    int status = p2pool_observer_start(observer);
    if (status == 0 && observer->events)
      status = p2pool_events_start(observer);
    if (status != 0)
      return status;
  }
  return 0;
}

static int p2pool_init(void) {
  if (p2pool_check_types() != 0)
    goto fail;

  if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
    ERROR("p2pool plugin: initialising libcurl failed.");
    goto fail;
  }
  curl_initialized = true;

  int status = p2pool_store_init();
  if (status == 0) {
    p2pool_notify_prime_payouts();
    status = p2pool_notify_init();
  }
  if (status == 0)
    status = start_observers();
  if (status == 0)
    status = p2pool_node_init();
  if (status == 0)
    status = p2pool_prices_init();
  if (status == 0)
    status = p2pool_raffle_init();
  if (status != 0)
    goto fail;
  return 0;

fail:
  ERROR("p2pool plugin: initialisation failed; the plugin is disabled.");
  plugin_unregister_read_group("p2pool");
  stop_threads();
  p2pool_notify_shutdown();
  return -1;
}

static int p2pool_shutdown(void) {
  stop_threads();
  p2pool_notify_shutdown();
  p2pool_raffle_shutdown();
  p2pool_prices_shutdown();
  p2pool_node_shutdown();
  p2pool_store_shutdown();

  for (size_t i = 0; i < p2pool_g.observers_num; i++)
    p2pool_observer_free(p2pool_g.observers[i]);
  p2pool_config_free();

  if (curl_initialized) {
    curl_global_cleanup();
    curl_initialized = false;
  }
  return 0;
}

void module_register(void) {
  plugin_register_complex_config("p2pool", p2pool_config);
  plugin_register_init("p2pool", p2pool_init);
  plugin_register_shutdown("p2pool", p2pool_shutdown);
}
