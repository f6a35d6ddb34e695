/*
 * Unit tests of the event stream's pure parts: message decoding, the
 * found-block list, fragment reassembly, log escaping, websocket URLs,
 * reconnect delays and the wallet address index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "event_parse.h"
#include "events_connect.h"
#include "events_index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIGURED_ADDRESS                                                     \
  "4RigoY1P6ErC7avcEQCciNy2Qh5zeQCzmRe1WZcSD1dKzJsBY3dnD62wHdeDRDfbrF91mr54VG" \
  "FXiJgYBr1pFuPCZNvCGkv"
#define OTHER_ADDRESS                                                          \
  "4Other83ke7Pzjhgk9h4XLwpveiceZG2JuFyETJcdGTJGBtC4T8ZRNLKWtiqrg5kh7cTRoPUHT" \
  "VkpUoP5YgMuTghv1M5Air"
#define THIRD_ADDRESS                                                          \
  "49ThirdLzsjyFihBVk2aqEYcPEvy5TuNxq1RWDgxBc8t3FUMoYe2ma6a4m8FLr3zpHRVoXohXL" \
  "p2s5eHk746wHvmFtNPAhC"

/* A side_block message whose fields the wrong-type cases replace. */
#define SIDE_BLOCK_TEMPLATE                                                    \
  "{\"type\":\"side_block\",\"side_block\":{"                                  \
  "\"main_id\":\"%s\",\"main_height\":%s,\"template_id\":\"%s\","              \
  "\"side_height\":%s,\"timestamp\":%s,\"difficulty\":%s,"                     \
  "\"miner_address\":%s,\"main_difficulty\":%s%s}}"
#define HASH_A                                                                 \
  "1111111111111111111111111111111111111111111111111111111111111111"
#define HASH_B                                                                 \
  "2222222222222222222222222222222222222222222222222222222222222222"

static char *read_fixture(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof(path), "%s/events/%s", FIXTURES_DIR, name);

  FILE *file = fopen(path, "rb");
  assert_non_null(file);
  assert_int_equal(fseek(file, 0, SEEK_END), 0);
  long size = ftell(file);
  assert_true(size >= 0);
  rewind(file);

  char *data = malloc((size_t)size + 1);
  assert_non_null(data);
  assert_int_equal(fread(data, 1, (size_t)size, file), (size_t)size);
  data[size] = '\0';
  fclose(file);
  *len = (size_t)size;
  return data;
}

static int parse_fixture(const char *name, p2pool_event_t *event) {
  size_t len = 0;
  char *data = read_fixture(name, &len);
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";

  int status = p2pool_event_parse(data, len, event, err, sizeof(err));
  if (status != 0)
    print_message("%s: %s\n", name, err);
  free(data);
  return status;
}

static int parse_text(const char *text, p2pool_event_t *event, char *err,
                      size_t err_size) {
  return p2pool_event_parse(text, strlen(text), event, err, err_size);
}

static void side_block_fields(void **state) {
  (void)state;
  p2pool_event_t event;

  assert_int_equal(parse_fixture("side_block.json", &event), 0);
  assert_int_equal(event.type, P2POOL_EVENT_SIDE_BLOCK);
  assert_string_equal(event.type_name, "side_block");

  const p2pool_side_block_t *block = &event.side_block;
  assert_int_equal(strlen(block->template_id), 64);
  assert_int_equal(strlen(block->main_id), 64);
  assert_int_equal(block->side_height, 15020450);
  assert_int_equal(block->main_height, 3712001);
  assert_int_equal(block->timestamp, 1783000100);
  assert_int_equal(block->difficulty, 1500123456);
  assert_true(block->main_difficulty_valid);
  assert_int_equal(block->main_difficulty.hi, 0);
  assert_int_equal(block->main_difficulty.lo, 630111222333ULL);
  assert_false(block->uncle);
  assert_string_equal(block->miner_address, CONFIGURED_ADDRESS);
  p2pool_event_clear(&event);
}

