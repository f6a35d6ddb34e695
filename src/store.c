/*
 * store.c: running totals kept across restarts, in the state file or in
 * Redis (store_backend.h).
 *
 * Callers change totals under an observer's lock, then call
 * p2pool_store_mark_dirty and p2pool_store_save, with or without that lock
 * held. p2pool_store_save only wakes the store thread, which copies the totals
 * of every observer and wallet under their locks and writes the copy, so no
 * poller or event thread ever waits for the disk or for Redis. The thread
 * also retries failed saves, and rewrites everything every
 * STORE_REFRESH_MS so that a Redis that lost its data gets it back.
 *
 * The saved state is merged into memory once: at start, or as soon as Redis
 * is reachable when it was not at start (state_merge.h has the rules).
 * Until then nothing is written, so a Redis outage at start never replaces
 * saved totals with the smaller ones counted since.
 */
#include "collectd.h"

#include "configfile.h"
#include "plugin.h"
#include "utils/common/common.h"

#include "state_merge.h"
#include "store.h"
#include "store_backend.h"

#include <time.h>

#define STATE_FILE_NAME "p2pool.state"
/* How often the store thread looks for work it has to retry. */
#define STORE_TICK_MS 1000
/* How often every entry is written even when unchanged. */
#define STORE_REFRESH_MS 60000
/* Maximum delay of a save whose changes the REST polls can restore (side
 * block counters, last shares): each side block would otherwise rewrite the
 * whole state every few seconds. */
#define STORE_LAZY_SAVE_MS 60000

_Static_assert(P2POOL_STATE_BLOCKS_MAX == P2POOL_RECENT_BLOCKS_MAX,
               "saved and live block lists differ in size");
_Static_assert(P2POOL_NAME_MAX_BYTES <= P2POOL_STATE_NAME_MAX_BYTES,
               "an observer name does not fit a saved entry");

struct p2pool_store_s {
  p2pool_redis_config_t *redis_config; /* until init hands it over */

  /* Used by the store thread only, and by init and shutdown while the
   * thread is not running. */
  p2pool_store_backend_t *backend;
  bool loaded;              /* the saved state is merged into memory */
  bool load_deferred;       /* the store was unavailable at start */
  uint64_t next_refresh_ms; /* CLOCK_MONOTONIC */

  /* Guards the fields below. */
  pthread_mutex_t lock;
  pthread_cond_t wake; /* on CLOCK_MONOTONIC */
  bool dirty;          /* totals changed since the last save */
  bool lazy_dirty;     /* changes that may wait up to STORE_LAZY_SAVE_MS */
  uint64_t lazy_since_ms;
  bool stopping;
  pthread_t thread;
  bool thread_started;
};

static p2pool_store_t *store_create(void) {
  p2pool_store_t *store = calloc(1, sizeof(*store));
  if (store == NULL)
    return NULL;

  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&store->wake, &attr);
  pthread_condattr_destroy(&attr);
  pthread_mutex_init(&store->lock, NULL);
  return store;
}

static void store_free(p2pool_store_t *store) {
  if (store == NULL)
    return;

  if (store->backend != NULL)
    store->backend->destroy(store->backend);
  p2pool_redis_config_free(store->redis_config);
  pthread_cond_destroy(&store->wake);
  pthread_mutex_destroy(&store->lock);
  free(store);
}

int p2pool_store_config_redis(oconfig_item_t *ci) {
  if (p2pool_g.store != NULL && p2pool_g.store->redis_config != NULL) {
    ERROR("p2pool plugin: Only one <Redis> block is allowed.");
    return -EINVAL;
  }

  p2pool_redis_config_t *config = NULL;
  int rc = p2pool_redis_config_parse(ci, &config);
  if (rc != 0)
    return rc;

  if (p2pool_g.store == NULL)
    p2pool_g.store = store_create();
  if (p2pool_g.store == NULL) {
    p2pool_redis_config_free(config);
    return -ENOMEM;
  }
  p2pool_g.store->redis_config = config;
  return 0;
}

/* ---- copies between live and saved totals ---------------------------- */

