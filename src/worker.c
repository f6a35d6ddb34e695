/*
 * worker.c: a background thread that runs one function each time a read
 * callback kicks it.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"

#include "worker.h"

#include <pthread.h>

/* Maximum thread name length Linux keeps, without the terminating NUL. */
#define WORKER_THREAD_NAME_MAX_CHARS 15

struct p2pool_worker_s {
  p2pool_worker_fn work;
  void *arg;
  p2pool_http_client_t *http; /* NULL: none to wake */

  /* Guards the flags below. */
  pthread_mutex_t lock;
  pthread_cond_t wanted;
  bool requested; /* a run is due */
  bool running;   /* work() is running */
  bool stopping;

  pthread_t thread;
  bool started; /* the thread runs and has not been joined */
};

static void *worker_main(void *arg) {
  p2pool_worker_t *worker = arg;

  pthread_mutex_lock(&worker->lock);
  while (!worker->stopping) {
    if (!worker->requested) {
      pthread_cond_wait(&worker->wanted, &worker->lock);
      continue;
    }
    worker->requested = false;
    worker->running = true;
    pthread_mutex_unlock(&worker->lock);

    worker->work(worker->arg);

    pthread_mutex_lock(&worker->lock);
    worker->running = false;
  }
  pthread_mutex_unlock(&worker->lock);
  return NULL;
}

int p2pool_worker_start(p2pool_worker_t **worker, const char *thread_name,
                        p2pool_worker_fn work, void *arg,
                        p2pool_http_client_t *http) {
  p2pool_worker_t *created = calloc(1, sizeof(*created));
  if (created == NULL)
    return -ENOMEM;
  created->work = work;
  created->arg = arg;
  created->http = http;
  pthread_mutex_init(&created->lock, NULL);
  pthread_cond_init(&created->wanted, NULL);

  char name[WORKER_THREAD_NAME_MAX_CHARS + 1];
  sstrncpy(name, thread_name, sizeof(name));
  int status =
      plugin_thread_create(&created->thread, worker_main, created, name);
  if (status != 0) {
    p2pool_worker_free(created);
    return -status;
  }
  created->started = true;

  *worker = created;
  return 0;
}

int p2pool_worker_kick(p2pool_worker_t *worker) {
  pthread_mutex_lock(&worker->lock);
  bool busy = worker->running;
  if (!busy) {
    worker->requested = true;
    pthread_cond_signal(&worker->wanted);
  }
  pthread_mutex_unlock(&worker->lock);
  return busy ? -EBUSY : 0;
}

void p2pool_worker_request(p2pool_worker_t *worker) {
  pthread_mutex_lock(&worker->lock);
  worker->requested = true;
  pthread_cond_signal(&worker->wanted);
  pthread_mutex_unlock(&worker->lock);
}

bool p2pool_worker_stopping(p2pool_worker_t *worker) {
  pthread_mutex_lock(&worker->lock);
  bool stopping = worker->stopping;
  pthread_mutex_unlock(&worker->lock);
  return stopping;
}

void p2pool_worker_stop(p2pool_worker_t *worker) {
  if (worker == NULL || !worker->started)
    return;

  pthread_mutex_lock(&worker->lock);
  worker->stopping = true;
  pthread_cond_broadcast(&worker->wanted);
  pthread_mutex_unlock(&worker->lock);

  /* The client's wake-up flag stays set until a p2pool_http_run sees it,
   * so a batch that the work starts only after this line ends at once too. */
  if (worker->http != NULL)
    p2pool_http_client_wakeup(worker->http);

  pthread_join(worker->thread, NULL);
  worker->started = false;
}

void p2pool_worker_free(p2pool_worker_t *worker) {
  if (worker == NULL)
    return;

  p2pool_worker_stop(worker);
  pthread_cond_destroy(&worker->wanted);
  pthread_mutex_destroy(&worker->lock);
  free(worker);
}
