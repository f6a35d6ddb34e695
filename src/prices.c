/*
 * prices.c: the <Prices> block: XMR exchange rates from CoinGecko or
 * cryptocompare.
 *
 * Once per Interval the read callback kicks a worker thread, which sends
 * one request for every configured currency and dispatches, per currency,
 * the last good price (type "price", plugin instance "xmr", type instance
 * the lower-case currency code) and its age. Request health goes out under
 * plugin instance "prices". After an HTTP 429 with a Retry-After header no
 * request is sent until that delay has passed. Only the worker thread
 * touches the run-time fields, so they need no lock.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"
#include "utils_complain.h"

#include "config.h"
#include "prices.h"
#include "prices_parse.h"
#include "worker.h"

#include <string.h>

#define PRICES_DEFAULT_INTERVAL TIME_T_TO_CDTIME_T(300)
#define PRICES_DEFAULT_TIMEOUT TIME_T_TO_CDTIME_T(10)
#define PRICES_INTERVAL_MIN_SECONDS 1.0
#define PRICES_INTERVAL_MAX_SECONDS 86400.0
#define PRICES_TIMEOUT_MIN_SECONDS 0.1
#define PRICES_TIMEOUT_MAX_SECONDS 300.0
/* Longest Retry-After honoured; a longer one is cut to this. */
#define PRICES_RETRY_AFTER_MAX_SECONDS 86400
/* Price documents are a few hundred bytes. */
#define PRICES_BODY_MAX_BYTES ((size_t)64 * 1024)
#define PRICES_API_KEY_MAX_BYTES 512

#define PRICES_PLUGIN_INSTANCE "xmr"
#define PRICES_HEALTH_INSTANCE "prices"
#define PRICES_ENDPOINT "price"

struct p2pool_prices_s {
  /* Configuration. */
  p2pool_price_provider_t provider;
  char *url;     /* base URL without a trailing slash */
  char *api_key; /* NULL: none; never logged */
  char currencies[P2POOL_PRICES_CURRENCIES_MAX][P2POOL_CURRENCY_MAX_CHARS + 1];
  const char *currency_list[P2POOL_PRICES_CURRENCIES_MAX];
  size_t currencies_num;
  cdtime_t interval;
  cdtime_t timeout;
  char *user_agent;
  bool verify_peer;
  bool verify_host;
  char *ca_cert;

  /* Run time, used by the worker thread only, except the worker itself and
   * busy_complaint, which belong to the read callback. */
  p2pool_worker_t *worker;
  c_complain_t busy_complaint;
  p2pool_http_client_t *http;
  struct curl_slist *headers; /* contains the API key */
  p2pool_http_request_t request;
  cdtime_t retry_after_end; /* no request before this time */
  c_complain_t complaint;
  c_complain_t currency_complaints[P2POOL_PRICES_CURRENCIES_MAX];

  /* Last good price per currency, and when it arrived. */
  double prices[P2POOL_PRICES_CURRENCIES_MAX];
  cdtime_t price_times[P2POOL_PRICES_CURRENCIES_MAX]; /* 0: none yet */
  uint64_t rate_limits;
  p2pool_health_t health;
  p2pool_dispatch_clock_t clock;
};

/* Frees a prices object. The API key is wiped before its memory is
 * released. */
static void prices_free(p2pool_prices_t *prices) {
  if (prices == NULL)
    return;

  p2pool_worker_free(prices->worker);
  p2pool_http_request_reset(&prices->request);
  p2pool_http_client_destroy(prices->http);
  p2pool_dispatch_clock_destroy(&prices->clock);
  curl_slist_free_all(prices->headers);
  if (prices->api_key != NULL)
    explicit_bzero(prices->api_key, strlen(prices->api_key));
  sfree(prices->api_key);
  sfree(prices->url);
  sfree(prices->user_agent);
  sfree(prices->ca_cert);
  sfree(prices);
}

