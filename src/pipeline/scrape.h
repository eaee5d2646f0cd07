/*
 * scrape.h - the scrape job: read the feed back as far as needed, fetch each
 * new post of the chosen series, parse and validate it, store it whole.
 *
 * Pages of the feed are read newest first until a page reaches posts older
 * than `since`, a page past the last one (404) or an empty one, or `max`
 * posts were seen. Two more ends keep a misbehaving server from holding
 * the walk forever, each with a warning: a page that adds no item not
 * already read in this walk (a cache that ignores ?paged= serves page 1
 * again and again), and max_pages pages read. Either way what was found
 * is saved and the run succeeds. A post already stored is skipped without fetching it; a
 * post that fails validation is rejected whole with its reason and nothing
 * of it is stored. Each stored puzzle is one atomic batch, so an
 * interrupted run loses nothing it reported saved.
 */
#ifndef CB_PIPELINE_SCRAPE_H
#define CB_PIPELINE_SCRAPE_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define PIPELINE_DEFAULT_FIFTEENSQUARED_URL "https://www.fifteensquared.net"
#define PIPELINE_SCRAPE_MAX_SERIES 16
#define PIPELINE_SCRAPE_DEFAULT_MAX_PAGES 50

struct pipeline_scrape_opts {
    const char *base_url;      /* FIFTEENSQUARED_URL; default the blog */
    int64_t since_ms;          /* posts older are not read; 0: 8 days before the newest
                                  stored post, or 8 days ago on an empty database */
    int max_posts;             /* stop after this many feed items; 0: no limit */
    int max_pages;             /* feed pages per walk; 0: PIPELINE_SCRAPE_DEFAULT_MAX_PAGES */
    const char *series[PIPELINE_SCRAPE_MAX_SERIES]; /* NULL-terminated; empty: the default */
    long min_interval_ms;      /* between requests; default 500 */
    int retries;               /* on 5xx and timeouts; -1: the default 3 */
    long backoff_ms;           /* first retry delay; default 1000 */
    long timeout_ms;           /* per request; default 30 000 */
};

/* What happened to one post, as it happens. */
enum pipeline_scrape_event {
    PIPELINE_SCRAPE_PAGE,     /* a feed page was read: detail = "page N: M posts" */
    PIPELINE_SCRAPE_SAVED,    /* detail = "guardian-cryptic 29890 (Ramsay, 2025-12-30, 28 clues)" */
    PIPELINE_SCRAPE_SKIPPED,  /* already stored */
    PIPELINE_SCRAPE_REJECTED, /* detail = the reason */
    PIPELINE_SCRAPE_WARNING,  /* the walk ended early: detail says why; url is the feed page */
};

typedef void (*pipeline_scrape_fn)(void *ctx, enum pipeline_scrape_event event, const char *url,
                                   const char *detail);

struct pipeline_scrape_report {
    int pages;    /* feed pages read */
    int seen;     /* feed items looked at */
    int found;    /* items of the chosen series, new enough */
    int saved, skipped, rejected;
    char since[11]; /* the cut-off date used */
    char warning[512]; /* why the walk ended early (repeated page, page cap), or "" */
    char weeks[64][9]; /* distinct week ids of the saved puzzles */
    int nweeks;
};

/* Runs the job. Returns -1 only when the feed itself cannot be read
 * (unreachable, HTTP error, not RSS); a post that cannot be fetched or
 * parsed is a rejection, reported and counted, and the run goes on. */
int pipeline_scrape(struct store *store, const struct pipeline_scrape_opts *opts,
                    pipeline_scrape_fn on_event, void *ctx, struct pipeline_scrape_report *report,
                    struct err *err);

/* Fetches, parses and validates again every stored rejected post (`parse
 * --retry-rejected`, after a parser fix): one that passes now is stored
 * and leaves the rejected list; one that fails again has its reason, last
 * seen and attempts updated. Reports through on_event as the scrape does;
 * report counts seen (rejected posts tried), saved, skipped, rejected.
 * Returns -1 only when the database fails. */
int pipeline_scrape_retry_rejected(struct store *store, const struct pipeline_scrape_opts *opts,
                                   pipeline_scrape_fn on_event, void *ctx,
                                   struct pipeline_scrape_report *report, struct err *err);

#endif
