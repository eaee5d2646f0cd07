/* cmd_serve.c - `cryptic-bench serve` and `cryptic-bench send`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pipeline_config.h"
#include "core/http.h"
#include "core/log.h"
#include "pipeline/events.h"
#include "pipeline/run.h"
#include "pipeline/runlog.h"
#include "web/server.h"

/* A whole-number setting of serve: a flag, or else its environment
 * variable, parsed strictly (a bad value is a usage error naming it). */
struct serve_setting {
    const char *flag;
    const char *env;
    long min, max;
    long value;         /* the default until parsed */
    const char *given;  /* the flag's text, when given */
};

static int setting_parse(const struct cli_command *cmd, struct serve_setting *st)
{
    const char *v = st->given ? st->given : config_env(st->env);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < st->min || n > st->max)
        return cli_usage_error(cmd, "%s must be a whole number from %ld to %ld, not \"%s\"",
                               st->given ? st->flag : st->env, st->min, st->max, v);
    st->value = n;
    return 0;
}

/* Splits a comma-separated list into out (up to WEB_SERVER_LIST_MAX names,
 * NULL-terminated, pointing into buf); each must pass ok(). Returns 0, or
 * a usage error naming the setting. */
static int split_list(const struct cli_command *cmd, const char *setting, const char *value, char *buf, size_t size,
                      const char **out, int (*ok)(const char *), const char *expected)
{
    snprintf(buf, size, "%s", value);
    int n = 0;
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        if (n == WEB_SERVER_LIST_MAX)
            return cli_usage_error(cmd, "%s: at most %d entries", setting, WEB_SERVER_LIST_MAX);
        if (!ok(item))
            return cli_usage_error(cmd, "%s: \"%s\" is not %s", setting, item, expected);
        out[n++] = item;
    }
    if (n == 0)
        return cli_usage_error(cmd, "%s: expected %s", setting, expected);
    out[n] = NULL;
    return 0;
}

/* A host name or address as a Host header carries it, without the port. */
static int host_name_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253)
        return 0;
    if (h[0] == '[')
        return h[n - 1] == ']' && strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
    return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

/* An origin as a browser sends it: scheme, host, optional port, no path. */
static int origin_ok(const char *o)
{
    const char *rest = strncmp(o, "https://", 8) == 0 ? o + 8 : strncmp(o, "http://", 7) == 0 ? o + 7 : NULL;
    if (!rest || !*rest || strlen(o) > 250)
        return 0;
    size_t host = strcspn(rest, ":");
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)host, rest);
    if (!host_name_ok(name))
        return 0;
    return !rest[host] || (rest[host] == ':' && rest[host + 1] && strspn(rest + host + 1, "0123456789") ==
                                                                        strlen(rest + host + 1));
}

enum {
    SET_SQL_DEADLINE,
    SET_SQL_STATEMENT,
    SET_SQL_MAX_ROWS,
    SET_SQL_THREADS,
    SET_SQL_PER_CLIENT,
    SET_BODY_BUDGET,
    SET_MAX_CONNS,
    SET_MAX_CONNS_IP,
    SET_IDLE_TIMEOUT,
    SET_HEADER_TIMEOUT,
    SET_COUNT
};

