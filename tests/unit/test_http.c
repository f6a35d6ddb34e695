/*
 * Unit tests of http.c: outcome classification and URL escaping, then real
 * batches against a small HTTP/1.1 server that runs in a thread of this
 * process on 127.0.0.1 and a port the kernel picks.
 *
 * Server routes:
 *   /json               200, {"ok":true}
 *   /echo/<n>           200, {"n":<n>}
 *   /delay/<ms>/<n>     200, {"n":<n>} after ms milliseconds
 *   /size/<bytes>       200, a JSON string of exactly that many bytes
 *   /chunked/<bytes>    200, the same body without Content-Length, then close
 *   /not_found          404, {"error":"not_found"}
 *   /route              404, text/plain "404 page not found"
 *   /error              500, text/plain
 *   /html               418, an HTML challenge page
 *   /html_ok            200, an HTML page
 *   /slow               no response until the client leaves or the server stops
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TEST_USER_AGENT "collectd-p2pool-test/1.0"
#define SERVER_WORKERS_MAX 512
#define SERVER_REQUEST_MAX_BYTES 8192
#define SERVER_SLOW_MAX_MS 20000
#define BATCH_TIMEOUT_MS 10000
#define BODY_CAP_BYTES 1024
#define CONCURRENT_REQUESTS_NUM 6
#define CONCURRENT_DELAY_MS 1000

static const char NOT_FOUND_BODY[] = "{\"error\":\"not_found\"}";
static const char ROUTE_BODY[] = "404 page not found\n";
static const char HTML_BODY[] =
    "<!DOCTYPE html>\n<html><head><title>Checking your browser</title>"
    "</head><body>Enable JavaScript to continue.</body></html>\n";

typedef struct {
  int listen_fd;
  int port;
  int stop_pipe[2];
  pthread_t acceptor;

  pthread_mutex_t lock; /* guards everything below */
  pthread_t workers[SERVER_WORKERS_MAX];
  size_t workers_num;
  unsigned connections_accepted;
  unsigned delays_active;     /* /delay requests being served now */
  unsigned delays_active_max; /* the most served at one time */
  char last_user_agent[256];
} test_server_t;

typedef struct {
  test_server_t *server;
  int fd;
} connection_t;

static test_server_t server_g;

static double monotonic_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

static void send_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0)
      return;
    data += n;
    len -= (size_t)n;
  }
}

static void send_response(int fd, int status, const char *reason,
                          const char *content_type, const char *body,
                          size_t body_len) {
  char head[512];
  int head_len = snprintf(head, sizeof(head),
                          "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          status, reason, content_type, body_len);
  send_all(fd, head, (size_t)head_len);
  send_all(fd, body, body_len);
}

/* Waits up to ms. Returns false when the server stops or the client closes
 * the connection (or sends anything) first. */
static bool server_wait(connection_t *conn, int ms) {
  struct pollfd fds[2] = {
      {.fd = conn->server->stop_pipe[0], .events = POLLIN},
      {.fd = conn->fd, .events = POLLIN},
  };
  double deadline = monotonic_ms() + ms;

  for (;;) {
    double left = deadline - monotonic_ms();
    if (left <= 0)
      return true;
    int rc = poll(fds, 2, (int)left + 1);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0 || fds[0].revents != 0 || fds[1].revents != 0)
      return false;
  }
}

/* A JSON string body of exactly len bytes (len >= 2). Runs in server
 * threads, so it reports failure with NULL instead of a cmocka assert. */
static char *string_body(size_t len) {
  char *body = malloc(len + 1);
  if (body == NULL)
    return NULL;
  memset(body, 'a', len);
  body[0] = '"';
  body[len - 1] = '"';
  body[len] = '\0';
  return body;
}

static void send_chunked_close(int fd, size_t len) {
  const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Connection: close\r\n\r\n";
  char *body = string_body(len);
  if (body == NULL)
    return;

  send_all(fd, head, strlen(head));
  for (size_t sent = 0; sent < len; sent += 512) {
    size_t piece = len - sent < 512 ? len - sent : 512;
    send_all(fd, body + sent, piece);
  }
  free(body);
}

