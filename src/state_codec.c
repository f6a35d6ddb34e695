/*
 * state_codec.c: JSON encoding and strict decoding of the saved state.
 *
 * The decoder reads each field with the type-checked accessors of json.h,
 * then runs the same validation the encoder runs before it writes, so that
 * whatever the plugin saves it can load again.
 */
#include "state_codec.h"

#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the longest field path, e.g. "wallets[1023].payouts.recent[7]". */
#define PATH_MAX_BYTES 128

static const char *const document_keys[] = {"format",  "version",   "saved_at",
                                            "wallets", "observers", NULL};
static const char *const wallet_value_keys[] = {"version", "wallet", NULL};
static const char *const observer_value_keys[] = {"version", "observer", NULL};
static const char *const wallet_keys[] = {
    "address",         "observer", "last_share_height",
    "last_share_time", "payouts",  NULL};
static const char *const ledger_keys[] = {
    "history_loaded", "count",         "amount",
    "cursor_height",  "newest_height", "newest_timestamp",
    "newest_amount",  "recent",        NULL};
static const char *const payout_key_keys[] = {"main_id", "main_height", NULL};
static const char *const observer_keys[] = {
    "name", "side_blocks", "found_blocks", "orphaned_blocks", "recent", NULL};
static const char *const block_keys[] = {"kind", "template_id", "main_id",
                                         NULL};

/* Writes a reason into err and returns rc. */
static int fail(int rc, char *err, size_t err_size, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t err_size, const char *format, ...) {
  if (err != NULL && err_size > 0) {
    va_list ap;
    va_start(ap, format);
    vsnprintf(err, err_size, format, ap);
    va_end(ap);
  }
  return rc;
}

