/*
 * config.c: the <Plugin p2pool> block.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"

#include "config.h"
#include "context.h"
#include "node.h"
#include "notify.h"
#include "prices.h"
#include "state_codec.h"
#include "store.h"

#include <math.h>

#define WALLET_ADDRESS_CHARS 95
#define INTERVAL_MIN_SECONDS 1.0
#define INTERVAL_MAX_SECONDS 86400.0
#define TIMEOUT_MIN_SECONDS 0.1
#define TIMEOUT_MAX_SECONDS 300.0

static const char *const http_schemes[] = {"http", "https", NULL};
static const char *const websocket_schemes[] = {"ws", "wss", NULL};

/* Names of every configured source: they become plugin instances and must
 * not collide. */
static char **claimed_names;
static size_t claimed_names_num;

static bool name_is_claimed(const char *name) {
  for (size_t i = 0; i < claimed_names_num; i++) {
    if (strcmp(claimed_names[i], name) == 0)
      return true;
  }
  return false;
}

static int claim_name(const char *name) {
  char **names =
      realloc(claimed_names, (claimed_names_num + 1) * sizeof(*names));
  if (names == NULL)
    return -ENOMEM;
  claimed_names = names;
  claimed_names[claimed_names_num] = strdup(name);
  if (claimed_names[claimed_names_num] == NULL)
    return -ENOMEM;
  claimed_names_num++;
  return 0;
}

/* Plugin instances the price and raffle figures use. */
static bool name_is_reserved(const char *name) {
  static const char *const reserved[] = {"xmr", "prices", "raffle"};
  for (size_t i = 0; i < STATIC_ARRAY_SIZE(reserved); i++) {
    if (strcmp(name, reserved[i]) == 0)
      return true;
  }
  return false;
}

static bool name_is_valid(const char *name) {
  if (name[0] == '\0')
    return false;
  for (const char *p = name; *p != '\0'; p++) {
    if (*p == '/' || iscntrl((unsigned char)*p))
      return false;
  }
  return true;
}

int p2pool_config_get_name(const oconfig_item_t *ci, const char *kind,
                           char **name) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING) {
    ERROR("p2pool plugin: <%s> needs exactly one string argument, its name.",
          kind);
    return -EINVAL;
  }

  const char *value = ci->values[0].value.string;
  if (!name_is_valid(value)) {
    ERROR("p2pool plugin: <%s \"%s\">: the name must be non-empty and "
          "contain no '/' or control characters.",
          kind, value);
    return -EINVAL;
  }
  if (strlen(value) > P2POOL_NAME_MAX_BYTES) {
    ERROR("p2pool plugin: <%s \"%s\">: the name is %zu bytes long; collectd "
          "allows at most %d.",
          kind, value, strlen(value), P2POOL_NAME_MAX_BYTES);
    return -EINVAL;
  }
  if (name_is_reserved(value)) {
    ERROR("p2pool plugin: <%s \"%s\">: the name is reserved for the "
          "plugin's own figures (prices, raffle); choose another.",
          kind, value);
    return -EINVAL;
  }
  if (name_is_claimed(value)) {
    ERROR("p2pool plugin: <%s \"%s\">: the name is already used by another "
          "block; names label the figures and must be unique.",
          kind, value);
    return -EEXIST;
  }

  *name = strdup(value);
  if (*name == NULL || claim_name(value) != 0)
    return -ENOMEM;
  return 0;
}

/* Names the block an option is in, e.g. "<Observer \"mini\">: ", or "" for
 * an option of <Plugin p2pool> itself. */
static void describe_block(const oconfig_item_t *ci, char *buffer,
                           size_t buffer_size) {
  const oconfig_item_t *parent = ci->parent;
  buffer[0] = '\0';
  if (parent == NULL || strcasecmp(parent->key, "Plugin") == 0)
    return;

  const char *name = "";
  if (parent->values_num > 0 && parent->values[0].type == OCONFIG_TYPE_STRING)
    name = parent->values[0].value.string;
  ssnprintf(buffer, buffer_size, "<%s \"%s\">: ", parent->key, name);
}

