/*
 * test_scrape.c - `scrape` end to end against the fake Fifteensquared
 * (tests/fakes/fifteensquared.py on loopback): paging back to --since, every
 * matching post stored whole, bad posts rejected with reasons and nothing
 * of them stored, a second run storing nothing new, transient errors
 * retried, politeness (User-Agent, spacing), and feeds that cannot be read.
 * Also `parse` from the command line; a feed that ignores ?paged= or never
 * ends; rejected posts stored, listed, alerted and brought back in.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *work;

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_stop_all_fakes();
    tu_rmtree(work);
    free(work);
    return 0;
}

static char *fixture_post(const char *name)
{
    char *dir = tu_path(getenv("CB_FIXTURES"), "posts");
    char *p = tu_path(dir, name);
    free(dir);
    return p;
}

struct post {
    const char *path, *title, *date, *file;
    int status, truncate, size;
    const char *category;
};

/* Writes the fake's config and starts it. */
static int start_fake(const struct post *posts, size_t n, const char *feed_override_json,
                      const char *faults_json, int *port, char **log_path)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_pack("{s:s, s:s, s:s, s:[s]}", "path", posts[i].path, "title", posts[i].title,
                              "date", posts[i].date, "categories",
                              posts[i].category ? posts[i].category : "Guardian");
        if (posts[i].file) {
            char *f = fixture_post(posts[i].file);
            json_object_set_new(p, "file", json_string(f));
            free(f);
        }
        if (posts[i].status)
            json_object_set_new(p, "status", json_integer(posts[i].status));
        if (posts[i].truncate)
            json_object_set_new(p, "truncate", json_integer(posts[i].truncate));
        if (posts[i].size)
            json_object_set_new(p, "size", json_integer(posts[i].size));
        json_array_append_new(list, p);
    }
    *log_path = tu_path(work, "requests.jsonl");
    json_t *config = json_pack("{s:i, s:o, s:s}", "per_page", 3, "posts", list, "log", *log_path);
    if (feed_override_json)
        json_object_set_new(config, "feed", json_loads(feed_override_json, 0, NULL));
    if (faults_json)
        json_object_set_new(config, "faults", json_loads(faults_json, 0, NULL));
    char *config_path = tu_path(work, "fake.json");
    json_dump_file(config, config_path, 0);
    json_decref(config);
    int pid = tu_start_fake("fifteensquared.py", config_path, port);
    free(config_path);
    return pid;
}

/* Runs `cryptic-bench --db DB COMMAND EXTRA...` against the fake on port,
 * with the scrape settings the tests use plus extra_env. */
static struct tu_run run_with(const char *db, int port, const char *const *extra_env, const char *command,
                              const char *const *extra)
{
    char url[64], now[64];
    snprintf(url, sizeof url, "FIFTEENSQUARED_URL=http://127.0.0.1:%d", port);
    snprintf(now, sizeof now, "CRYPTIC_BENCH_NOW=2026-04-12T10:00:00Z");
    const char *env[24] = {url, now, "FIFTEENSQUARED_MIN_INTERVAL_MS=20", "FIFTEENSQUARED_RETRIES=2",
                           "FIFTEENSQUARED_BACKOFF_MS=10", "FIFTEENSQUARED_TIMEOUT_MS=5000",
                           "TURSO_DATABASE_URL=", "DATABASE_PATH=", "CRYPTIC_BENCH_ALERT_WEBHOOK=",
                           "CRYPTIC_BENCH_SCRAPE_MAX_PAGES="};
    size_t ne = 10;
    for (; extra_env && *extra_env && ne < 23; extra_env++)
        env[ne++] = *extra_env;
    env[ne] = NULL;
    const char *args[16] = {"--db", db, command};
    size_t n = 3;
    for (; extra && *extra && n < 15; extra++)
        args[n++] = *extra;
    args[n] = NULL;
    return tu_run_cli(work, env, args);
}

static struct tu_run scrape(const char *db, int port, const char *const *extra)
{
    return run_with(db, port, NULL, "scrape", extra);
}

static char *new_db(void)
{
    char *db = tu_path(work, "scrape.db");
    char *models = getenv("CB_MODELS_JSON");
    struct tu_run r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=", NULL},
                                 (const char *const[]){"--db", db, "init-db", "--models", models, NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    return db;
}

/* Requests the fake logged, one path per line. */
static char *logged_paths(const char *log_path)
{
    char *text = tu_read_file(log_path, NULL);
    size_t cap = strlen(text) + 1, used = 0;
    char *out = calloc(cap, 1);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *e = json_loads(line, 0, NULL);
        const char *path = json_string_value(json_object_get(e, "path"));
        used += (size_t)snprintf(out + used, cap - used, "%s\n", path);
        json_decref(e);
    }
    free(text);
    return out;
}