static void remember_user_agent(test_server_t *server, const char *request) {
  const char *header = strcasestr(request, "\r\nUser-Agent: ");
  char agent[256] = "";

  if (header != NULL) {
    header += strlen("\r\nUser-Agent: ");
    size_t len = strcspn(header, "\r\n");
    if (len >= sizeof(agent))
      len = sizeof(agent) - 1;
    memcpy(agent, header, len);
    agent[len] = '\0';
  }
  pthread_mutex_lock(&server->lock);
  snprintf(server->last_user_agent, sizeof(server->last_user_agent), "%s",
           agent);
  pthread_mutex_unlock(&server->lock);
}

/* Sends the response to one request. Returns false when the connection
 * must close. */
static bool serve_request(connection_t *conn, const char *path) {
  int fd = conn->fd;
  char body[128];
  unsigned long tag = 0;    /* the <n> of /echo and /delay */
  unsigned long amount = 0; /* milliseconds of /delay, bytes of /size */

  if (strcmp(path, "/json") == 0) {
    snprintf(body, sizeof(body), "{\"ok\":true}\n");
    send_response(fd, 200, "OK", "application/json", body, strlen(body));
  } else if (sscanf(path, "/echo/%lu", &tag) == 1) {
    snprintf(body, sizeof(body), "{\"n\":%lu}", tag);
    send_response(fd, 200, "OK", "application/json", body, strlen(body));
  } else if (sscanf(path, "/delay/%lu/%lu", &amount, &tag) == 2) {
    test_server_t *server = conn->server;
    pthread_mutex_lock(&server->lock);
    server->delays_active++;
    if (server->delays_active > server->delays_active_max)
      server->delays_active_max = server->delays_active;
    pthread_mutex_unlock(&server->lock);

    bool waited = server_wait(conn, (int)amount);

    pthread_mutex_lock(&server->lock);
    server->delays_active--;
    pthread_mutex_unlock(&server->lock);
    if (!waited)
      return false;
    snprintf(body, sizeof(body), "{\"n\":%lu}", tag);
    send_response(fd, 200, "OK", "application/json", body, strlen(body));
  } else if (sscanf(path, "/size/%lu", &amount) == 1 && amount >= 2) {
    char *big = string_body(amount);
    if (big == NULL)
      return false;
    send_response(fd, 200, "OK", "application/json", big, amount);
    free(big);
  } else if (sscanf(path, "/chunked/%lu", &amount) == 1 && amount >= 2) {
    send_chunked_close(fd, amount);
    return false;
  } else if (strcmp(path, "/not_found") == 0) {
    send_response(fd, 404, "Not Found", "application/json; charset=utf-8",
                  NOT_FOUND_BODY, strlen(NOT_FOUND_BODY));
  } else if (strcmp(path, "/route") == 0) {
    send_response(fd, 404, "Not Found", "text/plain; charset=utf-8", ROUTE_BODY,
                  strlen(ROUTE_BODY));
  } else if (strcmp(path, "/error") == 0) {
    snprintf(body, sizeof(body), "internal error\n");
    send_response(fd, 500, "Internal Server Error", "text/plain", body,
                  strlen(body));
  } else if (strcmp(path, "/html") == 0) {
    send_response(fd, 418, "I'm a teapot", "text/html", HTML_BODY,
                  strlen(HTML_BODY));
  } else if (strcmp(path, "/html_ok") == 0) {
    send_response(fd, 200, "OK", "text/html", HTML_BODY, strlen(HTML_BODY));
  } else if (strcmp(path, "/slow") == 0) {
    server_wait(conn, SERVER_SLOW_MAX_MS);
    return false;
  } else {
    send_response(fd, 404, "Not Found", "text/plain", ROUTE_BODY,
                  strlen(ROUTE_BODY));
  }
  return true;
}

/* Reads one request head. Returns false on EOF, error or server stop. */
static bool read_request(connection_t *conn, char *buf, size_t size) {
  size_t len = 0;
  struct pollfd fds[2] = {
      {.fd = conn->server->stop_pipe[0], .events = POLLIN},
      {.fd = conn->fd, .events = POLLIN},
  };

  while (len + 1 < size) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    if (fds[0].revents != 0)
      return false;
    ssize_t n = recv(conn->fd, buf + len, size - 1 - len, 0);
    if (n <= 0)
      return false;
    len += (size_t)n;
    buf[len] = '\0';
    if (strstr(buf, "\r\n\r\n") != NULL)
      return true;
  }
  return false;
}

