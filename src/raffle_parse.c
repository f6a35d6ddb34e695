/*
 * raffle_parse.c: xmrvsbeast's raffle figures of one address, without
 * collectd.
 */
#include "raffle_parse.h"

#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The JSON endpoint reports its averages in kH/s. */
#define RAFFLE_JSON_HASHRATE_SCALE 1e3
/* Digits of a hashrate on the page; 15 keep every value exact in a double. */
#define RAFFLE_NUMBER_DIGITS_MAX 15
/* Characters of page text quoted in a reason. */
#define RAFFLE_SNIPPET_MAX_CHARS 24

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static const char *skip_blanks(const char *p) {
  while (is_blank(*p))
    p++;
  return p;
}

/* Reads digits with an optional fraction, at most RAFFLE_NUMBER_DIGITS_MAX
 * digits in all, without strtod, whose decimal point follows the locale. */
static int parse_decimal(const char *text, double *out, const char **end) {
  const char *p = text;
  if (!is_digit(*p))
    return -EINVAL;

  uint64_t mantissa = 0;
  int digits = 0;
  int fraction_digits = 0;
  for (; is_digit(*p); p++, digits++)
    mantissa = mantissa * 10 + (uint64_t)(*p - '0');
  if (*p == '.' && is_digit(p[1])) {
    for (p++; is_digit(*p); p++, digits++, fraction_digits++)
      mantissa = mantissa * 10 + (uint64_t)(*p - '0');
  }
  if (digits > RAFFLE_NUMBER_DIGITS_MAX)
    return -ERANGE;

  double scale = 1;
  for (int i = 0; i < fraction_digits; i++)
    scale *= 10;
  *out = (double)mantissa / scale;
  *end = p;
  return 0;
}

/* Reads a unit "<prefix>H/s" and stores its factor to H/s. */
static int parse_unit(const char *text, double *factor, const char **end) {
  const char *p = text;
  switch (*p) {
  case 'H':
  case 'h':
    *factor = 1;
    break;
  case 'k':
  case 'K':
    *factor = 1e3;
    p++;
    break;
  case 'M':
    *factor = 1e6;
    p++;
    break;
  case 'G':
  case 'g':
    *factor = 1e9;
    p++;
    break;
  default:
    /* "m" could be milli or mega; any other letter is no prefix we know. */
    return is_letter(*p) ? -ERANGE : -EINVAL;
  }

  if (*p != 'H' && *p != 'h')
    return is_letter(*p) ? -ERANGE : -EINVAL;
  p++;
  if (p[0] != '/' || (p[1] != 's' && p[1] != 'S') || is_letter(p[2]))
    return -EINVAL;
  *end = p + 2;
  return 0;
}

int p2pool_raffle_parse_hashrate(const char *text, double *out,
                                 const char **end) {
  if (text == NULL || out == NULL)
    return -EINVAL;

  double number = 0;
  const char *p = NULL;
  int status = parse_decimal(text, &number, &p);
  if (status != 0)
    return status;

  double factor = 0;
  status = parse_unit(skip_blanks(p), &factor, &p);
  if (status != 0)
    return status;

  *out = number * factor;
  if (end != NULL)
    *end = p;
  return 0;
}

static bool matches_at(const char *text, size_t text_len, size_t at,
                       const char *word) {
  size_t word_len = strlen(word);
  return at + word_len <= text_len &&
         strncasecmp(text + at, word, word_len) == 0;
}

bool p2pool_raffle_body_not_registered(const char *body, size_t body_len) {
  if (body == NULL)
    return false;
  for (size_t i = 0; i < body_len; i++) {
    if (matches_at(body, body_len, i, "not registered"))
      return true;
  }
  return false;
}

int p2pool_raffle_parse_json(const char *body, size_t body_len,
                             p2pool_raffle_figures_t *out, char *reason,
                             size_t reason_size) {
  static const char *const keys[] = {"donor_1hr_avg", "donor_24hr_avg"};
  double *values[] = {&out->avg_1h, &out->avg_24h};

  memset(out, 0, sizeof(*out));
  json_object *root = NULL;
  char err[96] = "the body is empty";
  if (body == NULL || body_len == 0 ||
      p2pool_json_parse(body, body_len, &root, err, sizeof(err)) != 0) {
    snprintf(reason, reason_size, "not JSON: %s", err);
    return -EINVAL;
  }

  int ret = -EINVAL;
  if (!json_object_is_type(root, json_type_object)) {
    snprintf(reason, reason_size, "the document is %s, not an object",
             p2pool_json_type_name(root));
    goto done;
  }

  for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
    double kilo_hashes = 0;
    int status = p2pool_json_get_double(root, keys[i], &kilo_hashes);
    if (status == 0 && kilo_hashes < 0)
      status = -ERANGE;
    if (status != 0) {
      snprintf(reason, reason_size, "\"%s\" is %s", keys[i],
               status == -ENOENT   ? "missing"
               : status == -EINVAL ? "not a number"
                                   : "negative or not finite");
      goto done;
    }
    *values[i] = kilo_hashes * RAFFLE_JSON_HASHRATE_SCALE;
  }

  int status = p2pool_json_get_uint64(root, "fails", &out->fails);
  if (status != 0 && status != -ENOENT) {
    snprintf(reason, reason_size, "\"fails\" is not a count");
    goto done;
  }
  out->fails_valid = status == 0;
  ret = 0;