static int count_occurrences(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static const struct post posts[] = {
    {"/2026/04/10/guardian-29890-ramsay/", "Guardian 29,890 \xe2\x80\x93 Ramsay", "2026-04-10T00:01:00Z", "fts-table-linked.html", 0, 0, 0, NULL},
    {"/2026/04/09/guardian-cryptic-29889/", "Guardian Cryptic crossword No 29,889 by Omnibus", "2026-04-09T00:01:00Z", "fts-list-classes.html", 0, 0, 0, NULL},
    {"/2026/04/08/guardian-29901-mismatch/", "Guardian 29,901 \xe2\x80\x93 Mismatch", "2026-04-08T00:01:00Z", "bad-answer-mismatch.html", 0, 0, 0, NULL},
    {"/2026/04/07/guardian-29971-yank/", "Guardian 29,971: Yank", "2026-04-07T00:01:00Z", "cellpadding-table.html", 0, 0, 0, NULL},
    {"/2026/04/06/guardian-quiptic-1357/", "Guardian Quiptic 1,357/Hectence", "2026-04-06T00:01:00Z", "header-row-table.html", 0, 0, 0, "Quiptic"},
    {"/2026/04/05/guardian-prize-29924/", "Guardian Cryptic crossword No 29,924 by Tramp", "2026-04-05T00:01:00Z", "alternate-rows-table.html", 0, 0, 0, "Guardian Prize"},
    {"/2026/04/04/guardian-29904-gone/", "Guardian 29,904 \xe2\x80\x93 Gone", "2026-04-04T00:01:00Z", NULL, 404, 0, 0, NULL},
    {"/2026/04/03/guardian-29905-broken/", "Guardian 29,905 \xe2\x80\x93 Broken", "2026-04-03T00:01:00Z", NULL, 500, 0, 0, NULL},
    {"/2026/04/02/guardian-29902-notice/", "Guardian 29,902 \xe2\x80\x93 Notice", "2026-04-02T00:01:00Z", "bad-no-clues.html", 0, 0, 0, NULL},
    {"/2026/04/01/guardian-29903-truncated/", "Guardian 29,903 \xe2\x80\x93 Truncated", "2026-04-01T00:01:00Z", "fts-table-linked.html", 0, 3900, 0, NULL},
    {"/2026/03/31/guardian-29906-huge/", "Guardian 29,906 \xe2\x80\x93 Huge", "2026-03-31T00:01:00Z", NULL, 0, 0, 11 * 1024 * 1024, NULL},
    {"/2026/03/30/guardian-29970-brummie/", "Guardian Cryptic 29970 Brummie", "2026-03-30T00:01:00Z", "paragraph-inline.html", 0, 0, 0, NULL},
    {"/2026/03/29/financial-times-17727/", "Financial Times 17,727 by BOBCAT", "2026-03-29T00:01:00Z", "paragraph-separate.html", 0, 0, 0, "Financial Times"},
    {"/2026/03/20/guardian-29968-maskarade/", "Guardian 29,968 / Maskarade", "2026-03-20T00:01:00Z", "two-column-table.html", 0, 0, 0, NULL},
    {"/2026/03/01/guardian-29800-old/", "Guardian 29,800 \xe2\x80\x93 Old", "2026-03-01T00:01:00Z", "fts-list-classes.html", 0, 0, 0, NULL},
    {"/2026/02/20/guardian-29790-older/", "Guardian 29,790 \xe2\x80\x93 Older", "2026-02-20T00:01:00Z", "fts-list-classes.html", 0, 0, 0, NULL},
    {"/2026/02/19/guardian-29789-older/", "Guardian 29,789 \xe2\x80\x93 Older", "2026-02-19T00:01:00Z", "fts-list-classes.html", 0, 0, 0, NULL},
    {"/2026/02/18/guardian-29788-older/", "Guardian 29,788 \xe2\x80\x93 Older", "2026-02-18T00:01:00Z", "fts-list-classes.html", 0, 0, 0, NULL},
};

static void test_scrape_end_to_end(void **state)
{
    (void)state;
    char *db = new_db();
    int port;
    char *log_path;
    int fake = start_fake(posts, sizeof posts / sizeof posts[0], NULL,
                          "{\"/2026/04/07/guardian-29971-yank/\": {\"status\": 503, \"times\": 1}}",
                          &port, &log_path);

    struct tu_run r = scrape(db, port, (const char *const[]){"--since", "2026-03-25", NULL});
    if (r.status != 0)
        fail_msg("scrape failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_assert_contains(r.out, "scrape since 2026-03-25: 5 feed pages");
    tu_assert_contains(r.out, "11 found, 5 saved, 0 skipped (already stored), 6 rejected");
    tu_assert_contains(r.out, "saved     guardian-cryptic 29890 (Ramsay, 2025-12-30, 2026-W01, 8 clues)");
    tu_assert_contains(r.out, "saved     guardian-prize 29924 (Tramp");
    tu_assert_contains(r.out, "saved     guardian-cryptic 29971 (Yank"); /* after one 503 */
    tu_assert_contains(r.out, "guardian-29901-mismatch/: clue 1 across: answer PIRANHAS has 8 letters, enumeration (7)");
    tu_assert_contains(r.out, "guardian-29904-gone/: HTTP 404");
    tu_assert_contains(r.out, "guardian-29905-broken/: HTTP 500");
    tu_assert_contains(r.out, "guardian-29902-notice/: no clues found in the post body");
    tu_assert_contains(r.out, "guardian-29903-truncated/: clue numbers do not cover");
    tu_assert_contains(r.out, "guardian-29906-huge/: GET");
    tu_assert_contains(r.out, "exceeds the limit of 10485760 bytes");
    tu_run_free(&r);

    /* What was stored: the five, whole; nothing of the rejected. */
    char *rows = tu_sql(db, "SELECT series, guardian_id, setter, publication_date, week_id FROM puzzles ORDER BY guardian_id");
    assert_string_equal(rows,
                        "guardian-cryptic|29889|Omnibus|2025-12-29|2026-W01\n"
                        "guardian-cryptic|29890|Ramsay|2025-12-30|2026-W01\n"
                        "guardian-prize|29924|Tramp|2026-02-14|2026-W07\n"
                        "guardian-cryptic|29970|Brummie|2026-04-02|2026-W14\n"
                        "guardian-cryptic|29971|Yank|2026-04-03|2026-W14\n");
    free(rows);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM clues"), 8 + 9 * 4);
    rows = tu_sql(db, "SELECT c.clue_number, c.direction, c.clue_text, c.answer, c.letter_count, "
                      "c.display_answer, c.definitions, c.explanation FROM clues c JOIN puzzles p "
                      "ON p.id = c.puzzle_id WHERE p.guardian_id = 29890 AND c.direction = 'down' ORDER BY c.id");
    tu_assert_contains(rows, "2,6|down|Travelling, on the way|ONTHEWAY|(2,3,3)|ON THE WAY|[\"Travelling\"]|double meaning (explanation)\n");
    tu_assert_contains(rows, "1|down|Posh & Becks\xe2\x80\x99 first spot|PLACE|(5)|PLACE|[\"spot\"]|");
    free(rows);
    rows = tu_sql(db, "SELECT url, title, json_extract(raw_json, '$.clueCount') FROM puzzles WHERE guardian_id = 29890");
    assert_string_equal(rows, "https://www.fifteensquared.net/2025/12/30/guardian-29890-ramsay/|Guardian 29,890 \xe2\x80\x93 Ramsay|8\n");
    free(rows);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM puzzles WHERE guardian_id IN (29901, 29902, 29903, 29904, 29905, 29906)"), 0);
    /* ...but every rejection is stored, whatever failed: HTTP, size, parse, validation. */
    rows = tu_sql(db, "SELECT number, attempts, substr(reason, 1, 20) FROM rejected_posts ORDER BY number");
    assert_string_equal(rows, "29901|1|clue 1 across: answe\n"
                              "29902|1|no clues found in th\n"
                              "29903|1|clue numbers do not \n"
                              "29904|1|HTTP 404\n"
                              "29905|1|HTTP 500\n"
                              "29906|1|GET http://127.0.0.1\n");
    free(rows);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM clues WHERE puzzle_id NOT IN (SELECT id FROM puzzles)"), 0);

    /* Paging stopped at the page that reached --since: page 6 was never asked for. */
    char *paths = logged_paths(log_path);
    tu_assert_contains(paths, "/feed/?paged=5\n");
    assert_null(strstr(paths, "paged=6"));
    assert_null(strstr(paths, "maskarade")); /* older than --since */
    assert_null(strstr(paths, "quiptic"));   /* not a chosen series */
    assert_int_equal(count_occurrences(paths, "guardian-29971-yank"), 2); /* 503, then 200 */
    assert_int_equal(count_occurrences(paths, "guardian-29905-broken"), 3); /* 1 + 2 retries */
    free(paths);

    /* Politeness: our User-Agent on every request, and spaced requests.
     * The fake stamps a request when it handles it, which can lag behind
     * when it was sent, so the spacing is checked over the whole run:
     * n requests at least 20 ms apart take at least (n - 1) x 20 ms. */
    char *log = tu_read_file(log_path, NULL);
    double first = 0, last = 0;
    int requests = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *e = json_loads(line, 0, NULL);
        tu_assert_contains(json_string_value(json_object_get(e, "user_agent")), "cryptic-bench");
        last = json_real_value(json_object_get(e, "time"));
        if (requests++ == 0)
            first = last;
        json_decref(e);
    }
    free(log);
    assert_true(requests > 10);
    if (last - first < (requests - 1) * 0.020 * 0.9)
        fail_msg("%d requests in %.3f s: not spaced 20 ms apart", requests, last - first);

    /* A second run stores nothing new and does not fetch stored posts again. */
    remove(log_path);
    char *before = tu_sql(db, "SELECT * FROM puzzles ORDER BY id");
    r = scrape(db, port, (const char *const[]){"--since", "2026-03-25", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "0 saved, 5 skipped (already stored), 6 rejected");
    tu_run_free(&r);
    char *after = tu_sql(db, "SELECT * FROM puzzles ORDER BY id");
    assert_string_equal(before, after);
    free(before);
    free(after);
    paths = logged_paths(log_path);
    assert_null(strstr(paths, "guardian-29890-ramsay"));
    assert_null(strstr(paths, "guardian-29971-yank"));
    free(paths);

    /* Other series on request. */
    r = scrape(db, port, (const char *const[]){"--since", "2026-03-25", "--series", "guardian-quiptic,ft", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "saved     guardian-quiptic 1357 (Hectence");
    tu_assert_contains(r.out, "saved     ft 17727 (BOBCAT");
    tu_assert_contains(r.out, "2 found, 2 saved");
    tu_run_free(&r);

    r = scrape(db, port, (const char *const[]){"--series", "guardian-sudoku", NULL});
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "unknown series \"guardian-sudoku\"");
    tu_run_free(&r);

    tu_stop_fake(fake);
    free(log_path);
    free(db);
}

static void test_default_since_and_max(void **state)
{
    (void)state;
    char *db = new_db();
    int port;
    char *log_path;
    int fake = start_fake(posts, sizeof posts / sizeof posts[0], NULL, NULL, &port, &log_path);

    /* Empty database: 8 days before "now" (2026-04-12). */
    struct tu_run r = scrape(db, port, NULL);
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "scrape since 2026-04-04:");
    tu_assert_contains(r.out, "4 saved");
    tu_run_free(&r);
    /* Then: 8 days before the newest stored post (2026-04-03, cellpadding). */
    r = scrape(db, port, NULL);
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "scrape since 2026-03-26:");
    tu_run_free(&r);

    r = scrape(db, port, (const char *const[]){"--since", "2026-01-01", "--max", "2", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "1 feed pages, 2 posts seen");
    tu_run_free(&r);
    r = scrape(db, port, (const char *const[]){"--max", "zero", NULL});
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    r = scrape(db, port, (const char *const[]){"--since", "last week", NULL});
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "--since");
    tu_run_free(&r);
    tu_stop_fake(fake);
    free(log_path);
    free(db);
}