int p2pool_config_get_seconds(const oconfig_item_t *ci, double min, double max,
                              cdtime_t *value) {
  char block[DATA_MAX_NAME_LEN + 32];
  describe_block(ci, block, sizeof(block));

  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
    ERROR("p2pool plugin: %s%s needs one number of seconds.", block, ci->key);
    return -EINVAL;
  }

  double seconds = ci->values[0].value.number;
  if (!isfinite(seconds) || seconds < min || seconds > max) {
    ERROR("p2pool plugin: %s%s %g is out of range; it must be between %g and "
          "%g seconds.",
          block, ci->key, seconds, min, max);
    return -ERANGE;
  }
  *value = DOUBLE_TO_CDTIME_T(seconds);
  return 0;
}

static bool scheme_is_allowed(const char *url, const char *const *schemes) {
  for (size_t i = 0; schemes[i] != NULL; i++) {
    size_t len = strlen(schemes[i]);
    if (strncasecmp(url, schemes[i], len) == 0 &&
        strncmp(url + len, "://", 3) == 0 && url[len + 3] != '\0' &&
        url[len + 3] != '/')
      return true;
  }
  return false;
}

int p2pool_config_get_url(const oconfig_item_t *ci, const char *const *schemes,
                          char **url) {
  char *value = NULL;
  int status = cf_util_get_string(ci, &value);
  if (status != 0)
    return status;

  size_t len = strlen(value);
  while (len > 0 && value[len - 1] == '/')
    value[--len] = '\0';

  bool has_space = strpbrk(value, " \t\r\n") != NULL;
  if (!scheme_is_allowed(value, schemes) || has_space ||
      len > P2POOL_URL_MAX_BYTES) {
    char block[DATA_MAX_NAME_LEN + 32];
    describe_block(ci, block, sizeof(block));
    ERROR("p2pool plugin: %s%s \"%s\" is not a valid URL; it must start "
          "with %s:// (or %s://) and name a host.",
          block, ci->key, value, schemes[0],
          schemes[1] ? schemes[1] : schemes[0]);
    sfree(value);
    return -EINVAL;
  }

  sfree(*url);
  *url = value;
  return 0;
}

static bool address_is_valid(const char *address) {
  static const char base58[] =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  if (strlen(address) != WALLET_ADDRESS_CHARS)
    return false;
  if (address[0] != '4' && address[0] != '8')
    return false;
  return strspn(address, base58) == WALLET_ADDRESS_CHARS;
}

static void observer_set_defaults(p2pool_observer_t *observer) {
  observer->events = false;
  observer->event_timeout = P2POOL_DEFAULT_EVENT_TIMEOUT;
  observer->reconcile_interval = P2POOL_DEFAULT_RECONCILE_INTERVAL;
  observer->interval = P2POOL_DEFAULT_OBSERVER_INTERVAL;
  observer->timeout = P2POOL_DEFAULT_OBSERVER_TIMEOUT;
  observer->verify_peer = true;
  observer->verify_host = true;
}

static int observer_config_option(p2pool_observer_t *observer,
                                  oconfig_item_t *child) {
  if (strcasecmp("URL", child->key) == 0)
    return p2pool_config_get_url(child, http_schemes, &observer->url);
  if (strcasecmp("EventsURL", child->key) == 0)
    return p2pool_config_get_url(child, websocket_schemes,
                                 &observer->events_url);
  if (strcasecmp("Events", child->key) == 0)
    return cf_util_get_boolean(child, &observer->events);
  if (strcasecmp("EventTimeout", child->key) == 0)
    return p2pool_config_get_seconds(child, 1.0, INTERVAL_MAX_SECONDS,
                                     &observer->event_timeout);
  if (strcasecmp("Interval", child->key) == 0)
    return p2pool_config_get_seconds(child, INTERVAL_MIN_SECONDS,
                                     INTERVAL_MAX_SECONDS, &observer->interval);
  if (strcasecmp("ReconcileInterval", child->key) == 0)
    return p2pool_config_get_seconds(child, INTERVAL_MIN_SECONDS,
                                     INTERVAL_MAX_SECONDS,
                                     &observer->reconcile_interval);
  if (strcasecmp("Timeout", child->key) == 0)
    return p2pool_config_get_seconds(child, TIMEOUT_MIN_SECONDS,
                                     TIMEOUT_MAX_SECONDS, &observer->timeout);
  if (strcasecmp("UserAgent", child->key) == 0)
    return cf_util_get_string(child, &observer->user_agent);
  if (strcasecmp("VerifyPeer", child->key) == 0)
    return cf_util_get_boolean(child, &observer->verify_peer);
  if (strcasecmp("VerifyHost", child->key) == 0)
    return cf_util_get_boolean(child, &observer->verify_host);
  if (strcasecmp("CACert", child->key) == 0)
    return cf_util_get_string(child, &observer->ca_cert);

  ERROR("p2pool plugin: <Observer \"%s\">: unknown option \"%s\".",
        observer->name, child->key);
  return -EINVAL;
}

