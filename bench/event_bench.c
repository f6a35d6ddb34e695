/*
 * event_bench.c: CPU cost of handling observer event messages, in one
 * thread, without collectd.
 *
 * Reads messages (one per line) and handles each one ROUNDS times:
 *   - always: p2pool_json_parse, the strict json-c parse every message goes
 *     through;
 *   - built with HAVE_EVENT_PARSE: p2pool_event_parse (parse and decode into
 *     C structs), instead of the bare parse;
 *   - built with HAVE_EVENTS_STATE as well: p2pool_events_apply on an
 *     observer watching WALLETS wallets, under the observer's lock, as the
 *     event thread does.
 * Dispatching the figures needs the collectd daemon, so it is not part of
 * this program; the end-to-end benchmark covers it.
 *
 * Usage: event_bench MESSAGES_FILE ROUNDS WALLETS
 * Prints one JSON object: stage, messages handled, CPU and wall seconds,
 * messages per second, microseconds per message, and the same per type.
 */
#include "json.h"

#ifdef HAVE_EVENT_PARSE
#include "event_parse.h"
#endif
#ifdef HAVE_EVENTS_STATE
#include "context.h"
#include "events_index.h"
#include "events_state.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TYPE_SLOTS 4

typedef struct {
  char **lines;
  size_t *lengths;
  int *types; /* 0 side_block, 1 found_block, 2 orphaned_block, 3 other */
  size_t num;
} messages_t;

static const char *const type_names[TYPE_SLOTS] = {"side_block", "found_block",
                                                   "orphaned_block", "other"};

static double seconds(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int type_of(const char *line) {
  for (int i = 0; i < TYPE_SLOTS - 1; i++) {
    char needle[64];
    snprintf(needle, sizeof(needle), "\"type\":\"%s\"", type_names[i]);
    if (strstr(line, needle) != NULL)
      return i;
  }
  return TYPE_SLOTS - 1;
}

static int read_messages(const char *path, messages_t *out) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -errno;

  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  size_t capacity = 0;
  while ((len = getline(&line, &cap, f)) > 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = '\0';
    if (len == 0)
      continue;
    if (out->num == capacity) {
      capacity = capacity == 0 ? 256 : capacity * 2;
      out->lines = realloc(out->lines, capacity * sizeof(*out->lines));
      out->lengths = realloc(out->lengths, capacity * sizeof(*out->lengths));
      out->types = realloc(out->types, capacity * sizeof(*out->types));
      if (out->lines == NULL || out->lengths == NULL || out->types == NULL)
        return -ENOMEM;
    }
    out->lines[out->num] = strndup(line, (size_t)len);
    out->lengths[out->num] = (size_t)len;
    out->types[out->num] = type_of(line);
    out->num++;
  }
  free(line);
  fclose(f);
  return 0;
}

#ifdef HAVE_EVENTS_STATE
/* An observer with wallets_num wallets named like the benchmark's
 * configuration; addresses come from the ADDRESSES_FILE lines. */
typedef struct {
  p2pool_observer_t observer;
  p2pool_wallet_t *wallets;
  p2pool_wallet_t **wallet_list;
  const char **addresses;
  p2pool_address_index_t index;
  p2pool_wallet_marks_t marks;
} bench_observer_t;

static int bench_observer_init(bench_observer_t *bench, const char *path,
                               size_t wallets_num) {
  memset(bench, 0, sizeof(*bench));
  bench->wallets = calloc(wallets_num + 1, sizeof(*bench->wallets));
  bench->wallet_list = calloc(wallets_num + 1, sizeof(*bench->wallet_list));
  bench->addresses = calloc(wallets_num + 1, sizeof(*bench->addresses));
  if (bench->wallets == NULL || bench->wallet_list == NULL ||
      bench->addresses == NULL)
    return -ENOMEM;

  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -errno;
  char line[256];
  size_t i = 0;
  while (i < wallets_num && fgets(line, sizeof(line), f) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    char name[32];
    snprintf(name, sizeof(name), "w%05zu", i);
    bench->wallets[i].name = strdup(name);
    bench->wallets[i].address = strdup(line);
    bench->wallets[i].observer = &bench->observer;
    bench->wallet_list[i] = &bench->wallets[i];
    bench->addresses[i] = bench->wallets[i].address;
    i++;
  }
  fclose(f);

  p2pool_observer_t *observer = &bench->observer;
  observer->name = "bench";
  observer->wallets = bench->wallet_list;
  observer->wallets_num = i;
  pthread_mutex_init(&observer->lock, NULL);

  int status = p2pool_address_index_build(&bench->index, bench->addresses, i);
  if (status == 0)
    status = p2pool_wallet_marks_init(&bench->marks, i);
  return status;
}
#endif

