/*
 * notify_rules.h: when the plugin raises and clears its collectd
 * notifications, and how their messages show amounts and durations.
 *
 * A share drought starts when a wallet has found no share for longer than a
 * factor times the expected time between its shares, and ends with its next
 * share. An observer turns blocked when a poll gets a bot-filter page, and
 * recovers when a later poll gets real responses and no such page. Pure
 * logic without collectd: the callers hold the lock that guards the state.
 */
#ifndef P2POOL_NOTIFY_RULES_H
#define P2POOL_NOTIFY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default of ShareDroughtFactor. Shares arrive as a Poisson process, so
 * a healthy miner goes k expected intervals without a share with
 * probability e^-k: about 0.25 % for 6. */
#define P2POOL_DROUGHT_FACTOR_DEFAULT 6.0

/* Poll intervals a drought lasts at least: the last share time is only as
 * fresh as the last poll, so a shorter threshold would fire between polls
 * for a miner whose shares come faster than the observer is polled. */
#define P2POOL_DROUGHT_MIN_INTERVALS 3.0

typedef enum {
  P2POOL_TRANSITION_NONE = 0,
  P2POOL_TRANSITION_BEGIN, /* the condition started: send a warning */
  P2POOL_TRANSITION_END,   /* the condition ended: send OKAY */
} p2pool_transition_t;

/* Share drought state of one wallet. */
typedef struct {
  bool active;               /* a drought was announced and has not ended */
  double reference_hashrate; /* H/s: the last positive window hashrate */
  uint64_t last_share_time;  /* Unix s, as seen by the previous check */
  double expected_seconds;   /* between shares; 0 while unknown */
} p2pool_drought_t;

typedef struct {
  double hashrate;          /* H/s over the PPLNS window; 0 or NaN: unknown */
  uint64_t side_difficulty; /* the side chain's; 0 while unknown */
  uint64_t last_share_time; /* Unix s; 0 when the wallet has no share */
  double now;               /* Unix s */
  double factor;            /* ShareDroughtFactor; 0 turns checks off */
  double min_threshold_seconds;
} p2pool_drought_input_t;

/* Figures of the last check, for the notification's message. */
typedef struct {
  double age_seconds;       /* since the last share */
  double expected_seconds;  /* between shares at the reference hashrate */
  double threshold_seconds; /* age at which the drought starts */
} p2pool_drought_figures_t;

/* Updates a wallet's drought state after a poll and returns whether a
 * drought began or ended. The expected time between shares is the side chain
 * difficulty divided by the wallet's hashrate. When the hashrate drops to 0
 * (the window contains no share of the wallet) the last positive hashrate stays
 * the reference, so a long drought remains visible. A drought ends only with
 * a newer share that is not itself overdue, never because the threshold
 * moved. */
p2pool_transition_t p2pool_drought_check(p2pool_drought_t *drought,
                                         const p2pool_drought_input_t *input,
                                         p2pool_drought_figures_t *figures);

/* Payout totals of one wallet as the previous check saw them. */
typedef struct {
  bool primed;     /* totals recorded at least once */
  uint64_t count;  /* lifetime payouts */
  uint64_t amount; /* lifetime atomic units */
} p2pool_payout_watch_t;

/* Compares a wallet's lifetime payout totals with the previous check and
 * returns how many payouts are new, writing their amount to *new_amount.
 * Whatever the source that counted them (a REST poll, the event stream),
 * each payout is announced once. The first check with the history loaded
 * only records the totals, so the history read at the first start is not
 * announced. Totals that went down (replaced by saved ones) only rebase.
 * NOTE: saved totals merged in later that raise the count (a Redis that was
 * unreachable at start) are announced as new payouts. */
uint64_t p2pool_payout_watch_check(p2pool_payout_watch_t *watch,
                                   bool history_loaded, uint64_t count,
                                   uint64_t amount, uint64_t *new_amount);

/* Blocked state of one observer. */
typedef struct {
  bool active;             /* the observer was announced as blocked */
  uint64_t blocked_seen;   /* requests that got a bot-filter page, so far */
  uint64_t responses_seen; /* requests with a real response, so far */
} p2pool_blocked_t;

/* Updates an observer's blocked state from its running request counts
 * (all endpoints together): blocked_total counts bot-filter pages,
 * responses_total real responses (ok and not_found). A count that went down
 * (a reset) only rebases the state. */
p2pool_transition_t p2pool_blocked_check(p2pool_blocked_t *blocked,
                                         uint64_t blocked_total,
                                         uint64_t responses_total);

/* Writes an amount of atomic units as XMR with all 12 decimals, e.g.
 * "1.234000000000". Returns 0, or -ENOSPC when size is too small. */
int p2pool_format_xmr(uint64_t atomic_units, char *buf, size_t size);

/* Writes a duration for people: "45 s", "12 min", "5.2 h" or "3.1 d".
 * Negative or non-finite values are written as "0 s". Returns 0, or
 * -ENOSPC when size is too small. */
int p2pool_format_duration(double seconds, char *buf, size_t size);

/* Writes a hashrate with an SI prefix: "850 H/s", "12.3 kH/s", "4.56 MH/s".
 * Returns 0, or -ENOSPC when size is too small. */
int p2pool_format_hashrate(double hashes_per_second, char *buf, size_t size);

#endif /* P2POOL_NOTIFY_RULES_H */