static bool block_key_is_saveable(const p2pool_block_key_t *key) {
  bool kind_ok = key->kind == P2POOL_BLOCK_SIDE ||
                 key->kind == P2POOL_BLOCK_FOUND ||
                 key->kind == P2POOL_BLOCK_ORPHANED;
  bool template_ok =
      key->template_id[0] == '\0' || p2pool_hash_is_valid(key->template_id);
  bool main_ok = key->main_id[0] == '\0' || p2pool_hash_is_valid(key->main_id);
  return kind_ok && template_ok && main_ok;
}

/* Copies an observer's counters, its block ring listed oldest first. */
static void counters_to_saved(const p2pool_observer_t *observer,
                              p2pool_saved_observer_t *out) {
  const p2pool_event_counters_t *counters = &observer->counters;
  size_t num = counters->recent_num;
  if (num > P2POOL_RECENT_BLOCKS_MAX)
    num = P2POOL_RECENT_BLOCKS_MAX;
  size_t oldest =
      num == P2POOL_RECENT_BLOCKS_MAX ? counters->recent_next % num : 0;

  sstrncpy(out->name, observer->name, sizeof(out->name));
  out->side_blocks = counters->side_blocks;
  out->found_blocks = counters->found_blocks;
  out->orphaned_blocks = counters->orphaned_blocks;
  out->recent_num = 0;

  /* A key that could not be loaded again is left out rather than let it
   * stop every save. */
  for (size_t i = 0; i < num; i++) {
    const p2pool_block_key_t *key =
        &counters->recent[(oldest + i) % P2POOL_RECENT_BLOCKS_MAX];
    if (!block_key_is_saveable(key))
      continue;

    p2pool_saved_block_t *block = &out->recent[out->recent_num++];
    memcpy(block->template_id, key->template_id, sizeof(block->template_id));
    memcpy(block->main_id, key->main_id, sizeof(block->main_id));
    block->kind = key->kind;
  }
}

/* Replaces an observer's counters. The ring restarts with the n saved
 * blocks in slots 0 to n - 1, so the next key goes to slot n. */
static void counters_from_saved(p2pool_observer_t *observer,
                                const p2pool_saved_observer_t *saved) {
  p2pool_event_counters_t *counters = &observer->counters;

  counters->side_blocks = saved->side_blocks;
  counters->found_blocks = saved->found_blocks;
  counters->orphaned_blocks = saved->orphaned_blocks;
  memset(counters->recent, 0, sizeof(counters->recent));
  for (size_t i = 0; i < saved->recent_num; i++) {
    p2pool_block_key_t *key = &counters->recent[i];
    memcpy(key->template_id, saved->recent[i].template_id,
           sizeof(key->template_id));
    memcpy(key->main_id, saved->recent[i].main_id, sizeof(key->main_id));
    key->kind = saved->recent[i].kind;
  }
  counters->recent_num = saved->recent_num;
  counters->recent_next = saved->recent_num % P2POOL_RECENT_BLOCKS_MAX;
}

static void wallet_to_saved(const p2pool_wallet_t *wallet,
                            p2pool_saved_wallet_t *out) {
  sstrncpy(out->address, wallet->address, sizeof(out->address));
  sstrncpy(out->observer, wallet->observer->name, sizeof(out->observer));
  out->last_share_height = wallet->state.last_share_height;
  out->last_share_time = wallet->state.last_share_time;
  out->payouts = wallet->state.payouts;
}

static void wallet_from_saved(p2pool_wallet_t *wallet,
                              const p2pool_saved_wallet_t *saved) {
  wallet->state.last_share_height = saved->last_share_height;
  wallet->state.last_share_time = saved->last_share_time;
  wallet->state.payouts = saved->payouts;
}

