/*
 * store_bench.c: wall and CPU time of one state save through the plugin's
 * store backends (store_file.c, store_redis.c), outside collectd.
 *
 * Builds the saved state of WALLETS wallets (each with a last share and
 * four counted payouts) and one observer, as the store thread's snapshot
 * does, then saves it SAVES times. Before each save one wallet's last share
 * moves on, so the Redis backend writes that wallet only, while the file
 * backend rewrites the whole document (it has no partial update). One more
 * save with refresh set measures a full rewrite of Redis.
 *
 * Usage: store_bench file PATH WALLETS SAVES ADDRESSES_FILE
 *        store_bench redis HOST PORT WALLETS SAVES ADDRESSES_FILE
 * Prints one JSON object. The collectd functions the backends call are
 * replaced by the small versions in collectd_stubs.c.
 */
#include "collectd.h"

#include "plugin.h"

#include "state_codec.h"
#include "store_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void fill_wallet(p2pool_saved_wallet_t *wallet, const char *address,
                        size_t index) {
  snprintf(wallet->address, sizeof(wallet->address), "%.*s",
           (int)sizeof(wallet->address) - 1, address);
  snprintf(wallet->observer, sizeof(wallet->observer), "bench");
  wallet->last_share_height = 11205386 - index % 97;
  wallet->last_share_time = 1777699860 - index % 97 * 10;

  p2pool_payout_ledger_t *ledger = &wallet->payouts;
  for (int i = 0; i < 4; i++) {
    p2pool_payout_t payout = {
        .main_height = 3512750 - 120 * (uint64_t)i,
        .timestamp = 1777685000 - 15000 * (uint64_t)i,
        .amount = 3100000000 + 7000000 * (uint64_t)i,
    };
    snprintf(payout.main_id, sizeof(payout.main_id), "%016zx%016x%016x%016x",
             index, i + 1, 0x5eed, 0xbe4c);
    p2pool_payout_ledger_add(ledger, &payout);
  }
  ledger->history_loaded = true;
}

static int fill_state(p2pool_saved_state_t *state, const char *addresses_path,
                      size_t wallets_num) {
  int rc = p2pool_saved_state_alloc(state, wallets_num, 1);
  if (rc != 0)
    return rc;
  state->saved_at = (uint64_t)time(NULL);
  snprintf(state->observers[0].name, sizeof(state->observers[0].name), "bench");
  state->observers[0].side_blocks = 123456;
  state->observers[0].found_blocks = 42;

  FILE *f = fopen(addresses_path, "r");
  if (f == NULL)
    return -errno;
  char line[256];
  size_t i = 0;
  while (i < wallets_num && fgets(line, sizeof(line), f) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    fill_wallet(&state->wallets[i], line, i);
    i++;
  }
  fclose(f);
  return i == wallets_num ? 0 : -EINVAL;
}

int main(int argc, char **argv) {
  bool redis = argc == 7 && strcmp(argv[1], "redis") == 0;
  if (!redis && !(argc == 6 && strcmp(argv[1], "file") == 0)) {
    fprintf(stderr,
            "usage: %s file PATH WALLETS SAVES ADDRESSES_FILE\n"
            "       %s redis HOST PORT WALLETS SAVES ADDRESSES_FILE\n",
            argv[0], argv[0]);
    return 2;
  }
  int arg = redis ? 4 : 3;
  size_t wallets_num = (size_t)strtoul(argv[arg], NULL, 10);
  long saves = strtol(argv[arg + 1], NULL, 10);
  const char *addresses_path = argv[arg + 2];

  p2pool_store_backend_t *backend = NULL;
  if (redis) {
    p2pool_redis_config_t *config = calloc(1, sizeof(*config));
    if (config == NULL)
      return 1;
    config->host = strdup(argv[2]);
    config->port = atoi(argv[3]);
    config->prefix = strdup("bench:");
    config->timeout = TIME_T_TO_CDTIME_T(2);
    backend = p2pool_store_redis_create(config);
  } else {
    backend = p2pool_store_file_create(argv[2]);
  }

  p2pool_saved_state_t state = {0};
  if (backend == NULL || fill_state(&state, addresses_path, wallets_num) != 0) {
    fprintf(stderr, "store_bench: setting up %zu wallets failed\n",
            wallets_num);
    return 1;
  }

  /* The first save writes every entry; it is timed on its own. */
  double wall0 = seconds(CLOCK_MONOTONIC);
  double cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
  int first_rc = backend->save(backend, &state, false);
  double first_wall = seconds(CLOCK_MONOTONIC) - wall0;
  double first_cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;

  int failures = first_rc != 0;
  wall0 = seconds(CLOCK_MONOTONIC);
  cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
  for (long i = 0; i < saves; i++) {
    state.wallets[(size_t)i % wallets_num].last_share_height++;
    failures += backend->save(backend, &state, false) != 0;
  }
  double wall = seconds(CLOCK_MONOTONIC) - wall0;
  double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;

  double refresh_wall0 = seconds(CLOCK_MONOTONIC);
  double refresh_cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
  int refresh_rc = backend->save(backend, &state, true);
  double refresh_wall = seconds(CLOCK_MONOTONIC) - refresh_wall0;
  double refresh_cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - refresh_cpu0;

  printf("{\"backend\":\"%s\",\"wallets\":%zu,\"first_save_rc\":%d,"
         "\"first_save_wall_ms\":%.3f,\"first_save_cpu_ms\":%.3f,"
         "\"saves\":%ld,\"failed_saves\":%d,\"save_wall_ms\":%.3f,"
         "\"save_cpu_ms\":%.3f,\"refresh_rc\":%d,\"refresh_wall_ms\":%.3f,"
         "\"refresh_cpu_ms\":%.3f}\n",
         redis ? "redis" : "file", wallets_num, first_rc, first_wall * 1e3,
         first_cpu * 1e3, saves, failures, wall / (double)saves * 1e3,
         cpu / (double)saves * 1e3, refresh_rc, refresh_wall * 1e3,
         refresh_cpu * 1e3);

  p2pool_saved_state_free(&state);
  backend->destroy(backend);
  return 0;
}