/* Adds the currencies of one Currency option. */
static int config_add_currencies(p2pool_prices_t *prices,
                                 const oconfig_item_t *ci) {
  if (ci->values_num < 1) {
    ERROR("p2pool plugin: <Prices>: Currency needs one or more currency "
          "codes, e.g. Currency \"EUR\" \"USD\".");
    return -EINVAL;
  }

  for (int i = 0; i < ci->values_num; i++) {
    const oconfig_value_t *value = &ci->values[i];
    if (value->type != OCONFIG_TYPE_STRING) {
      ERROR("p2pool plugin: <Prices>: Currency takes quoted currency codes, "
            "e.g. Currency \"EUR\".");
      return -EINVAL;
    }

    char code[P2POOL_CURRENCY_MAX_CHARS + 1];
    if (p2pool_currency_normalize(value->value.string, code, sizeof(code)) !=
        0) {
      ERROR("p2pool plugin: <Prices>: Currency \"%s\" is invalid; a currency "
            "code is %d to %d letters, e.g. \"EUR\".",
            value->value.string, P2POOL_CURRENCY_MIN_CHARS,
            P2POOL_CURRENCY_MAX_CHARS);
      return -EINVAL;
    }
    for (size_t j = 0; j < prices->currencies_num; j++) {
      if (strcmp(prices->currencies[j], code) == 0) {
        ERROR("p2pool plugin: <Prices>: Currency \"%s\" is listed twice.",
              value->value.string);
        return -EINVAL;
      }
    }
    if (prices->currencies_num >= P2POOL_PRICES_CURRENCIES_MAX) {
      ERROR("p2pool plugin: <Prices>: more than %d currencies; remove some.",
            P2POOL_PRICES_CURRENCIES_MAX);
      return -EINVAL;
    }

    sstrncpy(prices->currencies[prices->currencies_num], code,
             sizeof(prices->currencies[0]));
    prices->currency_list[prices->currencies_num] =
        prices->currencies[prices->currencies_num];
    prices->currencies_num++;
  }
  return 0;
}

static int config_get_provider(p2pool_prices_t *prices,
                               const oconfig_item_t *ci) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING ||
      p2pool_price_provider_parse(ci->values[0].value.string,
                                  &prices->provider) != 0) {
    ERROR("p2pool plugin: <Prices>: Provider must be \"coingecko\" or "
          "\"cryptocompare\".");
    return -EINVAL;
  }
  return 0;
}

/* Reads APIKey. The key goes into an HTTP header, so it must be printable
 * ASCII without spaces. Its value is never logged. */
static int config_get_api_key(p2pool_prices_t *prices,
                              const oconfig_item_t *ci) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING) {
    ERROR("p2pool plugin: <Prices>: APIKey needs one quoted string.");
    return -EINVAL;
  }

  const char *key = ci->values[0].value.string;
  size_t len = strlen(key);
  bool printable = len > 0 && len <= PRICES_API_KEY_MAX_BYTES;
  for (size_t i = 0; printable && i < len; i++)
    printable = key[i] > 0x20 && key[i] < 0x7f;
  if (!printable) {
    ERROR("p2pool plugin: <Prices>: APIKey is invalid: it must be 1 to %d "
          "printable ASCII characters without spaces.",
          PRICES_API_KEY_MAX_BYTES);
    return -EINVAL;
  }

  if (prices->api_key != NULL)
    explicit_bzero(prices->api_key, strlen(prices->api_key));
  sfree(prices->api_key);
  prices->api_key = strdup(key);
  return prices->api_key == NULL ? -ENOMEM : 0;
}