/* Copies the totals of every configured observer and wallet. */
static int snapshot(p2pool_saved_state_t *out) {
  int rc = p2pool_saved_state_alloc(out, p2pool_g.wallets_num,
                                    p2pool_g.observers_num);
  if (rc != 0)
    return rc;
  out->saved_at = (uint64_t)CDTIME_T_TO_TIME_T(cdtime());

  for (size_t i = 0; i < p2pool_g.observers_num; i++) {
    p2pool_observer_t *observer = p2pool_g.observers[i];
    pthread_mutex_lock(&observer->lock);
    counters_to_saved(observer, &out->observers[i]);
    pthread_mutex_unlock(&observer->lock);
  }

  for (size_t i = 0; i < p2pool_g.wallets_num; i++) {
    p2pool_wallet_t *wallet = p2pool_g.wallets[i];
    pthread_mutex_lock(&wallet->observer->lock);
    wallet_to_saved(wallet, &out->wallets[i]);
    pthread_mutex_unlock(&wallet->observer->lock);
  }
  return 0;
}

/* ---- loading ----------------------------------------------------------- */

static const p2pool_saved_observer_t *
find_saved_observer(const p2pool_saved_state_t *saved, const char *name) {
  for (size_t i = 0; i < saved->observers_num; i++) {
    if (strcmp(saved->observers[i].name, name) == 0)
      return &saved->observers[i];
  }
  return NULL;
}

static const p2pool_saved_wallet_t *
find_saved_wallet(const p2pool_saved_state_t *saved,
                  const p2pool_wallet_t *wallet) {
  for (size_t i = 0; i < saved->wallets_num; i++) {
    if (strcmp(saved->wallets[i].address, wallet->address) == 0 &&
        strcmp(saved->wallets[i].observer, wallet->observer->name) == 0)
      return &saved->wallets[i];
  }
  return NULL;
}

static int merge_observer(p2pool_observer_t *observer,
                          const p2pool_saved_observer_t *saved,
                          p2pool_saved_observer_t *scratch) {
  pthread_mutex_lock(&observer->lock);
  counters_to_saved(observer, scratch);
  int rc = p2pool_state_merge_observer(scratch, saved);
  if (rc == 0)
    counters_from_saved(observer, scratch);
  pthread_mutex_unlock(&observer->lock);
  return rc;
}

static void merge_wallet(p2pool_wallet_t *wallet,
                         const p2pool_saved_wallet_t *saved,
                         p2pool_saved_wallet_t *scratch) {
  pthread_mutex_lock(&wallet->observer->lock);
  wallet_to_saved(wallet, scratch);
  p2pool_state_merge_wallet(scratch, saved);
  wallet_from_saved(wallet, scratch);
  pthread_mutex_unlock(&wallet->observer->lock);
}

/* Merges saved totals into every configured observer and wallet.
 * NOTE: an allocation failure midway leaves the entries merged so far; the
 * next load would merge those a second time, so it is not retried. */
static int merge_into_memory(const p2pool_saved_state_t *saved) {
  p2pool_saved_observer_t *observer_scratch = malloc(sizeof(*observer_scratch));
  p2pool_saved_wallet_t *wallet_scratch = malloc(sizeof(*wallet_scratch));
  int rc = 0;
  if (observer_scratch == NULL || wallet_scratch == NULL)
    rc = -ENOMEM;

  for (size_t i = 0; rc == 0 && i < p2pool_g.observers_num; i++) {
    p2pool_observer_t *observer = p2pool_g.observers[i];
    const p2pool_saved_observer_t *entry =
        find_saved_observer(saved, observer->name);
    if (entry != NULL)
      rc = merge_observer(observer, entry, observer_scratch);
  }
  for (size_t i = 0; rc == 0 && i < p2pool_g.wallets_num; i++) {
    p2pool_wallet_t *wallet = p2pool_g.wallets[i];
    const p2pool_saved_wallet_t *entry = find_saved_wallet(saved, wallet);
    if (entry != NULL)
      merge_wallet(wallet, entry, wallet_scratch);
  }

  free(observer_scratch);
  free(wallet_scratch);
  return rc;
}

/* Loads the saved state and merges it into memory. Returns 0 once loaded,
 * -EAGAIN while the store is unavailable. */
