/*
 * collectd_stubs.c: the few collectd daemon functions the plugin's store
 * backends call, for store_bench outside the daemon. Log lines go to
 * stderr; configuration getters are never called by the benchmark.
 */
#include "collectd.h"

#include "configfile.h"
#include "plugin.h"
#include "utils/common/common.h"
#include "utils_complain.h"

#include <stdarg.h>

char *hostname_g = "bench";

static void vlog(int level, const char *format, va_list ap) {
  fprintf(stderr, "store_bench log %d: ", level);
  vfprintf(stderr, format, ap);
  fputc('\n', stderr);
}

void plugin_log(int level, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vlog(level, format, ap);
  va_end(ap);
}

void c_complain(int level, c_complain_t *c, const char *format, ...) {
  va_list ap;
  (void)c;
  va_start(ap, format);
  vlog(level, format, ap);
  va_end(ap);
}

void c_do_release(int level, c_complain_t *c, const char *format, ...) {
  va_list ap;
  (void)c;
  va_start(ap, format);
  vlog(level, format, ap);
  va_end(ap);
}

cdtime_t cdtime(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return TIMESPEC_TO_CDTIME_T(&now);
}

char *ssnprintf_alloc(char const *format, ...) {
  va_list ap;
  char *out = NULL;
  va_start(ap, format);
  int status = vasprintf(&out, format, ap);
  va_end(ap);
  return status < 0 ? NULL : out;
}

char *sstrerror(int errnum, char *buf, size_t buflen) {
  snprintf(buf, buflen, "%s", strerror(errnum));
  return buf;
}

int cf_util_get_string(const oconfig_item_t *ci, char **ret_string) {
  (void)ci;
  (void)ret_string;
  return -1;
}

int cf_util_get_int(const oconfig_item_t *ci, int *ret_value) {
  (void)ci;
  (void)ret_value;
  return -1;
}

int cf_util_get_double(const oconfig_item_t *ci, double *ret_value) {
  (void)ci;
  (void)ret_value;
  return -1;
}

int cf_util_get_port_number(const oconfig_item_t *ci) {
  (void)ci;
  return -1;
}