/* Derives the websocket URL from the REST URL: http becomes ws, https
 * becomes wss, and /api/events is appended. */
static int observer_derive_events_url(p2pool_observer_t *observer) {
  const char *rest = observer->url;
  const char *scheme = "ws";
  if (strncasecmp(rest, "https://", 8) == 0) {
    scheme = "wss";
    rest += 8;
  } else {
    rest += 7; /* "http://", checked by p2pool_config_get_url */
  }

  observer->events_url = ssnprintf_alloc("%s://%s/api/events", scheme, rest);
  return observer->events_url == NULL ? -ENOMEM : 0;
}

static int observer_validate(p2pool_observer_t *observer) {
  if (observer->url == NULL) {
    ERROR("p2pool plugin: <Observer \"%s\">: URL is missing, e.g. URL "
          "\"https://mini.p2pool.observer\".",
          observer->name);
    return -EINVAL;
  }
  if (observer->timeout > observer->interval) {
    ERROR("p2pool plugin: <Observer \"%s\">: Timeout %.3g s is longer than "
          "Interval %.3g s; a poll must end before the next one starts.",
          observer->name, CDTIME_T_TO_DOUBLE(observer->timeout),
          CDTIME_T_TO_DOUBLE(observer->interval));
    return -EINVAL;
  }
  if (observer->user_agent == NULL) {
    observer->user_agent = strdup("collectd-p2pool/" P2POOL_VERSION);
    if (observer->user_agent == NULL)
      return -ENOMEM;
  } else if (observer->user_agent[0] == '\0') {
    ERROR("p2pool plugin: <Observer \"%s\">: UserAgent must not be empty; "
          "the public observers deny requests without one.",
          observer->name);
    return -EINVAL;
  }
  if (observer->events_url == NULL)
    return observer_derive_events_url(observer);
  return 0;
}

static void observer_free_config(p2pool_observer_t *observer);

static int observer_config(oconfig_item_t *ci) {
  p2pool_observer_t *observer = calloc(1, sizeof(*observer));
  if (observer == NULL)
    return -ENOMEM;
  observer_set_defaults(observer);

  int status = p2pool_config_get_name(ci, "Observer", &observer->name);
  for (int i = 0; status == 0 && i < ci->children_num; i++)
    status = observer_config_option(observer, &ci->children[i]);
  if (status == 0)
    status = observer_validate(observer);

  p2pool_observer_t **observers =
      status == 0 ? realloc(p2pool_g.observers,
                            (p2pool_g.observers_num + 1) * sizeof(*observers))
                  : NULL;
  if (observers == NULL) {
    observer_free_config(observer);
    return status != 0 ? status : -ENOMEM;
  }

  pthread_mutex_init(&observer->lock, NULL);
  p2pool_dispatch_clock_init(&observer->clock);
  observer->sync_initialized = true;

  p2pool_g.observers = observers;
  p2pool_g.observers[p2pool_g.observers_num++] = observer;
  return 0;
}

static int wallet_config_option(p2pool_wallet_t *wallet,
                                oconfig_item_t *child) {
  if (strcasecmp("Address", child->key) == 0) {
    int status = cf_util_get_string(child, &wallet->address);
    if (status == 0 && !address_is_valid(wallet->address)) {
      ERROR("p2pool plugin: <Wallet \"%s\">: Address \"%s\" is not a Monero "
            "address; it must be %d base58 characters starting with 4 "
            "(standard) or 8 (subaddress).",
            wallet->name, wallet->address, WALLET_ADDRESS_CHARS);
      return -EINVAL;
    }
    return status;
  }
  if (strcasecmp("Observer", child->key) == 0)
    return cf_util_get_string(child, &wallet->observer_name);
  if (strcasecmp("Raffle", child->key) == 0)
    return cf_util_get_boolean(child, &wallet->raffle);

  ERROR("p2pool plugin: <Wallet \"%s\">: unknown option \"%s\".", wallet->name,
        child->key);
  return -EINVAL;
}