int cmd_serve(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv)
{
    const char *listen = config_env("LISTEN"), *workers_s = NULL, *read_token = config_env("CRYPTIC_BENCH_READ_TOKEN");
    int cron = 1, embedded = 0;
    int public_sql = config_bool("CRYPTIC_BENCH_PUBLIC_SQL", 0);
    struct serve_setting settings[SET_COUNT] = {
        [SET_SQL_DEADLINE] = {"--sql-deadline-ms", "CRYPTIC_BENCH_SQL_DEADLINE_MS", 10, 600000, 5000, NULL},
        [SET_SQL_STATEMENT] = {"--sql-statement-ms", "CRYPTIC_BENCH_SQL_STATEMENT_MS", 0, 600000, 0, NULL},
        [SET_SQL_MAX_ROWS] = {"--sql-max-rows", "CRYPTIC_BENCH_SQL_MAX_ROWS", 0, 10000000, 0, NULL},
        [SET_SQL_THREADS] = {"--sql-threads", "CRYPTIC_BENCH_SQL_THREADS", 1, 64, 2, NULL},
        [SET_SQL_PER_CLIENT] = {"--sql-per-client", "CRYPTIC_BENCH_SQL_PER_CLIENT", 1, 1000, 2, NULL},
        [SET_BODY_BUDGET] = {"--body-budget-mb", "CRYPTIC_BENCH_BODY_BUDGET_MB", 6, 4096, 32, NULL},
        [SET_MAX_CONNS] = {"--max-connections", "CRYPTIC_BENCH_MAX_CONNECTIONS", 8, 100000, 512, NULL},
        [SET_MAX_CONNS_IP] = {"--max-connections-per-ip", "CRYPTIC_BENCH_MAX_CONNECTIONS_PER_IP", 1, 100000, 64, NULL},
        [SET_IDLE_TIMEOUT] = {"--idle-timeout-s", "CRYPTIC_BENCH_IDLE_TIMEOUT_S", 1, 3600, 30, NULL},
        [SET_HEADER_TIMEOUT] = {"--header-timeout-s", "CRYPTIC_BENCH_HEADER_TIMEOUT_S", 1, 3600, 10, NULL},
    };
    const char *public_host = config_env("CRYPTIC_BENCH_PUBLIC_HOST");
    const char *allow_origin = config_env("CRYPTIC_BENCH_ALLOW_ORIGINS");
    const char *read_token_file = NULL;
    for (int i = 0; i < argc;) {
        int taken = 0;
        if ((taken = cli_take_value(argc, argv, &i, "--public-host", &public_host)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--allow-origin", &allow_origin)) != 0 ||
            (taken = cli_take_value(argc, argv, &i, "--read-token-file", &read_token_file)) != 0) {
            if (taken < 0)
                return cli_usage_error(cmd, "%s needs a value", argv[i]);
            continue;
        }
        for (int k = 0; k < SET_COUNT && !taken; k++)
            taken = cli_take_value(argc, argv, &i, settings[k].flag, &settings[k].given);
        if (taken < 0)
            return cli_usage_error(cmd, "%s needs a value", argv[i]);
        if (taken)
            continue;
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
    for (int k = 0; k < SET_COUNT; k++) {
        int rc = setting_parse(cmd, &settings[k]);
        if (rc)
            return rc;
    }
    /* A token on the command line shows in ps: a file (or the environment) does not. */
    char token_buf[512];
    if (read_token_file) {
        FILE *f = fopen(read_token_file, "r");
        size_t n = f ? fread(token_buf, 1, sizeof token_buf - 1, f) : 0;
        int eof = f && feof(f);
        if (f)
            fclose(f);
        if (!f)
            return cli_usage_error(cmd, "--read-token-file %s: cannot read it", read_token_file);
        token_buf[n] = '\0';
        while (n && (token_buf[n - 1] == '\n' || token_buf[n - 1] == '\r' || token_buf[n - 1] == ' '))
            token_buf[--n] = '\0';
        if (!eof || n == 0 || strcspn(token_buf, "\r\n") != n)
            return cli_usage_error(cmd, "--read-token-file %s: expected one line holding the token (at most %zu bytes)",
                                   read_token_file, sizeof token_buf - 2);
        read_token = token_buf;
    }
    char hosts_buf[4096], origins_buf[4096];
    const char *hosts[WEB_SERVER_LIST_MAX + 1] = {NULL}, *origins[WEB_SERVER_LIST_MAX + 1] = {NULL};
    if (public_host) {
        int rc = split_list(cmd, "--public-host", public_host, hosts_buf, sizeof hosts_buf, hosts, host_name_ok,
                            "a host name without scheme or port, e.g. bench.example.org");
        if (rc)
            return rc;
    }
    if (allow_origin) {
        int rc = split_list(cmd, "--allow-origin", allow_origin, origins_buf, sizeof origins_buf, origins, origin_ok,
                            "an origin such as https://user.github.io (scheme, host, optional port, no path)");
        if (rc)
            return rc;
    }
    /* Signals are taken by sigwait below, in this thread only. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct err err = {{0}};
    struct pipeline_config cfg;
    struct store *store = NULL;
    struct pipeline *pl = NULL;
    struct web_server *server = NULL;
    struct flow_inngest *inngest = NULL;
    int status = CLI_FAILED;
    if (cli_pipeline_config(ctx, &cfg, &store, &err) < 0)
        goto out;
    /* On Inngest, Inngest schedules, retries and fires cron; the embedded
     * workers stay off unless asked for. */
    struct flow_inngest_opts io;
    int on_inngest = cli_inngest_opts(&io);
    int run_engine = !on_inngest || embedded;
    struct pipeline_open_opts po = {
        .which = PIPELINE_ALL,
        .role = "serve",
        .engine = {.workers = workers, .poll_ms = 200, .lease_ms = 300000, .cron = cron, .on_run = pipeline_log_run}};
    if (workers_s) /* the flag wins over CRYPTIC_BENCH_FLOW_WORKERS */
        cfg.engine.workers = workers;
    if (pipeline_open(&cfg, &po, &pl, &err) < 0 || (run_engine && pipeline_start(pl, &err) < 0))
        goto out;
    struct flow_engine *engine = pipeline_engine(pl);
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
                                 .allow_origins = origins,
                                 .public_hosts = hosts,
                                 .inngest = inngest,
                                 .inngest_events = on_inngest && !embedded ? &io : NULL,
                                 .event_check = pipeline_event_check_hook,
                                 .event_check_ctx = store,
                                 .step_fields = pipeline_step_fields()};
    wo.sql_limits.request_ms = settings[SET_SQL_DEADLINE].value;
    wo.sql_limits.statement_ms = settings[SET_SQL_STATEMENT].value;
    wo.sql_limits.max_rows = settings[SET_SQL_MAX_ROWS].value;
    wo.sql_threads = (int)settings[SET_SQL_THREADS].value;
    wo.sql_per_client = (int)settings[SET_SQL_PER_CLIENT].value;
    wo.body_budget = (size_t)settings[SET_BODY_BUDGET].value << 20;
    wo.max_connections = (int)settings[SET_MAX_CONNS].value;
    wo.max_connections_per_ip = (int)settings[SET_MAX_CONNS_IP].value;
    wo.idle_timeout_s = (int)settings[SET_IDLE_TIMEOUT].value;
    wo.header_timeout_s = (int)settings[SET_HEADER_TIMEOUT].value;
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
    pipeline_close(pl); /* stops the workers after their current round, releases leases */
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
    } else if (cli_inngest_opts(&io)) {
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
        struct pipeline *pl = NULL;
        struct pipeline_open_opts po = {.which = PIPELINE_ALL, .engine = {.workers = 1}};
        char id[64];
        int opened = cli_pipeline_config(ctx, &cfg, &store, &err) == 0;
        if (opened && pipeline_event_check(store, name, data, &err) < 0) {
            store_close(store);
            json_decref(data);
            return cli_usage_error(cmd, "%s", err.msg);
        }
        if (opened && pipeline_open(&cfg, &po, &pl, &err) == 0 && pipeline_send(pl, name, data, NULL, id, &err) == 0) {
            printf("{\"ids\":[\"%s\"],\"status\":200}\n", id);
            status = CLI_OK;
        }
        pipeline_close(pl);
        store_close(store);
    }
    json_decref(data);
    return status == CLI_OK ? CLI_OK : cli_fail(cmd, err.msg);
}
