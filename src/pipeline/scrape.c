/* scrape.c - the scrape job; see scrape.h. */
#include "pipeline/scrape.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "core/log.h"
#include "core/utc.h"
#include "scrape/feed.h"
#include "scrape/post.h"
#include "scrape/title.h"

#define DAY_MS (86400LL * 1000)

static const char *const default_series[] = {"guardian-cryptic", "guardian-prize", NULL};

static int series_chosen(const struct pipeline_scrape_opts *opts, const char *series)
{
    const char *const *list = opts->series[0] ? opts->series : default_series;
    for (; *list; list++)
        if (strcmp(*list, series) == 0)
            return 1;
    return 0;
}

static void emit(pipeline_scrape_fn fn, void *ctx, enum pipeline_scrape_event e, const char *url,
                 const char *detail)
{
    if (fn)
        fn(ctx, e, url, detail);
}

/* Fills what the page did not say from the feed item. */
static int fill_from_item(struct scrape_puzzle *p, const struct scrape_feed_item *item,
                          const char *series, int64_t number)
{
    if (!p->url && item->link && !(p->url = strdup(item->link)))
        return -1;
    if (!p->title && item->title && !(p->title = strdup(item->title)))
        return -1;
    if (!p->series && series) {
        if (!(p->series = strdup(series)))
            return -1;
        p->number = number;
        struct scrape_title t;
        if (!p->setter && scrape_title_parse(item->title, &t) == 0 && t.setter[0] &&
            !(p->setter = strdup(t.setter)))
            return -1;
    }
    if (!p->date && item->published_ms) {
        char d[UTC_DATE_SIZE];
        utc_format_date(utc_date_from_ms(item->published_ms), d);
        if (!(p->date = strdup(d)))
            return -1;
    }
    return 0;
}

/* Stores a validated puzzle. */
static int save_puzzle(struct store *store, const struct scrape_puzzle *p, const char *link, char week[9],
                       struct err *err)
{
    struct utc_date date;
    if (utc_parse_date(p->date, &date, err) < 0)
        return err_prefix(err, "post date");
    utc_week_id(date, week);
    struct store_clue_row *rows = calloc(p->nclues, sizeof *rows);
    char **defs = calloc(p->nclues, sizeof *defs);
    char(*linked)[128] = calloc(p->nclues, sizeof *linked);
    json_t *raw = json_pack("{s:s?, s:s?, s:I}", "title", p->title, "url", p->url, "clueCount",
                            (json_int_t)p->nclues);
    char *raw_text = raw ? json_dumps(raw, JSON_COMPACT) : NULL;
    int rc = -1;
    if (!rows || !defs || !linked || !raw_text) {
        err_set(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < p->nclues; i++) {
        const struct scrape_clue *c = &p->clues[i];
        json_t *arr = json_array();
        for (size_t d = 0; d < c->ndefinitions; d++)
            json_array_append_new(arr, json_string(c->definitions[d]));
        defs[i] = json_dumps(arr, JSON_COMPACT);
        json_decref(arr);
        scrape_clue_linked(c, linked[i], sizeof linked[i]);
        rows[i] = (struct store_clue_row){c->number,         c->direction,   c->text,
                                          c->answer,         c->enumeration, c->display_answer,
                                          c->explanation,    defs[i],        linked[i][0] ? linked[i] : NULL};
    }
    struct store_puzzle_row row = {p->series, p->number, p->setter, p->date, week, p->title,
                                   p->url, raw_text, rows, p->nclues, link};
    rc = store_puzzle_save(store, &row, NULL, err);
out:
    if (defs)
        for (size_t i = 0; i < p->nclues; i++)
            free(defs[i]);
    free(defs);
    free(linked);
    free(rows);
    free(raw_text);
    json_decref(raw);
    return rc;
}

static void note_week(struct pipeline_scrape_report *r, const char *week)
{
    for (int i = 0; i < r->nweeks; i++)
        if (strcmp(r->weeks[i], week) == 0)
            return;
    if (r->nweeks < (int)(sizeof r->weeks / sizeof r->weeks[0]))
        snprintf(r->weeks[r->nweeks++], sizeof r->weeks[0], "%s", week);
}

/* Fetches, parses, validates and stores one post. Returns -1 only for a
 * database failure (the run stops); a bad post is a rejection. */
static int process_post(struct store *store, struct http_client *http,
                        const struct scrape_feed_item *item, const char *series, int64_t number,
                        pipeline_scrape_fn on_event, void *ctx, struct pipeline_scrape_report *report,
                        struct err *err)
{
    struct http_response resp;
    struct scrape_puzzle *p = NULL;
    struct err why = {{0}};
    int rc = 0;
    if (http_get(http, item->link, &resp, &why) < 0)
        goto reject;
    if (resp.status != 200) {
        err_set(&why, "HTTP %ld", resp.status);
        goto reject;
    }
    if (scrape_post_parse(resp.body.data, resp.body.len, item->link, &p, &why) < 0)
        goto reject;
    if (fill_from_item(p, item, series, number) < 0) {
        err_set(&why, "out of memory");
        goto reject;
    }
    if (scrape_puzzle_validate(p, 1, &why) < 0)
        goto reject;
    /* The page may name a different puzzle than the feed title did. */
    int exists = 0;
    if (store_puzzle_exists(store, p->series, p->number, &exists, err) < 0) {
        rc = -1;
        goto out;
    }
    if (exists) {
        report->skipped++;
        emit(on_event, ctx, PIPELINE_SCRAPE_SKIPPED, item->link, "already stored");
        /* stored under another url: nothing is left to retry */
        if (store_rejected_forget(store, item->link, err) < 0)
            rc = -1;
        goto out;
    }
    char week[9];
    if (save_puzzle(store, p, item->link, week, err) < 0) {
        rc = -1;
        goto out;
    }
    report->saved++;
    note_week(report, week);
    char detail[256];
    snprintf(detail, sizeof detail, "%s %lld (%s, %s, %s, %zu clues)", p->series,
             (long long)p->number, p->setter ? p->setter : "setter unknown", p->date, week,
             p->nclues);
    emit(on_event, ctx, PIPELINE_SCRAPE_SAVED, item->link, detail);
    goto out;
reject:
    report->rejected++;
    /* Remembered until it passes: `puzzles rejected`, /metrics, the alert. */
    struct store_rejected_row rejected = {item->link, series, number, item->title, why.msg};
    if (store_rejected_record(store, &rejected, NULL, err) < 0)
        rc = -1;
    emit(on_event, ctx, PIPELINE_SCRAPE_REJECTED, item->link, why.msg);
out:
    scrape_puzzle_free(p);
    http_response_free(&resp);
    return rc;
}

/* The blog's HTTP client: polite spacing, retries, timeouts. */
static int new_http(const struct pipeline_scrape_opts *opts, struct http_client **http, struct err *err)
{
    struct http_client_opts hopts = {
        .min_interval_ms = opts->min_interval_ms > 0 ? opts->min_interval_ms : 500,
        .retries = opts->retries >= 0 ? opts->retries : 3,
        .backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms : 1000,
        .timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000,
        .connect_timeout_ms = 10000,
    };
    return http_client_new(&hopts, http, err);
}

/* The items already read in this walk, by link (or title when an item
 * has none): a page made only of them ends the walk. */
struct seen_items {
    char **keys;
    size_t n, cap;
};

static const char *item_key(const struct scrape_feed_item *item)
{
    return item->link ? item->link : item->title ? item->title : "";
}

static int seen_has(const struct seen_items *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->keys[i], key) == 0)
            return 1;
    return 0;
}

