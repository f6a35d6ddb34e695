/*
 * Unit tests of json.c: strict parsing, type-checked getters and the 128-bit
 * difficulty decoders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 256

/* Parses a NUL-terminated document strictly and returns the parser's code. */
static int parse_text(const char *text, json_object **out) {
  char err[ERR_BYTES] = "";
  return p2pool_json_parse(text, strlen(text), out, err, sizeof(err));
}

/* Parses a document that the test requires to be valid. */
static json_object *parse_valid(const char *text) {
  json_object *root = NULL;
  int rc = parse_text(text, &root);
  if (rc != 0)
    fail_msg("expected valid JSON, got %d for: %s", rc, text);
  assert_non_null(root);
  return root;
}

/* Reads {"v": <literal>} with p2pool_json_get_uint64. */
static int read_uint64_literal(const char *literal, uint64_t *out) {
  char text[128];
  snprintf(text, sizeof(text), "{\"v\":%s}", literal);
  json_object *root = parse_valid(text);
  int rc = p2pool_json_get_uint64(root, "v", out);
  json_object_put(root);
  return rc;
}

static int read_int64_literal(const char *literal, int64_t *out) {
  char text[128];
  snprintf(text, sizeof(text), "{\"v\":%s}", literal);
  json_object *root = parse_valid(text);
  int rc = p2pool_json_get_int64(root, "v", out);
  json_object_put(root);
  return rc;
}

static int read_double_literal(const char *literal, double *out) {
  char text[128];
  snprintf(text, sizeof(text), "{\"v\":%s}", literal);
  json_object *root = parse_valid(text);
  int rc = p2pool_json_get_double(root, "v", out);
  json_object_put(root);
  return rc;
}

static int read_difficulty_literal(const char *literal, p2pool_u128_t *out) {
  char text[128];
  snprintf(text, sizeof(text), "{\"v\":%s}", literal);
  json_object *root = parse_valid(text);
  int rc = p2pool_json_get_difficulty(root, "v", out);
  json_object_put(root);
  return rc;
}

/* Builds n nested arrays around a scalar: [[[...1...]]]. */
static char *nested_arrays(size_t n) {
  char *text = malloc(2 * n + 2);
  assert_non_null(text);
  memset(text, '[', n);
  text[n] = '1';
  memset(text + n + 1, ']', n);
  text[2 * n + 1] = '\0';
  return text;
}

static void parse_object_and_trailing_newline(void **state) {
  (void)state;
  json_object *root = NULL;

  assert_int_equal(parse_text("{\"a\":1}\n", &root), 0);
  assert_non_null(root);
  assert_true(json_object_is_type(root, json_type_object));
  json_object_put(root);
}

static void parse_empty_list_of_observer(void **state) {
  (void)state;
  json_object *root = NULL;

  assert_int_equal(parse_text("[\n\n]", &root), 0);
  assert_true(json_object_is_type(root, json_type_array));
  assert_int_equal(json_object_array_length(root), 0);
  json_object_put(root);
}

static void parse_reads_exactly_len_bytes(void **state) {
  (void)state;
  const char buf[] = "{\"a\":1}{\"b\":2}";
  json_object *root = NULL;
  char err[ERR_BYTES] = "";

  /* Only the first object lies inside len, so the second is not garbage. */
  assert_int_equal(p2pool_json_parse(buf, 7, &root, err, sizeof(err)), 0);
  assert_non_null(root);
  json_object_put(root);
}

static void parse_rejects_trailing_garbage(void **state) {
  (void)state;
  const char *cases[] = {
      "{\"a\":1} x", "{\"a\":1}{}", "[1]]", "{\"a\":1}\n,", "1 2",
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    json_object *root = NULL;
    char err[ERR_BYTES] = "";
    int rc =
        p2pool_json_parse(cases[i], strlen(cases[i]), &root, err, sizeof(err));
    if (rc != -EINVAL)
      fail_msg("case %zu (%s): expected -EINVAL, got %d", i, cases[i], rc);
    assert_null(root);
    assert_true(err[0] != '\0');
  }
}

