/*
 * store.c: placeholder until the state store lands: state lives in memory.
 */
#include "collectd.h"

#include "store.h"

int p2pool_store_config_redis(oconfig_item_t *ci) {
  (void)ci;
  ERROR("p2pool plugin: <Redis> is not supported by this build.");
  return -ENOTSUP;
}

int p2pool_store_init(void) { return 0; }

void p2pool_store_mark_dirty(void) {}

void p2pool_store_save(void) {}

void p2pool_store_shutdown(void) {}