static int config_option(p2pool_prices_t *prices, oconfig_item_t *child) {
  static const char *const http_schemes[] = {"http", "https", NULL};

  if (strcasecmp("Provider", child->key) == 0)
    return config_get_provider(prices, child);
  if (strcasecmp("Currency", child->key) == 0)
    return config_add_currencies(prices, child);
  if (strcasecmp("URL", child->key) == 0)
    return p2pool_config_get_url(child, http_schemes, &prices->url);
  if (strcasecmp("APIKey", child->key) == 0)
    return config_get_api_key(prices, child);
  if (strcasecmp("Interval", child->key) == 0)
    return p2pool_config_get_seconds(child, PRICES_INTERVAL_MIN_SECONDS,
                                     PRICES_INTERVAL_MAX_SECONDS,
                                     &prices->interval);
  if (strcasecmp("Timeout", child->key) == 0)
    return p2pool_config_get_seconds(child, PRICES_TIMEOUT_MIN_SECONDS,
                                     PRICES_TIMEOUT_MAX_SECONDS,
                                     &prices->timeout);
  if (strcasecmp("UserAgent", child->key) == 0)
    return cf_util_get_string(child, &prices->user_agent);
  if (strcasecmp("VerifyPeer", child->key) == 0)
    return cf_util_get_boolean(child, &prices->verify_peer);
  if (strcasecmp("VerifyHost", child->key) == 0)
    return cf_util_get_boolean(child, &prices->verify_host);
  if (strcasecmp("CACert", child->key) == 0)
    return cf_util_get_string(child, &prices->ca_cert);

  ERROR("p2pool plugin: <Prices>: unknown option \"%s\".", child->key);
  return -EINVAL;
}

static int config_validate(p2pool_prices_t *prices) {
  if (prices->currencies_num == 0) {
    ERROR("p2pool plugin: <Prices>: Currency is missing, e.g. Currency "
          "\"EUR\" \"USD\".");
    return -EINVAL;
  }
  if (prices->provider == P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE &&
      prices->api_key == NULL) {
    ERROR("p2pool plugin: <Prices>: Provider \"cryptocompare\" needs APIKey: "
          "it rejects every request without a key with HTTP 401 since "
          "2026-05. Set APIKey, or use Provider \"coingecko\".");
    return -EINVAL;
  }
  if (prices->timeout > prices->interval) {
    ERROR("p2pool plugin: <Prices>: Timeout %.3g s is longer than Interval "
          "%.3g s; a request must end before the next one starts.",
          CDTIME_T_TO_DOUBLE(prices->timeout),
          CDTIME_T_TO_DOUBLE(prices->interval));
    return -EINVAL;
  }
  if (prices->user_agent != NULL && prices->user_agent[0] == '\0') {
    ERROR("p2pool plugin: <Prices>: UserAgent must not be empty.");
    return -EINVAL;
  }

  if (prices->url == NULL)
    prices->url = strdup(p2pool_price_provider_default_url(prices->provider));
  if (prices->user_agent == NULL)
    prices->user_agent = strdup("collectd-p2pool/" P2POOL_VERSION);
  return prices->url == NULL || prices->user_agent == NULL ? -ENOMEM : 0;
}

int p2pool_prices_config(oconfig_item_t *ci) {
  if (p2pool_g.prices != NULL) {
    ERROR("p2pool plugin: only one <Prices> block is allowed.");
    return -EINVAL;
  }
  if (ci->values_num != 0) {
    ERROR("p2pool plugin: <Prices> takes no argument.");
    return -EINVAL;
  }

  p2pool_prices_t *prices = calloc(1, sizeof(*prices));
  if (prices == NULL)
    return -ENOMEM;
  prices->provider = P2POOL_PRICE_PROVIDER_COINGECKO;
  prices->interval = PRICES_DEFAULT_INTERVAL;
  prices->timeout = PRICES_DEFAULT_TIMEOUT;
  prices->verify_peer = true;
  prices->verify_host = true;
  p2pool_dispatch_clock_init(&prices->clock);

  int status = 0;
  for (int i = 0; status == 0 && i < ci->children_num; i++)
    status = config_option(prices, &ci->children[i]);
  if (status == 0)
    status = config_validate(prices);

  if (status != 0) {
    prices_free(prices);
    return status;
  }
  p2pool_g.prices = prices;
  return 0;
}

