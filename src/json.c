/*
 * json.c: strict JSON parsing and type-checked field access on json-c.
 */
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int parse_with_flags(const char *buf, size_t len, int flags,
                            json_object **out, char *err, size_t err_size) {
  *out = NULL;
  if (len > INT32_MAX) {
    snprintf(err, err_size, "document of %zu bytes is too large", len);
    return -EINVAL;
  }

  json_tokener *tok = json_tokener_new_ex(P2POOL_JSON_MAX_DEPTH);
  if (tok == NULL) {
    snprintf(err, err_size, "out of memory");
    return -ENOMEM;
  }
  json_tokener_set_flags(tok, flags);

  json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
  enum json_tokener_error status = json_tokener_get_error(tok);
  size_t end = json_tokener_get_parse_end(tok);

  /* Anything after the document other than white space is an error. */
  while (status == json_tokener_success && end < len &&
         isspace((unsigned char)buf[end]))
    end++;

  int ret = 0;
  if (status == json_tokener_continue) {
    snprintf(err, err_size, "document ends early (truncated after %zu bytes)",
             len);
    ret = -EINVAL;
  } else if (status != json_tokener_success) {
    snprintf(err, err_size, "invalid JSON at byte %zu: %s", end,
             json_tokener_error_desc(status));
    ret = -EINVAL;
  } else if (end < len) {
    snprintf(err, err_size, "unexpected data after the document at byte %zu",
             end);
    ret = -EINVAL;
  } else if (root == NULL) {
    snprintf(err, err_size, "document is null");
    ret = -EINVAL;
  }

  json_tokener_free(tok);
  if (ret != 0) {
    json_object_put(root);
    return ret;
  }
  *out = root;
  return 0;
}

int p2pool_json_parse(const char *buf, size_t len, json_object **out, char *err,
                      size_t err_size) {
  return parse_with_flags(buf, len, JSON_TOKENER_STRICT, out, err, err_size);
}

int p2pool_json_parse_lenient(const char *buf, size_t len, json_object **out,
                              char *err, size_t err_size) {
  return parse_with_flags(buf, len, 0, out, err, err_size);
}

static int get_typed(json_object *obj, const char *key, json_type type,
                     json_object **out) {
  json_object *value = NULL;
  if (obj == NULL || !json_object_is_type(obj, json_type_object))
    return -EINVAL;
  if (!json_object_object_get_ex(obj, key, &value) || value == NULL)
    return -ENOENT;
  if (!json_object_is_type(value, type))
    return -EINVAL;
  *out = value;
  return 0;
}

int p2pool_json_get_object(json_object *obj, const char *key,
                           json_object **out) {
  return get_typed(obj, key, json_type_object, out);
}

int p2pool_json_get_array(json_object *obj, const char *key,
                          json_object **out) {
  return get_typed(obj, key, json_type_array, out);
}

int p2pool_json_get_string(json_object *obj, const char *key,
                           const char **out) {
  json_object *value = NULL;
  int status = get_typed(obj, key, json_type_string, &value);
  if (status != 0)
    return status;
  *out = json_object_get_string(value);
  return 0;
}

int p2pool_json_get_bool(json_object *obj, const char *key, bool *out) {
  json_object *value = NULL;
  int status = get_typed(obj, key, json_type_boolean, &value);
  if (status != 0)
    return status;
  *out = json_object_get_boolean(value);
  return 0;
}

static json_object *lookup(json_object *obj, const char *key, int *status) {
  json_object *value = NULL;
  if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
    *status = -EINVAL;
    return NULL;
  }
  if (!json_object_object_get_ex(obj, key, &value) || value == NULL) {
    *status = -ENOENT;
    return NULL;
  }
  *status = 0;
  return value;
}

int p2pool_json_value_uint64(json_object *value, uint64_t *out) {
  if (value == NULL || !json_object_is_type(value, json_type_int))
    return -EINVAL;

  /* json-c keeps integers above INT64_MAX as uint64 and saturates anything
   * above UINT64_MAX to UINT64_MAX without an error, so that value is
   * treated as out of range. */
  int64_t signed_value = json_object_get_int64(value);
  if (signed_value < 0)
    return -ERANGE;
  uint64_t unsigned_value = json_object_get_uint64(value);
  if (unsigned_value == UINT64_MAX)
    return -ERANGE;

  *out = unsigned_value;
  return 0;
}