static void *connection_main(void *arg) {
  connection_t *conn = arg;
  char *request = malloc(SERVER_REQUEST_MAX_BYTES);

  while (request != NULL &&
         read_request(conn, request, SERVER_REQUEST_MAX_BYTES)) {
    char path[512] = "";
    if (sscanf(request, "GET %511s HTTP/1.1", path) != 1)
      break;
    remember_user_agent(conn->server, request);
    if (!serve_request(conn, path))
      break;
  }
  free(request);
  close(conn->fd);
  free(conn);
  return NULL;
}

static void *acceptor_main(void *arg) {
  test_server_t *server = arg;
  struct pollfd fds[2] = {
      {.fd = server->stop_pipe[0], .events = POLLIN},
      {.fd = server->listen_fd, .events = POLLIN},
  };

  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (fds[0].revents != 0)
      break;
    int fd = accept(server->listen_fd, NULL, NULL);
    if (fd < 0)
      continue;

    connection_t *conn = malloc(sizeof(*conn));
    if (conn == NULL) {
      close(fd);
      continue;
    }
    conn->server = server;
    conn->fd = fd;
    pthread_mutex_lock(&server->lock);
    server->connections_accepted++;
    if (server->workers_num == SERVER_WORKERS_MAX ||
        pthread_create(&server->workers[server->workers_num], NULL,
                       connection_main, conn) != 0) {
      close(fd);
      free(conn);
    } else {
      server->workers_num++;
    }
    pthread_mutex_unlock(&server->lock);
  }
  return NULL;
}

/* Binds 127.0.0.1 on a port the kernel picks and returns the socket. */
static int bind_loopback(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = 0};
  assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
  socklen_t addr_len = sizeof(addr);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &addr_len), 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

