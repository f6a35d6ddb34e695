/*
 * fake_observer.c: a fast stand-in for a P2Pool Observer's REST API, for the
 * benchmark only.
 *
 * One thread, epoll, HTTP/1.1 keep-alive, and every response prepared at
 * start, so the server spends a few microseconds per request and never
 * limits the client under test. It serves the same document for every
 * wallet:
 *
 *   /api/pool_info                    pool_info.json
 *   /api/miner_info/<address>...      miner_info.json
 *   /api/side_blocks_in_window/<a>... window.json
 *   /api/payouts/<address>...         payouts.json
 *   /api/found_blocks...              found_blocks.json
 *   anything else                     404 "404 page not found"
 *
 * The request log has one line per event, times from CLOCK_REALTIME:
 *   A <s.ns> <conn>          connection accepted
 *   R <s.ns> <conn> <route>  request read (route P, M, W, Y, F or N)
 *   C <s.ns> <conn>          connection closed
 * A connection to the control port gets a JSON object of counters, after
 * the log has been flushed, and is closed.
 *
 * Usage: fake_observer BODY_DIR LOG_FILE PORT_FILE
 * PORT_FILE receives "<http port> <control port>\n" once both listen.
 * SIGTERM or SIGINT stops the server after flushing the log.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX_BYTES 16384
#define EPOLL_EVENTS_MAX 256
#define LOG_BUFFER_BYTES (4 * 1024 * 1024)
#define LISTEN_BACKLOG 4096

enum {
  ROUTE_POOL,
  ROUTE_MINER,
  ROUTE_WINDOW,
  ROUTE_PAYOUTS,
  ROUTE_FOUND,
  ROUTE_NONE
};
#define ROUTE_COUNT 6

static const char route_letters[ROUTE_COUNT] = {'P', 'M', 'W', 'Y', 'F', 'N'};
static const char *const route_prefixes[ROUTE_NONE] = {
    "/api/pool_info", "/api/miner_info/", "/api/side_blocks_in_window/",
    "/api/payouts/", "/api/found_blocks"};
static const char *const route_files[ROUTE_NONE] = {
    "pool_info.json", "miner_info.json", "window.json", "payouts.json",
    "found_blocks.json"};

typedef struct {
  char *data; /* status line, headers and body */
  size_t len;
} response_t;

typedef struct {
  int fd;
  bool control; /* a control-port connection */
  uint64_t id;
  char in[REQUEST_MAX_BYTES];
  size_t in_len;
  char *out; /* unsent rest of a response */
  size_t out_len;
  size_t out_sent;
  bool close_after_write;
} conn_t;

typedef struct {
  uint64_t requests[ROUTE_COUNT];
  uint64_t accepted;
  uint64_t closed;
  uint64_t open;
  uint64_t open_max;
} counters_t;

static response_t responses[ROUTE_COUNT];
static counters_t counters;
static FILE *log_file;
static int epoll_fd = -1;
static uint64_t next_conn_id = 1;
static volatile sig_atomic_t stop_requested;

static void on_signal(int signo) {
  (void)signo;
  stop_requested = 1;
}

static void log_event(char kind, uint64_t conn, int route) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (route < 0)
    fprintf(log_file, "%c %lld.%09ld %llu\n", kind, (long long)now.tv_sec,
            now.tv_nsec, (unsigned long long)conn);
  else
    fprintf(log_file, "%c %lld.%09ld %llu %c\n", kind, (long long)now.tv_sec,
            now.tv_nsec, (unsigned long long)conn, route_letters[route]);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  struct stat st;
  if (fstat(fileno(f), &st) != 0) {
    fclose(f);
    return NULL;
  }
  char *data = malloc((size_t)st.st_size + 1);
  if (data != NULL &&
      fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *len = (size_t)st.st_size;
  return data;
}

static int build_response(response_t *response, int status,
                          const char *content_type, const char *body,
                          size_t body_len) {
  const char *reason = status == 200 ? "OK" : "Not Found";
  char head[256];
  int head_len = snprintf(head, sizeof(head),
                          "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          status, reason, content_type, body_len);
  response->len = (size_t)head_len + body_len;
  response->data = malloc(response->len);
  if (response->data == NULL)
    return -1;
  memcpy(response->data, head, (size_t)head_len);
  memcpy(response->data + head_len, body, body_len);
  return 0;
}

static int load_responses(const char *dir) {
  for (int route = 0; route < ROUTE_NONE; route++) {
    char path[4096];
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, route_files[route]);
    char *body = read_file(path, &len);
    if (body == NULL) {
      fprintf(stderr, "fake_observer: reading %s failed: %s\n", path,
              strerror(errno));
      return -1;
    }
    int status = build_response(&responses[route], 200,
                                "application/json; charset=utf-8", body, len);
    free(body);
    if (status != 0)
      return -1;
  }
  static const char not_found[] = "404 page not found\n";
  return build_response(&responses[ROUTE_NONE], 404,
                        "text/plain; charset=utf-8", not_found,
                        sizeof(not_found) - 1);
}