static void side_block_uncle(void **state) {
  (void)state;
  p2pool_event_t event;

  assert_int_equal(parse_fixture("side_block_uncle.json", &event), 0);
  assert_int_equal(event.type, P2POOL_EVENT_SIDE_BLOCK);
  assert_true(event.side_block.uncle);
  assert_int_equal(event.side_block.side_height, 15020449);
  p2pool_event_clear(&event);
}

static void side_block_without_main_difficulty(void **state) {
  (void)state;
  p2pool_event_t event;

  assert_int_equal(parse_fixture("side_block_no_main_difficulty.json", &event),
                   0);
  assert_false(event.side_block.main_difficulty_valid);
  assert_int_equal(event.side_block.difficulty, 1500123456);
  assert_string_equal(event.side_block.miner_address, OTHER_ADDRESS);
  p2pool_event_clear(&event);
}

static void side_block_legacy_hex_cumulative(void **state) {
  (void)state;
  p2pool_event_t event;

  /* Observers before 2023-07-30 sent cumulative_difficulty as a 32-digit
   * hex string; the message must still decode. */
  assert_int_equal(parse_fixture("side_block_legacy.json", &event), 0);
  assert_int_equal(event.type, P2POOL_EVENT_SIDE_BLOCK);
  assert_int_equal(event.side_block.difficulty, 1800222333);
  assert_int_equal(event.side_block.main_difficulty.lo, 350444555666ULL);
  assert_string_equal(event.side_block.miner_address, THIRD_ADDRESS);
  p2pool_event_clear(&event);
}

/* Formats a side_block message with the given raw JSON field values. */
static void format_side_block(char *out, size_t size, const char *main_height,
                              const char *side_height, const char *timestamp,
                              const char *difficulty, const char *address,
                              const char *main_difficulty, const char *extra) {
  snprintf(out, size, SIDE_BLOCK_TEMPLATE, HASH_A, main_height, HASH_B,
           side_height, timestamp, difficulty, address, main_difficulty, extra);
}

static void side_block_hex_difficulties(void **state) {
  (void)state;
  char message[1024];
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  p2pool_event_t event;

  format_side_block(message, sizeof(message), "10", "20", "30",
                    "\"0x00000000000000000000000059682f00\"", "\"4abc\"",
                    "\"00000000000000010000000000000002\"", "");
  assert_int_equal(parse_text(message, &event, err, sizeof(err)), 0);
  assert_int_equal(event.side_block.difficulty, 1500000000);
  assert_int_equal(event.side_block.main_difficulty.hi, 1);
  assert_int_equal(event.side_block.main_difficulty.lo, 2);
  p2pool_event_clear(&event);
}

static void side_block_difficulty_over_64_bits(void **state) {
  (void)state;
  char message[1024];
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  p2pool_event_t event;

  format_side_block(message, sizeof(message), "10", "20", "30",
                    "\"00000000000000010000000000000000\"", "\"4abc\"", "5",
                    "");
  assert_int_equal(parse_text(message, &event, err, sizeof(err)), -ERANGE);
  assert_non_null(strstr(err, "side_block.difficulty"));
  assert_null(event.root);
}

static void found_block_fields(void **state) {
  (void)state;
  p2pool_event_t event;

  assert_int_equal(parse_fixture("found_block.json", &event), 0);
  assert_int_equal(event.type, P2POOL_EVENT_FOUND_BLOCK);

  const p2pool_found_block_t *block = &event.found_block;
  assert_int_equal(block->main_height, 3712002);
  assert_int_equal(block->timestamp, 1783000123);
  assert_true(block->reward_known);
  assert_int_equal(block->reward, 600987650000ULL);
  assert_int_equal(block->main_difficulty.hi, 0);
  assert_int_equal(block->main_difficulty.lo, 630999888777ULL);
  assert_int_equal(block->side_difficulty, 1500555666);
  assert_int_equal(strlen(block->main_id), 64);
  assert_int_equal(strlen(block->side_template_id), 64);
  assert_string_equal(block->miner_address, OTHER_ADDRESS);
  assert_string_equal(event.outputs_error, "");
  p2pool_event_clear(&event);
}