static int load_saved_state(p2pool_store_t *store) {
  p2pool_saved_state_t configured = {0};
  p2pool_saved_state_t saved = {0};

  int rc = snapshot(&configured);
  if (rc == 0)
    rc = store->backend->load(store->backend, &configured, &saved);
  p2pool_saved_state_free(&configured);
  if (rc != 0)
    return rc;

  rc = merge_into_memory(&saved);
  p2pool_saved_state_free(&saved);
  if (rc != 0)
    ERROR("p2pool plugin: Merging saved totals into memory failed: %s. "
          "Totals may be incomplete until the next restart.",
          STRERROR(-rc));

  if (store->load_deferred)
    INFO("p2pool plugin: Merged the saved totals into those counted since "
         "start.");

  /* Whatever the merge did, memory is now the newest state: save it. */
  store->loaded = true;
  p2pool_store_mark_dirty();
  return 0;
}

/* ---- saving ------------------------------------------------------------ */

static uint64_t monotonic_ms(void) {
  struct timespec now = {0};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

void p2pool_store_mark_dirty(void) {
  p2pool_store_t *store = p2pool_g.store;
  if (store == NULL)
    return;

  pthread_mutex_lock(&store->lock);
  store->dirty = true;
  pthread_mutex_unlock(&store->lock);
}

void p2pool_store_mark_lazy_dirty(void) {
  p2pool_store_t *store = p2pool_g.store;
  if (store == NULL)
    return;

  pthread_mutex_lock(&store->lock);
  if (!store->lazy_dirty) {
    store->lazy_dirty = true;
    store->lazy_since_ms = monotonic_ms();
  }
  pthread_mutex_unlock(&store->lock);
}

void p2pool_store_save(void) {
  p2pool_store_t *store = p2pool_g.store;
  if (store == NULL)
    return;

  pthread_mutex_lock(&store->lock);
  if (store->dirty)
    pthread_cond_signal(&store->wake);
  pthread_mutex_unlock(&store->lock);
}

/* Tells whether a save is due, and clears the dirty flags if so: after a
 * change, after lazy changes STORE_LAZY_SAVE_MS old, or for the final save
 * any lazy change. */
static bool take_dirty(p2pool_store_t *store, uint64_t now_ms, bool final) {
  pthread_mutex_lock(&store->lock);
  bool lazy_due =
      store->lazy_dirty &&
      (final || now_ms >= store->lazy_since_ms + STORE_LAZY_SAVE_MS);
  bool due = store->dirty || lazy_due;
  if (due) {
    store->dirty = false;
    store->lazy_dirty = false;
  }
  pthread_mutex_unlock(&store->lock);
  return due;
}

/* Loads the saved state if that is still to do, then writes the totals
 * when they changed or a refresh is due. Returns 0, or the backend's
 * failure (the totals stay dirty unless the store is read-only). */
static int save_changes(p2pool_store_t *store, bool final) {
  if (!store->loaded) {
    int rc = load_saved_state(store);
    if (rc != 0)
      return rc;
  }

  uint64_t now_ms = monotonic_ms();
  bool refresh = now_ms >= store->next_refresh_ms;
  if (!take_dirty(store, now_ms, final) && !refresh)
    return 0;

  p2pool_saved_state_t state = {0};
  int rc = snapshot(&state);
  if (rc == 0)
    rc = store->backend->save(store->backend, &state, refresh);
  p2pool_saved_state_free(&state);

  if (refresh || rc == -EROFS)
    store->next_refresh_ms = now_ms + STORE_REFRESH_MS;
  /* A read-only store stays so: retrying changes nothing. */
  if (rc != 0 && rc != -EROFS)
    p2pool_store_mark_dirty();
  return rc;
}

/* Waits until woken or STORE_TICK_MS passed. Called with store->lock. */
static void wait_tick(p2pool_store_t *store) {
  struct timespec until = {0};
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += STORE_TICK_MS / 1000;
  until.tv_nsec += (long)(STORE_TICK_MS % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(&store->wake, &store->lock, &until);
}

/* Saves whenever woken with changes, and retries every STORE_TICK_MS after
 * a failure, until shutdown. */
static void *store_thread(void *arg) {
  p2pool_store_t *store = arg;
  bool failed = false;

  pthread_mutex_lock(&store->lock);
  while (!store->stopping) {
    if (!store->dirty || failed)
      wait_tick(store);
    if (store->stopping)
      break;

    pthread_mutex_unlock(&store->lock);
    failed = save_changes(store, false) != 0;
    pthread_mutex_lock(&store->lock);
  }
  pthread_mutex_unlock(&store->lock);
  return NULL;
}

/* ---- life cycle -------------------------------------------------------- */

/* Returns the state file path: StateFile, or p2pool.state in BaseDir. */
static char *state_file_path(void) {
  if (p2pool_g.state_file != NULL)
    return strdup(p2pool_g.state_file);

  const char *base_dir = global_option_get("BaseDir");
  if (base_dir == NULL || base_dir[0] == '\0')
    return strdup(STATE_FILE_NAME);
  return ssnprintf_alloc("%s/%s", base_dir, STATE_FILE_NAME);
}

static int create_backend(p2pool_store_t *store) {
  if (store->redis_config != NULL) {
    store->backend = p2pool_store_redis_create(store->redis_config);
    if (store->backend != NULL)
      store->redis_config = NULL;
    return store->backend != NULL ? 0 : -ENOMEM;
  }

  char *path = state_file_path();
  if (path == NULL)
    return -ENOMEM;
  INFO("p2pool plugin: Keeping totals in state file \"%s\".", path);
  store->backend = p2pool_store_file_create(path);
  free(path);
  return store->backend != NULL ? 0 : -ENOMEM;
}

int p2pool_store_init(void) {
  if (p2pool_g.store == NULL)
    p2pool_g.store = store_create();
  p2pool_store_t *store = p2pool_g.store;
  if (store == NULL)
    return -ENOMEM;

  int rc = create_backend(store);
  if (rc != 0) {
    ERROR("p2pool plugin: Opening the state store failed: %s.", STRERROR(-rc));
    return rc;
  }

  /* An unavailable Redis is not an error: counting starts from memory and
   * the store thread merges the saved totals in once Redis responds. */
  rc = load_saved_state(store);
  if (rc != 0 && rc != -EAGAIN)
    ERROR("p2pool plugin: Loading saved totals failed: %s. Will retry.",
          STRERROR(-rc));
  store->load_deferred = rc != 0;
  store->next_refresh_ms = monotonic_ms() + STORE_REFRESH_MS;

  rc =
      plugin_thread_create(&store->thread, store_thread, store, "p2pool store");
  if (rc != 0) {
    ERROR("p2pool plugin: Starting the store thread failed: %s.", STRERROR(rc));
    return -ECHILD;
  }
  store->thread_started = true;
  return 0;
}

static void stop_thread(p2pool_store_t *store) {
  if (!store->thread_started)
    return;

  pthread_mutex_lock(&store->lock);
  store->stopping = true;
  pthread_cond_signal(&store->wake);
  pthread_mutex_unlock(&store->lock);

  pthread_join(store->thread, NULL);
  store->thread_started = false;
}

void p2pool_store_shutdown(void) {
  p2pool_store_t *store = p2pool_g.store;
  if (store == NULL)
    return;

  stop_thread(store);
  if (store->backend != NULL) {
    if (store->backend->retry_now != NULL)
      store->backend->retry_now(store->backend);
    int rc = save_changes(store, true);
    if (rc == 0)
      INFO("p2pool plugin: Saved totals at shutdown.");
    else if (rc == -EROFS)
      WARNING("p2pool plugin: Totals were not saved at shutdown: the state "
              "store is read-only (see the error logged at start).");
    else if (rc == -EAGAIN)
      ERROR("p2pool plugin: The state store is unavailable at shutdown; "
            "totals counted since the last successful save are lost.");
    else
      ERROR("p2pool plugin: Saving totals at shutdown failed: %s. Totals "
            "counted since the last successful save are lost.",
            STRERROR(-rc));
  }

  store_free(store);
  p2pool_g.store = NULL;
}