static void test_feed_failures(void **state)
{
    (void)state;
    char *db = new_db();
    struct {
        const char *override;
        const char *needle;
    } cases[] = {
        {"{\"status\": 200, \"body\": \"<!DOCTYPE html><html><body>Under maintenance</body></html>\"}",
         "not an RSS feed"},
        {"{\"status\": 500, \"body\": \"oops\"}", "HTTP 500"},
        {"{\"status\": 200, \"body\": \"\"}", "the response is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int port;
        char *log_path;
        int fake = start_fake(posts, 3, cases[i].override, NULL, &port, &log_path);
        struct tu_run r = scrape(db, port, NULL);
        assert_int_equal(r.status, 1);
        tu_assert_contains(r.err, "feed page 1");
        tu_assert_contains(r.err, cases[i].needle);
        tu_run_free(&r);
        tu_stop_fake(fake);
        free(log_path);
    }
    /* Nothing listens there. */
    struct tu_run r = scrape(db, 1, NULL);
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "127.0.0.1");
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM puzzles"), 0);
    free(db);
}

/* The feed as WordPress writes it (namespaces, CDATA, entities, guid):
 * static pages from tests/fixtures/feed, three of them. */
static void test_static_wordpress_feed(void **state)
{
    (void)state;
    char *db = new_db();
    const char *fixtures = getenv("CB_FIXTURES");
    json_t *pages = json_array();
    for (int i = 1; i <= 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "feed/page-%d.xml", i);
        char *p = tu_path(fixtures, name);
        json_array_append_new(pages, json_string(p));
        free(p);
    }
    static const char *const routes[][2] = {
        {"/2026/04/10/guardian-29890-ramsay/", "fts-table-linked.html"},
        {"/2026/04/09/guardian-cryptic-crossword-no-29889-by-omnibus/", "fts-list-classes.html"},
        {"/2026/04/08/financial-times-17727-by-bobcat/", "paragraph-separate.html"},
        {"/2026/04/07/guardian-29971-yank/", "cellpadding-table.html"},
        {"/2026/04/06/guardian-quiptic-1357-hectence/", "header-row-table.html"},
        {"/2026/04/05/guardian-cryptic-crossword-no-29924-by-tramp/", "alternate-rows-table.html"},
        {"/2026/04/04/guardian-cryptic-29970-brummie/", "paragraph-inline.html"},
        {"/2026/04/03/guardian-29968-maskarade/", "two-column-table.html"},
    };
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char *f = fixture_post(routes[i][1]);
        json_array_append_new(list, json_pack("{s:s, s:s}", "path", routes[i][0], "file", f));
        free(f);
    }
    char *log_path = tu_path(work, "requests.jsonl");
    json_t *config = json_pack("{s:o, s:o, s:s}", "feed_pages", pages, "posts", list, "log", log_path);
    char *config_path = tu_path(work, "fake.json");
    json_dump_file(config, config_path, 0);
    json_decref(config);
    int port;
    int fake = tu_start_fake("fifteensquared.py", config_path, &port);

    struct tu_run r = scrape(db, port, (const char *const[]){"--since", "2026-04-04", NULL});
    if (r.status != 0)
        fail_msg("scrape failed: %s", r.err);
    tu_assert_contains(r.out, "scrape since 2026-04-04: 3 feed pages, 8 posts seen, 5 found, 5 saved");
    tu_run_free(&r);
    char *rows = tu_sql(db, "SELECT series, guardian_id FROM puzzles ORDER BY guardian_id");
    assert_string_equal(rows, "guardian-cryptic|29889\nguardian-cryptic|29890\nguardian-prize|29924\n"
                              "guardian-cryptic|29970\nguardian-cryptic|29971\n");
    free(rows);
    char *paths = logged_paths(log_path);
    assert_null(strstr(paths, "maskarade"));
    assert_null(strstr(paths, "bobcat"));
    free(paths);
    tu_stop_fake(fake);
    free(config_path);
    free(log_path);
    free(db);
}