static void found_block_coinbase_outputs(void **state) {
  (void)state;
  p2pool_event_t event;

  assert_int_equal(parse_fixture("found_block.json", &event), 0);
  assert_int_equal(event.outputs_num, 4);
  assert_string_equal(event.outputs[0].miner_address, OTHER_ADDRESS);
  assert_int_equal(event.outputs[0].value, 12345678901ULL);
  assert_string_equal(event.outputs[1].miner_address, CONFIGURED_ADDRESS);
  assert_int_equal(event.outputs[1].value, 2718281828ULL);
  assert_string_equal(event.outputs[2].miner_address, THIRD_ADDRESS);
  assert_int_equal(event.outputs[2].value, 31415926535ULL);
  p2pool_event_clear(&event);
}

static const char found_block_prefix[] =
    "{\"type\":\"found_block\",\"found_block\":{\"main_block\":{"
    "\"id\":\"" HASH_A "\",\"height\":100,\"timestamp\":200,"
    "\"difficulty\":300,\"side_template_id\":\"" HASH_B "\"},"
    "\"difficulty\":400}}";

static void found_block_invalid_outputs_kept_block(void **state) {
  (void)state;
  char message[1024];
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  p2pool_event_t event;

  snprintf(message, sizeof(message),
           "%.*s,\"main_coinbase_outputs\":[{\"value\":5,\"miner_address\":"
           "\"4abc\"},{\"value\":\"5\",\"miner_address\":\"4abc\"}]}",
           (int)strlen(found_block_prefix) - 1, found_block_prefix);
  assert_int_equal(parse_text(message, &event, err, sizeof(err)), 0);
  assert_int_equal(event.type, P2POOL_EVENT_FOUND_BLOCK);
  assert_int_equal(event.found_block.main_height, 100);
  assert_int_equal(event.outputs_num, 0);
  assert_null(event.outputs);
  assert_non_null(strstr(event.outputs_error, "main_coinbase_outputs[1]"));
  p2pool_event_clear(&event);
}

static void found_block_without_outputs(void **state) {
  (void)state;
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  p2pool_event_t event;

  assert_int_equal(parse_text(found_block_prefix, &event, err, sizeof(err)), 0);
  assert_int_equal(event.outputs_num, 0);
  assert_false(event.found_block.reward_known);
  assert_null(event.found_block.miner_address);
  assert_int_equal(event.found_block.side_difficulty, 400);
  p2pool_event_clear(&event);
}

static void orphaned_block_payload(void **state) {
  (void)state;
  p2pool_event_t event;

  assert_int_equal(parse_fixture("orphaned_block.json", &event), 0);
  assert_int_equal(event.type, P2POOL_EVENT_ORPHANED_BLOCK);
  assert_int_equal(event.side_block.side_height, 15020400);
  assert_int_equal(event.side_block.main_height, 3711998);
  assert_string_equal(event.side_block.miner_address, CONFIGURED_ADDRESS);
  p2pool_event_clear(&event);
}

static void orphaned_block_needs_side_block_key(void **state) {
  (void)state;
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  p2pool_event_t event;

  const char message[] = "{\"type\":\"orphaned_block\",\"orphaned_block\":{}}";
  assert_int_equal(parse_text(message, &event, err, sizeof(err)), -EINVAL);
  assert_string_equal(err, "side_block: missing");
}