/* Adds the page's new items; returns how many were new, -1 out of memory. */
static int seen_add_page(struct seen_items *s, const struct scrape_feed *feed)
{
    int added = 0;
    for (size_t i = 0; i < feed->n; i++) {
        const char *key = item_key(&feed->items[i]);
        if (seen_has(s, key))
            continue;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            char **keys = realloc(s->keys, cap * sizeof *keys);
            if (!keys)
                return -1;
            s->keys = keys;
            s->cap = cap;
        }
        if (!(s->keys[s->n] = strdup(key)))
            return -1;
        s->n++;
        added++;
    }
    return added;
}

static void seen_free(struct seen_items *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    free(s->keys);
}

/* Ends the walk early with a warning (logged, reported, kept in report). */
static void walk_warning(struct pipeline_scrape_report *report, pipeline_scrape_fn on_event, void *ctx,
                         const char *url, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void walk_warning(struct pipeline_scrape_report *report, pipeline_scrape_fn on_event, void *ctx,
                         const char *url, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(report->warning, sizeof report->warning, fmt, ap);
    va_end(ap);
    log_warn("%s", report->warning);
    emit(on_event, ctx, PIPELINE_SCRAPE_WARNING, url, report->warning);
}

int pipeline_scrape(struct store *store, const struct pipeline_scrape_opts *opts,
                    pipeline_scrape_fn on_event, void *ctx, struct pipeline_scrape_report *report,
                    struct err *err)
{
    memset(report, 0, sizeof *report);
    const char *base = opts->base_url && *opts->base_url ? opts->base_url
                                                         : PIPELINE_DEFAULT_FIFTEENSQUARED_URL;
    int64_t since = opts->since_ms;
    if (since == 0) {
        char newest[11];
        struct utc_date d;
        if (store_newest_puzzle_date(store, newest, err) < 0)
            return -1;
        if (newest[0] && utc_parse_date(newest, &d, NULL) == 0)
            since = utc_days_from_date(d) * DAY_MS - 8 * DAY_MS;
        else
            since = utc_now_ms() - 8 * DAY_MS;
    }
    utc_format_date(utc_date_from_ms(since), report->since);

    struct http_client *http = NULL;
    if (new_http(opts, &http, err) < 0)
        return -1;
    size_t blen = strlen(base);
    int trailing = blen && base[blen - 1] == '/';
    int max_pages = opts->max_pages > 0 ? opts->max_pages : PIPELINE_SCRAPE_DEFAULT_MAX_PAGES;
    struct seen_items seen = {0};
    int rc = -1, done = 0;
    for (int page = 1; !done; page++) {
        char url[2048];
        if (page == 1)
            snprintf(url, sizeof url, "%s%sfeed/", base, trailing ? "" : "/");
        else
            snprintf(url, sizeof url, "%s%sfeed/?paged=%d", base, trailing ? "" : "/", page);
        if (page > max_pages) {
            walk_warning(report, on_event, ctx, url,
                         "stopped after %d feed pages (the limit: --max-pages or "
                         "CRYPTIC_BENCH_SCRAPE_MAX_PAGES) before reaching posts older than %s; "
                         "older posts were not read",
                         max_pages, report->since);
            break;
        }
        struct http_response resp;
        if (http_get(http, url, &resp, err) < 0) {
            err_prefix(err, "feed page %d", page);
            goto out;
        }
        if (resp.status == 404 && page > 1) {
            http_response_free(&resp);
            break; /* past the last page */
        }
        if (resp.status != 200) {
            err_set(err, "feed page %d: GET %s: HTTP %ld", page, url, resp.status);
            http_response_free(&resp);
            goto out;
        }
        struct scrape_feed feed;
        int parsed = scrape_feed_parse(resp.body.data, resp.body.len, &feed, err);
        http_response_free(&resp);
        if (parsed < 0) {
            err_prefix(err, "feed page %d (%s)", page, url);
            goto out;
        }
        report->pages++;
        char detail[64];
        snprintf(detail, sizeof detail, "page %d: %zu posts", page, feed.n);
        emit(on_event, ctx, PIPELINE_SCRAPE_PAGE, url, detail);
        if (feed.n == 0)
            done = 1;
        size_t fresh_from = seen.n;
        int added = feed.n ? seen_add_page(&seen, &feed) : 0;
        if (added < 0) {
            scrape_feed_free(&feed);
            err_set(err, "out of memory");
            goto out;
        }
        if (feed.n > 0 && added == 0) {
            walk_warning(report, on_event, ctx, url,
                         "feed page %d (%s) repeats posts already read in this walk: the server seems to "
                         "ignore ?paged=, so the walk stops here",
                         page, url);
            done = 1;
        }
        for (size_t i = 0; i < feed.n && !done; i++) {
            const struct scrape_feed_item *item = &feed.items[i];
            /* An item a page before already listed was dealt with there. */
            int fresh = 0;
            for (size_t k = fresh_from; k < seen.n && !fresh; k++)
                fresh = strcmp(seen.keys[k], item_key(item)) == 0;
            for (size_t j = 0; j < i && fresh; j++)
                fresh = strcmp(item_key(&feed.items[j]), item_key(item)) != 0;
            if (!fresh)
                continue;
            if (opts->max_posts > 0 && report->seen >= opts->max_posts) {
                done = 1;
                break;
            }
            report->seen++;
            if (item->published_ms && item->published_ms < since) {
                done = 1; /* newest first: everything after is older still */
                break;
            }
            int64_t number;
            const char *series = scrape_feed_item_series(item, &number);
            if (!series || !series_chosen(opts, series) || !item->link)
                continue;
            report->found++;
            int exists = 0;
            if (store_puzzle_exists(store, series, number, &exists, err) < 0) {
                scrape_feed_free(&feed);
                goto out;
            }
            if (exists) {
                report->skipped++;
                emit(on_event, ctx, PIPELINE_SCRAPE_SKIPPED, item->link, "already stored");
                continue;
            }
            if (process_post(store, http, item, series, number, on_event, ctx, report, err) < 0) {
                scrape_feed_free(&feed);
                goto out;
            }
        }
        scrape_feed_free(&feed);
        if (opts->max_posts > 0 && report->seen >= opts->max_posts)
            done = 1;
    }
    rc = 0;
out:
    seen_free(&seen);
    http_client_free(http);
    return rc;
}

int pipeline_scrape_retry_rejected(struct store *store, const struct pipeline_scrape_opts *opts,
                                   pipeline_scrape_fn on_event, void *ctx,
                                   struct pipeline_scrape_report *report, struct err *err)
{
    memset(report, 0, sizeof *report);
    json_t *list = NULL;
    struct http_client *http = NULL;
    int rc = -1;
    if (store_rejected_json(store, &list, err) < 0 || new_http(opts, &http, err) < 0)
        goto out;
    size_t i;
    json_t *row;
    json_array_foreach(list, i, row) {
        /* The stored post as the feed item it came from. */
        struct scrape_feed_item item = {
            .title = (char *)json_string_value(json_object_get(row, "title")),
            .link = (char *)json_string_value(json_object_get(row, "url")),
        };
        const char *series = json_string_value(json_object_get(row, "series"));
        int64_t number = json_integer_value(json_object_get(row, "number"));
        if (!series && item.title) {
            struct scrape_title t;
            if (scrape_title_parse(item.title, &t) == 0) {
                series = t.series;
                number = t.number;
            }
        }
        report->seen++;
        report->found++;
        /* With no series from the feed, the page must name it; validation checks. */
        if (process_post(store, http, &item, series, number, on_event, ctx, report, err) < 0)
            goto out;
    }
    rc = 0;
out:
    http_client_free(http);
    json_decref(list);
    return rc;
}