/* Builds the header that carries the API key: CoinGecko's demo key header,
 * or cryptocompare's "authorization: Apikey <key>". */
static int build_headers(p2pool_prices_t *prices) {
  if (prices->api_key == NULL)
    return 0;

  const char *format = prices->provider == P2POOL_PRICE_PROVIDER_COINGECKO
                           ? "x-cg-demo-api-key: %s"
                           : "authorization: Apikey %s";
  char header[PRICES_API_KEY_MAX_BYTES + 64];
  ssnprintf(header, sizeof(header), format, prices->api_key);
  prices->headers = curl_slist_append(NULL, header);
  explicit_bzero(header, sizeof(header));
  return prices->headers == NULL ? -ENOMEM : 0;
}

/* Logs a currency the response had no price for, once per complaint
 * interval. */
static void complain_currency(p2pool_prices_t *prices, size_t i,
                              const p2pool_price_t *price) {
  const char *provider = p2pool_price_provider_name(prices->provider);
  const char *currency = prices->currencies[i];
  c_complain_t *complaint = &prices->currency_complaints[i];

  if (price->state == P2POOL_PRICE_MISSING)
    c_complain(LOG_WARNING, complaint,
               "p2pool plugin: prices: %s returned no XMR price in %s; "
               "keeping the last %s price and retrying every %.0f s.",
               provider, currency, currency,
               CDTIME_T_TO_DOUBLE(prices->interval));
  else
    c_complain(LOG_WARNING, complaint,
               "p2pool plugin: prices: %s returned \"%s\" as the XMR price in "
               "%s, which is %s; keeping the last %s price and retrying every "
               "%.0f s.",
               provider, price->value, currency,
               price->state == P2POOL_PRICE_NOT_A_NUMBER
                   ? "not a number"
                   : "not a positive finite number",
               currency, CDTIME_T_TO_DOUBLE(prices->interval));
}

/* Stores the valid prices of a response. Returns how many there were. */
static size_t apply_prices(p2pool_prices_t *prices,
                           const p2pool_prices_result_t *result, cdtime_t now) {
  for (size_t i = 0; i < result->prices_num; i++) {
    const p2pool_price_t *price = &result->prices[i];
    if (price->state != P2POOL_PRICE_VALID) {
      complain_currency(prices, i, price);
      continue;
    }
    prices->prices[i] = price->price;
    prices->price_times[i] = now;
    c_release(LOG_INFO, &prices->currency_complaints[i],
              "p2pool plugin: prices: %s returns an XMR price in %s again.",
              p2pool_price_provider_name(prices->provider),
              prices->currencies[i]);
  }
  return result->valid_num;
}

/* Starts skipping requests for the delay in a rate-limited response's
 * Retry-After header. Returns the seconds skipped, 0 if none. */
static long start_retry_after(p2pool_prices_t *prices, cdtime_t now) {
  long seconds = prices->request.retry_after_seconds;
  if (seconds <= 0)
    return 0;
  if (seconds > PRICES_RETRY_AFTER_MAX_SECONDS)
    seconds = PRICES_RETRY_AFTER_MAX_SECONDS;
  prices->retry_after_end = now + TIME_T_TO_CDTIME_T(seconds);
  return seconds;
}

/* Writes what happens next after a failed request into next. */
static void describe_next(const p2pool_prices_t *prices, long skip_seconds,
                          char *next, size_t next_size) {
  if (skip_seconds > 0)
    ssnprintf(next, next_size,
              "keeping the last prices and sending no request for %ld s, as "
              "its Retry-After header requests",
              skip_seconds);
  else
    ssnprintf(next, next_size, "keeping the last prices and retrying in %.0f s",
              CDTIME_T_TO_DOUBLE(prices->interval));
}