static void unknown_type_is_other(void **state) {
  (void)state;
  p2pool_event_t event;

  assert_int_equal(parse_fixture("unknown_type.json", &event), 0);
  assert_int_equal(event.type, P2POOL_EVENT_OTHER);
  assert_string_equal(event.type_name, "payout");
  assert_string_equal(p2pool_event_type_name(event.type), "other");
  p2pool_event_clear(&event);
}

static void garbage_rejected(void **state) {
  (void)state;
  static const char *const messages[] = {
      "",
      "not json",
      "{\"type\":\"side_block\"",
      "[1,2,3]",
      "\"side_block\"",
      "{\"side_block\":{}}",
      "{\"type\":5}",
      "{\"type\":null}",
      "{\"type\":\"side_block\",\"side_block\":[]}",
      "{\"type\":\"side_block\"} trailing",
      "{\"type\":\"side_block\",\"side_block\":{\"main_id\":NaN}}",
  };

  for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
    char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
    p2pool_event_t event;
    int status = parse_text(messages[i], &event, err, sizeof(err));
    if (status == 0)
      print_message("accepted: %s\n", messages[i]);
    assert_true(status == -EINVAL || status == -ERANGE);
    assert_true(err[0] != '\0');
    assert_null(event.root);
  }
}

static void wrong_field_types_rejected(void **state) {
  (void)state;
  static const struct {
    const char *main_height, *side_height, *timestamp, *difficulty, *address,
        *main_difficulty, *extra, *field;
    int status;
  } cases[] = {
      {"\"10\"", "20", "30", "40", "\"4a\"", "50", "", "main_height", -EINVAL},
      {"10", "20.5", "30", "40", "\"4a\"", "50", "", "side_height", -EINVAL},
      {"10", "20", "-30", "40", "\"4a\"", "50", "", "timestamp", -ERANGE},
      {"10", "20", "30", "true", "\"4a\"", "50", "", "difficulty", -EINVAL},
      {"10", "20", "30", "\"zz\"", "\"4a\"", "50", "", "difficulty", -EINVAL},
      {"10", "20", "30", "40", "7", "50", "", "miner_address", -EINVAL},
      {"10", "20", "30", "40", "\"\"", "50", "", "miner_address", -EINVAL},
      {"10", "20", "30", "40", "\"4a\"", "{}", "", "main_difficulty", -EINVAL},
      {"10", "20", "30", "40", "\"4a\"", "50", ",\"uncle_of\":5", "uncle_of",
       -EINVAL},
      {"10", "20", "30", "40", "\"4a\"", "50", ",\"uncle_of\":\"ABC\"",
       "uncle_of", -EINVAL},
      {"18446744073709551616", "20", "30", "40", "\"4a\"", "50", "",
       "main_height", -ERANGE},
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char message[1024];
    char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
    p2pool_event_t event;

    format_side_block(message, sizeof(message), cases[i].main_height,
                      cases[i].side_height, cases[i].timestamp,
                      cases[i].difficulty, cases[i].address,
                      cases[i].main_difficulty, cases[i].extra);
    int status = parse_text(message, &event, err, sizeof(err));
    if (status != cases[i].status || strstr(err, cases[i].field) == NULL)
      print_message("case %zu: status %d, err \"%s\"\n", i, status, err);
    assert_int_equal(status, cases[i].status);
    assert_non_null(strstr(err, cases[i].field));
    assert_null(event.root);
  }
}

static void invalid_hash_rejected(void **state) {
  (void)state;
  char message[1024];
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  p2pool_event_t event;

  snprintf(message, sizeof(message),
           "{\"type\":\"side_block\",\"side_block\":{\"main_id\":\"%s\","
           "\"template_id\":\"ABCD\",\"main_height\":1,\"side_height\":1,"
           "\"timestamp\":1,\"difficulty\":1}}",
           HASH_A);
  assert_int_equal(parse_text(message, &event, err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "side_block.template_id"));
}

