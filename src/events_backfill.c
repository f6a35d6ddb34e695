/*
 * events_backfill.c: counts the found blocks an event stream outage hid.
 *
 * The observer does not replay events, so after a reconnect the events
 * thread requests /api/found_blocks for the newest blocks and counts those
 * newer than the newest block already counted. Blocks from before the stream's
 * first connection are never counted: the counter starts with the plugin.
 * The poll that the reconnect requests catches up on everything else
 * (wallet windows, payouts, pool figures).
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"
#include "utils_complain.h"

#include "events_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows requested. Main finds a block every few hours, so 100 covers any
 * outage the 5-minute reconnect cap leaves open. */
#define P2POOL_BACKFILL_FOUND_BLOCKS 100

/* Counts the rows newer than the newest found block counted. Rows arrive
 * newest first, so they are walked from the end. Takes observer->lock. */
static size_t count_new_blocks(p2pool_events_t *client,
                               const p2pool_found_block_t *rows, size_t num) {
  p2pool_observer_t *observer = client->observer;
  size_t counted = 0;

  pthread_mutex_lock(&observer->lock);
  for (size_t i = num; i-- > 0;) {
    const p2pool_found_block_t *row = &rows[i];
    if (row->main_height <= client->newest_found_height ||
        row->timestamp < client->first_connect_time)
      continue;
    /* Found blocks Monero orphaned later stay in the list with reward 0;
     * the stream never announces them. */
    if (row->reward_known && row->reward == 0)
      continue;

    if (p2pool_event_counters_count(&observer->counters,
                                    P2POOL_BLOCK_KIND_FOUND,
                                    row->side_template_id, row->main_id)) {
      counted++;
      INFO("p2pool plugin: observer \"%s\": counted Monero block %" PRIu64
           " (%s), found while the event stream was down",
           observer->name, row->main_height, row->main_id);
    }
    client->newest_found_height = row->main_height;
  }
  pthread_mutex_unlock(&observer->lock);
  return counted;
}

/* Decodes the response body and counts its new blocks. Returns the number
 * counted, or a negative errno with the reason in err. */
static int count_from_body(p2pool_events_t *client, const char *body,
                           size_t len, char *err, size_t err_size) {
  json_object *root = NULL;
  int status = p2pool_json_parse(body, len, &root, err, err_size);
  if (status != 0)
    return status;

  p2pool_found_block_t *rows = NULL;
  size_t num = 0;
  status = p2pool_parse_found_blocks(root, &rows, &num, err, err_size);
  if (status == 0)
    status = (int)count_new_blocks(client, rows, num);

  free(rows);
  json_object_put(root);
  return status;
}

static void complain(p2pool_events_t *client, const char *reason) {
  c_complain(LOG_WARNING, &client->backfill_complaint,
             "p2pool plugin: observer \"%s\": reading found blocks after the "
             "event stream reconnected failed: %s; blocks found during the "
             "outage are not counted",
             client->observer->name, reason);
}

int p2pool_events_backfill(p2pool_events_t *client) {
  p2pool_observer_t *observer = client->observer;
  p2pool_http_request_t request;
  memset(&request, 0, sizeof(request));

  int written =
      snprintf(request.url, sizeof(request.url), "%s/api/found_blocks?limit=%d",
               observer->url, P2POOL_BACKFILL_FOUND_BLOCKS);
  if (written < 0 || (size_t)written >= sizeof(request.url)) {
    complain(client, "the URL is too long");
    return -ENAMETOOLONG;
  }
  request.endpoint = "found_blocks";

  p2pool_http_request_t *requests[] = {&request};
  long timeout_ms = (long)CDTIME_T_TO_MS(observer->timeout);
  int status = p2pool_http_run(client->http, requests, 1, timeout_ms);
  if (status != 0) {
    if (status != -EINTR)
      complain(client, STRERROR(-status));
    p2pool_http_request_reset(&request);
    return status;
  }

  pthread_mutex_lock(&observer->lock);
  p2pool_health_record(&observer->health, &request);
  pthread_mutex_unlock(&observer->lock);

  char reason[CURL_ERROR_SIZE + P2POOL_EVENT_ERROR_MAX_BYTES + 64];
  if (request.outcome != P2POOL_OUTCOME_OK) {
    snprintf(reason, sizeof(reason), "%s (HTTP %ld%s%s)",
             p2pool_outcome_name(request.outcome), request.status,
             request.error[0] != '\0' ? ", " : "", request.error);
    complain(client, reason);
    p2pool_http_request_reset(&request);
    return -EIO;
  }

  char error[P2POOL_EVENT_ERROR_MAX_BYTES] = "";
  int counted = count_from_body(client, request.body, request.body_len, error,
                                sizeof(error));
  p2pool_http_request_reset(&request);
  if (counted < 0) {
    snprintf(reason, sizeof(reason), "invalid response: %s", error);
    complain(client, reason);
    return counted;
  }

  c_release(LOG_INFO, &client->backfill_complaint,
            "p2pool plugin: observer \"%s\": reading found blocks works again",
            observer->name);
  client->dispatch_pending = true;
  return counted;
}
