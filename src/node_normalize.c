/*
 * node_normalize.c: rewrites a P2Pool data API file into text that json-c
 * parses strictly without losing a value.
 *
 * P2Pool builds these files with a string stream, not a JSON library.
 * Doubles print with "%.3f" and come out as inf or nan when P2Pool divides
 * by zero (the share effort before the sidechain difficulty is known).
 * json-c 0.16 rejects inf and -nan as a whole-document error, even in its
 * lenient mode, which would lose every other field of the file, and lenient
 * mode accepts a bare nan but turns it into a NaN double. Before v4.17 a
 * 16-byte buffer cut doubles of 1e11 or more short, leaving a trailing '.'
 * ("12345678901234."), which strict JSON forbids. And json-c saturates
 * integers above 2^64 without an error, while P2Pool prints 128-bit values
 * in full. The normaliser handles all of these before the parse.
 */
#include "node_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integers of this many digits may not fit 64 bits, so the normaliser
 * passes them as strings for the 128-bit decimal decoder. */
#define P2POOL_NODE_BIG_INTEGER_DIGITS 20

/* Longest "nan(...)" payload skipped, as printed by some C libraries. */
#define P2POOL_NODE_NAN_PAYLOAD_MAX_CHARS 32

/* ---- issues ------------------------------------------------------------ */

p2pool_node_issue_t *p2pool_node_issue_slot(p2pool_node_issues_t *issues,
                                            const char *field) {
  for (size_t i = 0; i < issues->num; i++) {
    if (strcmp(issues->items[i].field, field) == 0)
      return NULL;
  }

  if (issues->num >= P2POOL_NODE_ISSUES_MAX) {
    issues->dropped++;
    return NULL;
  }

  p2pool_node_issue_t *issue = &issues->items[issues->num++];
  snprintf(issue->field, sizeof(issue->field), "%s", field);
  return issue;
}

/* ---- normalising the text ---------------------------------------------- */

typedef struct {
  char *data;
  size_t len;
  size_t cap;
} node_buffer_t;

/* The buffer is sized so that no rewrite can overflow it (see the caller),
 * so appends only check as a safeguard. */
static void buffer_append(node_buffer_t *buffer, const char *text, size_t len) {
  if (buffer->len + len >= buffer->cap)
    return;
  memcpy(buffer->data + buffer->len, text, len);
  buffer->len += len;
}

static bool is_word_char(char c) {
  return isalnum((unsigned char)c) || c == '-' || c == '+' || c == '.';
}

typedef struct {
  bool valid;
  bool integer;     /* no fraction, no exponent */
  bool ends_in_dot; /* "123." */
  size_t digits;    /* digits before any '.' or exponent */
} node_number_shape_t;

/* Classifies a bare token as a JSON number, allowing a trailing '.'. */
static node_number_shape_t number_shape(const char *token, size_t len) {
  node_number_shape_t shape = {0};
  size_t i = 0;

  if (i < len && token[i] == '-')
    i++;
  while (i < len && isdigit((unsigned char)token[i])) {
    i++;
    shape.digits++;
  }
  if (shape.digits == 0)
    return shape;

  shape.integer = true;
  if (i < len && token[i] == '.') {
    shape.integer = false;
    i++;
    if (i == len) {
      shape.ends_in_dot = true;
      shape.valid = true;
      return shape;
    }
    size_t fraction = 0;
    while (i < len && isdigit((unsigned char)token[i])) {
      i++;
      fraction++;
    }
    if (fraction == 0)
      return shape;
  }

  if (i < len && (token[i] == 'e' || token[i] == 'E')) {
    shape.integer = false;
    i++;
    if (i < len && (token[i] == '+' || token[i] == '-'))
      i++;
    size_t exponent = 0;
    while (i < len && isdigit((unsigned char)token[i])) {
      i++;
      exponent++;
    }
    if (exponent == 0)
      return shape;
  }

  shape.valid = (i == len);
  return shape;
}

/* Tells whether a bare token is inf, infinity or nan in any case and sign,
 * as printf and other libraries spell non-finite doubles. */