static void wallet_free(p2pool_wallet_t *wallet) {
  if (wallet == NULL)
    return;
  sfree(wallet->name);
  sfree(wallet->address);
  sfree(wallet->observer_name);
  sfree(wallet);
}

static int wallet_config(oconfig_item_t *ci) {
  p2pool_wallet_t *wallet = calloc(1, sizeof(*wallet));
  if (wallet == NULL)
    return -ENOMEM;

  int status = p2pool_config_get_name(ci, "Wallet", &wallet->name);
  for (int i = 0; status == 0 && i < ci->children_num; i++)
    status = wallet_config_option(wallet, &ci->children[i]);
  if (status == 0 && wallet->address == NULL) {
    ERROR("p2pool plugin: <Wallet \"%s\">: Address is missing.", wallet->name);
    status = -EINVAL;
  }
  if (status == 0 && wallet->observer_name == NULL) {
    ERROR("p2pool plugin: <Wallet \"%s\">: Observer is missing; name the "
          "<Observer> block that watches this wallet.",
          wallet->name);
    status = -EINVAL;
  }

  p2pool_wallet_t **wallets =
      status == 0 ? realloc(p2pool_g.wallets,
                            (p2pool_g.wallets_num + 1) * sizeof(*wallets))
                  : NULL;
  if (wallets == NULL) {
    wallet_free(wallet);
    return status != 0 ? status : -ENOMEM;
  }

  p2pool_g.wallets = wallets;
  p2pool_g.wallets[p2pool_g.wallets_num++] = wallet;
  return 0;
}

static int attach_wallet(p2pool_wallet_t *wallet) {
  p2pool_observer_t *observer = p2pool_find_observer(wallet->observer_name);
  if (observer == NULL) {
    ERROR("p2pool plugin: <Wallet \"%s\">: Observer \"%s\" is not a "
          "configured <Observer> block.",
          wallet->name, wallet->observer_name);
    return -ENOENT;
  }
  if (p2pool_find_wallet_by_address(observer, wallet->address) != NULL) {
    ERROR("p2pool plugin: <Wallet \"%s\">: Address \"%s\" is already watched "
          "on observer \"%s\" by another <Wallet> block.",
          wallet->name, wallet->address, observer->name);
    return -EEXIST;
  }

  p2pool_wallet_t **wallets = realloc(
      observer->wallets, (observer->wallets_num + 1) * sizeof(*wallets));
  if (wallets == NULL)
    return -ENOMEM;
  observer->wallets = wallets;
  observer->wallets[observer->wallets_num++] = wallet;
  wallet->observer = observer;
  return 0;
}

/* Connects every wallet not yet attached to its observer. */
static int attach_wallets(void) {
  for (size_t i = 0; i < p2pool_g.wallets_num; i++) {
    if (p2pool_g.wallets[i]->observer != NULL)
      continue;
    int status = attach_wallet(p2pool_g.wallets[i]);
    if (status != 0)
      return status;
  }
  return 0;
}

static int global_config_option(oconfig_item_t *child) {
  if (strcasecmp("Observer", child->key) == 0)
    return observer_config(child);
  if (strcasecmp("Wallet", child->key) == 0)
    return wallet_config(child);
  if (strcasecmp("Node", child->key) == 0)
    return p2pool_node_config(child);
  if (strcasecmp("Prices", child->key) == 0)
    return p2pool_prices_config(child);
  if (strcasecmp("Redis", child->key) == 0)
    return p2pool_store_config_redis(child);
  if (strcasecmp("StateFile", child->key) == 0)
    return cf_util_get_string(child, &p2pool_g.state_file);
  if (strcasecmp("ShareDroughtFactor", child->key) == 0)
    return p2pool_notify_config_drought_factor(child);
  if (strcasecmp("RaffleURL", child->key) == 0)
    return p2pool_config_get_url(child, http_schemes, &p2pool_g.raffle_url);
  if (strcasecmp("RaffleInterval", child->key) == 0)
    return p2pool_config_get_seconds(child, INTERVAL_MIN_SECONDS,
                                     INTERVAL_MAX_SECONDS,
                                     &p2pool_g.raffle_interval);
  if (strcasecmp("RaffleTimeout", child->key) == 0)
    return p2pool_config_get_seconds(child, TIMEOUT_MIN_SECONDS,
                                     TIMEOUT_MAX_SECONDS,
                                     &p2pool_g.raffle_timeout);

  ERROR("p2pool plugin: unknown option \"%s\" in <Plugin p2pool>.", child->key);
  return -EINVAL;
}

