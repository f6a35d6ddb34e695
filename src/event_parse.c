/*
 * event_parse.c: decoders for /api/events messages and the found-block list,
 * and the fragment reassembler. See event_parse.h.
 */
#include "event_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Maximum number of coinbase outputs in one found_block event. */
#define P2POOL_EVENT_OUTPUTS_MAX 65536

static const char *const event_type_names[P2POOL_EVENT_TYPE_COUNT] = {
    [P2POOL_EVENT_SIDE_BLOCK] = "side_block",
    [P2POOL_EVENT_FOUND_BLOCK] = "found_block",
    [P2POOL_EVENT_ORPHANED_BLOCK] = "orphaned_block",
    [P2POOL_EVENT_OTHER] = "other",
};

const char *p2pool_event_type_name(p2pool_event_type_t type) {
  if ((int)type < 0 || type >= P2POOL_EVENT_TYPE_COUNT)
    return "other";
  return event_type_names[type];
}

/* Writes "<path>: <reason>" into err, the reason derived from the error code
 * and, where there is one, the offending value's JSON type. */
static int field_error(char *err, size_t err_size, const char *path,
                       json_object *parent, const char *key, int status) {
  json_object *value = NULL;
  if (parent != NULL && key != NULL)
    json_object_object_get_ex(parent, key, &value);

  if (err != NULL && err_size > 0) {
    if (status == -ENOENT)
      snprintf(err, err_size, "%s: missing", path);
    else if (status == -ERANGE)
      snprintf(err, err_size, "%s: out of range", path);
    else
      snprintf(err, err_size, "%s: invalid %s", path,
               p2pool_json_type_name(value));
  }
  return status == -ENOENT ? -EINVAL : status;
}

/* Copies an optional 64-hex-digit id into out (P2POOL_HASH_HEX_CHARS + 1
 * bytes); an absent or null id gives "" and *present false. */
static int copy_optional_hash(json_object *object, const char *key, char *out,
                              bool *present, const char *path, char *err,
                              size_t err_size) {
  const char *text = NULL;
  int status = p2pool_json_get_string(object, key, &text);
  *present = false;
  out[0] = '\0';
  if (status == -ENOENT)
    return 0;
  if (status != 0)
    return field_error(err, err_size, path, object, key, status);

  if (!p2pool_hash_is_valid(text)) {
    snprintf(err, err_size, "%s: not 64 lowercase hex digits", path);
    return -EINVAL;
  }
  memcpy(out, text, P2POOL_HASH_HEX_CHARS + 1);
  *present = true;
  return 0;
}

static int copy_hash(json_object *object, const char *key, char *out,
                     const char *path, char *err, size_t err_size) {
  bool present = false;
  int status =
      copy_optional_hash(object, key, out, &present, path, err, err_size);
  if (status == 0 && !present)
    return field_error(err, err_size, path, object, key, -ENOENT);
  return status;
}

static int get_uint64(json_object *object, const char *key, uint64_t *out,
                      const char *path, char *err, size_t err_size) {
  int status = p2pool_json_get_uint64(object, key, out);
  if (status != 0)
    return field_error(err, err_size, path, object, key, status);
  return 0;
}

static int get_optional_uint64(json_object *object, const char *key,
                               uint64_t *out, bool *present, const char *path,
                               char *err, size_t err_size) {
  int status = p2pool_json_get_uint64(object, key, out);
  *present = status == 0;
  if (status == -ENOENT) {
    *out = 0;
    return 0;
  }
  if (status != 0)
    return field_error(err, err_size, path, object, key, status);
  return 0;
}

/* Reads a difficulty: a JSON integer, or up to 32 hex digits in a string as
 * observers before 2023-07-30 sent every 128-bit difficulty. */
static int get_difficulty(json_object *object, const char *key,
                          p2pool_u128_t *out, const char *path, char *err,
                          size_t err_size) {
  int status = p2pool_json_get_difficulty(object, key, out);
  if (status != 0)
    return field_error(err, err_size, path, object, key, status);
  return 0;
}

/* Reads a difficulty that must fit in 64 bits. */
static int get_difficulty64(json_object *object, const char *key, uint64_t *out,
                            const char *path, char *err, size_t err_size) {
  p2pool_u128_t value = {0, 0};
  int status = get_difficulty(object, key, &value, path, err, err_size);
  if (status != 0)
    return status;
  if (value.hi != 0)
    return field_error(err, err_size, path, object, key, -ERANGE);

  *out = value.lo;
  return 0;
}