static bool is_non_finite(const char *token, size_t len) {
  if (len > 0 && (token[0] == '-' || token[0] == '+')) {
    token++;
    len--;
  }
  return (len == 3 && strncasecmp(token, "inf", 3) == 0) ||
         (len == 8 && strncasecmp(token, "infinity", 8) == 0) ||
         (len == 3 && strncasecmp(token, "nan", 3) == 0);
}

/* Returns the end of a bare token starting at start, including the
 * "(payload)" that follows nan on some C libraries ("-nan(ind)"). */
static size_t token_end(const char *text, size_t len, size_t start) {
  size_t end = start;
  while (end < len && is_word_char(text[end]))
    end++;

  if (end < len && text[end] == '(' &&
      is_non_finite(text + start, end - start)) {
    size_t close = end + 1;
    while (close < len && close - end <= P2POOL_NODE_NAN_PAYLOAD_MAX_CHARS &&
           text[close] != ')')
      close++;
    if (close < len && text[close] == ')')
      end = close + 1;
  }
  return end;
}

/* Writes one bare token, rewritten where strict JSON or json-c's integer
 * range would otherwise lose the document or the value. */
static void normalize_token(node_buffer_t *buffer, const char *token,
                            size_t len, const char *key,
                            p2pool_node_issues_t *issues) {
  size_t word_len = len;
  const char *paren = memchr(token, '(', len);
  if (paren != NULL)
    word_len = (size_t)(paren - token);

  if (is_non_finite(token, word_len)) {
    P2POOL_NODE_ISSUE_ADD(issues, key[0] != '\0' ? key : "(document)",
                          "is not a finite number (%.*s)",
                          (int)(len < 24 ? len : 24), token);
    buffer_append(buffer, "null", 4);
    return;
  }

  node_number_shape_t shape = number_shape(token, len);
  if (shape.valid && shape.ends_in_dot) {
    buffer_append(buffer, token, len);
    buffer_append(buffer, "0", 1);
    return;
  }
  if (shape.valid && shape.integer &&
      shape.digits >= P2POOL_NODE_BIG_INTEGER_DIGITS) {
    buffer_append(buffer, "\"", 1);
    buffer_append(buffer, token, len);
    buffer_append(buffer, "\"", 1);
    return;
  }

  /* true, false, null, ordinary numbers, and anything json-c will reject */
  buffer_append(buffer, token, len);
}

char *p2pool_node_normalize(const char *text, size_t len, size_t *out_len,
                            p2pool_node_issues_t *issues) {
  /* A rewrite grows a token by at most 2 bytes ("1." to "1.0", or quotes
   * around 20+ digits), and such tokens are 2 bytes or longer. */
  node_buffer_t buffer = {.cap = 2 * len + 16};
  buffer.data = malloc(buffer.cap);
  if (buffer.data == NULL)
    return NULL;

  char last_string[P2POOL_NODE_ISSUE_FIELD_MAX_BYTES] = "";
  size_t last_string_len = 0;
  char key[P2POOL_NODE_ISSUE_FIELD_MAX_BYTES] = "";
  bool in_string = false;
  bool escaped = false;

  for (size_t i = 0; i < len; i++) {
    char c = text[i];

    if (in_string) {
      buffer_append(&buffer, &c, 1);
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
        last_string[last_string_len] = '\0';
      } else if (last_string_len + 1 < sizeof(last_string)) {
        last_string[last_string_len++] = c;
      }
      continue;
    }

    if (c == '"') {
      in_string = true;
      last_string_len = 0;
      buffer_append(&buffer, &c, 1);
    } else if (c == ':') {
      memcpy(key, last_string, sizeof(key));
      buffer_append(&buffer, &c, 1);
    } else if (is_word_char(c)) {
      size_t end = token_end(text, len, i);
      normalize_token(&buffer, text + i, end - i, key, issues);
      i = end - 1;
    } else {
      buffer_append(&buffer, &c, 1);
    }
  }

  buffer.data[buffer.len] = '\0';
  *out_len = buffer.len;
  return buffer.data;
}