static int listen_on_loopback(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t addr_len = sizeof(addr);
  if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
      listen(fd, LISTEN_BACKLOG) != 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

static void close_conn(conn_t *conn) {
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
  close(conn->fd);
  if (!conn->control) {
    log_event('C', conn->id, -1);
    counters.closed++;
    counters.open--;
  }
  free(conn->out);
  free(conn);
}

static int route_of(const char *path) {
  for (int route = 0; route < ROUTE_NONE; route++) {
    size_t len = strlen(route_prefixes[route]);
    if (strncmp(path, route_prefixes[route], len) != 0)
      continue;
    /* pool_info and found_blocks match exactly, up to a query string. */
    bool exact = route == ROUTE_POOL || route == ROUTE_FOUND;
    if (exact && path[len] != '\0' && path[len] != '?')
      continue;
    return route;
  }
  return ROUTE_NONE;
}

/* Sends data, keeping what the socket does not take for EPOLLOUT. Returns 0,
 * or -1 when the connection failed. */
static int send_or_queue(conn_t *conn, const char *data, size_t len) {
  if (conn->out_len == 0) {
    ssize_t sent = send(conn->fd, data, len, MSG_NOSIGNAL);
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return -1;
    if (sent < 0)
      sent = 0;
    data += sent;
    len -= (size_t)sent;
    if (len == 0)
      return 0;
  }

  char *out = realloc(conn->out, conn->out_len + len);
  if (out == NULL)
    return -1;
  memcpy(out + conn->out_len, data, len);
  conn->out = out;
  conn->out_len += len;

  /* Reading pauses until the queued bytes are sent. */
  struct epoll_event event = {.events = EPOLLOUT, .data.ptr = conn};
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
  return 0;
}

static int handle_requests(conn_t *conn);

static int flush_queued(conn_t *conn) {
  while (conn->out_sent < conn->out_len) {
    ssize_t sent = send(conn->fd, conn->out + conn->out_sent,
                        conn->out_len - conn->out_sent, MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return 0;
    if (sent <= 0)
      return -1;
    conn->out_sent += (size_t)sent;
  }
  free(conn->out);
  conn->out = NULL;
  conn->out_len = 0;
  conn->out_sent = 0;

  if (conn->close_after_write)
    return -1;
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = conn};
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
  return conn->in_len > 0 ? handle_requests(conn) : 0;
}

static int answer_control(conn_t *conn) {
  fflush(log_file);
  char body[1024];
  int len = snprintf(
      body, sizeof(body),
      "{\"requests\":{\"pool_info\":%llu,\"miner_info\":%llu,"
      "\"side_blocks_in_window\":%llu,\"payouts\":%llu,"
      "\"found_blocks\":%llu,\"other\":%llu},"
      "\"accepted\":%llu,\"closed\":%llu,\"open\":%llu,\"open_max\":%llu}\n",
      (unsigned long long)counters.requests[ROUTE_POOL],
      (unsigned long long)counters.requests[ROUTE_MINER],
      (unsigned long long)counters.requests[ROUTE_WINDOW],
      (unsigned long long)counters.requests[ROUTE_PAYOUTS],
      (unsigned long long)counters.requests[ROUTE_FOUND],
      (unsigned long long)counters.requests[ROUTE_NONE],
      (unsigned long long)counters.accepted,
      (unsigned long long)counters.closed, (unsigned long long)counters.open,
      (unsigned long long)counters.open_max);
  response_t response;
  if (build_response(&response, 200, "application/json", body, (size_t)len) !=
      0)
    return -1;
  conn->close_after_write = true;
  int status = send_or_queue(conn, response.data, response.len);
  free(response.data);
  return status == 0 && conn->out_len == 0 ? -1 : status;
}

/* Responds to every complete request in the input buffer. Returns -1 when
 * the connection must close. */
static int handle_requests(conn_t *conn) {
  for (;;) {
    char *end = memmem(conn->in, conn->in_len, "\r\n\r\n", 4);
    if (end == NULL)
      return conn->in_len >= sizeof(conn->in) - 1 ? -1 : 0;
    size_t request_len = (size_t)(end - conn->in) + 4;
    *end = '\0';

    if (conn->control)
      return answer_control(conn);

    /* Request line: METHOD SP PATH SP VERSION */
    char *path = strchr(conn->in, ' ');
    int route = ROUTE_NONE;
    if (path != NULL) {
      path++;
      char *path_end = strchr(path, ' ');
      if (path_end != NULL) {
        *path_end = '\0';
        route = route_of(path);
        *path_end = ' ';
      }
    }
    bool close_requested =
        strcasestr(conn->in, "\r\nConnection: close") != NULL;

    counters.requests[route]++;
    log_event('R', conn->id, route);
    if (send_or_queue(conn, responses[route].data, responses[route].len) != 0)
      return -1;
    if (close_requested) {
      conn->close_after_write = true;
      if (conn->out_len == 0)
        return -1;
    }

    memmove(conn->in, conn->in + request_len, conn->in_len - request_len);
    conn->in_len -= request_len;
    if (conn->out_len > 0)
      return 0; /* the rest waits until the queued response is sent */
  }
}

static int on_readable(conn_t *conn) {
  for (;;) {
    ssize_t got = recv(conn->fd, conn->in + conn->in_len,
                       sizeof(conn->in) - 1 - conn->in_len, 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return 0;
    if (got <= 0)
      return -1;
    conn->in_len += (size_t)got;
    if (handle_requests(conn) != 0)
      return -1;
    if (conn->out_len > 0)
      return 0;
  }
}

static void accept_all(int listen_fd, bool control) {
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    conn_t *conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
      close(fd);
      continue;
    }
    conn->fd = fd;
    conn->control = control;
    conn->id = next_conn_id++;
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = conn};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
    if (control)
      continue;
    counters.accepted++;
    counters.open++;
    if (counters.open > counters.open_max)
      counters.open_max = counters.open;
    log_event('A', conn->id, -1);
  }
}