static void test_parse_command(void **state)
{
    (void)state;
    char *page = fixture_post("fts-table-linked.html");
    struct tu_run r = tu_run_cli(work, NULL, (const char *const[]){"parse", page, NULL});
    assert_int_equal(r.status, 0);
    json_t *p = json_loads(r.out, 0, NULL);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "series")), "guardian-cryptic");
    assert_int_equal(json_integer_value(json_object_get(p, "number")), 29890);
    assert_string_equal(json_string_value(json_object_get(p, "date")), "2025-12-30");
    json_t *clues = json_object_get(p, "clues");
    assert_int_equal(json_array_size(clues), 8);
    json_t *first = json_array_get(clues, 0);
    assert_string_equal(json_string_value(json_object_get(first, "answer")), "PIRANHA");
    assert_string_equal(json_string_value(json_array_get(json_object_get(first, "definitions"), 0)), "Predator");
    json_decref(p);
    tu_run_free(&r);
    free(page);

    /* A linked entry with no line of its own: the clue keeps its number and says its lights. */
    page = fixture_post("linked-text-paragraphs.html");
    r = tu_run_cli(work, NULL, (const char *const[]){"parse", page, NULL});
    assert_int_equal(r.status, 0);
    p = json_loads(r.out, 0, NULL);
    json_t *nine = json_array_get(json_object_get(p, "clues"), 4);
    assert_string_equal(json_string_value(json_object_get(nine, "number")), "9");
    assert_string_equal(json_string_value(json_object_get(nine, "linked")), "9/10");
    assert_string_equal(json_string_value(json_object_get(nine, "answer")), "WATEROFLEITH");
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(p, "clues"), 0), "linked")));
    json_decref(p);
    tu_run_free(&r);
    free(page);
    /* One clue missing, and nothing links to it: refused as truncated. */
    page = fixture_post("bad-missing-one.html");
    r = tu_run_cli(work, NULL, (const char *const[]){"parse", page, NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "number missing (3), and no clue of the post links to it; a truncated page?");
    tu_run_free(&r);
    free(page);

    page = fixture_post("bad-answer-mismatch.html");
    r = tu_run_cli(work, NULL, (const char *const[]){"parse", page, NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "answer PIRANHAS has 8 letters, enumeration (7)");
    assert_string_equal(r.out, "");
    tu_run_free(&r);
    free(page);

    /* A bare fragment: unknown metadata as null; --url supplies url and date. */
    char *frag = tu_path(work, "fragment.html");
    char *full = fixture_post("fts-list-classes.html");
    char *text = tu_read_file(full, NULL);
    char *start = strstr(text, "<div class=\"entry-content\">");
    char *end = strstr(text, "</article>");
    *end = '\0';
    tu_write_file(frag, start);
    r = tu_run_cli(work, NULL, (const char *const[]){"parse", frag, NULL});
    assert_int_equal(r.status, 0);
    p = json_loads(r.out, 0, NULL);
    assert_true(json_is_null(json_object_get(p, "series")));
    assert_true(json_is_null(json_object_get(p, "number")));
    assert_true(json_is_null(json_object_get(p, "date")));
    json_decref(p);
    tu_run_free(&r);
    r = tu_run_cli(work, NULL, (const char *const[]){"parse", frag, "--url",
                   "https://www.fifteensquared.net/2026/01/02/guardian-29895-x/", NULL});
    p = json_loads(r.out, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(p, "date")), "2026-01-02");
    assert_string_equal(json_string_value(json_object_get(p, "url")), "https://www.fifteensquared.net/2026/01/02/guardian-29895-x/");
    json_decref(p);
    tu_run_free(&r);
    free(text);
    free(full);
    free(frag);

    r = tu_run_cli(work, NULL, (const char *const[]){"parse", "/nonexistent/page.html", NULL});
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "cannot read /nonexistent/page.html");
    tu_run_free(&r);
    r = tu_run_cli(work, NULL, (const char *const[]){"parse", NULL});
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts the fake with posts and extra top-level config (a JSON object). */
static int start_fake_with(const struct post *list, size_t n, const char *extra_json, int *port, char **log_path)
{
    int pid = start_fake(list, n, NULL, NULL, port, log_path);
    tu_stop_fake(pid);
    char *config_path = tu_path(work, "fake.json");
    json_t *config = json_load_file(config_path, 0, NULL);
    json_t *extra = json_loads(extra_json, 0, NULL);
    assert_non_null(extra);
    json_object_update(config, extra);
    json_dump_file(config, config_path, 0);
    json_decref(extra);
    json_decref(config);
    pid = tu_start_fake("fifteensquared.py", config_path, port);
    free(config_path);
    return pid;
}