done:
  json_object_put(root);
  return ret;
}

/* Appends one character to the page text, folding runs of white space. */
static void text_append(char *text, size_t *len, char c) {
  if (is_blank(c) || c == '\n' || c == '\r' || c == '\0') {
    if (*len > 0 && text[*len - 1] == ' ')
      return;
    c = ' ';
  }
  text[(*len)++] = c;
}

/* Copies the page's text without its tags into a new string. A tag,
 * &nbsp; and &#160; each become a space, and &amp; becomes "&". */
static char *page_text(const char *body, size_t body_len) {
  char *text = calloc(body_len + 1, 1);
  if (text == NULL)
    return NULL;

  size_t len = 0;
  for (size_t i = 0; i < body_len; i++) {
    if (body[i] == '<') {
      const char *close = memchr(body + i, '>', body_len - i);
      i = close != NULL ? (size_t)(close - body) : body_len;
      text_append(text, &len, ' ');
    } else if (matches_at(body, body_len, i, "&nbsp;")) {
      i += strlen("&nbsp;") - 1;
      text_append(text, &len, ' ');
    } else if (matches_at(body, body_len, i, "&#160;")) {
      i += strlen("&#160;") - 1;
      text_append(text, &len, ' ');
    } else if (matches_at(body, body_len, i, "&amp;")) {
      i += strlen("&amp;") - 1;
      text_append(text, &len, '&');
    } else {
      text_append(text, &len, body[i]);
    }
  }
  text[len] = '\0';
  return text;
}

/* Finds the first "<label>:" (label in any case, blanks allowed before the
 * colon) that does not continue a longer word or number, so "1hr avg" does
 * not match inside "21hr avg". Returns what follows the colon, or NULL. */
static const char *find_label(const char *text, const char *label) {
  size_t text_len = strlen(text);
  size_t label_len = strlen(label);
  for (size_t i = 0; i < text_len; i++) {
    if (i > 0 && (is_digit(text[i - 1]) || is_letter(text[i - 1])))
      continue;
    if (!matches_at(text, text_len, i, label))
      continue;
    const char *p = skip_blanks(text + i + label_len);
    if (*p == ':')
      return skip_blanks(p + 1);
  }
  return NULL;
}

/* Copies the start of text into snippet for a reason, printable ASCII
 * only. */
static void copy_snippet(const char *text, char *snippet, size_t size) {
  size_t i = 0;
  for (; i + 1 < size && i < RAFFLE_SNIPPET_MAX_CHARS && text[i] != '\0'; i++) {
    bool printable = text[i] >= 0x20 && text[i] < 0x7f && text[i] != '"';
    if (printable)
      snippet[i] = text[i];
    else
      snippet[i] = '?';
  }
  snippet[i] = '\0';
}

/* Reads "<label>: <hashrate>" from the page text. */
static int read_labelled_hashrate(const char *text, const char *label,
                                  double *out, char *reason,
                                  size_t reason_size) {
  const char *p = find_label(text, label);
  if (p == NULL) {
    snprintf(reason, reason_size, "no \"%s:\" on the page", label);
    return -EINVAL;
  }

  int status = p2pool_raffle_parse_hashrate(p, out, NULL);
  if (status != 0) {
    char snippet[RAFFLE_SNIPPET_MAX_CHARS + 1];
    copy_snippet(p, snippet, sizeof(snippet));
    snprintf(reason, reason_size, "%s after \"%s:\": \"%s\"",
             status == -ERANGE ? "unit or number not accepted"
                               : "no hashrate with a unit",
             label, snippet);
    return -EINVAL;
  }
  return 0;
}

/* Reads the optional "Fail Count: N". */
static void read_fail_count(const char *text, p2pool_raffle_figures_t *out) {
  const char *p = find_label(text, "fail count");
  if (p == NULL)
    return;

  uint64_t count = 0;
  int digits = 0;
  for (; is_digit(*p); p++, digits++)
    count = count * 10 + (uint64_t)(*p - '0');
  if (digits == 0 || digits > RAFFLE_NUMBER_DIGITS_MAX || is_letter(*p))
    return;
  out->fails = count;
  out->fails_valid = true;
}

int p2pool_raffle_parse_page(const char *body, size_t body_len,
                             p2pool_raffle_figures_t *out, char *reason,
                             size_t reason_size) {
  memset(out, 0, sizeof(*out));
  if (body == NULL || body_len == 0) {
    snprintf(reason, reason_size, "the page is empty");
    return -EINVAL;
  }

  char *text = page_text(body, body_len);
  if (text == NULL) {
    snprintf(reason, reason_size, "out of memory");
    return -ENOMEM;
  }

  int status = read_labelled_hashrate(text, "1hr avg", &out->avg_1h, reason,
                                      reason_size);
  if (status == 0)
    status = read_labelled_hashrate(text, "24hr avg", &out->avg_24h, reason,
                                    reason_size);
  if (status == 0)
    read_fail_count(text, out);
  else if (p2pool_raffle_body_not_registered(text, strlen(text)))
    status = -ENOENT;

  free(text);
  if (status != 0)
    memset(out, 0, sizeof(*out));
  return status;
}
