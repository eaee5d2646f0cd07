/* test_scrape_feed.c - RSS feed pages: items, dates, categories, and what is not a feed. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/utc.h"
#include "scrape/feed.h"

static const char feed_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\n"
    "<title>Fifteensquared</title>\n"
    "<item><title>Guardian 29,890 &#8211; Ramsay</title>\n"
    "<link>https://www.fifteensquared.net/2025/12/30/guardian-29890-ramsay/</link>\n"
    "<pubDate>Tue, 30 Dec 2025 00:01:00 +0000</pubDate>\n"
    "<category><![CDATA[Guardian]]></category></item>\n"
    "<item><title>Guardian Cryptic crossword No 29,924 by Tramp</title>\n"
    "<link>https://www.fifteensquared.net/2026/02/14/x/</link>\n"
    "<pubDate>Sat, 14 Feb 2026 09:00:00 +0100</pubDate>\n"
    "<category>Guardian</category><category>Prize</category></item>\n"
    "<item><title>Financial Times 17,727 by BOBCAT</title><link>https://h/ft/</link></item>\n"
    "<item><title>Weekend notes</title><link>https://h/notes/</link></item>\n"
    "</channel></rss>\n";

static void test_items(void **state)
{
    (void)state;
    struct scrape_feed feed;
    struct err err = {{0}};
    if (scrape_feed_parse(feed_xml, strlen(feed_xml), &feed, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(feed.n, 4);
    assert_string_equal(feed.items[0].title, "Guardian 29,890 \xe2\x80\x93 Ramsay");
    assert_string_equal(feed.items[0].link, "https://www.fifteensquared.net/2025/12/30/guardian-29890-ramsay/");
    char iso[UTC_ISO_SIZE];
    utc_format_iso(feed.items[0].published_ms, iso);
    assert_string_equal(iso, "2025-12-30T00:01:00.000Z");
    utc_format_iso(feed.items[1].published_ms, iso);
    assert_string_equal(iso, "2026-02-14T08:00:00.000Z");
    assert_int_equal(feed.items[1].ncategories, 2);
    assert_string_equal(feed.items[1].categories[1], "Prize");
    assert_int_equal(feed.items[2].published_ms, 0);

    int64_t number;
    assert_string_equal(scrape_feed_item_series(&feed.items[0], &number), "guardian-cryptic");
    assert_int_equal(number, 29890);
    /* A prize post titled like a weekday one, told apart by its category. */
    assert_string_equal(scrape_feed_item_series(&feed.items[1], &number), "guardian-prize");
    assert_string_equal(scrape_feed_item_series(&feed.items[2], &number), "ft");
    assert_null(scrape_feed_item_series(&feed.items[3], &number));
    scrape_feed_free(&feed);
}

/* The WordPress feed pages of tests/fixtures/feed. */
static void test_wordpress_pages(void **state)
{
    (void)state;
    int total = 0;
    for (int i = 1; i <= 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "feed/page-%d.xml", i);
        char *path = tu_path(getenv("CB_FIXTURES"), name);
        size_t len;
        char *xml = tu_read_file(path, &len);
        struct scrape_feed feed;
        struct err err = {{0}};
        if (scrape_feed_parse(xml, len, &feed, &err) != 0)
            fail_msg("%s: %s", path, err.msg);
        for (size_t k = 0; k < feed.n; k++) {
            assert_non_null(feed.items[k].title);
            assert_non_null(strstr(feed.items[k].link, "{{BASE}}/2026/04/"));
            assert_true(feed.items[k].published_ms > 0);
            assert_true(feed.items[k].ncategories >= 1);
        }
        if (i == 1) {
            assert_string_equal(feed.items[0].title, "Guardian 29,890 \xe2\x80\x93 Ramsay");
            int64_t number;
            assert_string_equal(scrape_feed_item_series(&feed.items[2], &number), "ft");
        }
        if (i == 2) {
            int64_t number;
            assert_string_equal(scrape_feed_item_series(&feed.items[2], &number), "guardian-prize");
            assert_int_equal(number, 29924);
        }
        total += (int)feed.n;
        scrape_feed_free(&feed);
        free(xml);
        free(path);
    }
    assert_int_equal(total, 8);
}

static void test_not_a_feed(void **state)
{
    (void)state;
    struct {
        const char *body;
        const char *needle;
    } cases[] = {
        {"", "the response is empty"},
        {"<!DOCTYPE html><html><body>Maintenance</body></html>", "not an RSS feed"},
        {"<rss version=\"2.0\"><item/></rss>", "without a <channel>"},
        {"<rss><channel><item><title>x</title></item>", "XML error"},
        {"{\"posts\": []}", "not an RSS feed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct scrape_feed feed;
        struct err err = {{0}};
        assert_int_equal(scrape_feed_parse(cases[i].body, strlen(cases[i].body), &feed, &err), -1);
        tu_assert_contains(err.msg, cases[i].needle);
    }
    /* An empty channel is a valid, empty page. */
    const char *empty = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
    struct scrape_feed feed;
    struct err err = {{0}};
    assert_int_equal(scrape_feed_parse(empty, strlen(empty), &feed, &err), 0);
    assert_int_equal(feed.n, 0);
    scrape_feed_free(&feed);
}

static void test_rfc822_dates(void **state)
{
    (void)state;
    int64_t ms;
    struct err err = {{0}};
    char iso[UTC_ISO_SIZE];
    assert_int_equal(utc_parse_rfc822("Sun, 03 May 2026 00:01:14 +0100", &ms, &err), 0);
    utc_format_iso(ms, iso);
    assert_string_equal(iso, "2026-05-02T23:01:14.000Z");
    assert_int_equal(utc_parse_rfc822("3 May 2026 00:01:14 GMT", &ms, &err), 0);
    utc_format_iso(ms, iso);
    assert_string_equal(iso, "2026-05-03T00:01:14.000Z");
    assert_int_equal(utc_parse_rfc822("Sun, 31 Feb 2026 00:00:00 +0000", &ms, &err), -1);
    assert_int_equal(utc_parse_rfc822("yesterday", &ms, &err), -1);
    tu_assert_contains(err.msg, "not an RFC 822 date");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_wordpress_pages),
        cmocka_unit_test(test_not_a_feed),
        cmocka_unit_test(test_rfc822_dates),
    };
    return cmocka_run_group_tests_name("scrape/feed", tests, NULL, NULL);
}
