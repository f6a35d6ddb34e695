/*
 * store_file.c: saved state in a local JSON file (the default store).
 *
 * The file is replaced atomically. The new state goes to a temporary file in
 * the same directory, which is synced and renamed over the old file, and
 * then the directory is synced. A crash leaves either the old or the new
 * file.
 * A file that cannot be read or decoded is renamed to
 * <file>.corrupt-<Unix time> and the plugin starts with empty totals. A file
 * written by a newer plugin version is never overwritten: totals are then
 * kept in memory only until the file is moved away.
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"
#include "utils_complain.h"

#include "store_backend.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  p2pool_store_backend_t base;
  char *path;

  /* The file was written by a newer plugin version: never overwrite it. */
  bool read_only;

  /* Entries loaded from the file, written back for wallets and observers
   * that are no longer configured so their totals survive until they are. */
  p2pool_saved_state_t loaded;

  /* The document last written, to skip writing an unchanged state. */
  char *last_written;

  c_complain_t write_failure;
} file_backend_t;

/* Reads the whole file into a new buffer of at most
 * P2POOL_STATE_DOCUMENT_MAX_BYTES bytes. */
static int read_file(const char *path, char **out, size_t *out_len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;

  struct stat st;
  int rc = 0;
  char *buf = NULL;
  size_t len = 0;

  if (fstat(fd, &st) != 0) {
    rc = -errno;
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    rc = -EISDIR;
    goto out;
  }
  if (st.st_size < 0 || (size_t)st.st_size > P2POOL_STATE_DOCUMENT_MAX_BYTES) {
    rc = -EFBIG;
    goto out;
  }

  /* One byte more than the cap, so a file that grew since fstat shows. */
  size_t cap = (size_t)st.st_size + 1;
  buf = malloc(cap + 1);
  if (buf == NULL) {
    rc = -ENOMEM;
    goto out;
  }

  while (len < cap) {
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = -errno;
      goto out;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  if (len > P2POOL_STATE_DOCUMENT_MAX_BYTES) {
    rc = -EFBIG;
    goto out;
  }

  buf[len] = '\0';
  *out = buf;
  *out_len = len;
  buf = NULL;

out:
  free(buf);
  close(fd);
  return rc;
}

/* Renames an unusable state file out of the way, keeping it for the
 * operator to inspect. */
static void move_aside(const file_backend_t *file, const char *reason) {
  char aside[PATH_MAX];
  snprintf(aside, sizeof(aside), "%s.corrupt-%lld", file->path,
           (long long)time(NULL));

  if (rename(file->path, aside) != 0) {
    ERROR("p2pool plugin: State file \"%s\" is unusable (%s) and could not "
          "be renamed to \"%s\": %s. Starting with empty totals; the next "
          "save replaces the file.",
          file->path, reason, aside, STRERRNO);
    return;
  }
  ERROR("p2pool plugin: State file \"%s\" is unusable (%s). Renamed it to "
        "\"%s\" and starting with empty totals.",
        file->path, reason, aside);
}

static int file_load(p2pool_store_backend_t *backend,
                     const p2pool_saved_state_t *configured,
                     p2pool_saved_state_t *out) {
  file_backend_t *file = (file_backend_t *)backend;
  char *buf = NULL;
  size_t len = 0;
  char err[256] = "";
  (void)configured;

  memset(out, 0, sizeof(*out));
  int rc = read_file(file->path, &buf, &len);
  if (rc == -ENOENT) {
    INFO("p2pool plugin: State file \"%s\" does not exist yet; starting "
         "with empty totals.",
         file->path);
    return 0;
  }
  if (rc == -EISDIR) {
    file->read_only = true;
    ERROR("p2pool plugin: State file \"%s\" is not a regular file. Totals "
          "are kept in memory only; set StateFile to a file name.",
          file->path);
    return 0;
  }
  if (rc != 0) {
    snprintf(err, sizeof(err), "read failed: %s", STRERROR(-rc));
    move_aside(file, err);
    return 0;
  }

  rc = p2pool_state_decode(buf, len, out, err, sizeof(err));
  free(buf);

  if (rc == -P2POOL_STATE_ENEWER) {
    file->read_only = true;
    ERROR("p2pool plugin: State file \"%s\" was written by a newer version "
          "of this plugin (%s). It is left unchanged and totals are kept in "
          "memory only; upgrade the plugin, or move the file away to start "
          "new totals.",
          file->path, err);
    return 0;
  }
  if (rc != 0) {
    move_aside(file, err);
    return 0;
  }

  rc = p2pool_saved_state_alloc(&file->loaded, out->wallets_num,
                                out->observers_num);
  if (rc != 0) {
    p2pool_saved_state_free(out);
    return -EAGAIN;
  }
  memcpy(file->loaded.wallets, out->wallets,
         out->wallets_num * sizeof(*out->wallets));
  memcpy(file->loaded.observers, out->observers,
         out->observers_num * sizeof(*out->observers));

  INFO("p2pool plugin: Loaded totals of %zu wallets and %zu observers from "
       "state file \"%s\" (saved at %llu).",
       out->wallets_num, out->observers_num, file->path,
       (unsigned long long)out->saved_at);
  return 0;
}

static bool state_has_wallet(const p2pool_saved_state_t *state,
                             const p2pool_saved_wallet_t *wallet) {
  for (size_t i = 0; i < state->wallets_num; i++) {
    if (strcmp(state->wallets[i].address, wallet->address) == 0 &&
        strcmp(state->wallets[i].observer, wallet->observer) == 0)
      return true;
  }
  return false;
}

static bool state_has_observer(const p2pool_saved_state_t *state,
                               const p2pool_saved_observer_t *observer) {
  for (size_t i = 0; i < state->observers_num; i++) {
    if (strcmp(state->observers[i].name, observer->name) == 0)
      return true;
  }
  return false;
}

/* Builds the document to write: the current state, then loaded entries of
 * wallets and observers no longer configured, as far as the caps allow. */
static int add_unconfigured(const file_backend_t *file,
                            const p2pool_saved_state_t *state,
                            p2pool_saved_state_t *out) {
  int rc = p2pool_saved_state_alloc(
      out, state->wallets_num + file->loaded.wallets_num,
      state->observers_num + file->loaded.observers_num);
  if (rc != 0)
    return rc;

  out->saved_at = state->saved_at;
  memcpy(out->wallets, state->wallets,
         state->wallets_num * sizeof(*state->wallets));
  memcpy(out->observers, state->observers,
         state->observers_num * sizeof(*state->observers));
  out->wallets_num = state->wallets_num;
  out->observers_num = state->observers_num;

  for (size_t i = 0; i < file->loaded.wallets_num; i++) {
    const p2pool_saved_wallet_t *wallet = &file->loaded.wallets[i];
    if (out->wallets_num < P2POOL_STATE_WALLETS_MAX &&
        !state_has_wallet(state, wallet))
      out->wallets[out->wallets_num++] = *wallet;
  }
  for (size_t i = 0; i < file->loaded.observers_num; i++) {
    const p2pool_saved_observer_t *observer = &file->loaded.observers[i];
    if (out->observers_num < P2POOL_STATE_OBSERVERS_MAX &&
        !state_has_observer(state, observer))
      out->observers[out->observers_num++] = *observer;
  }
  return 0;
}

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static int sync_directory(const char *path) {
  char *copy = strdup(path);
  if (copy == NULL)
    return -ENOMEM;

  int rc = 0;
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0)
    rc = -errno;
  if (fd >= 0)
    close(fd);
  free(copy);
  return rc;
}