/* A cache in front of the blog that ignores the query string: every
 * ?paged=N is page 1. The walk ends at the first repeated page, with one
 * warning naming it, and what it found is saved. */
static void test_feed_that_ignores_paged(void **state)
{
    (void)state;
    char *db = new_db();
    int port;
    char *log_path;
    int fake = start_fake_with(posts, 6, "{\"ignore_paged\": true}", &port, &log_path);
    int64_t started = now_ms();
    struct tu_run r = scrape(db, port, (const char *const[]){"--since", "2026-01-01", NULL});
    int64_t took = now_ms() - started;
    if (r.status != 0)
        fail_msg("scrape failed (%d): %s\n%s", r.status, r.err, r.out);
    /* Page 1 holds the three newest: two saved, the mismatch rejected. */
    tu_assert_contains(r.out, "scrape since 2026-01-01: 2 feed pages, 3 posts seen, 3 found, 2 saved");
    tu_assert_contains(r.out, "saved     guardian-cryptic 29890 (Ramsay");
    tu_assert_contains(r.out, "stopped early: feed page 2");
    char page2[96];
    snprintf(page2, sizeof page2, "http://127.0.0.1:%d/feed/?paged=2", port);
    tu_assert_contains(r.err, page2);
    tu_assert_contains(r.err, "repeats posts already read");
    assert_int_equal(count_occurrences(r.err, "warning"), 1);
    tu_run_free(&r);
    char *paths = logged_paths(log_path);
    assert_int_equal(count_occurrences(paths, "/feed/"), 2);
    assert_null(strstr(paths, "paged=3"));
    free(paths);
    if (took > 20000)
        fail_msg("the walk took %lld ms", (long long)took);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM puzzles"), 2);
    tu_stop_fake(fake);
    free(log_path);
    free(db);
}