/* Reads an optional miner address: NULL when absent or null. */
static int get_address(json_object *object, const char *key, const char **out,
                       const char *path, char *err, size_t err_size) {
  const char *text = NULL;
  int status = p2pool_json_get_string(object, key, &text);
  *out = NULL;
  if (status == -ENOENT)
    return 0;
  if (status != 0)
    return field_error(err, err_size, path, object, key, status);

  size_t len = strlen(text);
  if (len == 0 || len > P2POOL_ADDRESS_MAX_CHARS) {
    snprintf(err, err_size, "%s: %zu characters, expected 1 to %d", path, len,
             P2POOL_ADDRESS_MAX_CHARS);
    return -EINVAL;
  }
  *out = text;
  return 0;
}

/* Decodes the side_block payload of side_block and orphaned_block events. */
static int parse_side_block(json_object *object, p2pool_side_block_t *out,
                            char *err, size_t err_size) {
  int status = copy_hash(object, "template_id", out->template_id,
                         "side_block.template_id", err, err_size);
  if (status == 0)
    status = copy_hash(object, "main_id", out->main_id, "side_block.main_id",
                       err, err_size);
  if (status == 0)
    status = get_uint64(object, "side_height", &out->side_height,
                        "side_block.side_height", err, err_size);
  if (status == 0)
    status = get_uint64(object, "main_height", &out->main_height,
                        "side_block.main_height", err, err_size);
  if (status == 0)
    status = get_uint64(object, "timestamp", &out->timestamp,
                        "side_block.timestamp", err, err_size);
  if (status == 0)
    status = get_difficulty64(object, "difficulty", &out->difficulty,
                              "side_block.difficulty", err, err_size);
  if (status == 0)
    status = get_address(object, "miner_address", &out->miner_address,
                         "side_block.miner_address", err, err_size);
  if (status == 0) {
    bool present = false;
    status =
        get_optional_uint64(object, "window_depth", &out->window_depth,
                            &present, "side_block.window_depth", err, err_size);
  }
  if (status != 0)
    return status;

  status = p2pool_json_get_difficulty(object, "main_difficulty",
                                      &out->main_difficulty);
  out->main_difficulty_valid = status == 0;
  if (status != 0 && status != -ENOENT)
    return field_error(err, err_size, "side_block.main_difficulty", object,
                       "main_difficulty", status);

  char uncle_of[P2POOL_HASH_HEX_CHARS + 1];
  return copy_optional_hash(object, "uncle_of", uncle_of, &out->uncle,
                            "side_block.uncle_of", err, err_size);
}

int p2pool_parse_found_block(json_object *object, p2pool_found_block_t *out,
                             char *err, size_t err_size) {
  json_object *main_block = NULL;
  int status = p2pool_json_get_object(object, "main_block", &main_block);
  if (status != 0)
    return field_error(err, err_size, "found_block.main_block", object,
                       "main_block", status);

  status = copy_hash(main_block, "id", out->main_id,
                     "found_block.main_block.id", err, err_size);
  if (status == 0)
    status = get_uint64(main_block, "height", &out->main_height,
                        "found_block.main_block.height", err, err_size);
  if (status == 0)
    status = get_uint64(main_block, "timestamp", &out->timestamp,
                        "found_block.main_block.timestamp", err, err_size);
  if (status == 0)
    status = get_optional_uint64(
        main_block, "reward", &out->reward, &out->reward_known,
        "found_block.main_block.reward", err, err_size);
  if (status == 0)
    status = get_difficulty(main_block, "difficulty", &out->main_difficulty,
                            "found_block.main_block.difficulty", err, err_size);
  if (status == 0)
    status = get_difficulty64(object, "difficulty", &out->side_difficulty,
                              "found_block.difficulty", err, err_size);
  if (status == 0)
    status = get_address(object, "miner_address", &out->miner_address,
                         "found_block.miner_address", err, err_size);
  if (status != 0)
    return status;

  bool present = false;
  return copy_optional_hash(
      main_block, "side_template_id", out->side_template_id, &present,
      "found_block.main_block.side_template_id", err, err_size);
}