static void parse_rejects_nul_inside_len(void **state) {
  (void)state;
  const char buf[] = "{\"a\":1}\0garbage";
  json_object *root = NULL;
  char err[ERR_BYTES] = "";

  assert_int_equal(
      p2pool_json_parse(buf, sizeof(buf) - 1, &root, err, sizeof(err)),
      -EINVAL);
  assert_null(root);
}

static void parse_rejects_empty_and_blank(void **state) {
  (void)state;
  json_object *root = NULL;
  char err[ERR_BYTES] = "";

  assert_int_equal(p2pool_json_parse("", 0, &root, err, sizeof(err)), -EINVAL);
  assert_null(root);
  assert_int_equal(p2pool_json_parse(" \n ", 3, &root, err, sizeof(err)),
                   -EINVAL);
  assert_null(root);
}

static void parse_rejects_html(void **state) {
  (void)state;
  json_object *root = NULL;

  assert_int_equal(
      parse_text("<!DOCTYPE html>\n<html><body>challenge</body></html>\n",
                 &root),
      -EINVAL);
  assert_null(root);
}

static void parse_rejects_truncated_list(void **state) {
  (void)state;
  const char *cases[] = {
      "[\n{\"main_id\":\"ab\",\"coinbase_reward\":25",
      "[\n{\"a\":1}\n,\n",
      "[\n{\"a\":1}\n",
      "[\n",
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    json_object *root = NULL;
    int rc = parse_text(cases[i], &root);
    if (rc != -EINVAL)
      fail_msg("case %zu: expected -EINVAL, got %d", i, rc);
    assert_null(root);
  }
}

static void parse_strict_rejects_extensions(void **state) {
  (void)state;
  const char *cases[] = {
      "[1,]", "{\"a\":1,}", "{\"a\":01}", "{\"a\":'x'}", "{a:1}",
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    json_object *root = NULL;
    int rc = parse_text(cases[i], &root);
    if (rc != -EINVAL)
      fail_msg("case %zu (%s): expected -EINVAL, got %d", i, cases[i], rc);
    assert_null(root);
  }
}

static void parse_depth_within_limit(void **state) {
  (void)state;
  /* The scalar inside is one more level in json-c's count, so fifteen
   * arrays around it stay within a limit of sixteen on either reading. */
  char *text = nested_arrays(P2POOL_JSON_MAX_DEPTH - 1);
  json_object *root = NULL;

  assert_int_equal(parse_text(text, &root), 0);
  assert_non_null(root);
  json_object_put(root);
  free(text);
}

static void parse_rejects_depth_over_limit(void **state) {
  (void)state;
  size_t depths[] = {P2POOL_JSON_MAX_DEPTH + 1, 1000, 100000};

  for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
    char *text = nested_arrays(depths[i]);
    json_object *root = NULL;
    int rc = parse_text(text, &root);
    if (rc != -EINVAL)
      fail_msg("depth %zu: expected -EINVAL, got %d", depths[i], rc);
    assert_null(root);
    free(text);
  }
}

static void parse_rejects_deep_objects(void **state) {
  (void)state;
  char text[512] = "";
  size_t depth = P2POOL_JSON_MAX_DEPTH + 1;

  for (size_t i = 0; i < depth; i++)
    strcat(text, "{\"a\":");
  strcat(text, "1");
  for (size_t i = 0; i < depth; i++)
    strcat(text, "}");

  json_object *root = NULL;
  assert_int_equal(parse_text(text, &root), -EINVAL);
  assert_null(root);
}

static void parse_lenient_accepts_trailing_comma(void **state) {
  (void)state;
  const char text[] = "{\"a\":[1,2,],}";
  json_object *root = NULL;
  char err[ERR_BYTES] = "";

  assert_int_equal(
      p2pool_json_parse_lenient(text, strlen(text), &root, err, sizeof(err)),
      0);
  assert_non_null(root);
  json_object_put(root);
}