/* Writes ", Type N" (cryptocompare) or ", error_code N" (CoinGecko) into
 * code, or nothing when the response carried no code. */
static void format_error_code(const p2pool_prices_t *prices,
                              const p2pool_prices_result_t *result, char *code,
                              size_t code_size) {
  code[0] = '\0';
  if (!result->has_error_code)
    return;
  ssnprintf(code, code_size, ", %s %" PRId64,
            prices->provider == P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE
                ? "Type"
                : "error_code",
            result->error_code);
}

/* Logs a rate-limited response, naming cryptocompare's exhausted period. */
static void complain_rate_limited(p2pool_prices_t *prices,
                                  const p2pool_prices_result_t *result,
                                  const char *next) {
  char limit[128] = "";
  if (result->limit_period[0] != '\0')
    ssnprintf(limit, sizeof(limit),
              ", %" PRIu64 " of %" PRIu64 " calls this %s", result->calls_made,
              result->max_calls, result->limit_period);
  char code[48];
  format_error_code(prices, result, code, sizeof(code));

  c_complain(LOG_WARNING, &prices->complaint,
             "p2pool plugin: prices: %s rate-limited the request (HTTP "
             "%ld%s%s: \"%s\"); %s.",
             p2pool_price_provider_name(prices->provider),
             prices->request.status, code, limit, result->message, next);
}

/* Logs a response that carried no price, with the provider's message. */
static void complain_result(p2pool_prices_t *prices,
                            const p2pool_prices_result_t *result,
                            const char *next) {
  const char *provider = p2pool_price_provider_name(prices->provider);
  long status = prices->request.status;
  char code[48];
  format_error_code(prices, result, code, sizeof(code));

  switch (result->status) {
  case P2POOL_PRICES_RATE_LIMITED:
    complain_rate_limited(prices, result, next);
    break;
  case P2POOL_PRICES_AUTH_ERROR:
    c_complain(LOG_ERR, &prices->complaint,
               "p2pool plugin: prices: %s %s (HTTP %ld%s: \"%s\"); check "
               "APIKey; %s.",
               provider,
               prices->api_key == NULL ? "requires an API key"
                                       : "rejected the API key",
               status, code, result->message, next);
    break;
  case P2POOL_PRICES_PROVIDER_ERROR:
    c_complain(LOG_WARNING, &prices->complaint,
               "p2pool plugin: prices: %s returned an error that is not a "
               "rate limit (HTTP %ld%s: \"%s\"); %s.",
               provider, status, code, result->message, next);
    break;
  case P2POOL_PRICES_HTTP_ERROR:
    c_complain(LOG_WARNING, &prices->complaint,
               "p2pool plugin: prices: %s returned HTTP %ld (\"%s\"); %s.",
               provider, status, result->message, next);
    break;
  case P2POOL_PRICES_BAD_BODY:
    c_complain(LOG_WARNING, &prices->complaint,
               "p2pool plugin: prices: %s returned an unusable response (HTTP "
               "%ld): %s; %s.",
               provider, status, result->reason, next);
    break;
  case P2POOL_PRICES_OK:
    c_complain(LOG_WARNING, &prices->complaint,
               "p2pool plugin: prices: %s returned no price for any "
               "configured currency; %s.",
               provider, next);
    break;
  }
}

/* Sets the request's health outcome from the parsed response. An
 * error body that came with HTTP 200 is an http_error, not a success. */
static void classify_result(p2pool_http_request_t *request,
                            const p2pool_prices_result_t *result) {
  switch (result->status) {
  case P2POOL_PRICES_OK:
    request->outcome =
        result->valid_num > 0 ? P2POOL_OUTCOME_OK : P2POOL_OUTCOME_BAD_BODY;
    break;
  case P2POOL_PRICES_BAD_BODY:
    if (request->outcome == P2POOL_OUTCOME_OK)
      request->outcome = P2POOL_OUTCOME_BAD_BODY;
    break;
  case P2POOL_PRICES_RATE_LIMITED:
    request->outcome = P2POOL_OUTCOME_HTTP_ERROR;
    break;
  default:
    if (request->outcome == P2POOL_OUTCOME_OK)
      request->outcome = P2POOL_OUTCOME_HTTP_ERROR;
    break;
  }
}