int p2pool_json_get_uint64(json_object *obj, const char *key, uint64_t *out) {
  int status = 0;
  json_object *value = lookup(obj, key, &status);
  if (status != 0)
    return status;
  return p2pool_json_value_uint64(value, out);
}

int p2pool_json_get_int64(json_object *obj, const char *key, int64_t *out) {
  int status = 0;
  json_object *value = lookup(obj, key, &status);
  if (status != 0)
    return status;
  if (!json_object_is_type(value, json_type_int))
    return -EINVAL;

  int64_t result = json_object_get_int64(value);
  if (result == INT64_MAX || result == INT64_MIN)
    return -ERANGE; /* possibly clamped */
  *out = result;
  return 0;
}

int p2pool_json_value_double(json_object *value, double *out) {
  if (value == NULL)
    return -EINVAL;
  if (!json_object_is_type(value, json_type_double) &&
      !json_object_is_type(value, json_type_int))
    return -EINVAL;

  double result = json_object_get_double(value);
  if (!isfinite(result))
    return -ERANGE;
  *out = result;
  return 0;
}

int p2pool_json_get_double(json_object *obj, const char *key, double *out) {
  int status = 0;
  json_object *value = lookup(obj, key, &status);
  if (status != 0)
    return status;
  return p2pool_json_value_double(value, out);
}

static int hex_digit_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int p2pool_u128_from_hex(const char *text, p2pool_u128_t *out) {
  if (text == NULL)
    return -EINVAL;
  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text += 2;

  size_t len = strlen(text);
  if (len == 0)
    return -EINVAL;
  if (len > 32)
    return -ERANGE;

  p2pool_u128_t result = {0, 0};
  for (size_t i = 0; i < len; i++) {
    int digit = hex_digit_value(text[i]);
    if (digit < 0)
      return -EINVAL;
    result.hi = (result.hi << 4) | (result.lo >> 60);
    result.lo = (result.lo << 4) | (uint64_t)digit;
  }
  *out = result;
  return 0;
}

/* Multiplies value by 10 and adds digit; returns -ERANGE on overflow. */
static int u128_mul10_add(p2pool_u128_t *value, unsigned digit) {
  /* 10x = 8x + 2x, computed on the two halves with carries. */
  if (value->hi > UINT64_MAX / 10)
    return -ERANGE;

  uint64_t lo8 = value->lo << 3;
  uint64_t lo2 = value->lo << 1;
  uint64_t carry = (value->lo >> 61) + (value->lo >> 63);
  uint64_t lo = lo8 + lo2;
  if (lo < lo8)
    carry++;
  uint64_t with_digit = lo + digit;
  if (with_digit < lo)
    carry++;

  uint64_t hi10 = value->hi * 10;
  if (hi10 > UINT64_MAX - carry)
    return -ERANGE;
  value->hi = hi10 + carry;
  value->lo = with_digit;
  return 0;
}

int p2pool_u128_from_decimal(const char *text, p2pool_u128_t *out) {
  if (text == NULL || text[0] == '\0')
    return -EINVAL;

  p2pool_u128_t result = {0, 0};
  for (const char *p = text; *p != '\0'; p++) {
    if (*p < '0' || *p > '9')
      return -EINVAL;
    int status = u128_mul10_add(&result, (unsigned)(*p - '0'));
    if (status != 0)
      return status;
  }
  *out = result;
  return 0;
}

int p2pool_json_value_difficulty(json_object *value, p2pool_u128_t *out) {
  if (value == NULL)
    return -EINVAL;

  if (json_object_is_type(value, json_type_string))
    return p2pool_u128_from_hex(json_object_get_string(value), out);

  uint64_t number = 0;
  int status = p2pool_json_value_uint64(value, &number);
  if (status != 0)
    return status;
  out->hi = 0;
  out->lo = number;
  return 0;
}

int p2pool_json_get_difficulty(json_object *obj, const char *key,
                               p2pool_u128_t *out) {
  int status = 0;
  json_object *value = lookup(obj, key, &status);
  if (status != 0)
    return status;
  return p2pool_json_value_difficulty(value, out);
}

double p2pool_u128_to_double(p2pool_u128_t value) {
  return (double)value.hi * 18446744073709551616.0 + (double)value.lo;
}

const char *p2pool_json_type_name(json_object *value) {
  if (value == NULL)
    return "null";
  return json_type_to_name(json_object_get_type(value));
}