static void parse_lenient_rejects_garbage_and_depth(void **state) {
  (void)state;
  json_object *root = NULL;
  char err[ERR_BYTES] = "";
  const char garbage[] = "{\"a\":1} trailing";
  char *deep = nested_arrays(P2POOL_JSON_MAX_DEPTH + 1);

  assert_int_equal(p2pool_json_parse_lenient(garbage, strlen(garbage), &root,
                                             err, sizeof(err)),
                   -EINVAL);
  assert_null(root);
  assert_int_equal(
      p2pool_json_parse_lenient(deep, strlen(deep), &root, err, sizeof(err)),
      -EINVAL);
  assert_null(root);
  free(deep);
}

static void uint64_reads_plain_values(void **state) {
  (void)state;
  uint64_t value = 1;

  assert_int_equal(read_uint64_literal("0", &value), 0);
  assert_int_equal(value, 0);
  assert_int_equal(read_uint64_literal("1452318771", &value), 0);
  assert_int_equal(value, 1452318771);
  /* 2^63 and 2^64 - 2 parse as json-c's uint64 without saturating. */
  assert_int_equal(read_uint64_literal("9223372036854775808", &value), 0);
  assert_true(value == UINT64_C(9223372036854775808));
  assert_int_equal(read_uint64_literal("18446744073709551614", &value), 0);
  assert_true(value == UINT64_C(18446744073709551614));
}

static void uint64_rejects_saturated(void **state) {
  (void)state;
  const char *cases[] = {
      "18446744073709551615", /* 2^64 - 1: json-c's saturation value */
      "18446744073709551616", /* 2^64 */
      "99999999999999999999", /* 20 digits */
      "340282366920938463463374607431768211456", /* 2^128 */
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint64_t value = 7;
    int rc = read_uint64_literal(cases[i], &value);
    if (rc != -ERANGE)
      fail_msg("%s: expected -ERANGE, got %d", cases[i], rc);
  }
}

static void uint64_rejects_negative(void **state) {
  (void)state;
  uint64_t value = 7;

  assert_int_equal(read_uint64_literal("-1", &value), -ERANGE);
  assert_int_equal(read_uint64_literal("-9223372036854775808", &value),
                   -ERANGE);
}

static void uint64_rejects_double_and_string(void **state) {
  (void)state;
  const char *cases[] = {
      "1.5", "1.0", "1e3", "-0.5", "\"12\"", "\"12abc\"", "true", "[]", "{}",
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint64_t value = 7;
    int rc = read_uint64_literal(cases[i], &value);
    if (rc != -EINVAL)
      fail_msg("%s: expected -EINVAL, got %d", cases[i], rc);
  }
}

static void uint64_missing_and_null(void **state) {
  (void)state;
  json_object *root = parse_valid("{\"a\":null}");
  uint64_t value = 7;

  assert_int_equal(p2pool_json_get_uint64(root, "a", &value), -ENOENT);
  assert_int_equal(p2pool_json_get_uint64(root, "b", &value), -ENOENT);
  json_object_put(root);
}

static void uint64_value_reads_element(void **state) {
  (void)state;
  json_object *root = parse_valid("[5, -5, 2.5, \"5\"]");
  uint64_t value = 0;

  assert_int_equal(
      p2pool_json_value_uint64(json_object_array_get_idx(root, 0), &value), 0);
  assert_int_equal(value, 5);
  assert_int_equal(
      p2pool_json_value_uint64(json_object_array_get_idx(root, 1), &value),
      -ERANGE);
  assert_int_equal(
      p2pool_json_value_uint64(json_object_array_get_idx(root, 2), &value),
      -EINVAL);
  assert_int_equal(
      p2pool_json_value_uint64(json_object_array_get_idx(root, 3), &value),
      -EINVAL);
  json_object_put(root);
}