/* Handles a response that arrived in full. */
static void handle_response(p2pool_prices_t *prices, cdtime_t now) {
  p2pool_http_request_t *request = &prices->request;
  p2pool_prices_result_t result;
  p2pool_prices_parse(prices->provider, request->status, request->body,
                      request->body_len, prices->currency_list,
                      prices->currencies_num, &result);
  classify_result(request, &result);

  size_t valid = result.status == P2POOL_PRICES_OK
                     ? apply_prices(prices, &result, now)
                     : 0;
  if (valid > 0) {
    c_release(LOG_INFO, &prices->complaint,
              "p2pool plugin: prices: %s returns prices again.",
              p2pool_price_provider_name(prices->provider));
    return;
  }

  long skip_seconds = 0;
  if (result.status == P2POOL_PRICES_RATE_LIMITED) {
    prices->rate_limits++;
    skip_seconds = start_retry_after(prices, now);
  }
  char next[128];
  describe_next(prices, skip_seconds, next, sizeof(next));
  complain_result(prices, &result, next);
}

/* Sends the request and stores the prices of its response. Returns 0, or
 * -EINTR when shutdown cut the request short: it is then neither counted
 * nor logged. */
static int fetch_prices(p2pool_prices_t *prices, cdtime_t now) {
  p2pool_http_request_t *request = &prices->request;
  p2pool_http_request_t *list[] = {request};

  int status = p2pool_http_run(prices->http, list, 1,
                               (long)CDTIME_T_TO_MS(prices->timeout));
  if (status == -EINTR) {
    p2pool_http_request_reset(request);
    return -EINTR;
  }
  if (status == -ENOMEM) {
    ERROR("p2pool plugin: prices: out of memory while sending the request; "
          "retrying in %.0f s.",
          CDTIME_T_TO_DOUBLE(prices->interval));
    return 0;
  }

  if (request->curl_code == CURLE_OK && !request->body_too_large)
    handle_response(prices, now);
  else
    c_complain(LOG_WARNING, &prices->complaint,
               "p2pool plugin: prices: the request to %s failed (%s: %s); "
               "keeping the last prices and retrying in %.0f s.",
               prices->url, p2pool_outcome_name(request->outcome),
               request->body_too_large ? "response too large" : request->error,
               CDTIME_T_TO_DOUBLE(prices->interval));

  p2pool_health_record(&prices->health, request);
  p2pool_http_request_reset(request);
  return 0;
}

static void dispatch_prices(p2pool_prices_t *prices) {
  p2pool_batch_t batch;

  p2pool_batch_begin(&batch, &prices->clock, PRICES_PLUGIN_INSTANCE,
                     prices->interval);
  for (size_t i = 0; i < prices->currencies_num; i++) {
    if (prices->price_times[i] == 0)
      continue;
    /* Type instances are lower-case, like CoinGecko's currency keys. */
    char currency[P2POOL_CURRENCY_MAX_CHARS + 1];
    sstrncpy(currency, prices->currencies[i], sizeof(currency));
    for (char *c = currency; *c != '\0'; c++)
      *c = (char)tolower((unsigned char)*c);

    double age = CDTIME_T_TO_DOUBLE(batch.time - prices->price_times[i]);
    p2pool_submit_gauge(&batch, "price", currency, prices->prices[i]);
    p2pool_submit_gauge(&batch, "price_age_seconds", currency, age);
  }
  p2pool_batch_end(&batch);

  p2pool_batch_begin(&batch, &prices->clock, PRICES_HEALTH_INSTANCE,
                     prices->interval);
  p2pool_submit_health(&batch, &prices->health);
  p2pool_submit_derive(&batch, "rate_limits", NULL,
                       (derive_t)prices->rate_limits);
  p2pool_batch_end(&batch);
}