/* Replaces the file at path with buf: temporary file, fsync, rename, fsync
 * of the directory. Writes the failing step into what. */
static int replace_file(const char *path, const char *buf, size_t len,
                        const char **what) {
  char tmp[PATH_MAX];
  if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >=
      sizeof(tmp)) {
    *what = "building the temporary file name";
    return -ENAMETOOLONG;
  }

  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    *what = "creating a temporary file";
    return -errno;
  }

  int rc = write_all(fd, buf, len);
  if (rc != 0)
    *what = "writing the temporary file";
  if (rc == 0 && fsync(fd) != 0) {
    rc = -errno;
    *what = "syncing the temporary file";
  }
  if (close(fd) != 0 && rc == 0) {
    rc = -errno;
    *what = "closing the temporary file";
  }
  if (rc == 0 && rename(tmp, path) != 0) {
    rc = -errno;
    *what = "renaming the temporary file";
  }
  if (rc != 0) {
    unlink(tmp);
    return rc;
  }

  rc = sync_directory(path);
  if (rc != 0)
    *what = "syncing the directory";
  return rc;
}

/* Writes the file when the document changed. A refresh changes nothing
 * here: a file does not lose what was written to it. */
static int file_save(p2pool_store_backend_t *backend,
                     const p2pool_saved_state_t *state, bool refresh) {
  file_backend_t *file = (file_backend_t *)backend;
  p2pool_saved_state_t document = {0};
  char *buf = NULL;
  size_t len = 0;
  char err[256] = "";
  const char *what = "encoding the state";
  (void)refresh;

  if (file->read_only)
    return -EROFS;

  int rc = add_unconfigured(file, state, &document);
  if (rc == 0)
    rc = p2pool_state_encode(&document, &buf, &len, err, sizeof(err));
  p2pool_saved_state_free(&document);

  if (rc == 0 && file->last_written != NULL &&
      strcmp(file->last_written, buf) == 0) {
    free(buf);
    return 0;
  }
  if (rc == 0)
    rc = replace_file(file->path, buf, len, &what);

  if (rc != 0) {
    c_complain(LOG_ERR, &file->write_failure,
               "p2pool plugin: Saving state file \"%s\" failed while %s: "
               "%s. Totals are kept in memory; will retry at the next save.",
               file->path, what, err[0] != '\0' ? err : STRERROR(-rc));
    free(buf);
    return rc;
  }

  c_release(LOG_INFO, &file->write_failure,
            "p2pool plugin: Saved state file \"%s\" again.", file->path);
  free(file->last_written);
  file->last_written = buf;
  return 0;
}

static void file_destroy(p2pool_store_backend_t *backend) {
  file_backend_t *file = (file_backend_t *)backend;
  if (file == NULL)
    return;

  p2pool_saved_state_free(&file->loaded);
  free(file->last_written);
  free(file->path);
  free(file);
}

p2pool_store_backend_t *p2pool_store_file_create(const char *path) {
  file_backend_t *file = calloc(1, sizeof(*file));
  if (file == NULL)
    return NULL;

  file->path = strdup(path);
  if (file->path == NULL) {
    free(file);
    return NULL;
  }

  file->base.load = file_load;
  file->base.save = file_save;
  file->base.retry_now = NULL;
  file->base.destroy = file_destroy;
  C_COMPLAIN_INIT(&file->write_failure);
  return &file->base;
}