/* Writes a field path such as "wallets[2].payouts" for error messages. */
static void format_path(char path[PATH_MAX_BYTES], const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void format_path(char path[PATH_MAX_BYTES], const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vsnprintf(path, PATH_MAX_BYTES, format, ap);
  va_end(ap);
}

/* ---- validation of the C structures ---------------------------------- */

static bool hash_or_empty_is_valid(const char *id) {
  return id[0] == '\0' || p2pool_hash_is_valid(id);
}

static bool is_base58(char c) {
  static const char alphabet[] =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  return c != '\0' && strchr(alphabet, c) != NULL;
}

bool p2pool_state_address_is_valid(const char *text) {
  size_t len = strnlen(text, P2POOL_STATE_NAME_MAX_BYTES + 1);
  if (len == 0 || len > P2POOL_STATE_NAME_MAX_BYTES)
    return false;

  for (size_t i = 0; i < len; i++) {
    if (!is_base58(text[i]))
      return false;
  }
  return true;
}

static bool name_is_valid(const char *name) {
  size_t len = strnlen(name, P2POOL_STATE_NAME_MAX_BYTES + 1);
  return len > 0 && len <= P2POOL_STATE_NAME_MAX_BYTES;
}

/* Checks the ledger's own rules: the remembered payout ids are distinct,
 * none is above the newest payout counted, and the count covers them. */
static int validate_ledger(const p2pool_payout_ledger_t *ledger,
                           const char *path, char *err, size_t err_size) {
  if (ledger->recent_num > P2POOL_PAYOUT_RECENT_MAX)
    return fail(-EFBIG, err, err_size, "%s.recent: %zu payouts, at most %d",
                path, ledger->recent_num, P2POOL_PAYOUT_RECENT_MAX);
  if (ledger->count < ledger->recent_num)
    return fail(-EINVAL, err, err_size,
                "%s.count: %llu is less than the %zu payouts remembered", path,
                (unsigned long long)ledger->count, ledger->recent_num);

  for (size_t i = 0; i < ledger->recent_num; i++) {
    const p2pool_payout_key_t *key = &ledger->recent[i];
    if (key->main_height > ledger->newest_height)
      return fail(-EINVAL, err, err_size,
                  "%s.recent[%zu].main_height: %llu is above newest_height "
                  "%llu",
                  path, i, (unsigned long long)key->main_height,
                  (unsigned long long)ledger->newest_height);
    for (size_t j = 0; j < i; j++) {
      if (memcmp(ledger->recent[j].main_id, key->main_id,
                 sizeof(key->main_id)) == 0)
        return fail(-EINVAL, err, err_size,
                    "%s.recent[%zu].main_id: listed twice", path, i);
    }
  }
  return 0;
}

static int validate_wallet(const p2pool_saved_wallet_t *wallet,
                           const char *path, char *err, size_t err_size) {
  char item[PATH_MAX_BYTES];

  if (!p2pool_state_address_is_valid(wallet->address))
    return fail(-EINVAL, err, err_size,
                "%s.address: expected 1 to %d base58 characters", path,
                P2POOL_STATE_NAME_MAX_BYTES);
  if (!name_is_valid(wallet->observer))
    return fail(-EINVAL, err, err_size, "%s.observer: expected 1 to %d bytes",
                path, P2POOL_STATE_NAME_MAX_BYTES);

  format_path(item, "%s.payouts", path);
  return validate_ledger(&wallet->payouts, item, err, err_size);
}

static bool block_kind_is_valid(char kind) {
  return kind == P2POOL_BLOCK_SIDE || kind == P2POOL_BLOCK_FOUND ||
         kind == P2POOL_BLOCK_ORPHANED;
}

static int validate_observer(const p2pool_saved_observer_t *observer,
                             const char *path, char *err, size_t err_size) {
  if (!name_is_valid(observer->name))
    return fail(-EINVAL, err, err_size, "%s.name: expected 1 to %d bytes", path,
                P2POOL_STATE_NAME_MAX_BYTES);
  if (observer->recent_num > P2POOL_STATE_BLOCKS_MAX)
    return fail(-EFBIG, err, err_size, "%s.recent: %zu blocks, at most %d",
                path, observer->recent_num, P2POOL_STATE_BLOCKS_MAX);

  for (size_t i = 0; i < observer->recent_num; i++) {
    const p2pool_saved_block_t *block = &observer->recent[i];

    if (!block_kind_is_valid(block->kind))
      return fail(-EINVAL, err, err_size, "%s.recent[%zu].kind: invalid", path,
                  i);
    if (!hash_or_empty_is_valid(block->template_id))
      return fail(-EINVAL, err, err_size,
                  "%s.recent[%zu].template_id: expected 64 lowercase hex "
                  "digits or an empty string",
                  path, i);
    if (!hash_or_empty_is_valid(block->main_id))
      return fail(-EINVAL, err, err_size,
                  "%s.recent[%zu].main_id: expected 64 lowercase hex digits "
                  "or an empty string",
                  path, i);
  }
  return 0;
}

/* Rejects two wallet entries for one address and observer, or two observer
 * entries of one name: a loader could not tell which one to use. */
static int validate_unique(const p2pool_saved_state_t *state, char *err,
                           size_t err_size) {
  for (size_t i = 0; i < state->wallets_num; i++) {
    const p2pool_saved_wallet_t *a = &state->wallets[i];
    for (size_t j = 0; j < i; j++) {
      const p2pool_saved_wallet_t *b = &state->wallets[j];
      if (strcmp(a->address, b->address) == 0 &&
          strcmp(a->observer, b->observer) == 0)
        return fail(-EINVAL, err, err_size,
                    "wallets[%zu]: address %s of observer \"%s\" is listed "
                    "twice",
                    i, a->address, a->observer);
    }
  }

  for (size_t i = 0; i < state->observers_num; i++) {
    for (size_t j = 0; j < i; j++) {
      if (strcmp(state->observers[i].name, state->observers[j].name) == 0)
        return fail(-EINVAL, err, err_size,
                    "observers[%zu]: observer \"%s\" is listed twice", i,
                    state->observers[i].name);
    }
  }
  return 0;
}

static int validate_state(const p2pool_saved_state_t *state, char *err,
                          size_t err_size) {
  char path[PATH_MAX_BYTES];

  if (state->wallets_num > P2POOL_STATE_WALLETS_MAX)
    return fail(-EFBIG, err, err_size, "wallets: %zu entries, at most %d",
                state->wallets_num, P2POOL_STATE_WALLETS_MAX);
  if (state->observers_num > P2POOL_STATE_OBSERVERS_MAX)
    return fail(-EFBIG, err, err_size, "observers: %zu entries, at most %d",
                state->observers_num, P2POOL_STATE_OBSERVERS_MAX);

  for (size_t i = 0; i < state->wallets_num; i++) {
    format_path(path, "wallets[%zu]", i);
    int rc = validate_wallet(&state->wallets[i], path, err, err_size);
    if (rc != 0)
      return rc;
  }
  for (size_t i = 0; i < state->observers_num; i++) {
    format_path(path, "observers[%zu]", i);
    int rc = validate_observer(&state->observers[i], path, err, err_size);
    if (rc != 0)
      return rc;
  }
  return validate_unique(state, err, err_size);
}

/* ---- encoding ---------------------------------------------------------- */

/* Adds value under key; takes ownership of value even on failure. */
static int add_field(json_object *obj, const char *key, json_object *value) {
  if (value == NULL)
    return -ENOMEM;
  if (json_object_object_add(obj, key, value) != 0) {
    json_object_put(value);
    return -ENOMEM;
  }
  return 0;
}

static int add_element(json_object *array, json_object *value) {
  if (value == NULL)
    return -ENOMEM;
  if (json_object_array_add(array, value) != 0) {
    json_object_put(value);
    return -ENOMEM;
  }
  return 0;
}

static int add_uint64(json_object *obj, const char *key, uint64_t value) {
  return add_field(obj, key, json_object_new_uint64(value));
}

static int add_string(json_object *obj, const char *key, const char *value) {
  return add_field(obj, key, json_object_new_string(value));
}

static json_object *encode_payout_key(const p2pool_payout_key_t *key) {
  char main_id[P2POOL_HASH_HEX_CHARS + 1];
  p2pool_hash_to_hex(key->main_id, main_id);

  json_object *obj = json_object_new_object();
  if (obj == NULL)
    return NULL;

  if (add_string(obj, "main_id", main_id) != 0 ||
      add_uint64(obj, "main_height", key->main_height) != 0) {
    json_object_put(obj);
    return NULL;
  }
  return obj;
}

static json_object *encode_ledger(const p2pool_payout_ledger_t *ledger) {
  json_object *obj = json_object_new_object();
  if (obj == NULL)
    return NULL;

  json_object *recent = json_object_new_array();
  if (add_field(obj, "recent", recent) != 0)
    goto fail;

  for (size_t i = 0; i < ledger->recent_num; i++) {
    if (add_element(recent, encode_payout_key(&ledger->recent[i])) != 0)
      goto fail;
  }

  if (add_field(obj, "history_loaded",
                json_object_new_boolean(ledger->history_loaded)) != 0 ||
      add_uint64(obj, "count", ledger->count) != 0 ||
      add_uint64(obj, "amount", ledger->amount) != 0 ||
      add_uint64(obj, "cursor_height", ledger->cursor_height) != 0 ||
      add_uint64(obj, "newest_height", ledger->newest_height) != 0 ||
      add_uint64(obj, "newest_timestamp", ledger->newest_timestamp) != 0 ||
      add_uint64(obj, "newest_amount", ledger->newest_amount) != 0)
    goto fail;
  return obj;

fail:
  json_object_put(obj);
  return NULL;
}

static json_object *encode_wallet(const p2pool_saved_wallet_t *wallet) {
  json_object *obj = json_object_new_object();
  if (obj == NULL)
    return NULL;

  if (add_string(obj, "address", wallet->address) != 0 ||
      add_string(obj, "observer", wallet->observer) != 0 ||
      add_uint64(obj, "last_share_height", wallet->last_share_height) != 0 ||
      add_uint64(obj, "last_share_time", wallet->last_share_time) != 0 ||
      add_field(obj, "payouts", encode_ledger(&wallet->payouts)) != 0) {
    json_object_put(obj);
    return NULL;
  }
  return obj;
}

static const char *block_kind_name(char kind) {
  switch (kind) {
  case P2POOL_BLOCK_SIDE:
    return "side";
  case P2POOL_BLOCK_FOUND:
    return "found";
  default:
    return "orphaned";
  }
}

static json_object *encode_block(const p2pool_saved_block_t *block) {
  json_object *obj = json_object_new_object();
  if (obj == NULL)
    return NULL;

  if (add_string(obj, "kind", block_kind_name(block->kind)) != 0 ||
      add_string(obj, "template_id", block->template_id) != 0 ||
      add_string(obj, "main_id", block->main_id) != 0) {
    json_object_put(obj);
    return NULL;
  }
  return obj;
}

static json_object *encode_observer(const p2pool_saved_observer_t *observer) {
  json_object *obj = json_object_new_object();
  if (obj == NULL)
    return NULL;

  json_object *recent = json_object_new_array();
  if (add_field(obj, "recent", recent) != 0)
    goto fail;

  for (size_t i = 0; i < observer->recent_num; i++) {
    if (add_element(recent, encode_block(&observer->recent[i])) != 0)
      goto fail;
  }

  if (add_string(obj, "name", observer->name) != 0 ||
      add_uint64(obj, "side_blocks", observer->side_blocks) != 0 ||
      add_uint64(obj, "found_blocks", observer->found_blocks) != 0 ||
      add_uint64(obj, "orphaned_blocks", observer->orphaned_blocks) != 0)
    goto fail;
  return obj;

fail:
  json_object_put(obj);
  return NULL;
}

/* Serialises root into a new string and releases root. */
static int finish_encoding(json_object *root, char **out, size_t *out_len,
                           char *err, size_t err_size) {
  size_t len = 0;
  const char *text = json_object_to_json_string_length(
      root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
  int rc = 0;

  if (text == NULL) {
    rc = -ENOMEM;
  } else if (len > P2POOL_STATE_DOCUMENT_MAX_BYTES) {
    rc = fail(-EFBIG, err, err_size, "encoded state is %zu bytes, at most %zu",
              len, P2POOL_STATE_DOCUMENT_MAX_BYTES);
  } else {
    *out = malloc(len + 1);
    if (*out == NULL) {
      rc = -ENOMEM;
    } else {
      memcpy(*out, text, len + 1);
      *out_len = len;
    }
  }

  json_object_put(root);
  return rc;
}

static json_object *encode_entries(const void *entries, size_t num,
                                   size_t entry_size,
                                   json_object *(*encode)(const void *)) {
  json_object *array = json_object_new_array();
  if (array == NULL)
    return NULL;

  for (size_t i = 0; i < num; i++) {
    const char *entry = (const char *)entries + i * entry_size;
    if (add_element(array, encode(entry)) != 0) {
      json_object_put(array);
      return NULL;
    }
  }
  return array;
}

static json_object *encode_wallet_entry(const void *entry) {
  return encode_wallet(entry);
}

static json_object *encode_observer_entry(const void *entry) {
  return encode_observer(entry);
}

int p2pool_state_encode(const p2pool_saved_state_t *state, char **out,
                        size_t *out_len, char *err, size_t err_size) {
  int rc = validate_state(state, err, err_size);
  if (rc != 0)
    return rc;

  json_object *root = json_object_new_object();
  if (root == NULL)
    return -ENOMEM;

  if (add_string(root, "format", P2POOL_STATE_FORMAT_NAME) != 0 ||
      add_uint64(root, "version", P2POOL_STATE_FORMAT_VERSION) != 0 ||
      add_uint64(root, "saved_at", state->saved_at) != 0 ||
      add_field(root, "wallets",
                encode_entries(state->wallets, state->wallets_num,
                               sizeof(*state->wallets), encode_wallet_entry)) !=
          0 ||
      add_field(root, "observers",
                encode_entries(state->observers, state->observers_num,
                               sizeof(*state->observers),
                               encode_observer_entry)) != 0) {
    json_object_put(root);
    return -ENOMEM;
  }
  return finish_encoding(root, out, out_len, err, err_size);
}

/* Wraps one entry as {"version": N, "<key>": entry}. */
static int encode_value(const char *key, json_object *entry, char **out,
                        size_t *out_len, char *err, size_t err_size) {
  if (entry == NULL)
    return -ENOMEM;

  json_object *root = json_object_new_object();
  if (root == NULL) {
    json_object_put(entry);
    return -ENOMEM;
  }

  if (add_uint64(root, "version", P2POOL_STATE_FORMAT_VERSION) != 0 ||
      add_field(root, key, entry) != 0) {
    json_object_put(root);
    return -ENOMEM;
  }
  return finish_encoding(root, out, out_len, err, err_size);
}

int p2pool_state_encode_wallet(const p2pool_saved_wallet_t *wallet, char **out,
                               size_t *out_len, char *err, size_t err_size) {
  int rc = validate_wallet(wallet, "wallet", err, err_size);
  if (rc != 0)
    return rc;
  return encode_value("wallet", encode_wallet(wallet), out, out_len, err,
                      err_size);
}

int p2pool_state_encode_observer(const p2pool_saved_observer_t *observer,
                                 char **out, size_t *out_len, char *err,
                                 size_t err_size) {
  int rc = validate_observer(observer, "observer", err, err_size);
  if (rc != 0)
    return rc;
  return encode_value("observer", encode_observer(observer), out, out_len, err,
                      err_size);
}

/* ---- decoding ---------------------------------------------------------- */

static int check_keys(json_object *obj, const char *const *allowed,
                      const char *path, char *err, size_t err_size) {
  json_object_object_foreach(obj, key, value) {
    (void)value;
    bool known = false;
    for (size_t i = 0; allowed[i] != NULL && !known; i++)
      known = strcmp(key, allowed[i]) == 0;
    if (!known)
      return fail(-EINVAL, err, err_size, "%s: unknown key \"%.40s\"", path,
                  key);
  }
  return 0;
}

/* Turns an accessor's result into a message naming the field. */
static int field_error(int rc, const char *path, const char *key,
                       const char *expected, char *err, size_t err_size) {
  if (rc == -ENOENT)
    return fail(-EINVAL, err, err_size, "%s.%s: missing", path, key);
  if (rc == -ERANGE)
    return fail(-EINVAL, err, err_size, "%s.%s: out of range", path, key);
  return fail(-EINVAL, err, err_size, "%s.%s: expected %s", path, key,
              expected);
}

static int read_uint64(json_object *obj, const char *key, uint64_t *out,
                       const char *path, char *err, size_t err_size) {
  int rc = p2pool_json_get_uint64(obj, key, out);
  if (rc != 0)
    return field_error(rc, path, key, "a non-negative integer", err, err_size);
  return 0;
}

/* Copies a string field of at most out_size - 1 bytes without NULs. */
static int read_string(json_object *obj, const char *key, char *out,
                       size_t out_size, const char *path, char *err,
                       size_t err_size) {
  const char *text = NULL;
  int rc = p2pool_json_get_string(obj, key, &text);
  if (rc != 0)
    return field_error(rc, path, key, "a string", err, err_size);

  json_object *value = NULL;
  json_object_object_get_ex(obj, key, &value);
  size_t len = (size_t)json_object_get_string_len(value);
  if (len >= out_size)
    return fail(-EINVAL, err, err_size, "%s.%s: longer than %zu bytes", path,
                key, out_size - 1);
  if (strlen(text) != len)
    return fail(-EINVAL, err, err_size, "%s.%s: contains a NUL character", path,
                key);

  memcpy(out, text, len + 1);
  return 0;
}

static int read_object(json_object *obj, const char *key, json_object **out,
                       const char *path, char *err, size_t err_size) {
  int rc = p2pool_json_get_object(obj, key, out);
  if (rc != 0)
    return field_error(rc, path, key, "an object", err, err_size);
  return 0;
}

/* Reads a list of at most max_num elements. */
static int read_array(json_object *obj, const char *key, size_t max_num,
                      json_object **out, size_t *out_num, const char *path,
                      char *err, size_t err_size) {
  int rc = p2pool_json_get_array(obj, key, out);
  if (rc != 0)
    return field_error(rc, path, key, "a list", err, err_size);

  *out_num = json_object_array_length(*out);
  if (*out_num > max_num)
    return fail(-EFBIG, err, err_size, "%s.%s: %zu elements, at most %zu", path,
                key, *out_num, max_num);
  return 0;
}

static int expect_object(json_object *value, const char *path, char *err,
                         size_t err_size) {
  if (!json_object_is_type(value, json_type_object))
    return fail(-EINVAL, err, err_size, "%s: expected an object, got %s", path,
                p2pool_json_type_name(value));
  return 0;
}

static int decode_payout_key(json_object *obj, const char *path,
                             p2pool_payout_key_t *out, char *err,
                             size_t err_size) {
  char main_id[P2POOL_HASH_HEX_CHARS + 1];

  int rc = expect_object(obj, path, err, err_size);
  if (rc == 0)
    rc = check_keys(obj, payout_key_keys, path, err, err_size);
  if (rc == 0)
    rc = read_string(obj, "main_id", main_id, sizeof(main_id), path, err,
                     err_size);
  if (rc == 0 && p2pool_hash_from_hex(main_id, out->main_id) != 0)
    rc = fail(-EINVAL, err, err_size,
              "%s.main_id: expected 64 lowercase hex digits", path);
  if (rc == 0)
    rc =
        read_uint64(obj, "main_height", &out->main_height, path, err, err_size);
  return rc;
}

static int decode_ledger(json_object *parent, const char *path,
                         p2pool_payout_ledger_t *out, char *err,
                         size_t err_size) {
  char item[PATH_MAX_BYTES];
  json_object *obj = NULL;
  json_object *recent = NULL;
  size_t recent_num = 0;

  format_path(item, "%s.payouts", path);
  int rc = read_object(parent, "payouts", &obj, path, err, err_size);
  if (rc == 0)
    rc = check_keys(obj, ledger_keys, item, err, err_size);
  if (rc == 0) {
    rc = p2pool_json_get_bool(obj, "history_loaded", &out->history_loaded);
    if (rc != 0)
      rc = field_error(rc, item, "history_loaded", "a boolean", err, err_size);
  }
  if (rc == 0)
    rc = read_uint64(obj, "count", &out->count, item, err, err_size);
  if (rc == 0)
    rc = read_uint64(obj, "amount", &out->amount, item, err, err_size);
  if (rc == 0)
    rc = read_uint64(obj, "cursor_height", &out->cursor_height, item, err,
                     err_size);
  if (rc == 0)
    rc = read_uint64(obj, "newest_height", &out->newest_height, item, err,
                     err_size);
  if (rc == 0)
    rc = read_uint64(obj, "newest_timestamp", &out->newest_timestamp, item, err,
                     err_size);
  if (rc == 0)
    rc = read_uint64(obj, "newest_amount", &out->newest_amount, item, err,
                     err_size);
  if (rc == 0)
    rc = read_array(obj, "recent", P2POOL_PAYOUT_RECENT_MAX, &recent,
                    &recent_num, item, err, err_size);

  for (size_t i = 0; rc == 0 && i < recent_num; i++) {
    char key_path[PATH_MAX_BYTES];
    format_path(key_path, "%s.recent[%zu]", item, i);
    rc = decode_payout_key(json_object_array_get_idx(recent, i), key_path,
                           &out->recent[i], err, err_size);
  }
  if (rc == 0)
    out->recent_num = recent_num;
  return rc;
}

static int decode_wallet(json_object *obj, const char *path,
                         p2pool_saved_wallet_t *out, char *err,
                         size_t err_size) {
  memset(out, 0, sizeof(*out));

  int rc = expect_object(obj, path, err, err_size);
  if (rc == 0)
    rc = check_keys(obj, wallet_keys, path, err, err_size);
  if (rc == 0)
    rc = read_string(obj, "address", out->address, sizeof(out->address), path,
                     err, err_size);
  if (rc == 0)
    rc = read_string(obj, "observer", out->observer, sizeof(out->observer),
                     path, err, err_size);
  if (rc == 0)
    rc = read_uint64(obj, "last_share_height", &out->last_share_height, path,
                     err, err_size);
  if (rc == 0)
    rc = read_uint64(obj, "last_share_time", &out->last_share_time, path, err,
                     err_size);
  if (rc == 0)
    rc = decode_ledger(obj, path, &out->payouts, err, err_size);
  if (rc == 0)
    rc = validate_wallet(out, path, err, err_size);
  return rc;
}

static int decode_block_kind(json_object *obj, const char *path, char *out,
                             char *err, size_t err_size) {
  char name[16];
  int rc = read_string(obj, "kind", name, sizeof(name), path, err, err_size);
  if (rc != 0)
    return rc;

  if (strcmp(name, "side") == 0)
    *out = P2POOL_BLOCK_SIDE;
  else if (strcmp(name, "found") == 0)
    *out = P2POOL_BLOCK_FOUND;
  else if (strcmp(name, "orphaned") == 0)
    *out = P2POOL_BLOCK_ORPHANED;
  else
    return fail(-EINVAL, err, err_size,
                "%s.kind: expected \"side\", \"found\" or \"orphaned\"", path);
  return 0;
}

static int decode_block(json_object *obj, const char *path,
                        p2pool_saved_block_t *out, char *err, size_t err_size) {
  int rc = expect_object(obj, path, err, err_size);
  if (rc == 0)
    rc = check_keys(obj, block_keys, path, err, err_size);
  if (rc == 0)
    rc = decode_block_kind(obj, path, &out->kind, err, err_size);
  if (rc == 0)
    rc = read_string(obj, "template_id", out->template_id,
                     sizeof(out->template_id), path, err, err_size);
  if (rc == 0)
    rc = read_string(obj, "main_id", out->main_id, sizeof(out->main_id), path,
                     err, err_size);
  return rc;
}

static int decode_observer(json_object *obj, const char *path,
                           p2pool_saved_observer_t *out, char *err,
                           size_t err_size) {
  json_object *recent = NULL;
  size_t recent_num = 0;
  memset(out, 0, sizeof(*out));

  int rc = expect_object(obj, path, err, err_size);
  if (rc == 0)
    rc = check_keys(obj, observer_keys, path, err, err_size);
  if (rc == 0)
    rc = read_string(obj, "name", out->name, sizeof(out->name), path, err,
                     err_size);
  if (rc == 0)
    rc =
        read_uint64(obj, "side_blocks", &out->side_blocks, path, err, err_size);
  if (rc == 0)
    rc = read_uint64(obj, "found_blocks", &out->found_blocks, path, err,
                     err_size);
  if (rc == 0)
    rc = read_uint64(obj, "orphaned_blocks", &out->orphaned_blocks, path, err,
                     err_size);
  if (rc == 0)
    rc = read_array(obj, "recent", P2POOL_STATE_BLOCKS_MAX, &recent,
                    &recent_num, path, err, err_size);
  for (size_t i = 0; rc == 0 && i < recent_num; i++) {
    char block_path[PATH_MAX_BYTES];
    format_path(block_path, "%s.recent[%zu]", path, i);
    rc = decode_block(json_object_array_get_idx(recent, i), block_path,
                      &out->recent[i], err, err_size);
  }
  if (rc != 0)
    return rc;

  out->recent_num = recent_num;
  return validate_observer(out, path, err, err_size);
}

/* Parses buf and checks its version; the caller puts *root. */
static int parse_versioned(const char *buf, size_t len, json_object **root,
                           char *err, size_t err_size) {
  char reason[128] = "";
  uint64_t version = 0;
  *root = NULL;

  if (len > P2POOL_STATE_DOCUMENT_MAX_BYTES)
    return fail(-EFBIG, err, err_size, "%zu bytes, at most %zu", len,
                P2POOL_STATE_DOCUMENT_MAX_BYTES);

  int rc = p2pool_json_parse(buf, len, root, reason, sizeof(reason));
  if (rc != 0)
    return fail(-EINVAL, err, err_size, "not valid JSON: %s", reason);

  rc = expect_object(*root, "document", err, err_size);
  if (rc == 0)
    rc = read_uint64(*root, "version", &version, "document", err, err_size);
  if (rc != 0)
    return rc;

  if (version == 0)
    return fail(-EINVAL, err, err_size, "document.version: 0 is invalid");
  if (version > P2POOL_STATE_FORMAT_VERSION)
    return fail(-P2POOL_STATE_ENEWER, err, err_size,
                "format version %llu is newer than version %d, the newest "
                "this plugin reads",
                (unsigned long long)version, P2POOL_STATE_FORMAT_VERSION);
  return 0;
}

static int decode_document(json_object *root, p2pool_saved_state_t *out,
                           char *err, size_t err_size) {
  char format[64];
  json_object *wallets = NULL;
  json_object *observers = NULL;
  size_t wallets_num = 0;
  size_t observers_num = 0;
  uint64_t saved_at = 0;

  int rc = check_keys(root, document_keys, "document", err, err_size);
  if (rc == 0)
    rc = read_string(root, "format", format, sizeof(format), "document", err,
                     err_size);
  if (rc == 0 && strcmp(format, P2POOL_STATE_FORMAT_NAME) != 0)
    rc = fail(-EINVAL, err, err_size,
              "document.format: expected \"%s\", got \"%s\"",
              P2POOL_STATE_FORMAT_NAME, format);
  if (rc == 0)
    rc = read_uint64(root, "saved_at", &saved_at, "document", err, err_size);
  if (rc == 0)
    rc = read_array(root, "wallets", P2POOL_STATE_WALLETS_MAX, &wallets,
                    &wallets_num, "document", err, err_size);
  if (rc == 0)
    rc = read_array(root, "observers", P2POOL_STATE_OBSERVERS_MAX, &observers,
                    &observers_num, "document", err, err_size);
  if (rc == 0)
    rc = p2pool_saved_state_alloc(out, wallets_num, observers_num);
  if (rc != 0)
    return rc;
  out->saved_at = saved_at;

  for (size_t i = 0; i < wallets_num; i++) {
    char path[PATH_MAX_BYTES];
    format_path(path, "wallets[%zu]", i);
    rc = decode_wallet(json_object_array_get_idx(wallets, i), path,
                       &out->wallets[i], err, err_size);
    if (rc != 0)
      return rc;
  }
  for (size_t i = 0; i < observers_num; i++) {
    char path[PATH_MAX_BYTES];
    format_path(path, "observers[%zu]", i);
    rc = decode_observer(json_object_array_get_idx(observers, i), path,
                         &out->observers[i], err, err_size);
    if (rc != 0)
      return rc;
  }
  return validate_unique(out, err, err_size);
}

int p2pool_state_decode(const char *buf, size_t len, p2pool_saved_state_t *out,
                        char *err, size_t err_size) {
  json_object *root = NULL;
  memset(out, 0, sizeof(*out));

  int rc = parse_versioned(buf, len, &root, err, err_size);
  if (rc == 0)
    rc = decode_document(root, out, err, err_size);

  json_object_put(root);
  if (rc != 0)
    p2pool_saved_state_free(out);
  return rc;
}

/* Finds the entry of a Redis value after checking its keys. */
static int value_entry(const char *buf, size_t len, const char *key,
                       const char *const *keys, json_object **root,
                       json_object **entry, char *err, size_t err_size) {
  int rc = parse_versioned(buf, len, root, err, err_size);
  if (rc == 0)
    rc = check_keys(*root, keys, "document", err, err_size);
  if (rc == 0 && !json_object_object_get_ex(*root, key, entry))
    rc = fail(-EINVAL, err, err_size, "document.%s: missing", key);
  return rc;
}

int p2pool_state_decode_wallet(const char *buf, size_t len,
                               p2pool_saved_wallet_t *out, char *err,
                               size_t err_size) {
  json_object *root = NULL;
  json_object *entry = NULL;
  memset(out, 0, sizeof(*out));

  int rc = value_entry(buf, len, "wallet", wallet_value_keys, &root, &entry,
                       err, err_size);
  if (rc == 0)
    rc = decode_wallet(entry, "wallet", out, err, err_size);

  json_object_put(root);
  if (rc != 0)
    memset(out, 0, sizeof(*out));
  return rc;
}

int p2pool_state_decode_observer(const char *buf, size_t len,
                                 p2pool_saved_observer_t *out, char *err,
                                 size_t err_size) {
  json_object *root = NULL;
  json_object *entry = NULL;
  memset(out, 0, sizeof(*out));

  int rc = value_entry(buf, len, "observer", observer_value_keys, &root, &entry,
                       err, err_size);
  if (rc == 0)
    rc = decode_observer(entry, "observer", out, err, err_size);

  json_object_put(root);
  if (rc != 0)
    memset(out, 0, sizeof(*out));
  return rc;
}

/* ---- memory ------------------------------------------------------------ */

int p2pool_saved_state_alloc(p2pool_saved_state_t *state, size_t wallets_num,
                             size_t observers_num) {
  memset(state, 0, sizeof(*state));

  if (wallets_num > 0) {
    state->wallets = calloc(wallets_num, sizeof(*state->wallets));
    if (state->wallets == NULL)
      return -ENOMEM;
  }
  if (observers_num > 0) {
    state->observers = calloc(observers_num, sizeof(*state->observers));
    if (state->observers == NULL) {
      p2pool_saved_state_free(state);
      return -ENOMEM;
    }
  }

  state->wallets_num = wallets_num;
  state->observers_num = observers_num;
  return 0;
}

void p2pool_saved_state_free(p2pool_saved_state_t *state) {
  if (state == NULL)
    return;
  free(state->wallets);
  free(state->observers);
  memset(state, 0, sizeof(*state));
}