static int validate_wallet_count(void) {
  if (p2pool_g.wallets_num <= P2POOL_STATE_WALLETS_MAX)
    return 0;
  ERROR("p2pool plugin: %zu <Wallet> blocks are configured; one collectd "
        "keeps state for at most %d. Split them over several hosts.",
        p2pool_g.wallets_num, P2POOL_STATE_WALLETS_MAX);
  return -E2BIG;
}

static int validate_raffle_options(void) {
  cdtime_t interval = p2pool_g.raffle_interval != 0
                          ? p2pool_g.raffle_interval
                          : P2POOL_DEFAULT_RAFFLE_INTERVAL;
  cdtime_t timeout = p2pool_g.raffle_timeout != 0
                         ? p2pool_g.raffle_timeout
                         : P2POOL_DEFAULT_RAFFLE_TIMEOUT;
  if (timeout <= interval)
    return 0;

  ERROR("p2pool plugin: RaffleTimeout %.3g s is longer than RaffleInterval "
        "%.3g s; a raffle read must end before the next one starts.",
        CDTIME_T_TO_DOUBLE(timeout), CDTIME_T_TO_DOUBLE(interval));
  return -EINVAL;
}

int p2pool_config(oconfig_item_t *ci) {
  int status = 0;
  for (int i = 0; status == 0 && i < ci->children_num; i++)
    status = global_config_option(&ci->children[i]);
  if (status == 0)
    status = attach_wallets();
  if (status == 0)
    status = validate_raffle_options();
  if (status == 0)
    status = validate_wallet_count();

  if (status != 0) {
    ERROR("p2pool plugin: the configuration is invalid (see above); "
          "collectd will not start.");
    return -1;
  }
  return 0;
}

static void observer_free_config(p2pool_observer_t *observer) {
  if (observer == NULL)
    return;
  sfree(observer->name);
  sfree(observer->url);
  sfree(observer->events_url);
  sfree(observer->user_agent);
  sfree(observer->ca_cert);
  sfree(observer->wallets);
  if (observer->sync_initialized) {
    pthread_mutex_destroy(&observer->lock);
    p2pool_dispatch_clock_destroy(&observer->clock);
  }
  sfree(observer);
}

void p2pool_config_free(void) {
  for (size_t i = 0; i < p2pool_g.observers_num; i++)
    observer_free_config(p2pool_g.observers[i]);
  sfree(p2pool_g.observers);
  p2pool_g.observers_num = 0;

  for (size_t i = 0; i < p2pool_g.wallets_num; i++)
    wallet_free(p2pool_g.wallets[i]);
  sfree(p2pool_g.wallets);
  p2pool_g.wallets_num = 0;

  sfree(p2pool_g.state_file);
  sfree(p2pool_g.raffle_url);

  for (size_t i = 0; i < claimed_names_num; i++)
    sfree(claimed_names[i]);
  sfree(claimed_names);
  claimed_names_num = 0;
}

p2pool_observer_t *p2pool_find_observer(const char *name) {
  for (size_t i = 0; i < p2pool_g.observers_num; i++) {
    if (strcmp(p2pool_g.observers[i]->name, name) == 0)
      return p2pool_g.observers[i];
  }
  return NULL;
}

p2pool_wallet_t *p2pool_find_wallet_by_address(p2pool_observer_t *observer,
                                               const char *address) {
  for (size_t i = 0; i < observer->wallets_num; i++) {
    if (strcmp(observer->wallets[i]->address, address) == 0)
      return observer->wallets[i];
  }
  return NULL;
}