static void null_optional_fields_absent(void **state) {
  (void)state;
  char message[1024];
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  p2pool_event_t event;

  format_side_block(message, sizeof(message), "10", "20", "30", "40", "null",
                    "null", ",\"uncle_of\":null");
  assert_int_equal(parse_text(message, &event, err, sizeof(err)), 0);
  assert_null(event.side_block.miner_address);
  assert_false(event.side_block.main_difficulty_valid);
  assert_false(event.side_block.uncle);
  p2pool_event_clear(&event);
}

static void oversize_message_rejected(void **state) {
  (void)state;
  size_t len = P2POOL_EVENT_MESSAGE_MAX_BYTES + 1;
  char *message = malloc(len);
  assert_non_null(message);
  memset(message, ' ', len);

  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  p2pool_event_t event;
  assert_int_equal(p2pool_event_parse(message, len, &event, err, sizeof(err)),
                   -EMSGSIZE);
  assert_non_null(strstr(err, "bytes"));
  assert_null(event.root);
  free(message);
}

static void found_blocks_list(void **state) {
  (void)state;
  size_t len = 0;
  char *body = read_fixture("found_blocks.json", &len);
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  json_object *root = NULL;

  assert_int_equal(p2pool_json_parse(body, len, &root, err, sizeof(err)), 0);
  p2pool_found_block_t *rows = NULL;
  size_t num = 0;
  assert_int_equal(
      p2pool_parse_found_blocks(root, &rows, &num, err, sizeof(err)), 0);
  assert_int_equal(num, 3);
  assert_int_equal(rows[0].main_height, 3712002);
  assert_int_equal(rows[1].reward, 0);
  assert_true(rows[1].reward_known);
  /* The third row's Monero difficulty is a 0x-prefixed hex string. */
  assert_int_equal(rows[2].main_difficulty.lo, 630112961017ULL);
  assert_int_equal(rows[2].timestamp, 1782987000);

  free(rows);
  json_object_put(root);
  free(body);
}