/* One run of the worker thread: the request, unless a Retry-After delay
 * is running, then the figures. */
static void prices_work(void *arg) {
  p2pool_prices_t *prices = arg;
  cdtime_t now = cdtime();

  if (now >= prices->retry_after_end && fetch_prices(prices, now) == -EINTR)
    return; /* shutting down */
  dispatch_prices(prices);
}

/* The read callback: kicks the worker, or notes that it is still busy. */
static int prices_read(user_data_t *user_data) {
  p2pool_prices_t *prices = user_data->data;

  if (p2pool_worker_kick(prices->worker) == -EBUSY)
    c_complain(LOG_WARNING, &prices->busy_complaint,
               "p2pool plugin: prices: the previous request is still "
               "running; skipping this interval.");
  else
    c_release(LOG_INFO, &prices->busy_complaint,
              "p2pool plugin: prices: requests finish within the interval "
              "again.");
  return 0;
}

int p2pool_prices_init(void) {
  p2pool_prices_t *prices = p2pool_g.prices;
  if (prices == NULL)
    return 0;

  p2pool_http_options_t options = {
      .user_agent = prices->user_agent,
      .verify_peer = prices->verify_peer,
      .verify_host = prices->verify_host,
      .ca_cert = prices->ca_cert,
      .body_max_bytes = PRICES_BODY_MAX_BYTES,
  };
  prices->http = p2pool_http_client_create(&options);
  if (prices->http == NULL || build_headers(prices) != 0) {
    ERROR("p2pool plugin: prices: out of memory while starting.");
    return -ENOMEM;
  }

  p2pool_http_request_t *request = &prices->request;
  if (p2pool_prices_build_url(prices->provider, prices->url,
                              prices->currency_list, prices->currencies_num,
                              request->url, sizeof(request->url)) != 0) {
    ERROR("p2pool plugin: <Prices>: URL \"%s\" is too long.", prices->url);
    return -ENAMETOOLONG;
  }
  request->endpoint = PRICES_ENDPOINT;
  request->headers = prices->headers;

  C_COMPLAIN_INIT(&prices->complaint);
  C_COMPLAIN_INIT(&prices->busy_complaint);
  for (size_t i = 0; i < prices->currencies_num; i++)
    C_COMPLAIN_INIT(&prices->currency_complaints[i]);

  int status = p2pool_worker_start(&prices->worker, "p2pool prices",
                                   prices_work, prices, prices->http);
  if (status != 0) {
    ERROR("p2pool plugin: prices: starting the worker thread failed: %s.",
          STRERROR(-status));
    return status;
  }

  status = plugin_register_complex_read("p2pool", "p2pool/prices", prices_read,
                                        prices->interval,
                                        &(user_data_t){.data = prices});
  if (status != 0) {
    ERROR("p2pool plugin: prices: registering the read callback failed "
          "(status %d).",
          status);
    return -EIO;
  }

  INFO("p2pool plugin: prices: requesting XMR prices from %s at %s every "
       "%.0f s%s.",
       p2pool_price_provider_name(prices->provider), request->url,
       CDTIME_T_TO_DOUBLE(prices->interval),
       prices->api_key != NULL ? " with an API key" : "");
  return 0;
}

void p2pool_prices_stop(void) {
  if (p2pool_g.prices != NULL)
    p2pool_worker_stop(p2pool_g.prices->worker);
}

void p2pool_prices_shutdown(void) {
  p2pool_prices_t *prices = p2pool_g.prices;
  if (prices == NULL)
    return;

  prices_free(prices);
  p2pool_g.prices = NULL;
}
