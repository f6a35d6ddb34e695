/*
 * test_state_codec.c: the saved state's JSON encoding and strict decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "state_codec.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDRESS_A                                                              \
  "4MASi45ub7Qe4ZE36UT5G6cU4ud8Fhhe4deS4F3cw9KTAb8dLcukC7edhDQ7cn5d4gEYkbUrM"  \
  "WeWQLGsCmrG6dLaYyNoVKf"
#define ADDRESS_B                                                              \
  "858ZTBqNAYT3j5qcdsyuMNmPfYetW5v6JXmj54omLidkuVKnRyjP2WPBg8Y4ErK9pGSSxY6BV"  \
  "ScJy9uUxcJnTPkyRFA6CAF"

/* Writes a 64-digit id made from n. */
static void make_id(char out[P2POOL_HASH_HEX_CHARS + 1], unsigned long long n,
                    char fill) {
  memset(out, fill, P2POOL_HASH_HEX_CHARS);
  char digits[32];
  int len = snprintf(digits, sizeof(digits), "%llx", n);
  memcpy(out + P2POOL_HASH_HEX_CHARS - len, digits, (size_t)len);
  out[P2POOL_HASH_HEX_CHARS] = '\0';
}

static void fill_ledger(p2pool_payout_ledger_t *ledger, size_t payouts) {
  memset(ledger, 0, sizeof(*ledger));
  ledger->history_loaded = true;
  ledger->count = payouts + 40;
  ledger->amount = 123456789012ULL;
  ledger->cursor_height = 3000000;
  for (size_t i = 0; i < payouts; i++) {
    char id[P2POOL_HASH_HEX_CHARS + 1];
    make_id(id, 1000 + i, 'a');
    assert_int_equal(p2pool_hash_from_hex(id, ledger->recent[i].main_id), 0);
    ledger->recent[i].main_height = 3000000 + i * 7;
    ledger->newest_height = ledger->recent[i].main_height;
  }
  ledger->recent_num = payouts;
  ledger->newest_timestamp = 1780000000;
  ledger->newest_amount = 2000012345ULL;
}

static void fill_observer(p2pool_saved_observer_t *observer, const char *name,
                          size_t blocks) {
  memset(observer, 0, sizeof(*observer));
  snprintf(observer->name, sizeof(observer->name), "%s", name);
  observer->side_blocks = 91234;
  observer->found_blocks = 17;
  observer->orphaned_blocks = 2;
  static const char kinds[] = {P2POOL_BLOCK_SIDE, P2POOL_BLOCK_FOUND,
                               P2POOL_BLOCK_ORPHANED};
  for (size_t i = 0; i < blocks; i++) {
    p2pool_saved_block_t *block = &observer->recent[i];
    block->kind = kinds[i % 3];
    make_id(block->template_id, 5000 + i, 'c');
    if (i % 4 != 0)
      make_id(block->main_id, 9000 + i, 'd');
  }
  observer->recent_num = blocks;
}

/* A state with one full ledger, one empty wallet and two observers. */
static void fill_state(p2pool_saved_state_t *state) {
  assert_int_equal(p2pool_saved_state_alloc(state, 2, 2), 0);
  state->saved_at = 1780123456;

  p2pool_saved_wallet_t *full = &state->wallets[0];
  snprintf(full->address, sizeof(full->address), "%s", ADDRESS_A);
  snprintf(full->observer, sizeof(full->observer), "mini");
  full->last_share_height = 14779870;
  full->last_share_time = 1780985850;
  fill_ledger(&full->payouts, P2POOL_PAYOUT_RECENT_MAX);

  p2pool_saved_wallet_t *empty = &state->wallets[1];
  snprintf(empty->address, sizeof(empty->address), "%s", ADDRESS_B);
  snprintf(empty->observer, sizeof(empty->observer), "nano \"east\"");

  fill_observer(&state->observers[0], "mini", P2POOL_STATE_BLOCKS_MAX);
  fill_observer(&state->observers[1], "nano \"east\"", 0);
}

