/*
 * prices_parse.c: exchange-rate requests and responses of CoinGecko and
 * cryptocompare, without collectd.
 */
#include "prices_parse.h"

#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* cryptocompare's legacy error Type for "over your rate limit". */
#define CRYPTOCOMPARE_TYPE_RATE_LIMIT 99
/* CoinGecko's error_code for "exceeded the Rate Limit" (the HTTP status). */
#define COINGECKO_ERROR_CODE_RATE_LIMIT 429

/* Room for one quoted byte: "\xNN" and the NUL. */
#define QUOTED_BYTE_BYTES 5

#define HTTP_STATUS_UNAUTHORIZED 401
#define HTTP_STATUS_FORBIDDEN 403
#define HTTP_STATUS_TOO_MANY_REQUESTS 429

/* cryptocompare's RateLimit periods, shortest first. */
static const char *const rate_limit_periods[] = {"second", "minute", "hour",
                                                 "day", "month"};

int p2pool_price_provider_parse(const char *text,
                                p2pool_price_provider_t *out) {
  if (text == NULL)
    return -EINVAL;
  if (strcasecmp(text, "coingecko") == 0) {
    *out = P2POOL_PRICE_PROVIDER_COINGECKO;
    return 0;
  }
  if (strcasecmp(text, "cryptocompare") == 0) {
    *out = P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE;
    return 0;
  }
  return -EINVAL;
}

const char *p2pool_price_provider_name(p2pool_price_provider_t provider) {
  return provider == P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE ? "cryptocompare"
                                                         : "coingecko";
}

const char *
p2pool_price_provider_default_url(p2pool_price_provider_t provider) {
  return provider == P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE
             ? "https://min-api.cryptocompare.com"
             : "https://api.coingecko.com";
}

static bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char ascii_upper(char c) {
  return (char)((c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c);
}

static char ascii_lower(char c) {
  return (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
}

static char fold_case(char c, bool lower) {
  if (lower)
    return ascii_lower(c);
  return c;
}

int p2pool_currency_normalize(const char *text, char *out, size_t out_size) {
  if (text == NULL || out == NULL || out_size == 0)
    return -EINVAL;

  size_t len = strlen(text);
  if (len < P2POOL_CURRENCY_MIN_CHARS || len > P2POOL_CURRENCY_MAX_CHARS ||
      len >= out_size)
    return -EINVAL;

  for (size_t i = 0; i < len; i++) {
    if (!is_ascii_letter(text[i]))
      return -EINVAL;
    out[i] = ascii_upper(text[i]);
  }
  out[len] = '\0';
  return 0;
}

/* Appends text to url, lower-cased if lower is set. */
static int url_append(char *url, size_t url_size, const char *text,
                      bool lower) {
  size_t used = strlen(url);
  size_t len = strlen(text);
  if (used + len >= url_size)
    return -ENAMETOOLONG;

  for (size_t i = 0; i < len; i++)
    url[used + i] = fold_case(text[i], lower);
  url[used + len] = '\0';
  return 0;
}

int p2pool_prices_build_url(p2pool_price_provider_t provider,
                            const char *base_url, const char *const *currencies,
                            size_t currencies_num, char *url, size_t url_size) {
  if (base_url == NULL || url == NULL || url_size == 0 || currencies_num == 0)
    return -EINVAL;

  size_t base_len = strlen(base_url);
  while (base_len > 0 && base_url[base_len - 1] == '/')
    base_len--;
  if (base_len >= url_size)
    return -ENAMETOOLONG;
  memcpy(url, base_url, base_len);
  url[base_len] = '\0';

  /* CoinGecko wants lower-case vs_currencies, cryptocompare upper-case
   * tsyms; both take a comma-separated list. */
  bool coingecko = provider == P2POOL_PRICE_PROVIDER_COINGECKO;
  const char *path = coingecko
                         ? "/api/v3/simple/price?ids=monero&vs_currencies="
                         : "/data/price?fsym=XMR&tsyms=";
  int status = url_append(url, url_size, path, false);

  for (size_t i = 0; status == 0 && i < currencies_num; i++) {
    if (i > 0)
      status = url_append(url, url_size, ",", false);
    if (status == 0)
      status = url_append(url, url_size, currencies[i], coingecko);
  }
  return status;
}

/* Writes one byte of quoted text into piece: itself, preceded by a
 * backslash, or as \xNN. */
static void quote_byte(unsigned char c, char piece[QUOTED_BYTE_BYTES]) {
  if (c == '"' || c == '\\')
    snprintf(piece, QUOTED_BYTE_BYTES, "\\%c", c);
  else if (c >= 0x20 && c < 0x7f)
    snprintf(piece, QUOTED_BYTE_BYTES, "%c", c);
  else
    snprintf(piece, QUOTED_BYTE_BYTES, "\\x%02x", c);
}

void p2pool_prices_quote(const char *text, size_t text_len, char *out,
                         size_t out_size) {
  static const char ellipsis[] = "...";
  if (out == NULL || out_size == 0)
    return;
  out[0] = '\0';
  if (text == NULL || out_size < sizeof(ellipsis))
    return;

  size_t used = 0;
  size_t i = 0;
  for (; i < text_len && i < P2POOL_PRICES_QUOTE_MAX_CHARS; i++) {
    char piece[QUOTED_BYTE_BYTES];
    quote_byte((unsigned char)text[i], piece);
    size_t piece_len = strlen(piece);
    if (used + piece_len + sizeof(ellipsis) > out_size)
      break;
    memcpy(out + used, piece, piece_len);
    used += piece_len;
  }

  if (i < text_len) {
    memcpy(out + used, ellipsis, sizeof(ellipsis) - 1);
    used += sizeof(ellipsis) - 1;
  }
  out[used] = '\0';
}

static void quote_json_string(json_object *value, char *out, size_t out_size) {
  p2pool_prices_quote(json_object_get_string(value),
                      (size_t)json_object_get_string_len(value), out, out_size);
}

static void quote_json_value(json_object *value, char *out, size_t out_size) {
  const char *text =
      json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
  p2pool_prices_quote(text, text != NULL ? strlen(text) : 0, out, out_size);
}

/* Maps an error body to a status from the HTTP status and whether the body
 * itself reports a rate limit. */
static p2pool_prices_status_t error_status(long http_status,
                                           bool body_rate_limited) {
  if (body_rate_limited || http_status == HTTP_STATUS_TOO_MANY_REQUESTS)
    return P2POOL_PRICES_RATE_LIMITED;
  if (http_status == HTTP_STATUS_UNAUTHORIZED ||
      http_status == HTTP_STATUS_FORBIDDEN)
    return P2POOL_PRICES_AUTH_ERROR;
  return P2POOL_PRICES_PROVIDER_ERROR;
}

/* Stores the first period of cryptocompare's RateLimit object whose
 * calls_made reached max_calls. */
static void read_rate_limit(json_object *root, p2pool_prices_result_t *out) {
  json_object *rate_limit = NULL;
  json_object *made = NULL;
  json_object *max = NULL;
  if (p2pool_json_get_object(root, "RateLimit", &rate_limit) != 0 ||
      p2pool_json_get_object(rate_limit, "calls_made", &made) != 0 ||
      p2pool_json_get_object(rate_limit, "max_calls", &max) != 0)
    return;

  size_t periods_num = sizeof(rate_limit_periods) / sizeof(*rate_limit_periods);
  for (size_t i = 0; i < periods_num; i++) {
    uint64_t calls_made = 0;
    uint64_t max_calls = 0;
    if (p2pool_json_get_uint64(made, rate_limit_periods[i], &calls_made) != 0 ||
        p2pool_json_get_uint64(max, rate_limit_periods[i], &max_calls) != 0)
      continue;
    if (calls_made >= max_calls) {
      snprintf(out->limit_period, sizeof(out->limit_period), "%s",
               rate_limit_periods[i]);
      out->calls_made = calls_made;
      out->max_calls = max_calls;
      return;
    }
  }
}

/* cryptocompare's legacy error: {"Response":"Error","Message":...,
 * "Type":N,"RateLimit":{...}}, usually with HTTP 200. Type 99 is the rate
 * limit; other types (1, 2) are request errors with an empty RateLimit. */
static bool read_cryptocompare_error(json_object *root, long http_status,
                                     p2pool_prices_result_t *out) {
  const char *response = NULL;
  if (p2pool_json_get_string(root, "Response", &response) != 0 ||
      strcmp(response, "Error") != 0)
    return false;

  json_object *message = NULL;
  if (json_object_object_get_ex(root, "Message", &message) &&
      json_object_is_type(message, json_type_string))
    quote_json_string(message, out->message, sizeof(out->message));

  int64_t type = 0;
  out->has_error_code = p2pool_json_get_int64(root, "Type", &type) == 0;
  out->error_code = out->has_error_code ? type : 0;

  bool rate_limited =
      out->has_error_code && type == CRYPTOCOMPARE_TYPE_RATE_LIMIT;
  if (rate_limited)
    read_rate_limit(root, out);
  out->status = error_status(http_status, rate_limited);
  return true;
}

/* cryptocompare's (CoinDesk's) newer error: {"Err":{"message":...}}, seen
 * with HTTP 401 "API key required" since 2026-05; "type" is optional. */
static bool read_err_object(json_object *root, long http_status,
                            p2pool_prices_result_t *out) {
  json_object *err = NULL;
  if (p2pool_json_get_object(root, "Err", &err) != 0)
    return false;

  json_object *message = NULL;
  if (json_object_object_get_ex(err, "message", &message) &&
      json_object_is_type(message, json_type_string))
    quote_json_string(message, out->message, sizeof(out->message));

  int64_t type = 0;
  out->has_error_code = p2pool_json_get_int64(err, "type", &type) == 0;
  out->error_code = out->has_error_code ? type : 0;

  out->status = error_status(http_status, false);
  return true;
}

/* CoinGecko's error: {"status":{"error_code":429,"error_message":...}},
 * usually with the same HTTP status, but reported with HTTP 200 too. */
static bool read_coingecko_status(json_object *root, long http_status,
                                  p2pool_prices_result_t *out) {
  json_object *status = NULL;
  if (p2pool_json_get_object(root, "status", &status) != 0)
    return false;

  json_object *message = NULL;
  bool has_message =
      json_object_object_get_ex(status, "error_message", &message) &&
      json_object_is_type(message, json_type_string);
  int64_t code = 0;
  bool has_code = p2pool_json_get_int64(status, "error_code", &code) == 0;
  if (!has_message && !has_code)
    return false;

  if (has_message)
    quote_json_string(message, out->message, sizeof(out->message));
  out->has_error_code = has_code;
  out->error_code = has_code ? code : 0;

  bool rate_limited = has_code && code == COINGECKO_ERROR_CODE_RATE_LIMIT;
  out->status = error_status(http_status, rate_limited);
  return true;
}

/* A plain {"error":"..."} body, which CoinGecko sends for some bad
 * requests. */
static bool read_error_string(json_object *root, long http_status,
                              p2pool_prices_result_t *out) {
  json_object *error = NULL;
  if (!json_object_object_get_ex(root, "error", &error) ||
      !json_object_is_type(error, json_type_string))
    return false;

  quote_json_string(error, out->message, sizeof(out->message));
  out->status = error_status(http_status, false);
  return true;
}

static bool read_error_body(json_object *root, long http_status,
                            p2pool_prices_result_t *out) {
  if (!json_object_is_type(root, json_type_object))
    return false;
  return read_cryptocompare_error(root, http_status, out) ||
         read_err_object(root, http_status, out) ||
         read_coingecko_status(root, http_status, out) ||
         read_error_string(root, http_status, out);
}

/* Classifies a non-2xx response whose body is no known error object. */
static void read_http_error(long http_status, const char *body, size_t body_len,
                            p2pool_prices_result_t *out) {
  if (http_status == HTTP_STATUS_TOO_MANY_REQUESTS)
    out->status = P2POOL_PRICES_RATE_LIMITED;
  else if (http_status == HTTP_STATUS_UNAUTHORIZED ||
           http_status == HTTP_STATUS_FORBIDDEN)
    out->status = P2POOL_PRICES_AUTH_ERROR;
  else
    out->status = P2POOL_PRICES_HTTP_ERROR;

  if (body != NULL)
    p2pool_prices_quote(body, body_len, out->message, sizeof(out->message));
}

static void read_price(json_object *prices, const char *key,
                       p2pool_price_t *price) {
  json_object *value = NULL;
  if (!json_object_object_get_ex(prices, key, &value) || value == NULL) {
    price->state = P2POOL_PRICE_MISSING;
    return;
  }

  double number = 0;
  int status = p2pool_json_value_double(value, &number);
  if (status == -EINVAL) {
    price->state = P2POOL_PRICE_NOT_A_NUMBER;
    quote_json_value(value, price->value, sizeof(price->value));
    return;
  }
  if (status != 0 || !(number > 0)) {
    price->state = P2POOL_PRICE_OUT_OF_RANGE;
    quote_json_value(value, price->value, sizeof(price->value));
    return;
  }

  price->state = P2POOL_PRICE_VALID;
  price->price = number;
}

/* Finds the object that maps currency keys to prices. */
static json_object *find_price_object(p2pool_price_provider_t provider,
                                      json_object *root,
                                      p2pool_prices_result_t *out) {
  if (!json_object_is_type(root, json_type_object)) {
    snprintf(out->reason, sizeof(out->reason),
             "the document is %s, not an object", p2pool_json_type_name(root));
    return NULL;
  }
  if (provider == P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE)
    return root;

  json_object *monero = NULL;
  int status = p2pool_json_get_object(root, "monero", &monero);
  if (status == -ENOENT)
    snprintf(out->reason, sizeof(out->reason), "it has no \"monero\" object");
  else if (status != 0)
    snprintf(out->reason, sizeof(out->reason),
             "\"monero\" is %s, not an object",
             p2pool_json_type_name(json_object_object_get(root, "monero")));
  return status == 0 ? monero : NULL;
}

static void read_prices(p2pool_price_provider_t provider, json_object *prices,
                        const char *const *currencies,
                        p2pool_prices_result_t *out) {
  bool lower = provider == P2POOL_PRICE_PROVIDER_COINGECKO;
  for (size_t i = 0; i < out->prices_num; i++) {
    char key[P2POOL_CURRENCY_MAX_CHARS + 1] = {0};
    size_t len = strlen(currencies[i]);
    for (size_t j = 0; j < len && j < P2POOL_CURRENCY_MAX_CHARS; j++)
      key[j] = fold_case(currencies[i][j], lower);

    read_price(prices, key, &out->prices[i]);
    if (out->prices[i].state == P2POOL_PRICE_VALID)
      out->valid_num++;
  }
}

int p2pool_prices_parse(p2pool_price_provider_t provider, long status,
                        const char *body, size_t body_len,
                        const char *const *currencies, size_t currencies_num,
                        p2pool_prices_result_t *out) {
  if (out == NULL || currencies == NULL || currencies_num == 0 ||
      currencies_num > P2POOL_PRICES_CURRENCIES_MAX)
    return -EINVAL;

  memset(out, 0, sizeof(*out));
  out->prices_num = currencies_num;
  for (size_t i = 0; i < currencies_num; i++)
    out->prices[i].state = P2POOL_PRICE_MISSING;

  json_object *root = NULL;
  char err[96] = "the body is empty";
  bool parsed = body != NULL && body_len > 0 &&
                p2pool_json_parse(body, body_len, &root, err, sizeof(err)) == 0;

  if (parsed && read_error_body(root, status, out))
    goto done;

  if (status < 200 || status > 299) {
    read_http_error(status, body, body_len, out);
    goto done;
  }

  out->status = P2POOL_PRICES_BAD_BODY;
  if (!parsed) {
    snprintf(out->reason, sizeof(out->reason), "it is not JSON: %s", err);
    goto done;
  }

  json_object *prices = find_price_object(provider, root, out);
  if (prices == NULL)
    goto done;

  out->status = P2POOL_PRICES_OK;
  read_prices(provider, prices, currencies, out);

done:
  json_object_put(root);
  return 0;
}
