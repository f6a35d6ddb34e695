/*
 * test_window.c: a wallet's PPLNS window kept by REST polls and events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "window.h"

#include <errno.h>
#include <string.h>

static p2pool_window_share_t make_share(uint64_t side_height,
                                        uint64_t effective_height,
                                        uint64_t weight, bool uncle) {
  p2pool_window_share_t share = {
      .side_height = side_height,
      .effective_height = effective_height,
      .timestamp = 1700000000 + side_height,
      .weight = weight,
      .uncle = uncle,
  };
  return share;
}

static json_object *parse(const char *text) {
  json_object *root = NULL;
  char err[256];
  assert_int_equal(
      p2pool_json_parse(text, strlen(text), &root, err, sizeof(err)), 0);
  return root;
}

static void window_add_counts_once(void **unused) {
  (void)unused;
  p2pool_window_t window = {0};
  p2pool_window_share_t share = make_share(100, 100, 1000, false);

  assert_int_equal(p2pool_window_add(&window, &share), 1);
  assert_int_equal(p2pool_window_add(&window, &share), 0);
  assert_int_equal(window.shares_num, 1);

  p2pool_window_share_t uncle = make_share(100, 101, 800, true);
  assert_int_equal(p2pool_window_add(&window, &uncle), 1);
  assert_int_equal(window.shares_num, 2);
  p2pool_window_free(&window);
}

static void window_expire_drops_old_shares(void **unused) {
  (void)unused;
  p2pool_window_t window = {0};
  p2pool_window_share_t shares[] = {
      make_share(10, 10, 1, false), make_share(11, 12, 1, true),
      make_share(15, 15, 1, false), make_share(20, 20, 1, false)};
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(p2pool_window_add(&window, &shares[i]), 1);

  /* Tip 21 with depth 10 keeps effective heights 12..21. */
  p2pool_window_expire(&window, 21, 10);
  assert_int_equal(window.shares_num, 3);
  assert_int_equal(window.shares[0].side_height, 11);

  /* A depth of zero (unknown) keeps everything. */
  p2pool_window_expire(&window, 1000, 0);
  assert_int_equal(window.shares_num, 3);
  p2pool_window_free(&window);
}

static void window_summarize_sums_kinds(void **unused) {
  (void)unused;
  p2pool_window_t window = {0};
  p2pool_window_share_t shares[] = {make_share(30, 30, 500, false),
                                    make_share(29, 30, 400, true),
                                    make_share(25, 25, 100, false)};
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(p2pool_window_add(&window, &shares[i]), 1);

  p2pool_window_summary_t summary;
  p2pool_window_summarize(&window, &summary);
  assert_int_equal(summary.shares, 2);
  assert_int_equal(summary.uncles, 1);
  assert_int_equal(summary.weight, 1000);
  assert_int_equal(summary.newest_height, 30);
  assert_int_equal(summary.newest_timestamp, 1700000030);
  p2pool_window_free(&window);
}

static void window_replace_takes_source(void **unused) {
  (void)unused;
  p2pool_window_t window = {0};
  p2pool_window_t source = {0};
  p2pool_window_share_t old_share = make_share(1, 1, 1, false);
  p2pool_window_share_t new_share = make_share(2, 2, 2, false);
  assert_int_equal(p2pool_window_add(&window, &old_share), 1);
  assert_int_equal(p2pool_window_add(&source, &new_share), 1);

  p2pool_window_replace(&window, &source);
  assert_int_equal(window.shares_num, 1);
  assert_int_equal(window.shares[0].side_height, 2);
  assert_null(source.shares);
  assert_int_equal(source.shares_num, 0);
  p2pool_window_free(&window);
}

/* Uncle penalty 20%: the uncle keeps 1000 - 200 = 800, and the block that
 * included an uncle of difficulty 500 gains 100 on top of its own 2000. */
static void parse_window_weighs_uncles(void **unused) {
  (void)unused;
  json_object *root = parse(
      "[\n"
      "{\"side_height\":50,\"effective_height\":50,\"timestamp\":1700000050,"
      "\"difficulty\":2000,\"uncles\":[{\"difficulty\":500}]}\n,\n"
      "{\"side_height\":48,\"effective_height\":49,\"timestamp\":1700000048,"
      "\"difficulty\":1000,\"uncle_of\":"
      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n"
      "\n]");
  p2pool_window_summary_t summary;
  char err[256];

  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   0);
  assert_int_equal(summary.shares, 1);
  assert_int_equal(summary.uncles, 1);
  assert_int_equal(summary.weight, 2100 + 800);
  assert_int_equal(summary.newest_height, 50);
  json_object_put(root);
}

static void parse_window_rejects_bad_row(void **unused) {
  (void)unused;
  json_object *root =
      parse("[{\"side_height\":50,\"timestamp\":1,\"difficulty\":\"12\"}]");
  p2pool_window_t window = {0};
  char err[256];

  assert_int_equal(
      p2pool_parse_window_shares(root, 20, &window, err, sizeof(err)), -EINVAL);
  assert_non_null(strstr(err, "difficulty"));
  p2pool_window_free(&window);
  json_object_put(root);
}

static void parse_window_rejects_object(void **unused) {
  (void)unused;
  json_object *root = parse("{\"error\":\"not_found\"}");
  p2pool_window_summary_t summary;
  char err[256];

  assert_int_equal(p2pool_parse_window(root, 20, &summary, err, sizeof(err)),
                   -EINVAL);
  json_object_put(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(window_add_counts_once),
      cmocka_unit_test(window_expire_drops_old_shares),
      cmocka_unit_test(window_summarize_sums_kinds),
      cmocka_unit_test(window_replace_takes_source),
      cmocka_unit_test(parse_window_weighs_uncles),
      cmocka_unit_test(parse_window_rejects_bad_row),
      cmocka_unit_test(parse_window_rejects_object),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