/* Decodes main_coinbase_outputs into event->outputs. */
static int parse_outputs(json_object *root, p2pool_event_t *event, char *err,
                         size_t err_size) {
  json_object *outputs = NULL;
  int status = p2pool_json_get_array(root, "main_coinbase_outputs", &outputs);
  if (status == -ENOENT)
    return 0;
  if (status != 0)
    return field_error(err, err_size, "main_coinbase_outputs", root,
                       "main_coinbase_outputs", status);

  size_t num = json_object_array_length(outputs);
  if (num > P2POOL_EVENT_OUTPUTS_MAX) {
    snprintf(err, err_size, "main_coinbase_outputs: %zu entries, at most %d",
             num, P2POOL_EVENT_OUTPUTS_MAX);
    return -ERANGE;
  }
  if (num == 0)
    return 0;

  p2pool_coinbase_output_t *list = calloc(num, sizeof(*list));
  if (list == NULL)
    return -ENOMEM;

  size_t used = 0;
  for (size_t i = 0; i < num; i++) {
    json_object *entry = json_object_array_get_idx(outputs, i);
    char path[64];
    snprintf(path, sizeof(path), "main_coinbase_outputs[%zu]", i);
    if (!json_object_is_type(entry, json_type_object)) {
      snprintf(err, err_size, "%s: invalid %s", path,
               p2pool_json_type_name(entry));
      status = -EINVAL;
      break;
    }

    p2pool_coinbase_output_t output = {NULL, 0};
    snprintf(path, sizeof(path), "main_coinbase_outputs[%zu].value", i);
    status = get_uint64(entry, "value", &output.value, path, err, err_size);
    if (status != 0)
      break;
    snprintf(path, sizeof(path), "main_coinbase_outputs[%zu].miner_address", i);
    status = get_address(entry, "miner_address", &output.miner_address, path,
                         err, err_size);
    if (status != 0)
      break;

    if (output.miner_address != NULL)
      list[used++] = output;
  }

  if (status != 0) {
    free(list);
    return status;
  }
  event->outputs = list;
  event->outputs_num = used;
  return 0;
}

static int parse_payload(json_object *root, p2pool_event_t *event, char *err,
                         size_t err_size) {
  json_object *payload = NULL;
  const char *key =
      event->type == P2POOL_EVENT_FOUND_BLOCK ? "found_block" : "side_block";
  int status = p2pool_json_get_object(root, key, &payload);
  if (status != 0)
    return field_error(err, err_size, key, root, key, status);
  event->payload = payload;

  if (event->type != P2POOL_EVENT_FOUND_BLOCK)
    return parse_side_block(payload, &event->side_block, err, err_size);

  status =
      p2pool_parse_found_block(payload, &event->found_block, err, err_size);
  if (status != 0)
    return status;

  status = parse_outputs(root, event, event->outputs_error,
                         sizeof(event->outputs_error));
  if (status == -ENOMEM)
    return status;
  return 0;
}

static p2pool_event_type_t event_type_from_name(const char *name) {
  for (int i = 0; i < P2POOL_EVENT_OTHER; i++)
    if (strcmp(name, event_type_names[i]) == 0)
      return (p2pool_event_type_t)i;
  return P2POOL_EVENT_OTHER;
}

int p2pool_event_parse(const char *message, size_t len, p2pool_event_t *event,
                       char *err, size_t err_size) {
  memset(event, 0, sizeof(*event));
  if (len > P2POOL_EVENT_MESSAGE_MAX_BYTES) {
    snprintf(err, err_size, "message of %zu bytes, at most %zu", len,
             P2POOL_EVENT_MESSAGE_MAX_BYTES);
    return -EMSGSIZE;
  }

  int status = p2pool_json_parse(message, len, &event->root, err, err_size);
  if (status != 0)
    return status;

  if (!json_object_is_type(event->root, json_type_object)) {
    snprintf(err, err_size, "message: invalid %s, expected an object",
             p2pool_json_type_name(event->root));
    status = -EINVAL;
    goto fail;
  }

  status = p2pool_json_get_string(event->root, "type", &event->type_name);
  if (status != 0) {
    status = field_error(err, err_size, "type", event->root, "type", status);
    goto fail;
  }

  event->type = event_type_from_name(event->type_name);
  if (event->type == P2POOL_EVENT_OTHER)
    return 0;

  status = parse_payload(event->root, event, err, err_size);
  if (status != 0)
    goto fail;
  return 0;

fail:
  p2pool_event_clear(event);
  return status;
}

void p2pool_event_clear(p2pool_event_t *event) {
  if (event == NULL)
    return;

  free(event->outputs);
  if (event->root != NULL)
    json_object_put(event->root);
  memset(event, 0, sizeof(*event));
}

int p2pool_parse_found_blocks(json_object *root, p2pool_found_block_t **out,
                              size_t *out_num, char *err, size_t err_size) {
  *out = NULL;
  *out_num = 0;
  if (!json_object_is_type(root, json_type_array)) {
    snprintf(err, err_size, "found_blocks: invalid %s, expected an array",
             p2pool_json_type_name(root));
    return -EINVAL;
  }

  size_t num = json_object_array_length(root);
  if (num == 0)
    return 0;

  p2pool_found_block_t *rows = calloc(num, sizeof(*rows));
  if (rows == NULL)
    return -ENOMEM;

  for (size_t i = 0; i < num; i++) {
    json_object *row = json_object_array_get_idx(root, i);
    int status = -EINVAL;
    if (json_object_is_type(row, json_type_object))
      status = p2pool_parse_found_block(row, &rows[i], err, err_size);
    else
      snprintf(err, err_size, "found_blocks[%zu]: invalid %s", i,
               p2pool_json_type_name(row));

    if (status != 0) {
      free(rows);
      return status;
    }
  }

  *out = rows;
  *out_num = num;
  return 0;
}