static int write_ports(const char *path, int http_port, int control_port) {
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (f == NULL)
    return -1;
  fprintf(f, "%d %d\n", http_port, control_port);
  if (fclose(f) != 0)
    return -1;
  return rename(tmp, path);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s BODY_DIR LOG_FILE PORT_FILE\n", argv[0]);
    return 2;
  }
  if (load_responses(argv[1]) != 0)
    return 1;

  log_file = fopen(argv[2], "w");
  if (log_file == NULL) {
    fprintf(stderr, "fake_observer: opening %s failed: %s\n", argv[2],
            strerror(errno));
    return 1;
  }
  setvbuf(log_file, NULL, _IOFBF, LOG_BUFFER_BYTES);

  struct sigaction action = {.sa_handler = on_signal};
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  signal(SIGPIPE, SIG_IGN);

  int http_port = 0;
  int control_port = 0;
  int http_fd = listen_on_loopback(&http_port);
  int control_fd = listen_on_loopback(&control_port);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (http_fd < 0 || control_fd < 0 || epoll_fd < 0) {
    fprintf(stderr, "fake_observer: listening failed: %s\n", strerror(errno));
    return 1;
  }

  /* Events of the two listening sockets carry these marker pointers. */
  static char http_marker;
  static char control_marker;
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = &http_marker};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, http_fd, &event);
  event.data.ptr = &control_marker;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, control_fd, &event);

  if (write_ports(argv[3], http_port, control_port) != 0) {
    fprintf(stderr, "fake_observer: writing %s failed: %s\n", argv[3],
            strerror(errno));
    return 1;
  }

  struct epoll_event events[EPOLL_EVENTS_MAX];
  while (!stop_requested) {
    int ready = epoll_wait(epoll_fd, events, EPOLL_EVENTS_MAX, 1000);
    for (int i = 0; i < ready; i++) {
      void *ptr = events[i].data.ptr;
      if (ptr == &http_marker) {
        accept_all(http_fd, false);
        continue;
      }
      if (ptr == &control_marker) {
        accept_all(control_fd, true);
        continue;
      }

      conn_t *conn = ptr;
      int status = 0;
      if (events[i].events & (EPOLLERR | EPOLLHUP))
        status = -1;
      if (status == 0 && (events[i].events & EPOLLOUT))
        status = flush_queued(conn);
      if (status == 0 && (events[i].events & EPOLLIN) && conn->out_len == 0)
        status = on_readable(conn);
      if (status != 0)
        close_conn(conn);
    }
  }

  fflush(log_file);
  fclose(log_file);
  return 0;
}
