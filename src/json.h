/*
 * json.h: strict JSON parsing and type-checked field access on json-c.
 *
 * json-c silently clamps integers above 2^63 and 2^64, accepts NaN and
 * Infinity, and parses numeric prefixes of strings, so nothing here reads a
 * value without checking its JSON type and range first. The functions do not
 * depend on collectd and return 0 or a negative errno value:
 *   -ENOENT  the key is absent (or null),
 *   -EINVAL  the value has the wrong JSON type or shape,
 *   -ERANGE  the value is out of range or not finite.
 */
#ifndef P2POOL_JSON_H
#define P2POOL_JSON_H

#include <json-c/json.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting depth allowed in any upstream document. The deepest payload we
 * read (a found_block event) nests 4 levels. */
#define P2POOL_JSON_MAX_DEPTH 16

/* 128-bit unsigned value, as used by P2Pool's difficulty_type. */
typedef struct {
  uint64_t hi;
  uint64_t lo;
} p2pool_u128_t;

/* Parses exactly len bytes as one strict JSON document no deeper than
 * P2POOL_JSON_MAX_DEPTH. On failure writes a reason into err and returns
 * -EINVAL; on success the caller owns *out (json_object_put). */
int p2pool_json_parse(const char *buf, size_t len, json_object **out, char *err,
                      size_t err_size);

/* Parses like p2pool_json_parse, but without JSON_TOKENER_STRICT, for the
 * P2Pool data API, whose numbers strict mode rejects in a few cases. */
int p2pool_json_parse_lenient(const char *buf, size_t len, json_object **out,
                              char *err, size_t err_size);

int p2pool_json_get_object(json_object *obj, const char *key,
                           json_object **out);
int p2pool_json_get_array(json_object *obj, const char *key, json_object **out);
int p2pool_json_get_string(json_object *obj, const char *key, const char **out);
int p2pool_json_get_bool(json_object *obj, const char *key, bool *out);

/* Reads a non-negative JSON integer. Values json-c saturated (UINT64_MAX)
 * and negative values give -ERANGE; doubles give -EINVAL. */
int p2pool_json_get_uint64(json_object *obj, const char *key, uint64_t *out);
int p2pool_json_value_uint64(json_object *value, uint64_t *out);

/* Reads a JSON integer in int64 range. */
int p2pool_json_get_int64(json_object *obj, const char *key, int64_t *out);

/* Reads a finite JSON number (integer or double). */
int p2pool_json_get_double(json_object *obj, const char *key, double *out);
int p2pool_json_value_double(json_object *value, double *out);

/* Reads an observer difficulty: a JSON integer, or a string of up to 32 hex
 * digits with an optional 0x prefix (the 128-bit form). */
int p2pool_json_get_difficulty(json_object *obj, const char *key,
                               p2pool_u128_t *out);
int p2pool_json_value_difficulty(json_object *value, p2pool_u128_t *out);

/* Decodes up to 32 hex digits (optional 0x prefix) into a 128-bit value. */
int p2pool_u128_from_hex(const char *text, p2pool_u128_t *out);

/* Decodes a decimal string of up to 39 digits into a 128-bit value. */
int p2pool_u128_from_decimal(const char *text, p2pool_u128_t *out);

double p2pool_u128_to_double(p2pool_u128_t value);

/* Describes the JSON type of value for log lines ("string", "null", ...). */
const char *p2pool_json_type_name(json_object *value);

#endif /* P2POOL_JSON_H */
