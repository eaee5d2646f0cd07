/* cmd_serve.c - `cryptic-bench serve` and `cryptic-bench send`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pipeline_env.h"
#include "core/http.h"
#include "core/log.h"
#include "pipeline/events.h"
#include "pipeline/runlog.h"
#include "web/server.h"

int cmd_serve(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *listen = config_env("LISTEN"), *workers_s = NULL, *read_token = config_env("CRYPTIC_BENCH_READ_TOKEN");
    int cron = 1, embedded = 0;
    int public_sql = config_bool("CRYPTIC_BENCH_PUBLIC_SQL", 0);
    for (int i = 0; i < argc;) {
        int taken;
        if ((taken = cli_take_value(argc, argv, &i, "--listen", &listen)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--workers", &workers_s)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--read-token", &read_token)) != 0) {
            if (taken < 0)
                return cli_usage_error(cmd, "%s needs a value", argv[i]);
            continue;
        }
        if (strcmp(argv[i], "--no-cron") == 0)
            cron = 0;
        else if (strcmp(argv[i], "--public-sql") == 0)
            public_sql = 1;
        else if (strcmp(argv[i], "--embedded") == 0)
            embedded = 1;
        else
            return cli_usage_error(cmd, "unknown argument \"%s\"", argv[i]);
        i++;
    }
    int workers = 4;
    if (workers_s && ((workers = atoi(workers_s)) <= 0 || workers > 64))
        return cli_usage_error(cmd, "--workers must be 1 to 64");
    if (listen && config_check_listen(listen) < 0)
        return cli_usage_error(cmd, "--listen \"%s\": expected IPV4ADDRESS:PORT, e.g. " CONFIG_DEFAULT_LISTEN, listen);
    /* Signals are taken by sigwait below, in this thread only. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct err err = {{0}};
    struct pipeline_config cfg;
    struct store *store = NULL;
    struct flow_engine *engine = NULL;
    struct web_server *server = NULL;
    struct flow_inngest *inngest = NULL;
    int status = CLI_FAILED;
    if (pipeline_env_open(ctx, &cfg, &store, &err) < 0)
        goto out;
    /* On Inngest, Inngest schedules, retries and fires cron; the embedded
     * workers stay off unless asked for. */
    struct flow_inngest_opts io;
    int on_inngest = pipeline_env_inngest(&io);
    int run_engine = !on_inngest || embedded;
    struct flow_engine_opts eo = {.workers = workers, .poll_ms = 200, .lease_ms = 300000, .cron = cron,
                                  .on_run = pipeline_log_run};
    pipeline_env_engine_opts(&eo, "serve");
    if (workers_s) /* the flag wins over CRYPTIC_BENCH_FLOW_WORKERS */
        eo.workers = workers;
    if (flow_engine_new(ctx->config.db_location, ctx->config.db_token, &eo, &engine, &err) < 0 ||
        pipeline_register(engine, &cfg, PIPELINE_ALL, &err) < 0 || (run_engine && flow_engine_start(engine, &err) < 0))
        goto out;
    if (on_inngest && flow_inngest_new(engine, &io, &inngest, &err) < 0)
        goto out;
    /* The SQL endpoint serves the embedded file only; a remote database has its own. */
    const char *loc = ctx->config.db_location;
    struct web_server_opts wo = {.listen = listen ? listen : "127.0.0.1:8080",
                                 .threads = workers,
                                 .event_key = config_env("INNGEST_EVENT_KEY"),
                                 .sql_db = db_is_remote(loc) ? NULL : loc,
                                 .read_token = read_token,
                                 .public_sql = public_sql,
                                 .inngest = inngest,
                                 .inngest_events = on_inngest && !embedded ? &io : NULL,
                                 .event_check = pipeline_event_check_hook,
                                 .event_check_ctx = store};
    wo.sql_limits.statement_ms = pipeline_env_long("CRYPTIC_BENCH_SQL_STATEMENT_MS", 0);
    wo.sql_limits.max_rows = pipeline_env_long("CRYPTIC_BENCH_SQL_MAX_ROWS", 0);
    if (web_server_start(engine, &wo, &server, &err) < 0)
        goto out;
    char host[64];
    snprintf(host, sizeof host, "%s", wo.listen);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    if (on_inngest)
        printf("serving on http://%s:%d (Inngest%s: %s for app %s, API %s; embedded workers %s)\n", host,
               web_server_port(server), io.dev ? " dev server" : "", io.serve_path ? io.serve_path : "/api/inngest",
               io.app_id ? io.app_id : "cryptic-bench", io.api_origin, run_engine ? "on" : "off");
    else
        printf("serving on http://%s:%d (%d workers, cron %s)\n", host, web_server_port(server), workers,
               cron ? "on" : "off");
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    log_info("%s: stopping: no new claims, running steps finish, leases released", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = CLI_OK;
out:
    web_server_stop(server);
    flow_inngest_free(inngest);
    flow_engine_free(engine); /* stops the workers after their current round, releases leases */
    store_close(store);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}