static void assert_ledgers_equal(const p2pool_payout_ledger_t *a,
                                 const p2pool_payout_ledger_t *b) {
  assert_int_equal(a->history_loaded, b->history_loaded);
  assert_int_equal(a->count, b->count);
  assert_int_equal(a->amount, b->amount);
  assert_int_equal(a->cursor_height, b->cursor_height);
  assert_int_equal(a->newest_height, b->newest_height);
  assert_int_equal(a->newest_timestamp, b->newest_timestamp);
  assert_int_equal(a->newest_amount, b->newest_amount);
  assert_int_equal(a->recent_num, b->recent_num);
  for (size_t i = 0; i < a->recent_num; i++) {
    assert_memory_equal(a->recent[i].main_id, b->recent[i].main_id,
                        P2POOL_HASH_BYTES);
    assert_int_equal(a->recent[i].main_height, b->recent[i].main_height);
  }
}

static void assert_wallets_equal(const p2pool_saved_wallet_t *a,
                                 const p2pool_saved_wallet_t *b) {
  assert_string_equal(a->address, b->address);
  assert_string_equal(a->observer, b->observer);
  assert_int_equal(a->last_share_height, b->last_share_height);
  assert_int_equal(a->last_share_time, b->last_share_time);
  assert_ledgers_equal(&a->payouts, &b->payouts);
}

static void assert_observers_equal(const p2pool_saved_observer_t *a,
                                   const p2pool_saved_observer_t *b) {
  assert_string_equal(a->name, b->name);
  assert_int_equal(a->side_blocks, b->side_blocks);
  assert_int_equal(a->found_blocks, b->found_blocks);
  assert_int_equal(a->orphaned_blocks, b->orphaned_blocks);
  assert_int_equal(a->recent_num, b->recent_num);
  for (size_t i = 0; i < a->recent_num; i++) {
    assert_int_equal(a->recent[i].kind, b->recent[i].kind);
    assert_string_equal(a->recent[i].template_id, b->recent[i].template_id);
    assert_string_equal(a->recent[i].main_id, b->recent[i].main_id);
  }
}

/* Encodes the standard state and returns the document. */
static char *encode_standard(size_t *len) {
  p2pool_saved_state_t state;
  char err[256] = "";
  char *text = NULL;

  fill_state(&state);
  assert_int_equal(p2pool_state_encode(&state, &text, len, err, sizeof(err)),
                   0);
  p2pool_saved_state_free(&state);
  return text;
}

static int decode_text(const char *text, char *err, size_t err_size) {
  p2pool_saved_state_t out;
  int rc = p2pool_state_decode(text, strlen(text), &out, err, err_size);
  if (rc == 0)
    p2pool_saved_state_free(&out);
  else {
    assert_null(out.wallets);
    assert_null(out.observers);
  }
  return rc;
}

static void state_round_trip(void **unused) {
  (void)unused;
  p2pool_saved_state_t state;
  p2pool_saved_state_t decoded;
  char err[256] = "";
  char *text = NULL;
  size_t len = 0;

  fill_state(&state);
  assert_int_equal(p2pool_state_encode(&state, &text, &len, err, sizeof(err)),
                   0);
  assert_int_equal(strlen(text), len);
  assert_int_equal(p2pool_state_decode(text, len, &decoded, err, sizeof(err)),
                   0);

  assert_int_equal(decoded.saved_at, state.saved_at);
  assert_int_equal(decoded.wallets_num, 2);
  assert_int_equal(decoded.observers_num, 2);
  for (size_t i = 0; i < 2; i++) {
    assert_wallets_equal(&decoded.wallets[i], &state.wallets[i]);
    assert_observers_equal(&decoded.observers[i], &state.observers[i]);
  }

  free(text);
  p2pool_saved_state_free(&state);
  p2pool_saved_state_free(&decoded);
}

static void state_round_trip_empty(void **unused) {
  (void)unused;
  p2pool_saved_state_t state = {.saved_at = 1};
  p2pool_saved_state_t decoded;
  char err[256] = "";
  char *text = NULL;
  size_t len = 0;

  assert_int_equal(p2pool_state_encode(&state, &text, &len, err, sizeof(err)),
                   0);
  assert_int_equal(p2pool_state_decode(text, len, &decoded, err, sizeof(err)),
                   0);
  assert_int_equal(decoded.wallets_num, 0);
  assert_int_equal(decoded.observers_num, 0);
  assert_int_equal(decoded.saved_at, 1);
  free(text);
}