static void found_blocks_bad_row(void **state) {
  (void)state;
  const char body[] = "[\n{\"main_block\":{}}\n\n]";
  char err[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  json_object *root = NULL;

  assert_int_equal(
      p2pool_json_parse(body, strlen(body), &root, err, sizeof(err)), 0);
  p2pool_found_block_t *rows = NULL;
  size_t num = 0;
  assert_int_equal(
      p2pool_parse_found_blocks(root, &rows, &num, err, sizeof(err)), -EINVAL);
  assert_null(rows);
  assert_int_equal(num, 0);
  assert_non_null(strstr(err, "found_block.main_block.id"));
  json_object_put(root);
}

static void escape_bytes_printable(void **state) {
  (void)state;
  char out[64];

  p2pool_escape_bytes("a\x01\"b\\\n\xff", 7, 64, out, sizeof(out));
  assert_string_equal(out, "a\\x01\"b\\x5c\\x0a\\xff");

  p2pool_escape_bytes("abcdef", 6, 3, out, sizeof(out));
  assert_string_equal(out, "abc...");

  p2pool_escape_bytes("\x01\x02\x03", 3, 64, out, 8);
  assert_string_equal(out, "\\x01...");
}

static void reassembler_single_fragment_not_copied(void **state) {
  (void)state;
  p2pool_reassembler_t reassembler;
  p2pool_reassembler_init(&reassembler, 16);
  const char *message = NULL;
  size_t len = 0;
  const char data[] = "{\"a\":1}";

  assert_int_equal(
      p2pool_reassembler_add(&reassembler, data, 7, true, true, &message, &len),
      P2POOL_REASSEMBLY_COMPLETE);
  assert_ptr_equal(message, data);
  assert_int_equal(len, 7);
  assert_null(reassembler.buffer);
  p2pool_reassembler_free(&reassembler);
}

static void reassembler_joins_fragments(void **state) {
  (void)state;
  p2pool_reassembler_t reassembler;
  p2pool_reassembler_init(&reassembler, 64);
  const char *message = NULL;
  size_t len = 0;

  assert_int_equal(p2pool_reassembler_add(&reassembler, "{\"ty", 4, true, false,
                                          &message, &len),
                   P2POOL_REASSEMBLY_PARTIAL);
  assert_null(message);
  assert_int_equal(p2pool_reassembler_add(&reassembler, "pe\":", 4, false,
                                          false, &message, &len),
                   P2POOL_REASSEMBLY_PARTIAL);
  assert_int_equal(
      p2pool_reassembler_add(&reassembler, "", 0, false, false, &message, &len),
      P2POOL_REASSEMBLY_PARTIAL);
  assert_int_equal(p2pool_reassembler_add(&reassembler, "\"x\"}", 4, false,
                                          true, &message, &len),
                   P2POOL_REASSEMBLY_COMPLETE);
  assert_int_equal(len, 12);
  assert_memory_equal(message, "{\"type\":\"x\"}", 12);

  /* The next message starts empty. */
  assert_int_equal(
      p2pool_reassembler_add(&reassembler, "{}", 2, true, true, &message, &len),
      P2POOL_REASSEMBLY_COMPLETE);
  assert_int_equal(len, 2);
  p2pool_reassembler_free(&reassembler);
}

static void reassembler_drops_over_cap(void **state) {
  (void)state;
  p2pool_reassembler_t reassembler;
  p2pool_reassembler_init(&reassembler, 8);
  const char *message = NULL;
  size_t len = 0;

  assert_int_equal(p2pool_reassembler_add(&reassembler, "12345", 5, true, false,
                                          &message, &len),
                   P2POOL_REASSEMBLY_PARTIAL);
  assert_int_equal(p2pool_reassembler_add(&reassembler, "67890", 5, false,
                                          false, &message, &len),
                   P2POOL_REASSEMBLY_PARTIAL);
  assert_int_equal(p2pool_reassembler_add(&reassembler, "abc", 3, false, true,
                                          &message, &len),
                   P2POOL_REASSEMBLY_OVERSIZE);
  assert_null(message);
  assert_int_equal(len, 13);

  /* A single fragment over the cap is dropped as well. */
  assert_int_equal(p2pool_reassembler_add(&reassembler, "123456789", 9, true,
                                          true, &message, &len),
                   P2POOL_REASSEMBLY_OVERSIZE);
  assert_int_equal(len, 9);

  /* The reassembler recovers for the next message. */
  assert_int_equal(p2pool_reassembler_add(&reassembler, "1234", 4, true, false,
                                          &message, &len),
                   P2POOL_REASSEMBLY_PARTIAL);
  assert_int_equal(p2pool_reassembler_add(&reassembler, "5678", 4, false, true,
                                          &message, &len),
                   P2POOL_REASSEMBLY_COMPLETE);
  assert_memory_equal(message, "12345678", 8);
  p2pool_reassembler_free(&reassembler);
}

static void reassembler_first_fragment_restarts(void **state) {
  (void)state;
  p2pool_reassembler_t reassembler;
  p2pool_reassembler_init(&reassembler, 64);
  const char *message = NULL;
  size_t len = 0;

  p2pool_reassembler_add(&reassembler, "stale", 5, true, false, &message, &len);
  assert_int_equal(p2pool_reassembler_add(&reassembler, "ab", 2, true, false,
                                          &message, &len),
                   P2POOL_REASSEMBLY_PARTIAL);
  assert_int_equal(p2pool_reassembler_add(&reassembler, "cd", 2, false, true,
                                          &message, &len),
                   P2POOL_REASSEMBLY_COMPLETE);
  assert_memory_equal(message, "abcd", 4);
  assert_int_equal(len, 4);

  p2pool_reassembler_add(&reassembler, "half", 4, true, false, &message, &len);
  p2pool_reassembler_reset(&reassembler);
  assert_int_equal(
      p2pool_reassembler_add(&reassembler, "x", 1, true, true, &message, &len),
      P2POOL_REASSEMBLY_COMPLETE);
  assert_int_equal(len, 1);
  p2pool_reassembler_free(&reassembler);
}

static void ws_url_parts(void **state) {
  (void)state;
  p2pool_ws_url_t url;

  assert_int_equal(
      p2pool_ws_url_parse("wss://mini.p2pool.observer/api/events", &url), 0);
  assert_true(url.tls);
  assert_string_equal(url.host, "mini.p2pool.observer");
  assert_string_equal(url.host_header, "mini.p2pool.observer");
  assert_int_equal(url.port, 443);
  assert_string_equal(url.path, "/api/events");

  assert_int_equal(
      p2pool_ws_url_parse("ws://127.0.0.1:8787/api/events?x=1#f", &url), 0);
  assert_false(url.tls);
  assert_string_equal(url.host, "127.0.0.1");
  assert_string_equal(url.host_header, "127.0.0.1:8787");
  assert_int_equal(url.port, 8787);
  assert_string_equal(url.path, "/api/events?x=1");

  assert_int_equal(p2pool_ws_url_parse("WS://[::1]:9000", &url), 0);
  assert_string_equal(url.host, "::1");
  assert_string_equal(url.host_header, "[::1]:9000");
  assert_string_equal(url.path, "/");

  assert_int_equal(p2pool_ws_url_parse("ws://example.org?q", &url), 0);
  assert_int_equal(url.port, 80);
  assert_string_equal(url.path, "/?q");
}

static void ws_url_invalid(void **state) {
  (void)state;
  static const char *const urls[] = {
      "http://example.org/", "ws://",           "ws:///path",
      "ws://host:0/",        "ws://host:70000", "ws://host:12a/",
      "ws://user@host/",     "ws://[::1/",      "ws://[::1]x/",
      "wss://host:/",
  };
  p2pool_ws_url_t url;

  for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
    if (p2pool_ws_url_parse(urls[i], &url) != -EINVAL)
      print_message("accepted: %s\n", urls[i]);
    assert_int_equal(p2pool_ws_url_parse(urls[i], &url), -EINVAL);
  }

  char long_url[P2POOL_WS_HOST_MAX_BYTES + 16] = "ws://";
  memset(long_url + 5, 'a', P2POOL_WS_HOST_MAX_BYTES);
  long_url[5 + P2POOL_WS_HOST_MAX_BYTES] = '\0';
  assert_int_equal(p2pool_ws_url_parse(long_url, &url), -ENAMETOOLONG);
}