int cmd_send(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *name = NULL, *data_text = NULL, *url = config_env("CRYPTIC_BENCH_URL");
    for (int i = 0; i < argc;) {
        int taken;
        if ((taken = cli_take_value(argc, argv, &i, "--data", &data_text)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--url", &url)) != 0) {
            if (taken < 0)
                return cli_usage_error(cmd, "%s needs a value", argv[i]);
            continue;
        }
        if (argv[i][0] == '-' || name)
            return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[i]);
        name = argv[i++];
    }
    if (!name)
        return cli_usage_error(cmd, "which event? e.g. benchmark/scrape.requested");
    json_error_t jerr;
    json_t *data = data_text ? json_loads(data_text, 0, &jerr) : json_object();
    if (!data || !json_is_object(data)) {
        json_decref(data);
        return cli_usage_error(cmd, "--data must be a JSON object");
    }
    struct err err = {{0}};
    /* The shape here; whether the models exist where the event is stored. */
    if (pipeline_event_check(NULL, name, data, &err) < 0) {
        json_decref(data);
        return cli_usage_error(cmd, "%s", err.msg);
    }
    int status = CLI_FAILED;
    struct flow_inngest_opts io;
    if (url) {
        /* To a server's event API. */
        json_t *ev = json_pack("{s:s, s:O}", "name", name, "data", data);
        char *body = json_dumps(ev, JSON_COMPACT);
        json_decref(ev);
        const char *key = config_env("INNGEST_EVENT_KEY");
        char endpoint[1024];
        size_t len = strlen(url);
        snprintf(endpoint, sizeof endpoint, "%.*s/e/%s", (int)(len && url[len - 1] == '/' ? len - 1 : len), url,
                 key ? key : "local");
        const char *headers[] = {"Content-Type: application/json", NULL};
        struct http_request req = {"POST", endpoint, headers, body, strlen(body)};
        struct http_client *http = NULL;
        struct http_client_opts ho = {.retries = 2, .timeout_ms = 30000};
        struct http_response resp;
        int rc = http_client_new(&ho, &http, &err);
        if (rc == 0)
            rc = http_do(http, &req, &resp, &err);
        if (rc == 0) {
            if (resp.status == 200) {
                printf("%s\n", resp.body.data);
                status = CLI_OK;
            } else {
                err_set(&err, "POST %s: HTTP %ld: %.300s", endpoint, resp.status, resp.body.data ? resp.body.data : "");
            }
            http_response_free(&resp);
        }
        http_client_free(http);
        free(body);
    } else if (pipeline_env_inngest(&io)) {
        /* To Inngest's event API: Inngest starts the runs. */
        json_t *ev = json_pack("{s:s, s:O}", "name", name, "data", data);
        json_t *ids = json_array();
        if (flow_inngest_send_events(&io, ev, ids, &err) == 0) {
            json_t *answer = json_pack("{s:O, s:i}", "ids", ids, "status", 200);
            char *text = json_dumps(answer, JSON_COMPACT);
            printf("%s\n", text);
            free(text);
            json_decref(answer);
            status = CLI_OK;
        }
        json_decref(ids);
        json_decref(ev);
    } else {
        /* Into the database: a running server picks the runs up. */
        struct pipeline_config cfg;
        struct store *store = NULL;
        struct flow_engine *engine = NULL;
        struct flow_engine_opts eo = {.workers = 1};
        char id[64];
        int opened = pipeline_env_open(ctx, &cfg, &store, &err) == 0;
        if (opened && pipeline_event_check(store, name, data, &err) < 0) {
            store_close(store);
            json_decref(data);
            return cli_usage_error(cmd, "%s", err.msg);
        }
        if (opened &&
            flow_engine_new(ctx->config.db_location, ctx->config.db_token, &eo, &engine, &err) == 0 &&
            pipeline_register(engine, &cfg, PIPELINE_ALL, &err) == 0 &&
            flow_engine_send(engine, name, data, NULL, id, &err) == 0) {
            printf("{\"ids\":[\"%s\"],\"status\":200}\n", id);
            status = CLI_OK;
        }
        flow_engine_free(engine);
        store_close(store);
    }
    json_decref(data);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