static void state_large_totals_exact(void **unused) {
  (void)unused;
  p2pool_saved_state_t state;
  p2pool_saved_state_t decoded;
  char err[256] = "";
  char *text = NULL;
  size_t len = 0;

  fill_state(&state);
  /* Above 2^63: a signed conversion anywhere would corrupt these. */
  state.wallets[0].payouts.amount = 18446744073709551000ULL;
  state.observers[0].side_blocks = 9223372036854775809ULL;
  assert_int_equal(p2pool_state_encode(&state, &text, &len, err, sizeof(err)),
                   0);
  assert_int_equal(p2pool_state_decode(text, len, &decoded, err, sizeof(err)),
                   0);
  assert_int_equal(decoded.wallets[0].payouts.amount, 18446744073709551000ULL);
  assert_int_equal(decoded.observers[0].side_blocks, 9223372036854775809ULL);

  free(text);
  p2pool_saved_state_free(&state);
  p2pool_saved_state_free(&decoded);
}

static void wallet_value_round_trip(void **unused) {
  (void)unused;
  p2pool_saved_state_t state;
  p2pool_saved_wallet_t decoded;
  char err[256] = "";
  char *text = NULL;
  size_t len = 0;

  fill_state(&state);
  assert_int_equal(p2pool_state_encode_wallet(&state.wallets[0], &text, &len,
                                              err, sizeof(err)),
                   0);
  assert_non_null(strstr(text, "\"version\":1"));
  assert_int_equal(
      p2pool_state_decode_wallet(text, len, &decoded, err, sizeof(err)), 0);
  assert_wallets_equal(&decoded, &state.wallets[0]);

  free(text);
  p2pool_saved_state_free(&state);
}

static void observer_value_round_trip(void **unused) {
  (void)unused;
  p2pool_saved_state_t state;
  p2pool_saved_observer_t *decoded = malloc(sizeof(*decoded));
  char err[256] = "";
  char *text = NULL;
  size_t len = 0;

  fill_state(&state);
  assert_int_equal(p2pool_state_encode_observer(&state.observers[0], &text,
                                                &len, err, sizeof(err)),
                   0);
  assert_int_equal(
      p2pool_state_decode_observer(text, len, decoded, err, sizeof(err)), 0);
  assert_observers_equal(decoded, &state.observers[0]);

  free(decoded);
  free(text);
  p2pool_saved_state_free(&state);
}

static void value_kinds_not_interchangeable(void **unused) {
  (void)unused;
  p2pool_saved_state_t state;
  p2pool_saved_wallet_t wallet;
  p2pool_saved_observer_t *observer = malloc(sizeof(*observer));
  char err[256] = "";
  char *wallet_text = NULL;
  char *observer_text = NULL;
  size_t len = 0;

  fill_state(&state);
  assert_int_equal(p2pool_state_encode_wallet(&state.wallets[0], &wallet_text,
                                              &len, err, sizeof(err)),
                   0);
  assert_int_equal(p2pool_state_decode_observer(wallet_text, len, observer, err,
                                                sizeof(err)),
                   -EINVAL);
  assert_int_equal(p2pool_state_encode_observer(&state.observers[1],
                                                &observer_text, &len, err,
                                                sizeof(err)),
                   0);
  assert_int_equal(
      p2pool_state_decode_wallet(observer_text, len, &wallet, err, sizeof(err)),
      -EINVAL);

  free(observer);
  free(wallet_text);
  free(observer_text);
  p2pool_saved_state_free(&state);
}

static void version_newer_rejected(void **unused) {
  (void)unused;
  char err[256] = "";
  const char *document = "{\"format\":\"collectd-p2pool state\","
                         "\"version\":2,\"something_new\":[]}";
  const char *value = "{\"version\":7,\"wallet\":{\"new\":true}}";
  p2pool_saved_wallet_t wallet;

  assert_int_equal(decode_text(document, err, sizeof(err)),
                   -P2POOL_STATE_ENEWER);
  assert_non_null(strstr(err, "version 2"));
  assert_int_equal(p2pool_state_decode_wallet(value, strlen(value), &wallet,
                                              err, sizeof(err)),
                   -P2POOL_STATE_ENEWER);
}

static void version_invalid_rejected(void **unused) {
  (void)unused;
  char err[256] = "";
  static const char *const documents[] = {
      "{\"format\":\"collectd-p2pool state\",\"version\":0,\"saved_at\":0,"
      "\"wallets\":[],\"observers\":[]}",
      "{\"format\":\"collectd-p2pool state\",\"version\":\"1\",\"saved_at\":0,"
      "\"wallets\":[],\"observers\":[]}",
      "{\"format\":\"collectd-p2pool state\",\"version\":1.0,\"saved_at\":0,"
      "\"wallets\":[],\"observers\":[]}",
      "{\"format\":\"collectd-p2pool state\",\"version\":-1,\"saved_at\":0,"
      "\"wallets\":[],\"observers\":[]}",
      "{\"format\":\"collectd-p2pool state\",\"saved_at\":0,"
      "\"wallets\":[],\"observers\":[]}",
  };

  for (size_t i = 0; i < sizeof(documents) / sizeof(documents[0]); i++)
    assert_int_equal(decode_text(documents[i], err, sizeof(err)), -EINVAL);
}

