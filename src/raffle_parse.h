/*
 * raffle_parse.h: xmrvsbeast's raffle figures of one address, without
 * collectd.
 *
 * Two sources give the same figures. The JSON endpoint
 * /cgi-bin/p2pool_bonus_history_gupaxx_api.cgi returns
 * {"fails":N,"donor_1hr_avg":X,"donor_24hr_avg":Y} with averages in kH/s.
 * The HTML page /cgi-bin/p2pool_bonus_history.cgi shows
 * "1hr avg: 1.23kH/s ... 24hr avg: 1.05kH/s" and "Fail Count: N", with a
 * unit that carries its own prefix letter. Every figure here is in H/s.
 */
#ifndef P2POOL_RAFFLE_PARSE_H
#define P2POOL_RAFFLE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pages and JSON bodies larger than this are rejected. NOTE: the real page
 * size is unknown; 1 MiB leaves room for a long history table. */
#define P2POOL_RAFFLE_BODY_MAX_BYTES ((size_t)1024 * 1024)

typedef struct {
  double avg_1h;  /* H/s */
  double avg_24h; /* H/s */
  bool fails_valid;
  uint64_t fails; /* xmrvsbeast's fail count of the address */
} p2pool_raffle_figures_t;

/* Reads a hashrate such as "1.23kH/s", "950 H/s" or "2MH/s" at the start of
 * text into H/s. The number is decimal digits with an optional fraction;
 * white space may precede the unit. Units: H/s (x1), kH/s or KH/s (x1e3),
 * MH/s (x1e6), GH/s or gH/s (x1e9); "h" for "H" and "/S" for "/s" are
 * accepted. "mH/s" is rejected because it could mean milli or mega. On
 * success stores the end of the unit in *end if end is not NULL.
 * Returns 0, -EINVAL (no number, or no unit) or -ERANGE (a unit letter we
 * do not accept, or a number too long). */
int p2pool_raffle_parse_hashrate(const char *text, double *out,
                                 const char **end);

/* Parses the JSON endpoint's body. On failure writes the reason into
 * reason and returns -EINVAL. */
int p2pool_raffle_parse_json(const char *body, size_t body_len,
                             p2pool_raffle_figures_t *out, char *reason,
                             size_t reason_size);

/* Parses the HTML page. Tags are ignored and &nbsp; reads as a space, so a
 * change of markup alone does not matter. The labels "1hr avg:" and
 * "24hr avg:" (any case), each followed by a hashrate, must be there.
 * Returns 0, or -ENOENT when the page reports the address as not
 * registered. Returns -EINVAL with the reason in reason when a label or
 * number is missing (a changed layout) or a unit is not accepted. */
int p2pool_raffle_parse_page(const char *body, size_t body_len,
                             p2pool_raffle_figures_t *out, char *reason,
                             size_t reason_size);

/* Tells whether a body reports the address as not registered (the text
 * "not registered", any case), as the older API's error text does. */
bool p2pool_raffle_body_not_registered(const char *body, size_t body_len);

#endif /* P2POOL_RAFFLE_PARSE_H */