static void reconnect_delay_doubles_to_cap(void **state) {
  (void)state;

  /* random01 = 0.5 means no jitter. */
  assert_int_equal(p2pool_reconnect_delay_ms(0, 0.5), 1000);
  assert_int_equal(p2pool_reconnect_delay_ms(1, 0.5), 2000);
  assert_int_equal(p2pool_reconnect_delay_ms(5, 0.5), 32000);
  assert_int_equal(p2pool_reconnect_delay_ms(8, 0.5), 256000);
  assert_int_equal(p2pool_reconnect_delay_ms(9, 0.5), P2POOL_RECONNECT_MAX_MS);
  assert_int_equal(p2pool_reconnect_delay_ms(60000, 0.5),
                   P2POOL_RECONNECT_MAX_MS);
}

static void reconnect_delay_jitter_bounds(void **state) {
  (void)state;

  assert_int_equal(p2pool_reconnect_delay_ms(0, 0.0), 800);
  assert_true(p2pool_reconnect_delay_ms(0, 0.999999) <= 1200);
  assert_true(p2pool_reconnect_delay_ms(0, 0.999999) >= 1199);
  assert_true(p2pool_reconnect_delay_ms(20, 0.999999) <=
              P2POOL_RECONNECT_MAX_MS);
  assert_int_equal(p2pool_reconnect_delay_ms(20, 0.0),
                   P2POOL_RECONNECT_MAX_MS * 8 / 10);
  /* Out-of-range random values fall back to no jitter. */
  assert_int_equal(p2pool_reconnect_delay_ms(0, -1.0), 1000);
  assert_int_equal(p2pool_reconnect_delay_ms(0, 1.0), 1000);
}

