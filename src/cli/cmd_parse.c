/* cmd_parse.c - `cryptic-bench parse FILE_OR_URL`: one post's puzzle as JSON. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "core/buf.h"
#include "core/http.h"
#include "pipeline/scrape.h"
#include "scrape/post.h"

#define PAGE_MAX_BYTES HTTP_DEFAULT_MAX_BODY

/* Reads a page from a file or an http(s) URL into page. */
static int read_page(const char *source, struct buf *page, struct err *err)
{
    if (strncmp(source, "http://", 7) != 0 && strncmp(source, "https://", 8) != 0) {
        if (strcmp(source, "-") == 0) {
            char chunk[8192];
            size_t n;
            while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
                if (buf_append(page, chunk, n, err) < 0)
                    return err_prefix(err, "standard input");
            return 0;
        }
        return buf_read_file(page, source, err);
    }
    struct http_client *client = NULL;
    struct http_client_opts opts = {.retries = 2, .timeout_ms = 30000};
    struct http_response resp;
    if (http_client_new(&opts, &client, err) < 0)
        return -1;
    int rc = http_get(client, source, &resp, err);
    http_client_free(client);
    if (rc == 0 && resp.status != 200)
        rc = err_set(err, "GET %s: HTTP %ld", source, resp.status);
    if (rc == 0)
        rc = buf_append(page, resp.body.data, resp.body.len, err);
    http_response_free(&resp);
    return rc;
}

static void on_retry(void *ctx, enum pipeline_scrape_event event, const char *url, const char *detail)
{
    (void)ctx;
    if (event == PIPELINE_SCRAPE_SAVED)
        printf("saved     %s  %s\n", detail, url);
    else if (event == PIPELINE_SCRAPE_REJECTED)
        printf("rejected  %s: %s\n", url, detail);
    else if (event == PIPELINE_SCRAPE_SKIPPED)
        printf("skipped   %s: %s\n", url, detail);
    fflush(stdout);
}

/* `parse --retry-rejected`: every stored rejected post, fetched and checked
 * again; those that pass are stored and leave the list. */
static int retry_rejected(struct cli_ctx *ctx, const struct cli_command *cmd)
{
    struct err err = {{0}};
    struct store *store = NULL;
    struct pipeline_config cfg;
    struct pipeline_scrape_report report;
    int rc = cli_pipeline_config(ctx, &cfg, &store, &err) < 0
                 ? -1
                 : pipeline_scrape_retry_rejected(store, &cfg.scrape, on_retry, NULL, &report, &err);
    store_close(store);
    if (rc < 0)
        return cli_fail(cmd, err.msg);
    printf("retried %d rejected post%s: %d saved, %d skipped (already stored), %d still rejected\n", report.seen,
           report.seen == 1 ? "" : "s", report.saved, report.skipped, report.rejected);
    return CLI_OK;
}

int cmd_parse(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *source = NULL, *url = NULL;
    int retry = 0;
    for (int i = 0; i < argc;) {
        int taken = cli_take_value(argc, argv, &i, "--url", &url);
        if (taken < 0)
            return cli_usage_error(cmd, "--url needs a URL");
        if (taken > 0)
            continue;
        if (strcmp(argv[i], "--retry-rejected") == 0) {
            retry = 1;
            i++;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error(cmd, "unknown option %s", argv[i]);
        if (source)
            return cli_usage_error(cmd, "one page at a time");
        source = argv[i++];
    }
    if (retry) {
        if (source || url)
            return cli_usage_error(cmd, "--retry-rejected takes no page: it retries every stored rejected post");
        return retry_rejected(ctx, cmd);
    }
    if (!source)
        return cli_usage_error(cmd, "which page? give a file, a URL or - for standard input");
    if (!url && (strncmp(source, "http://", 7) == 0 || strncmp(source, "https://", 8) == 0))
        url = source;

    struct err err = {{0}};
    struct buf page;
    struct scrape_puzzle *puzzle = NULL;
    int status = CLI_FAILED;
    buf_init(&page, PAGE_MAX_BYTES);
    if (read_page(source, &page, &err) < 0)
        goto out;
    if (scrape_post_parse(page.data ? page.data : "", page.len, url, &puzzle, &err) < 0 ||
        scrape_puzzle_validate(puzzle, 0, &err) < 0) {
        err_prefix(&err, "%s", source);
        goto out;
    }
    json_t *json = scrape_puzzle_to_json(puzzle);
    json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("\n");
    json_decref(json);
    status = CLI_OK;
out:
    scrape_puzzle_free(puzzle);
    buf_free(&page);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