static void int64_reads_signed_range(void **state) {
  (void)state;
  int64_t value = 0;

  assert_int_equal(read_int64_literal("-5", &value), 0);
  assert_true(value == -5);
  assert_int_equal(read_int64_literal("9223372036854775806", &value), 0);
  assert_true(value == INT64_MAX - 1);
  assert_int_equal(read_int64_literal("9223372036854775808", &value), -ERANGE);
  assert_int_equal(read_int64_literal("18446744073709551616", &value), -ERANGE);
  assert_int_equal(read_int64_literal("2.5", &value), -EINVAL);
  assert_int_equal(read_int64_literal("\"12abc\"", &value), -EINVAL);
}

static void double_reads_integers_and_fractions(void **state) {
  (void)state;
  double value = 0;

  assert_int_equal(read_double_literal("98.72104556213097", &value), 0);
  assert_true(value == 98.72104556213097);
  assert_int_equal(read_double_literal("12", &value), 0);
  assert_true(value == 12.0);
  assert_int_equal(read_double_literal("-0.25", &value), 0);
  assert_true(value == -0.25);
  assert_int_equal(read_double_literal("1e3", &value), 0);
  assert_true(value == 1000.0);
}

static void double_rejects_non_finite(void **state) {
  (void)state;
  /* json-c 0.16 accepts these literals even in strict mode, and 1E400
   * overflows to infinity. */
  const char *cases[] = {"NaN", "Infinity", "-Infinity", "1E400", "-1E400"};

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    double value = 1;
    int rc = read_double_literal(cases[i], &value);
    if (rc != -ERANGE)
      fail_msg("%s: expected -ERANGE, got %d", cases[i], rc);
  }
}

static void double_rejects_strings(void **state) {
  (void)state;
  double value = 1;

  assert_int_equal(read_double_literal("\"12abc\"", &value), -EINVAL);
  assert_int_equal(read_double_literal("\"12.5\"", &value), -EINVAL);
  assert_int_equal(read_double_literal("\"NaN\"", &value), -EINVAL);
  assert_int_equal(read_double_literal("false", &value), -EINVAL);
}

static void double_value_rejects_nan(void **state) {
  (void)state;
  json_object *root = parse_valid("[NaN, 1.5]");
  double value = 0;

  assert_int_equal(
      p2pool_json_value_double(json_object_array_get_idx(root, 0), &value),
      -ERANGE);
  assert_int_equal(
      p2pool_json_value_double(json_object_array_get_idx(root, 1), &value), 0);
  assert_true(value == 1.5);
  json_object_put(root);
}

static void integer_getters_reject_nan(void **state) {
  (void)state;
  uint64_t u = 0;
  int64_t i = 0;
  p2pool_u128_t d = {0, 0};

  assert_int_equal(read_uint64_literal("NaN", &u), -EINVAL);
  assert_int_equal(read_int64_literal("Infinity", &i), -EINVAL);
  assert_int_equal(read_difficulty_literal("NaN", &d), -EINVAL);
}

static void string_bool_object_array_types(void **state) {
  (void)state;
  json_object *root = parse_valid(
      "{\"s\":\"mini\",\"b\":true,\"o\":{},\"a\":[],\"n\":5,\"z\":null}");
  const char *s = NULL;
  bool b = false;
  json_object *child = NULL;

  assert_int_equal(p2pool_json_get_string(root, "s", &s), 0);
  assert_string_equal(s, "mini");
  assert_int_equal(p2pool_json_get_bool(root, "b", &b), 0);
  assert_true(b);
  assert_int_equal(p2pool_json_get_object(root, "o", &child), 0);
  assert_true(json_object_is_type(child, json_type_object));
  assert_int_equal(p2pool_json_get_array(root, "a", &child), 0);
  assert_true(json_object_is_type(child, json_type_array));

  assert_int_equal(p2pool_json_get_string(root, "n", &s), -EINVAL);
  assert_int_equal(p2pool_json_get_bool(root, "s", &b), -EINVAL);
  assert_int_equal(p2pool_json_get_bool(root, "n", &b), -EINVAL);
  assert_int_equal(p2pool_json_get_object(root, "a", &child), -EINVAL);
  assert_int_equal(p2pool_json_get_array(root, "o", &child), -EINVAL);

  assert_int_equal(p2pool_json_get_string(root, "z", &s), -ENOENT);
  assert_int_equal(p2pool_json_get_object(root, "z", &child), -ENOENT);
  assert_int_equal(p2pool_json_get_array(root, "missing", &child), -ENOENT);
  assert_int_equal(p2pool_json_get_bool(root, "missing", &b), -ENOENT);
  json_object_put(root);
}