static int server_start(void **state) {
  (void)state;
  test_server_t *server = &server_g;

  memset(server, 0, sizeof(*server));
  pthread_mutex_init(&server->lock, NULL);
  if (pipe(server->stop_pipe) != 0)
    return -1;
  server->listen_fd = bind_loopback(&server->port);
  if (listen(server->listen_fd, 64) != 0)
    return -1;
  if (pthread_create(&server->acceptor, NULL, acceptor_main, server) != 0)
    return -1;
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int server_stop(void **state) {
  (void)state;
  test_server_t *server = &server_g;
  char byte = 0;

  if (write(server->stop_pipe[1], &byte, 1) != 1)
    return -1;
  pthread_join(server->acceptor, NULL);
  pthread_mutex_lock(&server->lock);
  size_t workers_num = server->workers_num;
  pthread_mutex_unlock(&server->lock);
  for (size_t i = 0; i < workers_num; i++)
    pthread_join(server->workers[i], NULL);

  close(server->listen_fd);
  close(server->stop_pipe[0]);
  close(server->stop_pipe[1]);
  pthread_mutex_destroy(&server->lock);
  curl_global_cleanup();
  return 0;
}

static unsigned server_connections(void) {
  pthread_mutex_lock(&server_g.lock);
  unsigned n = server_g.connections_accepted;
  pthread_mutex_unlock(&server_g.lock);
  return n;
}

static p2pool_http_client_t *client_new(size_t body_max_bytes) {
  p2pool_http_options_t options = {
      .user_agent = TEST_USER_AGENT,
      .verify_peer = true,
      .verify_host = true,
      .ca_cert = NULL,
      .body_max_bytes = body_max_bytes,
  };
  p2pool_http_client_t *client = p2pool_http_client_create(&options);
  assert_non_null(client);
  return client;
}

static p2pool_http_request_t *request_new(const char *path) {
  p2pool_http_request_t *request = calloc(1, sizeof(*request));
  assert_non_null(request);
  snprintf(request->url, sizeof(request->url), "http://127.0.0.1:%d%s",
           server_g.port, path);
  request->endpoint = "test";
  return request;
}

static void request_free(p2pool_http_request_t *request) {
  p2pool_http_request_reset(request);
  free(request);
}

/* Runs one request alone and returns it for inspection. */
static p2pool_http_request_t *run_one(p2pool_http_client_t *client,
                                      const char *path, long timeout_ms) {
  p2pool_http_request_t *request = request_new(path);
  assert_int_equal(p2pool_http_run(client, &request, 1, timeout_ms), 0);
  return request;
}

static void assert_outcome(const p2pool_http_request_t *request,
                           p2pool_outcome_t expected) {
  if (request->outcome != expected)
    fail_msg("%s: expected outcome %s, got %s (status %ld, curl %d: %s)",
             request->url, p2pool_outcome_name(expected),
             p2pool_outcome_name(request->outcome), request->status,
             (int)request->curl_code, request->error);
}

/* Classifies a request built from its parts. */
static p2pool_outcome_t classify(CURLcode code, long status, const char *body,
                                 bool too_large) {
  p2pool_http_request_t *request = calloc(1, sizeof(*request));
  assert_non_null(request);
  request->curl_code = code;
  request->status = status;
  request->body = (char *)body;
  request->body_len = body == NULL ? 0 : strlen(body);
  request->body_too_large = too_large;

  p2pool_outcome_t outcome = p2pool_http_classify(request);
  free(request);
  return outcome;
}

static void outcome_names(void **state) {
  (void)state;

  assert_string_equal(p2pool_outcome_name(P2POOL_OUTCOME_OK), "ok");
  assert_string_equal(p2pool_outcome_name(P2POOL_OUTCOME_NOT_FOUND),
                      "not_found");
  assert_string_equal(p2pool_outcome_name(P2POOL_OUTCOME_HTTP_ERROR),
                      "http_error");
  assert_string_equal(p2pool_outcome_name(P2POOL_OUTCOME_BAD_BODY), "bad_body");
  assert_string_equal(p2pool_outcome_name(P2POOL_OUTCOME_TIMEOUT), "timeout");
  assert_string_equal(p2pool_outcome_name(P2POOL_OUTCOME_BLOCKED), "blocked");
  assert_string_equal(p2pool_outcome_name(P2POOL_OUTCOME_UNREACHABLE),
                      "unreachable");
  assert_non_null(p2pool_outcome_name(P2POOL_OUTCOME_COUNT));
}

static void classify_success(void **state) {
  (void)state;

  assert_int_equal(classify(CURLE_OK, 200, "{\"a\":1}\n", false),
                   P2POOL_OUTCOME_OK);
  assert_int_equal(classify(CURLE_OK, 200, "[\n\n]", false), P2POOL_OUTCOME_OK);
}

static void classify_bad_body(void **state) {
  (void)state;

  /* A body cut short: fewer bytes than Content-Length announced. */
  assert_int_equal(classify(CURLE_PARTIAL_FILE, 200, "[\n{\"a\":", false),
                   P2POOL_OUTCOME_BAD_BODY);
  assert_int_equal(classify(CURLE_WRITE_ERROR, 200, "[\n{\"a\":", true),
                   P2POOL_OUTCOME_BAD_BODY);
  assert_int_equal(classify(CURLE_OK, 200, "[\n{\"a\":", true),
                   P2POOL_OUTCOME_BAD_BODY);
}

static void classify_not_found(void **state) {
  (void)state;

  assert_int_equal(classify(CURLE_OK, 404, NOT_FOUND_BODY, false),
                   P2POOL_OUTCOME_NOT_FOUND);
  /* The router's own 404 means a wrong URL, not an unknown miner. */
  assert_int_equal(classify(CURLE_OK, 404, ROUTE_BODY, false),
                   P2POOL_OUTCOME_HTTP_ERROR);
  assert_int_equal(
      classify(CURLE_OK, 404, "{\"error\":\"miner_not_found\"}", false),
      P2POOL_OUTCOME_HTTP_ERROR);
  /* Only a 404 status makes the not_found body an unknown miner. */
  assert_int_equal(classify(CURLE_OK, 500, NOT_FOUND_BODY, false),
                   P2POOL_OUTCOME_HTTP_ERROR);
}

static void classify_http_errors(void **state) {
  (void)state;
  const long statuses[] = {301, 400, 401, 429, 500, 502, 503};

  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    p2pool_outcome_t outcome =
        classify(CURLE_OK, statuses[i], "{\"error\":\"x\"}", false);
    if (outcome != P2POOL_OUTCOME_HTTP_ERROR)
      fail_msg("status %ld: expected http_error, got %s", statuses[i],
               p2pool_outcome_name(outcome));
  }
  assert_int_equal(classify(CURLE_OK, 500, "", false),
                   P2POOL_OUTCOME_HTTP_ERROR);
}

