/*
 * state_codec.h: the saved state (running totals of wallets and observers)
 * as JSON, for the state file and for Redis values.
 *
 * A state file contains one document:
 *   {"format": "collectd-p2pool state", "version": 1, "saved_at": <Unix s>,
 *    "wallets": [<wallet>...], "observers": [<observer>...]}
 * A Redis value contains one entry with its own version:
 *   {"version": 1, "wallet": <wallet>} or {"version": 1, "observer":
 * <observer>}
 *
 * Decoding is strict: every field must be present with its JSON type, unknown
 * keys are rejected, strings and lists are capped, and cross-field rules hold
 * (no remembered payout above the newest one counted, no duplicate ids or
 * entries). A change
 * to the layout that an older plugin cannot read raises the version. No
 * collectd.
 */
#ifndef P2POOL_STATE_CODEC_H
#define P2POOL_STATE_CODEC_H

#include "payouts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Version this plugin writes and the newest it reads. */
#define P2POOL_STATE_FORMAT_VERSION 1
#define P2POOL_STATE_FORMAT_NAME "collectd-p2pool state"

/* Largest state document or Redis value accepted or written. A wallet entry
 * encodes to about 1.2 kB, an observer entry with a full block list to about
 * 40 kB, so the caps below stay well under this. */
#define P2POOL_STATE_DOCUMENT_MAX_BYTES ((size_t)128 * 1024 * 1024)
/* Most wallets one state holds; the configuration accepts no more. */
#define P2POOL_STATE_WALLETS_MAX 65536
#define P2POOL_STATE_OBSERVERS_MAX 256
/* Maximum length of an observer name or a wallet address, as collectd's
 * name fields. */
#define P2POOL_STATE_NAME_MAX_BYTES 127
/* Blocks remembered per observer, as P2POOL_RECENT_BLOCKS_MAX. */
#define P2POOL_STATE_BLOCKS_MAX 256

/* Returned by the decoders for a document written by a newer plugin. */
#define P2POOL_STATE_ENEWER EPROTONOSUPPORT

typedef enum {
  P2POOL_BLOCK_SIDE = 's',
  P2POOL_BLOCK_FOUND = 'f',
  P2POOL_BLOCK_ORPHANED = 'o',
} p2pool_block_kind_t;

/* A block counted from the event stream; ids are 64 hex digits or empty. */
typedef struct {
  char template_id[P2POOL_HASH_HEX_CHARS + 1];
  char main_id[P2POOL_HASH_HEX_CHARS + 1];
  char kind; /* a p2pool_block_kind_t */
} p2pool_saved_block_t;

/* Event counters of one observer, keyed by the observer's name. */
typedef struct {
  char name[P2POOL_STATE_NAME_MAX_BYTES + 1];
  uint64_t side_blocks;
  uint64_t found_blocks;
  uint64_t orphaned_blocks;
  p2pool_saved_block_t recent[P2POOL_STATE_BLOCKS_MAX]; /* oldest first */
  size_t recent_num;
} p2pool_saved_observer_t;

/* Totals of one wallet, keyed by its address and its observer's name. */
typedef struct {
  char address[P2POOL_STATE_NAME_MAX_BYTES + 1];
  char observer[P2POOL_STATE_NAME_MAX_BYTES + 1];
  uint64_t last_share_height;
  uint64_t last_share_time; /* Unix s */
  p2pool_payout_ledger_t payouts;
} p2pool_saved_wallet_t;

typedef struct {
  uint64_t saved_at; /* Unix s */
  p2pool_saved_wallet_t *wallets;
  size_t wallets_num;
  p2pool_saved_observer_t *observers;
  size_t observers_num;
} p2pool_saved_state_t;

/* Allocates room for wallets_num wallets and observers_num observers, all
 * zeroed. Returns 0 or -ENOMEM. */
int p2pool_saved_state_alloc(p2pool_saved_state_t *state, size_t wallets_num,
                             size_t observers_num);

/* Frees the entry arrays and zeroes the state. Accepts NULL. */
void p2pool_saved_state_free(p2pool_saved_state_t *state);

/* Encodes a state document into a newly allocated NUL-terminated string
 * (free with free()). Returns 0, -EINVAL for an entry that would not decode
 * (the reason in err), -EFBIG over the caps, or -ENOMEM. */
int p2pool_state_encode(const p2pool_saved_state_t *state, char **out,
                        size_t *out_len, char *err, size_t err_size);

/* Decodes a state document. Returns 0, -EINVAL for a malformed document,
 * -P2POOL_STATE_ENEWER for a newer version, -EFBIG over the caps, or
 * -ENOMEM; the reason is in err. On failure *out is empty. */
int p2pool_state_decode(const char *buf, size_t len, p2pool_saved_state_t *out,
                        char *err, size_t err_size);

/* Encode and decode one Redis value, with the same rules and results. */
int p2pool_state_encode_wallet(const p2pool_saved_wallet_t *wallet, char **out,
                               size_t *out_len, char *err, size_t err_size);
int p2pool_state_decode_wallet(const char *buf, size_t len,
                               p2pool_saved_wallet_t *out, char *err,
                               size_t err_size);
int p2pool_state_encode_observer(const p2pool_saved_observer_t *observer,
                                 char **out, size_t *out_len, char *err,
                                 size_t err_size);
int p2pool_state_decode_observer(const char *buf, size_t len,
                                 p2pool_saved_observer_t *out, char *err,
                                 size_t err_size);

/* Tells whether text is a valid wallet address for a state key: 1 to
 * P2POOL_STATE_NAME_MAX_BYTES base58 characters. */
bool p2pool_state_address_is_valid(const char *text);

#endif /* P2POOL_STATE_CODEC_H */