void p2pool_escape_bytes(const char *data, size_t len, size_t max_input_bytes,
                         char *out, size_t out_size) {
  static const char hex[] = "0123456789abcdef";
  if (out == NULL || out_size == 0)
    return;

  size_t used = 0;
  size_t limit = len < max_input_bytes ? len : max_input_bytes;
  size_t i = 0;
  for (; i < limit; i++) {
    unsigned char c = (unsigned char)data[i];
    bool plain = c >= 0x20 && c < 0x7f && c != '\\';
    size_t need = plain ? 1 : 4;
    if (used + need + 1 > out_size)
      break;

    if (plain) {
      out[used++] = (char)c;
      continue;
    }
    out[used++] = '\\';
    out[used++] = 'x';
    out[used++] = hex[c >> 4];
    out[used++] = hex[c & 0x0f];
  }

  if (i < len && used + 4 <= out_size) {
    memcpy(out + used, "...", 3);
    used += 3;
  }
  out[used] = '\0';
}

void p2pool_reassembler_init(p2pool_reassembler_t *reassembler,
                             size_t max_bytes) {
  memset(reassembler, 0, sizeof(*reassembler));
  reassembler->max_bytes = max_bytes;
}

void p2pool_reassembler_free(p2pool_reassembler_t *reassembler) {
  if (reassembler == NULL)
    return;

  free(reassembler->buffer);
  reassembler->buffer = NULL;
  reassembler->capacity = 0;
  p2pool_reassembler_reset(reassembler);
}

void p2pool_reassembler_reset(p2pool_reassembler_t *reassembler) {
  reassembler->len = 0;
  reassembler->dropped_bytes = 0;
  reassembler->in_message = false;
  reassembler->oversize = false;
}

/* Grows the buffer to hold need bytes, doubling, up to max_bytes. */
static int reassembler_reserve(p2pool_reassembler_t *reassembler, size_t need) {
  if (need <= reassembler->capacity)
    return 0;

  size_t capacity = reassembler->capacity > 0 ? reassembler->capacity : 4096;
  while (capacity < need)
    capacity *= 2;
  if (capacity > reassembler->max_bytes)
    capacity = reassembler->max_bytes;

  char *buffer = realloc(reassembler->buffer, capacity);
  if (buffer == NULL)
    return -ENOMEM;
  reassembler->buffer = buffer;
  reassembler->capacity = capacity;
  return 0;
}

int p2pool_reassembler_add(p2pool_reassembler_t *reassembler, const void *data,
                           size_t len, bool first, bool final,
                           const char **message, size_t *message_len) {
  *message = NULL;
  *message_len = 0;

  /* A first fragment ends any message left unfinished. */
  if (first || !reassembler->in_message)
    p2pool_reassembler_reset(reassembler);
  reassembler->in_message = true;

  if (!reassembler->oversize &&
      reassembler->len + len > reassembler->max_bytes) {
    reassembler->oversize = true;
    reassembler->dropped_bytes = reassembler->len;
    reassembler->len = 0;
  }

  if (reassembler->oversize) {
    reassembler->dropped_bytes += len;
    if (!final)
      return P2POOL_REASSEMBLY_PARTIAL;
    *message_len = reassembler->dropped_bytes;
    p2pool_reassembler_reset(reassembler);
    return P2POOL_REASSEMBLY_OVERSIZE;
  }

  if (final && reassembler->len == 0) {
    *message = data;
    *message_len = len;
    reassembler->in_message = false;
    return P2POOL_REASSEMBLY_COMPLETE;
  }

  int status = reassembler_reserve(reassembler, reassembler->len + len);
  if (status != 0) {
    p2pool_reassembler_reset(reassembler);
    return status;
  }
  if (len > 0)
    memcpy(reassembler->buffer + reassembler->len, data, len);
  reassembler->len += len;

  if (!final)
    return P2POOL_REASSEMBLY_PARTIAL;

  *message = reassembler->buffer;
  *message_len = reassembler->len;
  reassembler->len = 0;
  reassembler->in_message = false;
  return P2POOL_REASSEMBLY_COMPLETE;
}