static void classify_html_blocked(void **state) {
  (void)state;
  const char *pages[] = {
      HTML_BODY,
      "<!doctype html><html><body>x</body></html>",
      "\n  <html><head></head></html>",
      "<HTML><BODY>Forbidden</BODY></HTML>",
  };
  const long statuses[] = {200, 403, 418};

  for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
    for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
      p2pool_outcome_t outcome =
          classify(CURLE_OK, statuses[s], pages[p], false);
      if (outcome != P2POOL_OUTCOME_BLOCKED)
        fail_msg("page %zu, status %ld: expected blocked, got %s", p,
                 statuses[s], p2pool_outcome_name(outcome));
    }
  }
}

static void classify_transport_errors(void **state) {
  (void)state;
  const CURLcode unreachable[] = {
      CURLE_COULDNT_RESOLVE_HOST,     CURLE_COULDNT_RESOLVE_PROXY,
      CURLE_COULDNT_CONNECT,          CURLE_SSL_CONNECT_ERROR,
      CURLE_PEER_FAILED_VERIFICATION,
  };

  assert_int_equal(classify(CURLE_OPERATION_TIMEDOUT, 0, NULL, false),
                   P2POOL_OUTCOME_TIMEOUT);
  for (size_t i = 0; i < sizeof(unreachable) / sizeof(unreachable[0]); i++) {
    p2pool_outcome_t outcome = classify(unreachable[i], 0, NULL, false);
    if (outcome != P2POOL_OUTCOME_UNREACHABLE)
      fail_msg("curl code %d: expected unreachable, got %s",
               (int)unreachable[i], p2pool_outcome_name(outcome));
  }
}

static void url_escape_unreserved(void **state) {
  (void)state;
  char url[128] = "http://127.0.0.1/api/miner_info/";

  assert_int_equal(
      p2pool_http_url_append_escaped(url, sizeof(url), "4AbCxyz-._~0189"), 0);
  assert_string_equal(url, "http://127.0.0.1/api/miner_info/4AbCxyz-._~0189");
}

static void url_escape_reserved_and_utf8(void **state) {
  (void)state;
  char url[128] = "/api/miner_info/";

  assert_int_equal(p2pool_http_url_append_escaped(url, sizeof(url),
                                                  "a b/c?d&e=f#g%h+\xc3\xa9"),
                   0);
  assert_string_equal(url,
                      "/api/miner_info/a%20b%2Fc%3Fd%26e%3Df%23g%25h%2B%C3%A9");
}

static void url_escape_bounds(void **state) {
  (void)state;
  char url[32] = "/x/";

  /* "/x/" + "abc" + NUL fills 7 bytes exactly. */
  assert_int_equal(p2pool_http_url_append_escaped(url, 7, "abc"), 0);
  assert_string_equal(url, "/x/abc");

  snprintf(url, sizeof(url), "/x/");
  assert_int_equal(p2pool_http_url_append_escaped(url, 6, "abc"),
                   -ENAMETOOLONG);
  assert_string_equal(url, "/x/");

  /* "a b" grows to "a%20b" (5 bytes) once escaped. */
  assert_int_equal(p2pool_http_url_append_escaped(url, 8, "a b"),
                   -ENAMETOOLONG);
  assert_string_equal(url, "/x/");
  assert_int_equal(p2pool_http_url_append_escaped(url, 9, "a b"), 0);
  assert_string_equal(url, "/x/a%20b");

  assert_int_equal(p2pool_http_url_append_escaped(url, sizeof(url), ""), 0);
  assert_string_equal(url, "/x/a%20b");
}

static void client_destroy_null(void **state) {
  (void)state;
  p2pool_http_request_t *request = calloc(1, sizeof(*request));
  assert_non_null(request);

  p2pool_http_client_destroy(NULL);
  p2pool_http_request_reset(request);
  assert_null(request->body);
  free(request);
}

static void run_ok_json(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  p2pool_http_request_t *request = run_one(client, "/json", BATCH_TIMEOUT_MS);

  assert_outcome(request, P2POOL_OUTCOME_OK);
  assert_int_equal(request->curl_code, CURLE_OK);
  assert_int_equal(request->status, 200);
  assert_non_null(request->body);
  assert_int_equal(request->body_len, strlen("{\"ok\":true}\n"));
  assert_string_equal(request->body, "{\"ok\":true}\n");
  assert_false(request->body_too_large);
  assert_true(request->latency_seconds > 0);
  assert_true(request->latency_seconds < BATCH_TIMEOUT_MS / 1000.0);

  pthread_mutex_lock(&server_g.lock);
  assert_string_equal(server_g.last_user_agent, TEST_USER_AGENT);
  pthread_mutex_unlock(&server_g.lock);

  request_free(request);
  p2pool_http_client_destroy(client);
}