static void format_name_checked(void **unused) {
  (void)unused;
  char err[256] = "";
  const char *document = "{\"format\":\"another program\",\"version\":1,"
                         "\"saved_at\":0,\"wallets\":[],\"observers\":[]}";

  assert_int_equal(decode_text(document, err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "document.format"));
}

static void corrupt_input_rejected(void **unused) {
  (void)unused;
  char err[256] = "";
  size_t len = 0;
  char *text = encode_standard(&len);
  p2pool_saved_state_t out;

  /* Every cut of a valid document is invalid, and none crashes. */
  for (size_t cut = 0; cut < len; cut += 997) {
    assert_int_equal(p2pool_state_decode(text, cut, &out, err, sizeof(err)),
                     -EINVAL);
  }

  static const char *const inputs[] = {
      "",
      "null",
      "[]",
      "\"collectd-p2pool state\"",
      "{\"format\":\"collectd-p2pool state\",\"version\":1,\"saved_at\":0,"
      "\"wallets\":[],\"observers\":[]} trailing",
      "{\"format\":\"collectd-p2pool state\",\"version\":1,\"saved_at\":0,"
      "\"wallets\":[],\"observers\":[],}",
      "{\"format\":\"collectd-p2pool state\",\"version\":1,\"saved_at\":NaN,"
      "\"wallets\":[],\"observers\":[]}",
  };
  for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
    assert_int_equal(decode_text(inputs[i], err, sizeof(err)), -EINVAL);

  /* Bytes that are not text at all. */
  char binary[64];
  for (size_t i = 0; i < sizeof(binary); i++)
    binary[i] = (char)(i * 37 + 1);
  assert_int_equal(
      p2pool_state_decode(binary, sizeof(binary), &out, err, sizeof(err)),
      -EINVAL);
  free(text);
}

/* Replaces the value at a dotted path ("wallets.0.payouts.count") with the
 * JSON value replacement, or deletes it when replacement is NULL. */
