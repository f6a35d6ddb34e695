/*
 * prices_parse.h: exchange-rate requests and responses of CoinGecko and
 * cryptocompare, without collectd.
 *
 * CoinGecko's /api/v3/simple/price returns {"monero":{"eur":287.61,...}}
 * with lower-case currency keys, and cryptocompare's /data/price returns
 * {"EUR":287.64,...} with upper-case keys. Their error bodies differ in shape
 * and in HTTP status (cryptocompare reports most errors with HTTP 200), so
 * the parser classifies each response from its status and body together.
 */
#ifndef P2POOL_PRICES_PARSE_H
#define P2POOL_PRICES_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most currencies one <Prices> block may request. */
#define P2POOL_PRICES_CURRENCIES_MAX 32
/* A currency code is 3 to 10 ASCII letters (ISO 4217 codes, and crypto
 * symbols such as "BTC" or "USDT"). */
#define P2POOL_CURRENCY_MIN_CHARS 3
#define P2POOL_CURRENCY_MAX_CHARS 10
/* Provider text quoted in log lines is cut to this many input bytes. */
#define P2POOL_PRICES_QUOTE_MAX_CHARS 160
/* Room for a quoted message: every byte may become a 4-byte \xNN escape,
 * plus "..." and the NUL. */
#define P2POOL_PRICES_QUOTE_BYTES (4 * P2POOL_PRICES_QUOTE_MAX_CHARS + 4)

typedef enum {
  P2POOL_PRICE_PROVIDER_COINGECKO = 0,
  P2POOL_PRICE_PROVIDER_CRYPTOCOMPARE,
} p2pool_price_provider_t;

/* Classification of one provider response. */
typedef enum {
  /* The response has the price document's shape (see each currency). */
  P2POOL_PRICES_OK = 0,
  /* HTTP 429, cryptocompare's Type 99 body, or CoinGecko's error_code 429. */
  P2POOL_PRICES_RATE_LIMITED,
  /* HTTP 401 or 403: the API key is missing, invalid or not allowed. */
  P2POOL_PRICES_AUTH_ERROR,
  /* An error body of the provider other than the two above. */
  P2POOL_PRICES_PROVIDER_ERROR,
  /* Another non-2xx status, without an error body we know. */
  P2POOL_PRICES_HTTP_ERROR,
  /* HTTP 2xx, but not JSON or not the price document's shape. */
  P2POOL_PRICES_BAD_BODY,
} p2pool_prices_status_t;

/* Content of the response for one requested currency. */
typedef enum {
  P2POOL_PRICE_VALID = 0,
  P2POOL_PRICE_MISSING,      /* the key is absent or null */
  P2POOL_PRICE_NOT_A_NUMBER, /* a string, object, array or boolean */
  P2POOL_PRICE_OUT_OF_RANGE, /* zero, negative or not finite */
} p2pool_price_state_t;

typedef struct {
  p2pool_price_state_t state;
  double price; /* units of the currency per XMR, when state is VALID */
  /* The JSON text of a rejected value, quoted for a log line. */
  char value[P2POOL_PRICES_QUOTE_BYTES];
} p2pool_price_t;

typedef struct {
  p2pool_prices_status_t status;

  /* The provider's error message, quoted for a log line; empty if none. */
  char message[P2POOL_PRICES_QUOTE_BYTES];
  /* cryptocompare's Type, CoinGecko's error_code; valid if has_error_code. */
  bool has_error_code;
  int64_t error_code;
  /* For cryptocompare's rate limit: the first period whose calls reached
   * the limit ("second" ... "month"); empty when the body names none. */
  char limit_period[16];
  uint64_t calls_made;
  uint64_t max_calls;
  /* Why a body was rejected, for BAD_BODY. */
  char reason[128];

  /* One entry per requested currency, in the order requested. */
  p2pool_price_t prices[P2POOL_PRICES_CURRENCIES_MAX];
  size_t prices_num;
  size_t valid_num;
} p2pool_prices_result_t;

/* Parses a Provider option ("coingecko", "cryptocompare", any case).
 * Returns 0 or -EINVAL. */
int p2pool_price_provider_parse(const char *text, p2pool_price_provider_t *out);

/* Lower-case name of a provider, as configured and logged. */
const char *p2pool_price_provider_name(p2pool_price_provider_t provider);

/* Default base URL of a provider's API. */
const char *p2pool_price_provider_default_url(p2pool_price_provider_t provider);

/* Checks a currency code (3 to 10 ASCII letters) and stores its upper-case
 * form in out (P2POOL_CURRENCY_MAX_CHARS + 1 bytes). Returns 0 or -EINVAL. */
int p2pool_currency_normalize(const char *text, char *out, size_t out_size);

/* Writes the request URL for every currency into url: the base URL (any
 * trailing slashes dropped) and the provider's path and query. Currencies
 * are upper-case codes checked by p2pool_currency_normalize. Returns 0,
 * -EINVAL for no currency, or -ENAMETOOLONG when url_size is too small. */
int p2pool_prices_build_url(p2pool_price_provider_t provider,
                            const char *base_url, const char *const *currencies,
                            size_t currencies_num, char *url, size_t url_size);

/* Classifies one response and extracts the price of every requested currency.
 * status is the HTTP status; body may be NULL or empty. Always fills out
 * and returns 0, or -EINVAL when currencies_num is 0 or above
 * P2POOL_PRICES_CURRENCIES_MAX. Nothing but a finite number above zero
 * becomes a VALID price. */
int p2pool_prices_parse(p2pool_price_provider_t provider, long status,
                        const char *body, size_t body_len,
                        const char *const *currencies, size_t currencies_num,
                        p2pool_prices_result_t *out);

/* Copies at most P2POOL_PRICES_QUOTE_MAX_CHARS bytes of text into out for a
 * log line: printable ASCII stays, a backslash or double quote is
 * preceded by a backslash, any other byte becomes \xNN, and a cut text ends
 * with "...". out_size should be P2POOL_PRICES_QUOTE_BYTES. */
void p2pool_prices_quote(const char *text, size_t text_len, char *out,
                         size_t out_size);

#endif /* P2POOL_PRICES_PARSE_H */