static void getter_on_non_object(void **state) {
  (void)state;
  json_object *root = parse_valid("[1,2]");
  uint64_t value = 0;
  const char *s = NULL;

  assert_int_equal(p2pool_json_get_uint64(root, "a", &value), -EINVAL);
  assert_int_equal(p2pool_json_get_string(root, "a", &s), -EINVAL);
  json_object_put(root);
}

static void u128_from_hex_forms(void **state) {
  (void)state;
  p2pool_u128_t v = {7, 7};

  /* The pre-2023 observer form: 32 digits, big-endian, no prefix. */
  assert_int_equal(p2pool_u128_from_hex("0000000000000000001ba95c40814041", &v),
                   0);
  assert_true(v.hi == 0);
  assert_true(v.lo == UINT64_C(0x1ba95c40814041));

  assert_int_equal(
      p2pool_u128_from_hex("0x0000000000000000001ba95c40814041", &v), 0);
  assert_true(v.hi == 0);
  assert_true(v.lo == UINT64_C(0x1ba95c40814041));

  assert_int_equal(p2pool_u128_from_hex("00000000000000010000000000000000", &v),
                   0);
  assert_true(v.hi == 1);
  assert_true(v.lo == 0);

  assert_int_equal(p2pool_u128_from_hex("0123456789abcdeffedcba9876543210", &v),
                   0);
  assert_true(v.hi == UINT64_C(0x0123456789abcdef));
  assert_true(v.lo == UINT64_C(0xfedcba9876543210));

  assert_int_equal(p2pool_u128_from_hex("ffffffffffffffffffffffffffffffff", &v),
                   0);
  assert_true(v.hi == UINT64_MAX);
  assert_true(v.lo == UINT64_MAX);
}

static void u128_from_hex_short_and_upper(void **state) {
  (void)state;
  p2pool_u128_t v = {7, 7};

  assert_int_equal(p2pool_u128_from_hex("1f", &v), 0);
  assert_true(v.hi == 0);
  assert_true(v.lo == 0x1f);
  assert_int_equal(p2pool_u128_from_hex("0x0", &v), 0);
  assert_true(v.hi == 0);
  assert_true(v.lo == 0);
  /* Go's hex decoder, which the observer uses, accepts both cases. */
  assert_int_equal(p2pool_u128_from_hex("0xABCDEF", &v), 0);
  assert_true(v.lo == 0xabcdef);
  /* 17 digits carry into the high half. */
  assert_int_equal(p2pool_u128_from_hex("10000000000000000", &v), 0);
  assert_true(v.hi == 1);
  assert_true(v.lo == 0);
}

static void u128_from_hex_too_many_digits(void **state) {
  (void)state;
  p2pool_u128_t v = {7, 7};

  assert_int_equal(
      p2pool_u128_from_hex("100000000000000000000000000000000", &v), -ERANGE);
  assert_int_equal(
      p2pool_u128_from_hex("0x100000000000000000000000000000000", &v), -ERANGE);
  /* 33 digits are rejected even when the extra one is a leading zero. */
  assert_true(p2pool_u128_from_hex("000000000000000000000000000000001", &v) <
              0);
}

static void u128_from_hex_rejects_non_hex(void **state) {
  (void)state;
  const char *cases[] = {
      "",    "0x", "12xyz", "0x12g4", " 12",   "12 ",
      "+12", "-1", "0x-1",  "1.5",    "0xx12", "x12",
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    p2pool_u128_t v = {7, 7};
    int rc = p2pool_u128_from_hex(cases[i], &v);
    if (rc != -EINVAL)
      fail_msg("\"%s\": expected -EINVAL, got %d", cases[i], rc);
  }
}