static char *mutate(const char *text, const char *path,
                    const char *replacement) {
  json_object *root = json_tokener_parse(text);
  assert_non_null(root);

  char buf[256];
  snprintf(buf, sizeof(buf), "%s", path);
  json_object *parent = root;
  char *saveptr = NULL;
  char *part = strtok_r(buf, ".", &saveptr);
  char *next = strtok_r(NULL, ".", &saveptr);
  while (next != NULL) {
    if (json_object_is_type(parent, json_type_array))
      parent = json_object_array_get_idx(parent, (size_t)atoi(part));
    else
      assert_true(json_object_object_get_ex(parent, part, &parent));
    assert_non_null(parent);
    part = next;
    next = strtok_r(NULL, ".", &saveptr);
  }

  json_object *value = NULL;
  if (replacement != NULL) {
    value = json_tokener_parse(replacement);
    if (strcmp(replacement, "null") != 0)
      assert_non_null(value);
  }
  if (json_object_is_type(parent, json_type_array)) {
    assert_non_null(replacement);
    json_object_array_put_idx(parent, (size_t)atoi(part), value);
  } else if (replacement == NULL) {
    json_object_object_del(parent, part);
  } else {
    json_object_object_add(parent, part, value);
  }

  char *out = strdup(json_object_to_json_string_ext(
      root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(root);
  return out;
}

typedef struct {
  const char *path;
  const char *replacement; /* NULL: delete the key */
  int expected;
} mutation_t;

static void wrong_types_rejected(void **unused) {
  (void)unused;
  static const mutation_t cases[] = {
      {"saved_at", "\"1780123456\"", -EINVAL},
      {"saved_at", "-5", -EINVAL},
      {"wallets", "{}", -EINVAL},
      {"wallets.0", "[]", -EINVAL},
      {"wallets.0.address", "42", -EINVAL},
      {"wallets.0.address", "\"4AdUnd0OIl\"", -EINVAL},
      {"wallets.0.address", "\"\"", -EINVAL},
      {"wallets.0.observer", "\"\"", -EINVAL},
      {"wallets.0.observer", "null", -EINVAL},
      {"wallets.0.last_share_height", "14779870.5", -EINVAL},
      {"wallets.0.last_share_height", "true", -EINVAL},
      {"wallets.0.last_share_time", "18446744073709551616", -EINVAL},
      {"wallets.0.last_share_time", NULL, -EINVAL},
      {"wallets.0.payouts", "[]", -EINVAL},
      {"wallets.0.payouts.history_loaded", "1", -EINVAL},
      {"wallets.0.payouts.count", "\"168\"", -EINVAL},
      {"wallets.0.payouts.count", "-1", -EINVAL},
      {"wallets.0.payouts.amount", "1e300", -EINVAL},
      {"wallets.0.payouts.cursor_height", NULL, -EINVAL},
      {"wallets.0.payouts.newest_height", NULL, -EINVAL},
      {"wallets.0.payouts.newest_timestamp", "\"none\"", -EINVAL},
      {"wallets.0.payouts.newest_amount", "-3", -EINVAL},
      {"wallets.0.payouts.recent", "{}", -EINVAL},
      {"wallets.0.payouts.recent.3", "7", -EINVAL},
      {"wallets.0.payouts.recent.3.main_id", "\"ABCDEF\"", -EINVAL},
      {"wallets.0.payouts.recent.3.main_id",
       "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
       -EINVAL},
      {"wallets.0.payouts.recent.3.main_height", "3.5", -EINVAL},
      {"wallets.0.payouts.recent.3.main_height", NULL, -EINVAL},
      {"wallets.0.payouts.recent.3.main_id", NULL, -EINVAL},
      {"wallets.0.unknown", "1", -EINVAL},
      {"wallets.0.payouts.unknown", "1", -EINVAL},
      {"wallets.0.payouts.recent.0.amount", "5", -EINVAL},
      {"observers.0.name", "7", -EINVAL},
      {"observers.0.side_blocks", "\"91234\"", -EINVAL},
      {"observers.0.found_blocks", "-17", -EINVAL},
      {"observers.0.orphaned_blocks", "null", -EINVAL},
      {"observers.0.recent.5.kind", "\"uncle\"", -EINVAL},
      {"observers.0.recent.5.kind", "\"s\"", -EINVAL},
      {"observers.0.recent.5.template_id", "\"xyz\"", -EINVAL},
      {"observers.0.recent.5.main_id", "5", -EINVAL},
      {"observers.0.recent.5.extra", "5", -EINVAL},
      {"observers.1.recent", "null", -EINVAL},
      {"unknown_top_level", "{}", -EINVAL},
  };
  char err[256] = "";
  size_t len = 0;
  char *text = encode_standard(&len);

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *mutated = mutate(text, cases[i].path, cases[i].replacement);
    err[0] = '\0';
    int rc = decode_text(mutated, err, sizeof(err));
    if (rc != cases[i].expected)
      fail_msg("%s = %s: expected %d, got %d (%s)", cases[i].path,
               cases[i].replacement ? cases[i].replacement : "(deleted)",
               cases[i].expected, rc, err);
    assert_true(err[0] != '\0');
    free(mutated);
  }
  free(text);
}

static void string_with_nul_rejected(void **unused) {
  (void)unused;
  char err[256] = "";
  const char *document =
      "{\"format\":\"collectd-p2pool state\",\"version\":1,\"saved_at\":0,"
      "\"wallets\":[],\"observers\":[{\"name\":\"mi\\u0000ni\","
      "\"side_blocks\":0,\"found_blocks\":0,\"orphaned_blocks\":0,"
      "\"recent\":[]}]}";

  assert_int_equal(decode_text(document, err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "NUL"));
}

static void ledger_rules_enforced(void **unused) {
  (void)unused;
  static const mutation_t cases[] = {
      /* A remembered payout above the newest one counted. */
      {"wallets.0.payouts.newest_height", "3000000", -EINVAL},
      /* Remembered ids above the cursor are normal. */
      {"wallets.0.payouts.cursor_height", "1", 0},
      /* Fewer payouts counted than remembered. */
      {"wallets.0.payouts.count", "5", -EINVAL},
      /* Two entries for one wallet, and for one observer. */
      {"wallets.1.address", "\"" ADDRESS_A "\"", 0},
      {"observers.1.name", "\"mini\"", -EINVAL},
  };
  char err[256] = "";
  size_t len = 0;
  char *text = encode_standard(&len);

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *mutated = mutate(text, cases[i].path, cases[i].replacement);
    int rc = decode_text(mutated, err, sizeof(err));
    if (rc != cases[i].expected)
      fail_msg("%s: expected %d, got %d (%s)", cases[i].path, cases[i].expected,
               rc, err);
    free(mutated);
  }

  /* The same payout twice. */
  char id[P2POOL_HASH_HEX_CHARS + 1];
  char quoted[P2POOL_HASH_HEX_CHARS + 3];
  make_id(id, 1000, 'a');
  snprintf(quoted, sizeof(quoted), "\"%s\"", id);
  char *repeated = mutate(text, "wallets.0.payouts.recent.1.main_id", quoted);
  assert_int_equal(decode_text(repeated, err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "listed twice"));
  free(repeated);

  /* The same address under the same observer twice. */
  char *first = mutate(text, "wallets.1.address", "\"" ADDRESS_A "\"");
  char *twice = mutate(first, "wallets.1.observer", "\"mini\"");
  assert_int_equal(decode_text(twice, err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "twice"));
  free(first);
  free(twice);
  free(text);
}