/* A feed whose pages never run out (and never get old enough) stops at the
 * page cap: --max-pages, else CRYPTIC_BENCH_SCRAPE_MAX_PAGES, parsed strictly. */
static void test_feed_page_cap(void **state)
{
    (void)state;
    char *db = new_db();
    int port;
    char *log_path;
    int fake = start_fake_with(posts, 1, "{\"endless\": {\"title\": \"Times 29,%03d\", \"date\": \"2026-04-11T00:01:00Z\"}}",
                               &port, &log_path);
    struct tu_run r = scrape(db, port, (const char *const[]){"--max-pages", "3", NULL});
    if (r.status != 0)
        fail_msg("scrape failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_assert_contains(r.out, "3 feed pages, 9 posts seen, 0 found");
    tu_assert_contains(r.err, "stopped after 3 feed pages");
    tu_run_free(&r);
    char *paths = logged_paths(log_path);
    tu_assert_contains(paths, "/feed/?paged=3\n");
    assert_null(strstr(paths, "paged=4"));
    free(paths);

    r = run_with(db, port, (const char *const[]){"CRYPTIC_BENCH_SCRAPE_MAX_PAGES=2", NULL}, "scrape", NULL);
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "2 feed pages, 6 posts seen");
    tu_assert_contains(r.err, "stopped after 2 feed pages");
    tu_run_free(&r);
    /* The flag wins over the environment. */
    r = run_with(db, port, (const char *const[]){"CRYPTIC_BENCH_SCRAPE_MAX_PAGES=2", NULL}, "scrape",
                 (const char *const[]){"--max-pages", "1", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "1 feed pages, 3 posts seen");
    tu_run_free(&r);

    const char *bad[] = {"CRYPTIC_BENCH_SCRAPE_MAX_PAGES=abc", "CRYPTIC_BENCH_SCRAPE_MAX_PAGES=0",
                         "CRYPTIC_BENCH_SCRAPE_MAX_PAGES=5x", NULL};
    for (const char *const *b = bad; *b; b++) {
        r = run_with(db, port, (const char *const[]){*b, NULL}, "scrape", NULL);
        assert_int_equal(r.status, 2);
        tu_assert_contains(r.err, "CRYPTIC_BENCH_SCRAPE_MAX_PAGES=");
        tu_assert_contains(r.err, "expected a whole number from 1 to 100000");
        tu_run_free(&r);
    }
    r = scrape(db, port, (const char *const[]){"--max-pages", "0", NULL});
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "--max-pages");
    tu_run_free(&r);
    tu_stop_fake(fake);
    free(log_path);
    free(db);
}

/* Pages that are not post pages at all are refused with a clear reason
 * and stored as rejected too. */