static void address_index_lookup(void **state) {
  (void)state;
  const char *addresses[] = {OTHER_ADDRESS, CONFIGURED_ADDRESS, NULL,
                             CONFIGURED_ADDRESS, THIRD_ADDRESS};
  p2pool_address_index_t index;
  const p2pool_address_entry_t *first = NULL;

  assert_int_equal(p2pool_address_index_build(&index, addresses, 5), 0);
  assert_int_equal(index.num, 4);

  assert_int_equal(
      p2pool_address_index_find(&index, CONFIGURED_ADDRESS, &first), 2);
  assert_int_equal(first[0].wallet, 1);
  assert_int_equal(first[1].wallet, 3);

  assert_int_equal(p2pool_address_index_find(&index, THIRD_ADDRESS, &first), 1);
  assert_int_equal(first[0].wallet, 4);

  assert_int_equal(p2pool_address_index_find(&index, "4nope", &first), 0);
  assert_null(first);
  assert_int_equal(p2pool_address_index_find(&index, NULL, &first), 0);
  assert_int_equal(p2pool_address_index_find(&index, "", &first), 0);
  assert_int_equal(p2pool_address_index_find(&index, "5", &first), 0);
  p2pool_address_index_free(&index);
}

static void address_index_empty(void **state) {
  (void)state;
  p2pool_address_index_t index;
  const p2pool_address_entry_t *first = NULL;

  assert_int_equal(p2pool_address_index_build(&index, NULL, 0), 0);
  assert_int_equal(p2pool_address_index_find(&index, OTHER_ADDRESS, &first), 0);
  p2pool_address_index_free(&index);
  p2pool_address_index_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(side_block_fields),
      cmocka_unit_test(side_block_uncle),
      cmocka_unit_test(side_block_without_main_difficulty),
      cmocka_unit_test(side_block_legacy_hex_cumulative),
      cmocka_unit_test(side_block_hex_difficulties),
      cmocka_unit_test(side_block_difficulty_over_64_bits),
      cmocka_unit_test(found_block_fields),
      cmocka_unit_test(found_block_coinbase_outputs),
      cmocka_unit_test(found_block_invalid_outputs_kept_block),
      cmocka_unit_test(found_block_without_outputs),
      cmocka_unit_test(orphaned_block_payload),
      cmocka_unit_test(orphaned_block_needs_side_block_key),
      cmocka_unit_test(unknown_type_is_other),
      cmocka_unit_test(garbage_rejected),
      cmocka_unit_test(wrong_field_types_rejected),
      cmocka_unit_test(invalid_hash_rejected),
      cmocka_unit_test(null_optional_fields_absent),
      cmocka_unit_test(oversize_message_rejected),
      cmocka_unit_test(found_blocks_list),
      cmocka_unit_test(found_blocks_bad_row),
      cmocka_unit_test(escape_bytes_printable),
      cmocka_unit_test(reassembler_single_fragment_not_copied),
      cmocka_unit_test(reassembler_joins_fragments),
      cmocka_unit_test(reassembler_drops_over_cap),
      cmocka_unit_test(reassembler_first_fragment_restarts),
      cmocka_unit_test(ws_url_parts),
      cmocka_unit_test(ws_url_invalid),
      cmocka_unit_test(reconnect_delay_doubles_to_cap),
      cmocka_unit_test(reconnect_delay_jitter_bounds),
      cmocka_unit_test(address_index_lookup),
      cmocka_unit_test(address_index_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