static void oversize_rejected(void **unused) {
  (void)unused;
  char err[256] = "";
  p2pool_saved_state_t out;

  /* Too many bytes, checked before parsing. */
  size_t big_len = (size_t)P2POOL_STATE_DOCUMENT_MAX_BYTES + 1;
  char *big = malloc(big_len);
  memset(big, ' ', big_len);
  assert_int_equal(p2pool_state_decode(big, big_len, &out, err, sizeof(err)),
                   -EFBIG);
  free(big);

  /* Too many payouts, blocks and wallets in lists. */
  size_t len = 0;
  char *text = encode_standard(&len);
  char *payouts = mutate(text, "wallets.0.payouts.recent.8",
                         "{\"main_id\":\"00000000000000000000000000000000000000"
                         "00000000000000000000000001\",\"main_height\":1}");
  assert_int_equal(decode_text(payouts, err, sizeof(err)), -EFBIG);
  char *blocks = mutate(text, "observers.0.recent.256",
                        "{\"kind\":\"side\",\"template_id\":\"\","
                        "\"main_id\":\"\"}");
  assert_int_equal(decode_text(blocks, err, sizeof(err)), -EFBIG);
  free(payouts);
  free(blocks);
  free(text);

  json_object *root = json_object_new_object();
  json_object *wallets = json_object_new_array();
  json_object_object_add(root, "format",
                         json_object_new_string(P2POOL_STATE_FORMAT_NAME));
  json_object_object_add(root, "version", json_object_new_int(1));
  json_object_object_add(root, "saved_at", json_object_new_int(0));
  json_object_object_add(root, "wallets", wallets);
  json_object_object_add(root, "observers", json_object_new_array());
  for (int i = 0; i <= P2POOL_STATE_WALLETS_MAX; i++)
    json_object_array_add(wallets, json_object_new_object());
  assert_int_equal(
      decode_text(json_object_to_json_string(root), err, sizeof(err)), -EFBIG);
  json_object_put(root);
}

static void long_name_rejected(void **unused) {
  (void)unused;
  char err[256] = "";
  size_t len = 0;
  char *text = encode_standard(&len);
  char name[P2POOL_STATE_NAME_MAX_BYTES + 4];
  memset(name, 'n', sizeof(name));
  name[0] = '"';
  name[sizeof(name) - 2] = '"';
  name[sizeof(name) - 1] = '\0';

  char *mutated = mutate(text, "observers.1.name", name);
  assert_int_equal(decode_text(mutated, err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "longer than"));
  free(mutated);
  free(text);
}