static void u128_from_decimal_range(void **state) {
  (void)state;
  p2pool_u128_t v = {7, 7};

  assert_int_equal(p2pool_u128_from_decimal("0", &v), 0);
  assert_true(v.hi == 0);
  assert_true(v.lo == 0);

  assert_int_equal(p2pool_u128_from_decimal("1241298765432", &v), 0);
  assert_true(v.hi == 0);
  assert_true(v.lo == UINT64_C(1241298765432));

  assert_int_equal(p2pool_u128_from_decimal("18446744073709551616", &v), 0);
  assert_true(v.hi == 1);
  assert_true(v.lo == 0);

  /* 2^128 - 1, the largest value: 39 digits. */
  assert_int_equal(
      p2pool_u128_from_decimal("340282366920938463463374607431768211455", &v),
      0);
  assert_true(v.hi == UINT64_MAX);
  assert_true(v.lo == UINT64_MAX);

  /* 2^128 and any 40-digit value overflow. */
  assert_int_equal(
      p2pool_u128_from_decimal("340282366920938463463374607431768211456", &v),
      -ERANGE);
  assert_int_equal(
      p2pool_u128_from_decimal("1000000000000000000000000000000000000000", &v),
      -ERANGE);
}

static void u128_from_decimal_rejects_non_digits(void **state) {
  (void)state;
  const char *cases[] = {"", "12abc", "-1", "+1", " 1", "1 ", "1.0", "0x10"};

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    p2pool_u128_t v = {7, 7};
    int rc = p2pool_u128_from_decimal(cases[i], &v);
    if (rc != -EINVAL)
      fail_msg("\"%s\": expected -EINVAL, got %d", cases[i], rc);
  }
}

static void u128_to_double_values(void **state) {
  (void)state;
  p2pool_u128_t small = {0, UINT64_C(1241298765432)};
  p2pool_u128_t two_to_64 = {1, 0};
  p2pool_u128_t max = {UINT64_MAX, UINT64_MAX};

  assert_true(p2pool_u128_to_double(small) == 1241298765432.0);
  assert_true(p2pool_u128_to_double(two_to_64) == 18446744073709551616.0);
  assert_true(p2pool_u128_to_double(max) == ldexp(1.0, 128));
}

static void difficulty_number_and_hex(void **state) {
  (void)state;
  p2pool_u128_t v = {7, 7};

  assert_int_equal(read_difficulty_literal("1452318771", &v), 0);
  assert_true(v.hi == 0);
  assert_true(v.lo == 1452318771);

  assert_int_equal(
      read_difficulty_literal("\"0000000000000001000000000000002a\"", &v), 0);
  assert_true(v.hi == 1);
  assert_true(v.lo == 42);

  assert_int_equal(read_difficulty_literal("\"0x2a\"", &v), 0);
  assert_true(v.hi == 0);
  assert_true(v.lo == 42);

  /* A string is hex even when it looks decimal. */
  assert_int_equal(read_difficulty_literal("\"10\"", &v), 0);
  assert_true(v.lo == 16);

  /* 2^63 as a number is still in uint64 range. */
  assert_int_equal(read_difficulty_literal("9223372036854775808", &v), 0);
  assert_true(v.hi == 0);
  assert_true(v.lo == UINT64_C(9223372036854775808));
}

static void difficulty_rejects_bad_values(void **state) {
  (void)state;
  p2pool_u128_t v = {7, 7};

  assert_int_equal(read_difficulty_literal("18446744073709551616", &v),
                   -ERANGE);
  assert_int_equal(read_difficulty_literal("18446744073709551615", &v),
                   -ERANGE);
  assert_int_equal(read_difficulty_literal("-1", &v), -ERANGE);
  assert_int_equal(
      read_difficulty_literal("\"100000000000000000000000000000000\"", &v),
      -ERANGE);
  assert_int_equal(read_difficulty_literal("1.5", &v), -EINVAL);
  assert_int_equal(read_difficulty_literal("\"12xyz\"", &v), -EINVAL);
  assert_int_equal(read_difficulty_literal("\"\"", &v), -EINVAL);
  assert_int_equal(read_difficulty_literal("true", &v), -EINVAL);
  assert_int_equal(read_difficulty_literal("{}", &v), -EINVAL);
  assert_int_equal(read_difficulty_literal("null", &v), -ENOENT);
}