static void run_body_at_cap(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(BODY_CAP_BYTES);
  char path[64];
  snprintf(path, sizeof(path), "/size/%d", BODY_CAP_BYTES);
  p2pool_http_request_t *request = run_one(client, path, BATCH_TIMEOUT_MS);

  assert_outcome(request, P2POOL_OUTCOME_OK);
  assert_int_equal(request->body_len, BODY_CAP_BYTES);
  assert_false(request->body_too_large);
  assert_int_equal(request->body[BODY_CAP_BYTES], '\0');

  request_free(request);
  p2pool_http_client_destroy(client);
}

static void run_body_over_cap(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(BODY_CAP_BYTES);
  const char *paths[] = {"/size/1025", "/size/65536", "/chunked/65536"};

  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    p2pool_http_request_t *request =
        run_one(client, paths[i], BATCH_TIMEOUT_MS);
    assert_outcome(request, P2POOL_OUTCOME_BAD_BODY);
    assert_true(request->body_too_large);
    assert_true(request->body_len <= BODY_CAP_BYTES);
    request_free(request);
  }
  p2pool_http_client_destroy(client);
}

static void run_not_found_and_errors(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  p2pool_http_request_t *request;

  request = run_one(client, "/not_found", BATCH_TIMEOUT_MS);
  assert_outcome(request, P2POOL_OUTCOME_NOT_FOUND);
  assert_int_equal(request->status, 404);
  assert_string_equal(request->body, NOT_FOUND_BODY);
  request_free(request);

  request = run_one(client, "/route", BATCH_TIMEOUT_MS);
  assert_outcome(request, P2POOL_OUTCOME_HTTP_ERROR);
  assert_int_equal(request->status, 404);
  request_free(request);

  request = run_one(client, "/error", BATCH_TIMEOUT_MS);
  assert_outcome(request, P2POOL_OUTCOME_HTTP_ERROR);
  assert_int_equal(request->status, 500);
  request_free(request);

  p2pool_http_client_destroy(client);
}

static void run_html_blocked(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  p2pool_http_request_t *request;

  request = run_one(client, "/html", BATCH_TIMEOUT_MS);
  assert_outcome(request, P2POOL_OUTCOME_BLOCKED);
  assert_int_equal(request->status, 418);
  request_free(request);

  request = run_one(client, "/html_ok", BATCH_TIMEOUT_MS);
  assert_outcome(request, P2POOL_OUTCOME_BLOCKED);
  assert_int_equal(request->status, 200);
  request_free(request);

  p2pool_http_client_destroy(client);
}

static void run_slow_answer_times_out(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  p2pool_http_request_t *requests[2] = {request_new("/slow"),
                                        request_new("/json")};
  const long timeout_ms = 500;

  double started = monotonic_ms();
  assert_int_equal(p2pool_http_run(client, requests, 2, timeout_ms), 0);
  double elapsed = monotonic_ms() - started;

  assert_outcome(requests[0], P2POOL_OUTCOME_TIMEOUT);
  assert_outcome(requests[1], P2POOL_OUTCOME_OK);
  /* The batch ends near its deadline, not when the server gives up. */
  if (elapsed > timeout_ms + 2500)
    fail_msg("batch with a %ld ms deadline took %.0f ms", timeout_ms, elapsed);

  request_free(requests[0]);
  request_free(requests[1]);
  p2pool_http_client_destroy(client);
}

static void run_connection_refused(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  int port = 0;

  /* A port that was bound and released has no listener. */
  int fd = bind_loopback(&port);
  close(fd);

  p2pool_http_request_t *request = calloc(1, sizeof(*request));
  assert_non_null(request);
  snprintf(request->url, sizeof(request->url), "http://127.0.0.1:%d/json",
           port);
  request->endpoint = "test";
  assert_int_equal(p2pool_http_run(client, &request, 1, BATCH_TIMEOUT_MS), 0);
  assert_outcome(request, P2POOL_OUTCOME_UNREACHABLE);
  assert_int_equal(request->curl_code, CURLE_COULDNT_CONNECT);

  request_free(request);
  p2pool_http_client_destroy(client);
}