#ifdef HAVE_EVENTS_STATE
static bench_observer_t bench;
#define HANDLE_STATE (&bench)
#else
#define HANDLE_STATE NULL
#endif

/* Handles message i; returns 0, or -1 when it was rejected. */
static int handle(const messages_t *messages, size_t i, void *state) {
  char err[256];
  (void)state;
#ifdef HAVE_EVENT_PARSE
  p2pool_event_t event;
  memset(&event, 0, sizeof(event));
  if (p2pool_event_parse(messages->lines[i], messages->lengths[i], &event, err,
                         sizeof(err)) != 0)
    return -1;
#ifdef HAVE_EVENTS_STATE
  bench_observer_t *observer = state;
  p2pool_event_effect_t effect;
  pthread_mutex_lock(&observer->observer.lock);
  p2pool_events_apply(&observer->observer, &observer->index, &event,
                      &observer->marks, &effect);
  pthread_mutex_unlock(&observer->observer.lock);
  p2pool_wallet_marks_clear(&observer->marks);
#endif
  p2pool_event_clear(&event);
#else
  json_object *root = NULL;
  if (p2pool_json_parse(messages->lines[i], messages->lengths[i], &root, err,
                        sizeof(err)) != 0)
    return -1;
  json_object_put(root);
#endif
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: %s MESSAGES_FILE ROUNDS WALLETS [ADDRESSES_FILE]\n",
            argv[0]);
    return 2;
  }
  messages_t messages = {0};
  int status = read_messages(argv[1], &messages);
  if (status != 0 || messages.num == 0) {
    fprintf(stderr, "event_bench: reading %s failed: %s\n", argv[1],
            status != 0 ? strerror(-status) : "no messages");
    return 1;
  }
  long rounds = strtol(argv[2], NULL, 10);
  size_t wallets_num = (size_t)strtoul(argv[3], NULL, 10);
  const char *stage = "json_parse";

#ifdef HAVE_EVENTS_STATE
  if (argc != 5 || bench_observer_init(&bench, argv[4], wallets_num) != 0) {
    fprintf(stderr, "event_bench: the observer needs ADDRESSES_FILE\n");
    return 1;
  }
  stage = "event_parse+events_apply";
#elif defined(HAVE_EVENT_PARSE)
  stage = "event_parse";
  (void)wallets_num;
#else
  (void)wallets_num;
#endif

  size_t failed = 0;
  double wall_begin = seconds(CLOCK_MONOTONIC);
  double cpu_begin = seconds(CLOCK_THREAD_CPUTIME_ID);
  for (long round = 0; round < rounds; round++) {
    for (size_t i = 0; i < messages.num; i++)
      failed += handle(&messages, i, HANDLE_STATE) != 0;
  }
  double cpu = seconds(CLOCK_THREAD_CPUTIME_ID) - cpu_begin;
  double wall = seconds(CLOCK_MONOTONIC) - wall_begin;
  size_t handled = (size_t)rounds * messages.num - failed;

  /* Per type: the messages of one type in a loop of their own, so the
   * clock is read twice per type instead of twice per message. */
  double type_cpu[TYPE_SLOTS] = {0};
  size_t type_count[TYPE_SLOTS] = {0};
  for (int t = 0; t < TYPE_SLOTS; t++) {
    double before = seconds(CLOCK_THREAD_CPUTIME_ID);
    for (long round = 0; round < rounds; round++) {
      for (size_t i = 0; i < messages.num; i++) {
        if (messages.types[i] != t)
          continue;
        handle(&messages, i, HANDLE_STATE);
        type_count[t]++;
      }
    }
    type_cpu[t] = seconds(CLOCK_THREAD_CPUTIME_ID) - before;
  }

  printf("{\"stage\":\"%s\",\"messages\":%zu,\"failed\":%zu,"
         "\"cpu_s\":%.6f,\"wall_s\":%.6f,\"messages_per_cpu_s\":%.0f,"
         "\"cpu_us_per_message\":%.3f,\"by_type\":{",
         stage, handled, failed, cpu, wall, handled / cpu, cpu / handled * 1e6);
  for (int t = 0, first = 1; t < TYPE_SLOTS; t++) {
    if (type_count[t] == 0)
      continue;
    printf("%s\"%s\":{\"messages\":%zu,\"cpu_us_per_message\":%.3f}",
           first ? "" : ",", type_names[t], type_count[t],
           type_cpu[t] / (double)type_count[t] * 1e6);
    first = 0;
  }
  printf("}}\n");
  return handled == 0 ? 1 : 0;
}
