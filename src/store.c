/*
 * store.c: running totals kept across restarts, in the state file or in
 * Redis (store_backend.h).
 *
 * Callers change totals under an observer's lock, then call
 * p2pool_store_mark_dirty and p2pool_store_save without holding any lock.
 * A save copies the totals of every observer and wallet under their locks
 * and writes the copy. One thread saves at a time: a thread that finds a
 * save running leaves its change to that save, which repeats while changes
 * keep arriving, so no caller waits for another caller's I/O.
 *
 * The saved state is merged into memory once, at start, or, when Redis did
 * not answer at start, as soon as it does (state_merge.h has the rules).
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

#define STATE_FILE_NAME "p2pool.state"
/* Saves one call runs before it leaves further changes to the next call. */
#define SAVE_PASSES_MAX 8

_Static_assert(P2POOL_STATE_BLOCKS_MAX == P2POOL_RECENT_BLOCKS_MAX,
               "saved and live block lists differ in size");
_Static_assert(P2POOL_NAME_MAX_BYTES <= P2POOL_STATE_NAME_MAX_BYTES,
               "an observer name does not fit a saved entry");

struct p2pool_store_s {
  p2pool_redis_config_t *redis_config; /* until init hands it over */
  p2pool_store_backend_t *backend;

  /* Held while a save or a load runs; guards backend and loaded. */
  pthread_mutex_t save_lock;
  /* The saved state is merged into memory. */
  bool loaded;

  pthread_mutex_t dirty_lock;
  bool dirty; /* totals changed since the last save */
};

static p2pool_store_t *store_create(void) {
  p2pool_store_t *store = calloc(1, sizeof(*store));
  if (store == NULL)
    return NULL;

  pthread_mutex_init(&store->save_lock, NULL);
  pthread_mutex_init(&store->dirty_lock, NULL);
  return store;
}

static void store_free(p2pool_store_t *store) {
  if (store == NULL)
    return;

  if (store->backend != NULL)
    store->backend->destroy(store->backend);
  p2pool_redis_config_free(store->redis_config);
  pthread_mutex_destroy(&store->save_lock);
  pthread_mutex_destroy(&store->dirty_lock);
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

/* Replaces an observer's counters; the ring restarts with the saved blocks
 * in slots 0 to n - 1, so the next key goes to slot n. */
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

static int merge_wallet(p2pool_wallet_t *wallet,
                        const p2pool_saved_wallet_t *saved,
                        p2pool_saved_wallet_t *scratch) {
  pthread_mutex_lock(&wallet->observer->lock);
  wallet_to_saved(wallet, scratch);
  int rc = p2pool_state_merge_wallet(scratch, saved);
  if (rc == 0)
    wallet_from_saved(wallet, scratch);
  pthread_mutex_unlock(&wallet->observer->lock);
  return rc;
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
      rc = merge_wallet(wallet, entry, wallet_scratch);
  }

  free(observer_scratch);
  free(wallet_scratch);
  return rc;
}

/* Loads the saved state and merges it into memory. Called with save_lock
 * held. Returns 0 once loaded, -EAGAIN while the store is unavailable. */
static int load_saved_state(p2pool_store_t *store) {
  p2pool_saved_state_t wanted = {0};
  p2pool_saved_state_t saved = {0};

  int rc = snapshot(&wanted);
  if (rc == 0)
    rc = store->backend->load(store->backend, &wanted, &saved);
  p2pool_saved_state_free(&wanted);
  if (rc != 0)
    return rc;

  rc = merge_into_memory(&saved);
  p2pool_saved_state_free(&saved);
  if (rc != 0)
    ERROR("p2pool plugin: Merging saved totals into memory failed: %s. "
          "Totals may be incomplete until the next restart.",
          STRERROR(-rc));

  /* Whatever the merge did, memory is now the newest state: save it. */
  store->loaded = true;
  p2pool_store_mark_dirty();
  return 0;
}

/* ---- saving ------------------------------------------------------------ */

void p2pool_store_mark_dirty(void) {
  p2pool_store_t *store = p2pool_g.store;
  if (store == NULL)
    return;

  pthread_mutex_lock(&store->dirty_lock);
  store->dirty = true;
  pthread_mutex_unlock(&store->dirty_lock);
}

/* Clears the dirty flag and returns what it was. */
static bool take_dirty(p2pool_store_t *store) {
  pthread_mutex_lock(&store->dirty_lock);
  bool dirty = store->dirty;
  store->dirty = false;
  pthread_mutex_unlock(&store->dirty_lock);
  return dirty;
}

static bool is_dirty(p2pool_store_t *store) {
  pthread_mutex_lock(&store->dirty_lock);
  bool dirty = store->dirty;
  pthread_mutex_unlock(&store->dirty_lock);
  return dirty;
}

/* Writes the totals while they keep changing, up to SAVE_PASSES_MAX
 * times. Called with save_lock held. Returns 0 when every change was
 * written, or the failure of the backend. */
static int save_changes(p2pool_store_t *store) {
  if (!store->loaded) {
    int rc = load_saved_state(store);
    if (rc != 0)
      return rc;
  }

  for (int pass = 0; pass < SAVE_PASSES_MAX && take_dirty(store); pass++) {
    p2pool_saved_state_t state = {0};
    int rc = snapshot(&state);
    if (rc == 0)
      rc = store->backend->save(store->backend, &state);
    p2pool_saved_state_free(&state);

    if (rc != 0) {
      p2pool_store_mark_dirty();
      return rc;
    }
  }
  return 0;
}

void p2pool_store_save(void) {
  p2pool_store_t *store = p2pool_g.store;
  if (store == NULL || store->backend == NULL)
    return;

  /* A change marked after the running save's last pass, but before it
   * released the lock, is picked up by trying the lock again. */
  for (int attempt = 0; attempt < SAVE_PASSES_MAX; attempt++) {
    if (pthread_mutex_trylock(&store->save_lock) != 0)
      return;
    int rc = save_changes(store);
    pthread_mutex_unlock(&store->save_lock);

    if (rc != 0 || !is_dirty(store))
      return;
  }
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
   * the saved totals are merged in once Redis answers. */
  pthread_mutex_lock(&store->save_lock);
  rc = load_saved_state(store);
  pthread_mutex_unlock(&store->save_lock);
  if (rc != 0 && rc != -EAGAIN)
    ERROR("p2pool plugin: Loading saved totals failed: %s. Will retry at "
          "the next save.",
          STRERROR(-rc));
  return 0;
}

void p2pool_store_shutdown(void) {
  p2pool_store_t *store = p2pool_g.store;
  if (store == NULL)
    return;

  if (store->backend != NULL) {
    pthread_mutex_lock(&store->save_lock);
    if (store->backend->retry_now != NULL)
      store->backend->retry_now(store->backend);
    int rc = save_changes(store);
    pthread_mutex_unlock(&store->save_lock);

    if (rc != 0)
      ERROR("p2pool plugin: Saving totals at shutdown failed: %s. Totals "
            "counted since the last save are lost.",
            STRERROR(-rc));
  }

  store_free(store);
  p2pool_g.store = NULL;
}