static void run_concurrent_requests(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  p2pool_http_request_t *requests[CONCURRENT_REQUESTS_NUM];

  for (size_t i = 0; i < CONCURRENT_REQUESTS_NUM; i++) {
    char path[64];
    snprintf(path, sizeof(path), "/delay/%d/%zu", CONCURRENT_DELAY_MS, i);
    requests[i] = request_new(path);
  }

  pthread_mutex_lock(&server_g.lock);
  server_g.delays_active_max = 0;
  pthread_mutex_unlock(&server_g.lock);

  assert_int_equal(p2pool_http_run(client, requests, CONCURRENT_REQUESTS_NUM,
                                   BATCH_TIMEOUT_MS),
                   0);

  for (size_t i = 0; i < CONCURRENT_REQUESTS_NUM; i++) {
    char expected[64];
    snprintf(expected, sizeof(expected), "{\"n\":%zu}", i);
    assert_outcome(requests[i], P2POOL_OUTCOME_OK);
    assert_string_equal(requests[i]->body, expected);
    request_free(requests[i]);
  }

  /* Run one after the other, at most one request would be in the server at
   * a time; run concurrently, all of them are while each waits. */
  pthread_mutex_lock(&server_g.lock);
  unsigned most_at_once = server_g.delays_active_max;
  pthread_mutex_unlock(&server_g.lock);
  assert_int_equal(most_at_once, CONCURRENT_REQUESTS_NUM);
  p2pool_http_client_destroy(client);
}

static void run_reuses_connection(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  unsigned before = server_connections();

  p2pool_http_request_t *request = run_one(client, "/echo/1", BATCH_TIMEOUT_MS);
  assert_outcome(request, P2POOL_OUTCOME_OK);
  assert_string_equal(request->body, "{\"n\":1}");

  /* The same request object, reset and sent in a second batch. */
  p2pool_http_request_reset(request);
  assert_null(request->body);
  snprintf(request->url, sizeof(request->url), "http://127.0.0.1:%d/echo/2",
           server_g.port);
  assert_int_equal(p2pool_http_run(client, &request, 1, BATCH_TIMEOUT_MS), 0);
  assert_outcome(request, P2POOL_OUTCOME_OK);
  assert_string_equal(request->body, "{\"n\":2}");

  /* The second batch went over the connection the first one opened. */
  assert_int_equal(server_connections() - before, 1);

  request_free(request);
  p2pool_http_client_destroy(client);
}

typedef struct {
  p2pool_http_client_t *client;
  int delay_ms;
} waker_t;

static void *waker_main(void *arg) {
  waker_t *waker = arg;
  struct timespec delay = {.tv_sec = waker->delay_ms / 1000,
                           .tv_nsec = (waker->delay_ms % 1000) * 1000000L};
  nanosleep(&delay, NULL);
  p2pool_http_client_wakeup(waker->client);
  return NULL;
}

static void run_wakeup_interrupts(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  p2pool_http_request_t *request = request_new("/slow");
  waker_t waker = {.client = client, .delay_ms = 300};
  pthread_t thread;

  assert_int_equal(pthread_create(&thread, NULL, waker_main, &waker), 0);
  double started = monotonic_ms();
  int rc = p2pool_http_run(client, &request, 1, BATCH_TIMEOUT_MS);
  double elapsed = monotonic_ms() - started;
  pthread_join(thread, NULL);

  assert_int_equal(rc, -EINTR);
  if (elapsed > BATCH_TIMEOUT_MS / 2)
    fail_msg("wake-up after 300 ms ended the batch after %.0f ms", elapsed);

  request_free(request);
  p2pool_http_client_destroy(client);
}