static void encode_rejects_invalid(void **unused) {
  (void)unused;
  p2pool_saved_state_t state;
  char err[256] = "";
  char *text = NULL;
  size_t len = 0;

  fill_state(&state);
  state.wallets[0].payouts.recent[7].main_height =
      state.wallets[0].payouts.newest_height + 1;
  assert_int_equal(p2pool_state_encode(&state, &text, &len, err, sizeof(err)),
                   -EINVAL);
  assert_null(text);
  assert_non_null(strstr(err, "wallets[0].payouts.recent[7].main_height"));

  fill_ledger(&state.wallets[0].payouts, 4);
  state.wallets[0].payouts.recent_num = P2POOL_PAYOUT_RECENT_MAX + 1;
  assert_int_equal(p2pool_state_encode(&state, &text, &len, err, sizeof(err)),
                   -EFBIG);

  fill_ledger(&state.wallets[0].payouts, 4);
  snprintf(state.wallets[0].address, sizeof(state.wallets[0].address),
           "4not-base58");
  assert_int_equal(p2pool_state_encode_wallet(&state.wallets[0], &text, &len,
                                              err, sizeof(err)),
                   -EINVAL);

  state.observers[0].recent[2].kind = 'x';
  assert_int_equal(p2pool_state_encode_observer(&state.observers[0], &text,
                                                &len, err, sizeof(err)),
                   -EINVAL);
  assert_null(text);
  p2pool_saved_state_free(&state);
}

static void ledger_many_payouts(void **unused) {
  (void)unused;
  p2pool_saved_wallet_t wallet = {0};
  p2pool_saved_wallet_t decoded;
  char err[256] = "";
  char *text = NULL;
  size_t len = 0;

  snprintf(wallet.address, sizeof(wallet.address), "%s", ADDRESS_A);
  snprintf(wallet.observer, sizeof(wallet.observer), "main");
  fill_ledger(&wallet.payouts, P2POOL_PAYOUT_RECENT_MAX);
  /* A lifetime total far beyond the remembered payouts. */
  wallet.payouts.count = 48211;
  wallet.payouts.amount = 987654321098765ULL;

  assert_int_equal(
      p2pool_state_encode_wallet(&wallet, &text, &len, err, sizeof(err)), 0);
  assert_int_equal(
      p2pool_state_decode_wallet(text, len, &decoded, err, sizeof(err)), 0);
  assert_wallets_equal(&decoded, &wallet);
  assert_int_equal(decoded.payouts.recent_num, P2POOL_PAYOUT_RECENT_MAX);
  free(text);
}

static char *read_fixture(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/store/%s", FIXTURES_DIR, name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);

  char *buf = malloc(1 << 20);
  *len = fread(buf, 1, (1 << 20) - 1, f);
  buf[*len] = '\0';
  fclose(f);
  return buf;
}

static void fixture_files_decode(void **unused) {
  (void)unused;
  p2pool_saved_state_t out;
  char err[256] = "";
  size_t len = 0;

  char *text = read_fixture("state_v1.json", &len);
  assert_int_equal(p2pool_state_decode(text, len, &out, err, sizeof(err)), 0);
  assert_int_equal(out.wallets_num, 1);
  assert_int_equal(out.wallets[0].payouts.count, 3);
  assert_int_equal(out.wallets[0].payouts.amount, 9483465463ULL);
  assert_int_equal(out.wallets[0].payouts.recent_num, 1);
  assert_int_equal(out.wallets[0].payouts.newest_amount, 3483465460ULL);
  assert_int_equal(out.observers_num, 1);
  assert_int_equal(out.observers[0].side_blocks, 1200);
  p2pool_saved_state_free(&out);
  free(text);

  text = read_fixture("state_newer.json", &len);
  assert_int_equal(p2pool_state_decode(text, len, &out, err, sizeof(err)),
                   -P2POOL_STATE_ENEWER);
  free(text);

  text = read_fixture("state_corrupt.json", &len);
  assert_int_equal(p2pool_state_decode(text, len, &out, err, sizeof(err)),
                   -EINVAL);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(state_round_trip),
      cmocka_unit_test(state_round_trip_empty),
      cmocka_unit_test(state_large_totals_exact),
      cmocka_unit_test(wallet_value_round_trip),
      cmocka_unit_test(observer_value_round_trip),
      cmocka_unit_test(value_kinds_not_interchangeable),
      cmocka_unit_test(version_newer_rejected),
      cmocka_unit_test(version_invalid_rejected),
      cmocka_unit_test(format_name_checked),
      cmocka_unit_test(corrupt_input_rejected),
      cmocka_unit_test(wrong_types_rejected),
      cmocka_unit_test(string_with_nul_rejected),
      cmocka_unit_test(ledger_rules_enforced),
      cmocka_unit_test(oversize_rejected),
      cmocka_unit_test(long_name_rejected),
      cmocka_unit_test(encode_rejects_invalid),
      cmocka_unit_test(ledger_many_payouts),
      cmocka_unit_test(fixture_files_decode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
