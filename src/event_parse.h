/*
 * event_parse.h: decoding of the observer's /api/events messages and of the
 * /api/found_blocks list, and reassembly of fragmented websocket messages.
 *
 * Every message is one JSON object {"type": ..., <payload keys>}. The decoder
 * checks the JSON type and range of each field it reads and copies the result
 * into plain C structs. Strings that are not copied point into the parsed
 * document, which the event owns until p2pool_event_clear. No collectd.
 */
#ifndef P2POOL_EVENT_PARSE_H
#define P2POOL_EVENT_PARSE_H

#include "json.h"
#include "payouts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest message accepted. A found_block event lists one coinbase output
 * per payee in the PPLNS window (at most 2160 blocks plus uncles, about 300
 * bytes each), so 4 MiB leaves a wide margin. */
#define P2POOL_EVENT_MESSAGE_MAX_BYTES ((size_t)4 * 1024 * 1024)
/* Maximum length of a miner address: standard and subaddresses have 95
 * characters, integrated addresses 106. */
#define P2POOL_ADDRESS_MAX_CHARS 128
/* Size of the error text the decoders write. */
#define P2POOL_EVENT_ERROR_MAX_BYTES 160

typedef enum {
  P2POOL_EVENT_SIDE_BLOCK = 0,
  P2POOL_EVENT_FOUND_BLOCK,
  P2POOL_EVENT_ORPHANED_BLOCK,
  P2POOL_EVENT_OTHER, /* a type this plugin does not use, e.g. "payout" */
  P2POOL_EVENT_TYPE_COUNT
} p2pool_event_type_t;

/* A sidechain block (share), from side_block and orphaned_block events. */
typedef struct {
  char template_id[P2POOL_HASH_HEX_CHARS + 1];
  char main_id[P2POOL_HASH_HEX_CHARS + 1];
  uint64_t side_height;
  uint64_t main_height;
  uint64_t timestamp;    /* Unix s, set by the miner's node */
  uint64_t difficulty;   /* sidechain difficulty of this share */
  uint64_t window_depth; /* PPLNS window at this share, 0 when absent */
  /* main_difficulty is omitted when the observer does not know the Monero
   * block at main_height. */
  bool main_difficulty_valid;
  p2pool_u128_t main_difficulty;
  bool uncle;                /* uncle_of is present */
  const char *miner_address; /* NULL when absent */
} p2pool_side_block_t;

/* A Monero block the pool found, from found_block events and the
 * /api/found_blocks list. */
typedef struct {
  char main_id[P2POOL_HASH_HEX_CHARS + 1];
  /* The winning sidechain block; empty when the observer omits it. */
  char side_template_id[P2POOL_HASH_HEX_CHARS + 1];
  uint64_t main_height;
  uint64_t timestamp; /* Unix s, Monero block time */
  /* Coinbase reward (atomic units). Observers since 2025-09-12 keep found
   * blocks that Monero later orphaned, with a reward of 0. */
  bool reward_known;
  uint64_t reward;
  p2pool_u128_t main_difficulty;
  uint64_t side_difficulty;
  const char *miner_address; /* NULL when absent */
} p2pool_found_block_t;

/* One payee of a found block's coinbase transaction. */
typedef struct {
  const char *miner_address;
  uint64_t value; /* atomic units, 1 XMR = 10^12 */
} p2pool_coinbase_output_t;

typedef struct {
  p2pool_event_type_t type;
  const char *type_name; /* as sent */

  /* The side_block or found_block object, for decoders that read more of
   * it (p2pool_parse_side_block_share); NULL for other types. */
  json_object *payload;

  /* P2POOL_EVENT_SIDE_BLOCK and P2POOL_EVENT_ORPHANED_BLOCK. */
  p2pool_side_block_t side_block;

  /* P2POOL_EVENT_FOUND_BLOCK. The coinbase outputs are decoded on their own:
   * when they are malformed the block is still valid, outputs_num is 0 and
   * outputs_error contains the reason. Outputs without a miner address are left
   * out. */
  p2pool_found_block_t found_block;
  p2pool_coinbase_output_t *outputs;
  size_t outputs_num;
  char outputs_error[P2POOL_EVENT_ERROR_MAX_BYTES];

  json_object *root; /* owns every string pointer above */
} p2pool_event_t;

/* Decodes one message of len bytes. Returns 0; -EMSGSIZE when len exceeds
 * P2POOL_EVENT_MESSAGE_MAX_BYTES; -EINVAL or -ERANGE for invalid JSON or an
 * invalid field, named in err; -ENOMEM. An unknown type is not an error: it
 * gives P2POOL_EVENT_OTHER. On failure the event owns nothing to clear. */
int p2pool_event_parse(const char *message, size_t len, p2pool_event_t *event,
                       char *err, size_t err_size);

/* Frees what an event owns and zeroes it. Accepts NULL. */
void p2pool_event_clear(p2pool_event_t *event);

/* Name of an event type as it appears on the wire ("other" for
 * P2POOL_EVENT_OTHER). */
const char *p2pool_event_type_name(p2pool_event_type_t type);

/* Decodes one row of a found-block list or the found_block payload. */
int p2pool_parse_found_block(json_object *object, p2pool_found_block_t *out,
                             char *err, size_t err_size);

/* Decodes the /api/found_blocks list (newest first) into a newly allocated
 * array (free with free()); its strings point into root. */
int p2pool_parse_found_blocks(json_object *root, p2pool_found_block_t **out,
                              size_t *out_num, char *err, size_t err_size);

/* Writes the first max_input_bytes of data into out as printable ASCII,
 * other bytes as \xNN, with "..." when data was cut. For log lines. */
void p2pool_escape_bytes(const char *data, size_t len, size_t max_input_bytes,
                         char *out, size_t out_size);

/* Joins a websocket message delivered in fragments, up to a size cap. */
typedef struct {
  char *buffer;
  size_t len;
  size_t capacity;
  size_t max_bytes;
  size_t dropped_bytes; /* of the message being dropped for its size */
  bool in_message;
  bool oversize;
} p2pool_reassembler_t;

typedef enum {
  P2POOL_REASSEMBLY_PARTIAL = 0, /* more fragments follow */
  P2POOL_REASSEMBLY_COMPLETE,    /* *message holds the whole message */
  P2POOL_REASSEMBLY_OVERSIZE     /* the message ended and was dropped */
} p2pool_reassembly_t;

void p2pool_reassembler_init(p2pool_reassembler_t *reassembler,
                             size_t max_bytes);

/* Frees the buffer. Accepts NULL. */
void p2pool_reassembler_free(p2pool_reassembler_t *reassembler);

/* Forgets a partial message, e.g. after the connection closed. */
void p2pool_reassembler_reset(p2pool_reassembler_t *reassembler);

/* Adds one fragment. first and final say where it sits in its message. A
 * message in a single fragment is returned without a copy. On COMPLETE,
 * *message and *message_len stay valid until the next call; on OVERSIZE,
 * *message_len is the size of the dropped message. Returns a
 * p2pool_reassembly_t, or -ENOMEM (the message is dropped). */
int p2pool_reassembler_add(p2pool_reassembler_t *reassembler, const void *data,
                           size_t len, bool first, bool final,
                           const char **message, size_t *message_len);

#endif /* P2POOL_EVENT_PARSE_H */