static void test_unreadable_pages_are_rejected(void **state)
{
    (void)state;
    char *db = new_db();
    char *empty = tu_path(work, "empty.html"), *binary = tu_path(work, "binary.html");
    tu_write_file(empty, "  \n\t\n");
    FILE *f = fopen(binary, "wb");
    fwrite("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 1, 16, f);
    fclose(f);
    const struct post list[] = {
        {"/2026/04/11/guardian-29931-empty/", "Guardian 29,931 \xe2\x80\x93 Empty", "2026-04-11T00:01:00Z", NULL, 0, 0, 0, NULL},
        {"/2026/04/10/guardian-29932-binary/", "Guardian 29,932 \xe2\x80\x93 Binary", "2026-04-10T00:01:00Z", NULL, 0, 0, 0, NULL},
    };
    int port;
    char *log_path;
    int fake = start_fake(list, 2, NULL, NULL, &port, &log_path);
    tu_stop_fake(fake);
    char *config_path = tu_path(work, "fake.json");
    json_t *config = json_load_file(config_path, 0, NULL);
    json_object_set_new(json_array_get(json_object_get(config, "posts"), 0), "file", json_string(empty));
    json_object_set_new(json_array_get(json_object_get(config, "posts"), 1), "file", json_string(binary));
    json_dump_file(config, config_path, 0);
    json_decref(config);
    fake = tu_start_fake("fifteensquared.py", config_path, &port);
    struct tu_run r = scrape(db, port, (const char *const[]){"--since", "2026-04-01", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "guardian-29931-empty/: the page is empty");
    tu_assert_contains(r.out, "guardian-29932-binary/: the page is not HTML (binary data)");
    tu_assert_contains(r.out, "0 saved, 0 skipped (already stored), 2 rejected");
    tu_run_free(&r);
    char *rows = tu_sql(db, "SELECT series, number, reason FROM rejected_posts ORDER BY number");
    assert_string_equal(rows, "guardian-cryptic|29931|the page is empty\n"
                              "guardian-cryptic|29932|the page is not HTML (binary data)\n");
    free(rows);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM puzzles"), 0);
    tu_stop_fake(fake);
    free(config_path);
    free(log_path);
    free(empty);
    free(binary);
    free(db);
}

/* How many alerts the webhook received, and the last one. */
static int alerts(const char *hooks, json_t **last)
{
    *last = NULL;
    if (!tu_exists(hooks))
        return 0;
    char *text = tu_read_file(hooks, NULL);
    int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_decref(*last);
        *last = json_loads(line, 0, NULL);
        n++;
    }
    free(text);
    return n;
}

/* A rejected post is never silent: stored with its reason, counted by
 * status, listed, reported by the webhook on its third rejection (once),
 * and brought in by `scrape` or `parse --retry-rejected` once it passes.
 * A linked entry with no line of its own is no rejection: it is saved whole. */
static void test_rejected_posts_are_kept(void **state)
{
    (void)state;
    char *db = new_db();
    /* Two posts that fail (the blogger will fix them), one with a linked entry. */
    char *page_a = tu_path(work, "a.html"), *page_b = tu_path(work, "b.html");
    char *bad = fixture_post("bad-linked-unexplained.html"), *cut = fixture_post("bad-missing-one.html");
    tu_copy_file(bad, page_a);
    tu_copy_file(cut, page_b);
    const struct post list[] = {
        {"/2026/04/11/guardian-29919-omnibus/", "Guardian 29,919 \xe2\x80\x93 Omnibus", "2026-04-11T00:01:00Z",
         "linked-text-fts-table.html", 0, 0, 0, NULL},
        {"/2026/04/10/guardian-29905-gap/", "Guardian 29,905 \xe2\x80\x93 Gap", "2026-04-10T00:01:00Z", NULL, 0, 0, 0, NULL},
        {"/2026/04/09/guardian-29904-gap/", "Guardian 29,904 \xe2\x80\x93 Gap", "2026-04-09T00:01:00Z", NULL, 0, 0, 0, NULL},
    };
    int port;
    char *log_path;
    int fake = start_fake(list, 3, NULL, NULL, &port, &log_path);
    tu_stop_fake(fake);
    /* point the two bad posts at the writable copies */
    char *config_path = tu_path(work, "fake.json");
    json_t *config = json_load_file(config_path, 0, NULL);
    json_object_set_new(json_array_get(json_object_get(config, "posts"), 1), "file", json_string(page_a));
    json_object_set_new(json_array_get(json_object_get(config, "posts"), 2), "file", json_string(page_b));
    json_dump_file(config, config_path, 0);
    json_decref(config);
    fake = tu_start_fake("fifteensquared.py", config_path, &port);
    char *hooks = tu_path(work, "hooks.jsonl");
    int hook_port;
    int hook = tu_start_fake("webhook.py", hooks, &hook_port);
    char hook_env[128];
    snprintf(hook_env, sizeof hook_env, "CRYPTIC_BENCH_ALERT_WEBHOOK=http://127.0.0.1:%d/alerts", hook_port);
    const char *const env[] = {hook_env, NULL};
    const char *const since[] = {"--since", "2026-04-01", NULL};

    struct tu_run r = run_with(db, port, env, "scrape", since);
    if (r.status != 0)
        fail_msg("scrape failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_assert_contains(r.out, "saved     guardian-cryptic 29919 (Omnibus");
    tu_assert_contains(r.out, "guardian-29905-gap/: clue numbers do not cover 1 to 11: number missing (10)");
    tu_assert_contains(r.out, "guardian-29904-gap/: clue numbers do not cover 1 to 8: number missing (3)");
    tu_run_free(&r);
    /* The linked entry is recorded on its clue. */
    char *rows = tu_sql(db, "SELECT c.clue_number, c.linked FROM clues c JOIN puzzles p ON p.id = c.puzzle_id "
                            "WHERE p.guardian_id = 29919 AND c.linked IS NOT NULL");
    assert_string_equal(rows, "9|9/10\n");
    free(rows);
    rows = tu_sql(db, "SELECT series, number, attempts, reason FROM rejected_posts ORDER BY number");
    assert_string_equal(rows, "guardian-cryptic|29904|1|clue numbers do not cover 1 to 8: number missing (3), and no "
                              "clue of the post links to it; a truncated page?\n"
                              "guardian-cryptic|29905|1|clue numbers do not cover 1 to 11: number missing (10), and no "
                              "clue of the post links to it; a truncated page?\n");
    free(rows);
    r = run_with(db, port, NULL, "status", NULL);
    tu_assert_contains(r.out, "rejected posts:   2");
    tu_run_free(&r);
    r = run_with(db, port, NULL, "status", (const char *const[]){"--json", NULL});
    json_t *st = json_loads(r.out, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(st, "rejected_posts")), 2);
    json_decref(st);
    tu_run_free(&r);
    r = run_with(db, port, NULL, "puzzles", (const char *const[]){"rejected", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "/2026/04/10/guardian-29905-gap/");
    tu_assert_contains(r.out, "number missing (10)");
    tu_assert_contains(r.out, "2 rejected posts");
    tu_run_free(&r);
    json_t *last;
    assert_int_equal(alerts(hooks, &last), 0);

    /* Rejected on the second and third scrapes too: one alert, naming both. */
    for (int i = 0; i < 2; i++) {
        r = run_with(db, port, env, "scrape", since);
        assert_int_equal(r.status, 0);
        tu_assert_contains(r.out, "2 rejected");
        tu_run_free(&r);
    }
    assert_int_equal(alerts(hooks, &last), 1);
    tu_assert_contains(json_string_value(json_object_get(json_object_get(last, "body"), "text")),
                       "2 posts rejected on 3 scrapes");
    json_t *listed = json_object_get(json_object_get(last, "body"), "rejected");
    assert_int_equal(json_array_size(listed), 2);
    tu_assert_contains(json_string_value(json_object_get(json_array_get(listed, 0), "url")), "/guardian-29905-gap/");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(listed, 0), "attempts")), 3);
    json_decref(last);
    /* A fourth rejection does not repeat the alert. */
    r = run_with(db, port, env, "scrape", since);
    tu_run_free(&r);
    assert_int_equal(alerts(hooks, &last), 1);
    json_decref(last);
    r = run_with(db, port, NULL, "puzzles", (const char *const[]){"rejected", "--json", NULL});
    json_t *rej = json_loads(r.out, 0, NULL);
    assert_int_equal(json_array_size(rej), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rej, 0), "attempts")), 4);
    assert_non_null(json_string_value(json_object_get(json_array_get(rej, 0), "first_seen")));
    json_decref(rej);
    tu_run_free(&r);

    /* Fixed posts come in: one by the next scrape, one by --retry-rejected. */
    char *good_a = fixture_post("linked-see-paragraphs.html"), *good_b = fixture_post("linked-long-plain-table.html");
    tu_copy_file(good_a, page_a);
    r = run_with(db, port, env, "scrape", since);
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "1 saved");
    tu_run_free(&r);
    rows = tu_sql(db, "SELECT number FROM rejected_posts");
    assert_string_equal(rows, "29904\n");
    free(rows);
    tu_copy_file(good_b, page_b);
    r = run_with(db, port, NULL, "parse", (const char *const[]){"--retry-rejected", NULL});
    if (r.status != 0)
        fail_msg("parse --retry-rejected failed (%d): %s\n%s", r.status, r.err, r.out);
    tu_assert_contains(r.out, "retried 1 rejected post: 1 saved");
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM rejected_posts"), 0);
    /* the pages name their own puzzles: 29918 (See line) and 29925 (long answer) */
    rows = tu_sql(db, "SELECT p.guardian_id, c.linked FROM clues c JOIN puzzles p ON p.id = c.puzzle_id "
                      "WHERE c.linked IS NOT NULL ORDER BY 1");
    assert_string_equal(rows, "29918|9/10\n29919|9/10\n29925|9/10\n");
    free(rows);
    r = run_with(db, port, NULL, "puzzles", (const char *const[]){"rejected", NULL});
    tu_assert_contains(r.out, "no rejected posts");
    tu_run_free(&r);
    r = run_with(db, port, NULL, "parse", (const char *const[]){"--retry-rejected", "x.html", NULL});
    assert_int_equal(r.status, 2);
    tu_run_free(&r);

    tu_stop_fake(hook);
    tu_stop_fake(fake);
    free(good_a);
    free(good_b);
    free(hooks);
    free(config_path);
    free(log_path);
    free(bad);
    free(cut);
    free(page_a);
    free(page_b);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scrape_end_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_since_and_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_wordpress_feed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_that_ignores_paged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_page_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected_posts_are_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_pages_are_rejected, setup, teardown),
    };
    return cmocka_run_group_tests_name("scrape (the binary against a fake Fifteensquared)", tests, NULL, NULL);
}
