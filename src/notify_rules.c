/*
 * notify_rules.c: when the plugin raises and clears its notifications.
 */
#include "notify_rules.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#define ATOMIC_UNITS_PER_XMR UINT64_C(1000000000000)
#define SECONDS_PER_MINUTE 60.0
#define SECONDS_PER_HOUR 3600.0
#define SECONDS_PER_DAY 86400.0

static double drought_threshold(const p2pool_drought_t *drought,
                                const p2pool_drought_input_t *input) {
  if (!(input->factor > 0.0) || drought->expected_seconds <= 0.0)
    return 0.0;

  double threshold = input->factor * drought->expected_seconds;
  return threshold > input->min_threshold_seconds
             ? threshold
             : input->min_threshold_seconds;
}

p2pool_transition_t p2pool_drought_check(p2pool_drought_t *drought,
                                         const p2pool_drought_input_t *input,
                                         p2pool_drought_figures_t *figures) {
  *figures = (p2pool_drought_figures_t){0};
  if (isfinite(input->hashrate) && input->hashrate > 0.0)
    drought->reference_hashrate = input->hashrate;
  if (drought->reference_hashrate > 0.0 && input->side_difficulty > 0)
    drought->expected_seconds =
        (double)input->side_difficulty / drought->reference_hashrate;

  if (input->last_share_time == 0)
    return P2POOL_TRANSITION_NONE;

  double age = input->now - (double)input->last_share_time;
  figures->age_seconds = age > 0.0 ? age : 0.0;
  figures->expected_seconds = drought->expected_seconds;
  figures->threshold_seconds = drought_threshold(drought, input);
  bool overdue = figures->threshold_seconds > 0.0 &&
                 figures->age_seconds > figures->threshold_seconds;

  bool newer_share = input->last_share_time > drought->last_share_time;
  drought->last_share_time = input->last_share_time;

  /* A share that is itself overdue (seen late, e.g. after the observer was
   * blocked for hours) does not end the drought. */
  if (drought->active && newer_share && !overdue) {
    drought->active = false;
    return P2POOL_TRANSITION_END;
  }
  if (!drought->active && overdue) {
    drought->active = true;
    return P2POOL_TRANSITION_BEGIN;
  }
  return P2POOL_TRANSITION_NONE;
}

uint64_t p2pool_payout_watch_check(p2pool_payout_watch_t *watch,
                                   bool history_loaded, uint64_t count,
                                   uint64_t amount, uint64_t *new_amount) {
  *new_amount = 0;
  if (!history_loaded)
    return 0;

  bool rebase =
      !watch->primed || count < watch->count || amount < watch->amount;
  uint64_t new_count = rebase ? 0 : count - watch->count;
  if (new_count > 0)
    *new_amount = amount - watch->amount;

  watch->primed = true;
  watch->count = count;
  watch->amount = amount;
  return new_count;
}

p2pool_transition_t p2pool_blocked_check(p2pool_blocked_t *blocked,
                                         uint64_t blocked_total,
                                         uint64_t responses_total) {
  if (blocked_total < blocked->blocked_seen ||
      responses_total < blocked->responses_seen) {
    blocked->blocked_seen = blocked_total;
    blocked->responses_seen = responses_total;
    return P2POOL_TRANSITION_NONE;
  }

  bool new_blocked = blocked_total > blocked->blocked_seen;
  bool new_answers = responses_total > blocked->responses_seen;
  blocked->blocked_seen = blocked_total;
  blocked->responses_seen = responses_total;

  if (!blocked->active && new_blocked) {
    blocked->active = true;
    return P2POOL_TRANSITION_BEGIN;
  }
  if (blocked->active && !new_blocked && new_answers) {
    blocked->active = false;
    return P2POOL_TRANSITION_END;
  }
  return P2POOL_TRANSITION_NONE;
}

static int checked_length(int written, size_t size) {
  return written >= 0 && (size_t)written < size ? 0 : -ENOSPC;
}

int p2pool_format_xmr(uint64_t atomic_units, char *buf, size_t size) {
  int written = snprintf(buf, size, "%" PRIu64 ".%012" PRIu64,
                         atomic_units / ATOMIC_UNITS_PER_XMR,
                         atomic_units % ATOMIC_UNITS_PER_XMR);
  return checked_length(written, size);
}

int p2pool_format_duration(double seconds, char *buf, size_t size) {
  int written;
  if (!isfinite(seconds) || seconds < 0.0)
    written = snprintf(buf, size, "0 s");
  else if (seconds < 2.0 * SECONDS_PER_MINUTE)
    written = snprintf(buf, size, "%.0f s", seconds);
  else if (seconds < 2.0 * SECONDS_PER_HOUR)
    written = snprintf(buf, size, "%.0f min", seconds / SECONDS_PER_MINUTE);
  else if (seconds < 2.0 * SECONDS_PER_DAY)
    written = snprintf(buf, size, "%.1f h", seconds / SECONDS_PER_HOUR);
  else
    written = snprintf(buf, size, "%.1f d", seconds / SECONDS_PER_DAY);
  return checked_length(written, size);
}

int p2pool_format_hashrate(double hashes_per_second, char *buf, size_t size) {
  static const char *const prefixes[] = {"", "k", "M", "G", "T", "P"};
  const size_t prefixes_num = sizeof(prefixes) / sizeof(prefixes[0]);

  double value = isfinite(hashes_per_second) && hashes_per_second > 0.0
                     ? hashes_per_second
                     : 0.0;
  size_t prefix = 0;
  while (value >= 1000.0 && prefix + 1 < prefixes_num) {
    value /= 1000.0;
    prefix++;
  }

  int written;
  if (prefix == 0)
    written = snprintf(buf, size, "%.0f H/s", value);
  else
    written = snprintf(buf, size, "%.3g %sH/s", value, prefixes[prefix]);
  return checked_length(written, size);
}