static void difficulty_value_reads_element(void **state) {
  (void)state;
  json_object *root = parse_valid("[\"0x10\", 16, 1.0]");
  p2pool_u128_t v = {7, 7};

  assert_int_equal(
      p2pool_json_value_difficulty(json_object_array_get_idx(root, 0), &v), 0);
  assert_true(v.lo == 16);
  assert_int_equal(
      p2pool_json_value_difficulty(json_object_array_get_idx(root, 1), &v), 0);
  assert_true(v.lo == 16);
  assert_int_equal(
      p2pool_json_value_difficulty(json_object_array_get_idx(root, 2), &v),
      -EINVAL);
  json_object_put(root);
}

static void type_name_of_values(void **state) {
  (void)state;
  json_object *root = parse_valid("{\"s\":\"x\",\"o\":{},\"a\":[]}");

  assert_string_equal(p2pool_json_type_name(json_object_object_get(root, "s")),
                      "string");
  assert_string_equal(p2pool_json_type_name(json_object_object_get(root, "o")),
                      "object");
  assert_string_equal(p2pool_json_type_name(json_object_object_get(root, "a")),
                      "array");
  assert_string_equal(p2pool_json_type_name(NULL), "null");
  json_object_put(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_object_and_trailing_newline),
      cmocka_unit_test(parse_empty_list_of_observer),
      cmocka_unit_test(parse_reads_exactly_len_bytes),
      cmocka_unit_test(parse_rejects_trailing_garbage),
      cmocka_unit_test(parse_rejects_nul_inside_len),
      cmocka_unit_test(parse_rejects_empty_and_blank),
      cmocka_unit_test(parse_rejects_html),
      cmocka_unit_test(parse_rejects_truncated_list),
      cmocka_unit_test(parse_strict_rejects_extensions),
      cmocka_unit_test(parse_depth_within_limit),
      cmocka_unit_test(parse_rejects_depth_over_limit),
      cmocka_unit_test(parse_rejects_deep_objects),
      cmocka_unit_test(parse_lenient_accepts_trailing_comma),
      cmocka_unit_test(parse_lenient_rejects_garbage_and_depth),
      cmocka_unit_test(uint64_reads_plain_values),
      cmocka_unit_test(uint64_rejects_saturated),
      cmocka_unit_test(uint64_rejects_negative),
      cmocka_unit_test(uint64_rejects_double_and_string),
      cmocka_unit_test(uint64_missing_and_null),
      cmocka_unit_test(uint64_value_reads_element),
      cmocka_unit_test(int64_reads_signed_range),
      cmocka_unit_test(double_reads_integers_and_fractions),
      cmocka_unit_test(double_rejects_non_finite),
      cmocka_unit_test(double_rejects_strings),
      cmocka_unit_test(double_value_rejects_nan),
      cmocka_unit_test(integer_getters_reject_nan),
      cmocka_unit_test(string_bool_object_array_types),
      cmocka_unit_test(getter_on_non_object),
      cmocka_unit_test(u128_from_hex_forms),
      cmocka_unit_test(u128_from_hex_short_and_upper),
      cmocka_unit_test(u128_from_hex_too_many_digits),
      cmocka_unit_test(u128_from_hex_rejects_non_hex),
      cmocka_unit_test(u128_from_decimal_range),
      cmocka_unit_test(u128_from_decimal_rejects_non_digits),
      cmocka_unit_test(u128_to_double_values),
      cmocka_unit_test(difficulty_number_and_hex),
      cmocka_unit_test(difficulty_rejects_bad_values),
      cmocka_unit_test(difficulty_value_reads_element),
      cmocka_unit_test(type_name_of_values),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