static void run_more_requests_than_slots(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  const size_t requests_num = P2POOL_HTTP_TRANSFERS_MAX + 6;
  p2pool_http_request_t **requests = calloc(requests_num, sizeof(*requests));
  assert_non_null(requests);

  for (size_t i = 0; i < requests_num; i++) {
    char path[64];
    snprintf(path, sizeof(path), "/echo/%zu", i);
    requests[i] = request_new(path);
  }
  assert_int_equal(
      p2pool_http_run(client, requests, requests_num, BATCH_TIMEOUT_MS * 3), 0);

  int failures = 0;
  for (size_t i = 0; i < requests_num; i++) {
    char expected[64];
    snprintf(expected, sizeof(expected), "{\"n\":%zu}", i);
    if (requests[i]->outcome != P2POOL_OUTCOME_OK ||
        requests[i]->body == NULL || strcmp(requests[i]->body, expected) != 0) {
      print_error("request %zu: outcome %s, body %s\n", i,
                  p2pool_outcome_name(requests[i]->outcome),
                  requests[i]->body == NULL ? "(none)" : requests[i]->body);
      failures++;
    }
    request_free(requests[i]);
  }
  free(requests);
  p2pool_http_client_destroy(client);
  if (failures > 0)
    fail_msg("%d of %zu requests failed", failures, requests_num);
}

typedef struct {
  unsigned calls;
  p2pool_outcome_t outcome;
  char body[64];
} done_record_t;

/* Records the finished request, then consumes its body as observer code
 * does. */
static void record_done(p2pool_http_request_t *request) {
  done_record_t *record = request->user_data;

  record->calls++;
  record->outcome = request->outcome;
  snprintf(record->body, sizeof(record->body), "%s",
           request->body == NULL ? "" : request->body);
  p2pool_http_request_reset(request);
}

static void run_calls_on_done_once(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);
  p2pool_http_request_t *requests[3] = {
      request_new("/echo/7"), request_new("/not_found"), request_new("/html")};
  done_record_t records[3];

  memset(records, 0, sizeof(records));
  for (size_t i = 0; i < 3; i++) {
    requests[i]->on_done = record_done;
    requests[i]->user_data = &records[i];
  }
  assert_int_equal(p2pool_http_run(client, requests, 3, BATCH_TIMEOUT_MS), 0);

  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(records[i].calls, 1);
    assert_null(requests[i]->body);
  }
  assert_int_equal(records[0].outcome, P2POOL_OUTCOME_OK);
  assert_string_equal(records[0].body, "{\"n\":7}");
  assert_int_equal(records[1].outcome, P2POOL_OUTCOME_NOT_FOUND);
  assert_string_equal(records[1].body, NOT_FOUND_BODY);
  assert_int_equal(records[2].outcome, P2POOL_OUTCOME_BLOCKED);

  for (size_t i = 0; i < 3; i++)
    request_free(requests[i]);
  p2pool_http_client_destroy(client);
}

static void run_empty_batch(void **state) {
  (void)state;
  p2pool_http_client_t *client = client_new(0);

  assert_int_equal(p2pool_http_run(client, NULL, 0, BATCH_TIMEOUT_MS), 0);
  p2pool_http_client_destroy(client);
}

int main(void) {
  const struct CMUnitTest pure_tests[] = {
      cmocka_unit_test(outcome_names),
      cmocka_unit_test(classify_success),
      cmocka_unit_test(classify_bad_body),
      cmocka_unit_test(classify_not_found),
      cmocka_unit_test(classify_http_errors),
      cmocka_unit_test(classify_html_blocked),
      cmocka_unit_test(classify_transport_errors),
      cmocka_unit_test(url_escape_unreserved),
      cmocka_unit_test(url_escape_reserved_and_utf8),
      cmocka_unit_test(url_escape_bounds),
      cmocka_unit_test(client_destroy_null),
  };
  const struct CMUnitTest server_tests[] = {
      cmocka_unit_test(run_ok_json),
      cmocka_unit_test(run_body_at_cap),
      cmocka_unit_test(run_body_over_cap),
      cmocka_unit_test(run_not_found_and_errors),
      cmocka_unit_test(run_html_blocked),
      cmocka_unit_test(run_slow_answer_times_out),
      cmocka_unit_test(run_connection_refused),
      cmocka_unit_test(run_concurrent_requests),
      cmocka_unit_test(run_reuses_connection),
      cmocka_unit_test(run_wakeup_interrupts),
      cmocka_unit_test(run_more_requests_than_slots),
      cmocka_unit_test(run_calls_on_done_once),
      cmocka_unit_test(run_empty_batch),
  };

  int failed = cmocka_run_group_tests_name("http_pure", pure_tests, NULL, NULL);
  failed += cmocka_run_group_tests_name("http_server", server_tests,
                                        server_start, server_stop);
  return failed == 0 ? 0 : 1;
}
