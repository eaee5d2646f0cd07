/* config.c - settings from flags, environment and defaults; see config.h. */
#include "cli/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/utc.h"
#include "flow/cron.h"

extern char **environ;

enum config_type {
    CONFIG_TEXT,     /* any text */
    CONFIG_INT,      /* whole number in [min, max] */
    CONFIG_DECIMAL,  /* plain decimal number (digits, one '.') in [min, max] */
    CONFIG_BOOL,     /* 1/true/yes/on or 0/false/no/off */
    CONFIG_URL,      /* http:// or https:// URL */
    CONFIG_DB,       /* a database location, as --db */
    CONFIG_LISTEN,   /* IPv4ADDRESS:PORT */
    CONFIG_CRON,     /* a cron expression, as the scheduler parses it */
    CONFIG_DATETIME, /* an ISO date or date-time, UTC */
};

struct config_setting {
    const char *name;
    enum config_type type;
    double min, max; /* CONFIG_INT, CONFIG_DECIMAL; min_open: min itself excluded */
    int min_open;
    const char *what; /* what it sets, for the man page */
};

#define MS_HOUR 3600000.0
#define MS_DAY 86400000.0

/* Every variable the program reads. Keep it sorted by name. */
static const struct config_setting settings[] = {
    {"CRYPTIC_BENCH_ALERT_WEBHOOK", CONFIG_URL, 0, 0, 0, "where a failed run is reported (POST)"},
    {"CRYPTIC_BENCH_ALLOW_ORIGINS", CONFIG_TEXT, 0, 0, 0, "as serve --allow-origin (a comma-separated list)"},
    {"CRYPTIC_BENCH_BACKUP_STEP_PAGES", CONFIG_INT, 1, 1e6, 0, "pages `backup` copies per step (default 64)"},
    {"CRYPTIC_BENCH_BIN", CONFIG_TEXT, 0, 0, 0, "the binary the test suite runs (tests only)"},
    {"CRYPTIC_BENCH_BODY_BUDGET_MB", CONFIG_INT, 6, 4096, 0, "request bodies in flight, all connections (default 32)"},
    {"CRYPTIC_BENCH_CHECK_CREDITS", CONFIG_BOOL, 0, 0, 0, "check the credits left before a run (default yes)"},
    {"CRYPTIC_BENCH_COST_PER_CALL_USD", CONFIG_DECIMAL, 0, 1000, 0,
     "estimated cost of one call in US dollars, where the price is unknown (default 0.005)"},
    {"CRYPTIC_BENCH_COVERAGE_THRESHOLD", CONFIG_DECIMAL, 0, 100, 1,
     "percentage of a week's clues a model must have answered to be ranked (default 100)"},
    {"CRYPTIC_BENCH_EVAL_BACKOFF_MS", CONFIG_INT, 0, MS_HOUR, 0, "first retry delay of a model call (default 1000)"},
    {"CRYPTIC_BENCH_EVAL_RETRIES", CONFIG_INT, 0, 20, 0, "retries of a failing model call (default 3)"},
    {"CRYPTIC_BENCH_EVAL_TIMEOUT_MS", CONFIG_INT, 1, MS_HOUR, 0, "time limit of one model call (default 120000)"},
    {"CRYPTIC_BENCH_FLOW_BACKOFF_MS", CONFIG_INT, 0, MS_HOUR, 0, "first retry delay of a failed workflow step"},
    {"CRYPTIC_BENCH_FLOW_LEASE_MS", CONFIG_INT, 1, MS_DAY, 0, "how long a worker's claim on a run lasts"},
    {"CRYPTIC_BENCH_FLOW_POLL_MS", CONFIG_INT, 1, MS_HOUR, 0, "how often idle workers look for work"},
    {"CRYPTIC_BENCH_FLOW_WORKERS", CONFIG_INT, 1, 256, 0, "workflow worker threads"},
    {"CRYPTIC_BENCH_HEADER_TIMEOUT_S", CONFIG_INT, 1, 3600, 0, "time for a request's headers (default 10)"},
    {"CRYPTIC_BENCH_IDLE_TIMEOUT_S", CONFIG_INT, 1, 3600, 0, "silence allowed on a connection (default 30)"},
    {"CRYPTIC_BENCH_MAX_CONNECTIONS", CONFIG_INT, 8, 100000, 0, "connections serve accepts (default 512)"},
    {"CRYPTIC_BENCH_MAX_CONNECTIONS_PER_IP", CONFIG_INT, 1, 100000, 0, "connections from one address (default 64)"},
    {"CRYPTIC_BENCH_MAX_MODELS", CONFIG_INT, 1, 256, 0, "models `evaluate` asks at the same time (default 16)"},
    {"CRYPTIC_BENCH_MIGRATE_BATCH_ROWS", CONFIG_INT, 1, 100000, 0, "rows `migrate` copies per batch (default 200)"},
    {"CRYPTIC_BENCH_NOW", CONFIG_DATETIME, 0, 0, 0, "fixes today's date for the jobs (tests)"},
    {"CRYPTIC_BENCH_PUBLIC_SQL", CONFIG_BOOL, 0, 0, 0, "as serve --public-sql"},
    {"CRYPTIC_BENCH_PUBLIC_HOST", CONFIG_TEXT, 0, 0, 0, "as serve --public-host (a comma-separated list)"},
    {"CRYPTIC_BENCH_READ_TOKEN", CONFIG_TEXT, 0, 0, 0, "as serve --read-token"},
    {"CRYPTIC_BENCH_RUN_BUDGET_USD", CONFIG_DECIMAL, 0, 100000, 0,
     "most a run may spend, in US dollars (default: no limit)"},
    {"CRYPTIC_BENCH_SCRAPE_CRON", CONFIG_CRON, 0, 0, 0, "when serve scrapes (default TZ=UTC 0 6 * * 0)"},
    {"CRYPTIC_BENCH_SCRAPE_MAX_PAGES", CONFIG_INT, 1, 100000, 0, "feed pages one scrape reads at most (default 50)"},
    {"CRYPTIC_BENCH_SQL_DEADLINE_MS", CONFIG_INT, 10, 600000, 0, "time limit of one SQL endpoint request (default 5000)"},
    {"CRYPTIC_BENCH_SQL_MAX_ROWS", CONFIG_INT, 0, 1e7, 0, "most rows one SQL endpoint statement returns (0: default)"},
    {"CRYPTIC_BENCH_SQL_PER_CLIENT", CONFIG_INT, 1, 1000, 0, "SQL requests one client may run at once (default 2)"},
    {"CRYPTIC_BENCH_SQL_STATEMENT_MS", CONFIG_INT, 0, 600000, 0, "time limit of one SQL endpoint statement (0: the request's)"},
    {"CRYPTIC_BENCH_SQL_THREADS", CONFIG_INT, 1, 64, 0, "threads running SQL endpoint requests (default 2)"},
    {"CRYPTIC_BENCH_URL", CONFIG_URL, 0, 0, 0, "the server `send` posts to"},
    {"DATABASE_PATH", CONFIG_DB, 0, 0, 0, "the database (default " CONFIG_DEFAULT_DATABASE_PATH ")"},
    {"FIFTEENSQUARED_BACKOFF_MS", CONFIG_INT, 0, MS_HOUR, 0, "first retry delay of a feed or post fetch (default 1000)"},
    {"FIFTEENSQUARED_MIN_INTERVAL_MS", CONFIG_INT, 0, MS_HOUR, 0, "spacing of requests to the blog (default 500)"},
    {"FIFTEENSQUARED_RETRIES", CONFIG_INT, 0, 20, 0, "retries of a feed or post fetch (default 3)"},
    {"FIFTEENSQUARED_TIMEOUT_MS", CONFIG_INT, 1, MS_HOUR, 0, "time limit of one fetch (default 30000)"},
    {"FIFTEENSQUARED_URL", CONFIG_URL, 0, 0, 0, "the blog (default https://www.fifteensquared.net)"},
    {"INNGEST_APP_ID", CONFIG_TEXT, 0, 0, 0, "the app id announced to Inngest"},
    {"INNGEST_BASE_URL", CONFIG_URL, 0, 0, 0, "Inngest's API and event origin"},
    {"INNGEST_DEV", CONFIG_TEXT, 0, 0, 0, "use an Inngest dev server (1, or its URL)"},
    {"INNGEST_ENV", CONFIG_TEXT, 0, 0, 0, "Inngest branch environment"},
    {"INNGEST_EVENT_KEY", CONFIG_TEXT, 0, 0, 0, "key of the event API"},
    {"INNGEST_SERVE_ORIGIN", CONFIG_URL, 0, 0, 0, "this server's public origin, as Inngest calls it"},
    {"INNGEST_SERVE_PATH", CONFIG_TEXT, 0, 0, 0, "the path of the Inngest route (default /api/inngest)"},
    {"INNGEST_SIGNING_KEY", CONFIG_TEXT, 0, 0, 0, "Inngest signing key: the functions run on Inngest"},
    {"INNGEST_SIGNING_KEY_FALLBACK", CONFIG_TEXT, 0, 0, 0, "the previous signing key, during a rotation"},
    {"LISTEN", CONFIG_LISTEN, 0, 0, 0, "where serve listens (default " CONFIG_DEFAULT_LISTEN ")"},
    {"MODELS_FILE", CONFIG_TEXT, 0, 0, 0, "the model list (default " CONFIG_DEFAULT_MODELS_FILE ")"},
    {"OPENROUTER_API_KEY", CONFIG_TEXT, 0, 0, 0, "the key for model calls"},
    {"OPENROUTER_BASE_URL", CONFIG_URL, 0, 0, 0, "the chat-completions API (default https://openrouter.ai/api/v1)"},
    {"TURSO_AUTH_TOKEN", CONFIG_TEXT, 0, 0, 0, "token of a remote database (as --token)"},
    {"TURSO_DATABASE_URL", CONFIG_DB, 0, 0, 0, "a remote database (wins over DATABASE_PATH)"},
    {"TURSO_READ_TOKEN", CONFIG_TEXT, 0, 0, 0, "read-only token export-dashboard publishes"},
};

static const size_t nsettings = sizeof settings / sizeof settings[0];

static const struct config_setting *find_setting(const char *name, size_t len)
{
    for (size_t i = 0; i < nsettings; i++)
        if (strlen(settings[i].name) == len && strncmp(settings[i].name, name, len) == 0)
            return &settings[i];
    return NULL;
}

const char *config_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* ---- strict parsers --------------------------------------------------- */

/* Digits only, no sign, no spaces, no unit; *out in [min, max]. */
static int parse_int(const char *v, double min, double max, long *out)
{
    if (!*v)
        return -1;
    for (const char *p = v; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || (double)n < min || (double)n > max)
        return -1;
    *out = (long)n;
    return 0;
}

/* Digits with at most one '.', a digit on at least one side: no sign,
 * exponent, currency sign, decimal comma or unit. */
static int parse_decimal(const char *v, double *out)
{
    int digits = 0, dots = 0;
    for (const char *p = v; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p == '.' && !dots)
            dots++;
        else
            return -1;
    }
    if (!digits)
        return -1;
    char *end;
    double d = strtod(v, &end);
    if (*end || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static int has_scheme(const char *v, const char *scheme)
{
    return strncasecmp(v, scheme, strlen(scheme)) == 0 && v[strlen(scheme)];
}

int config_check_db_location(const char *location, struct err *err)
{
    if (!location || !*location)
        return err_set(err, "empty: a file path, or a libsql://, https:// or http:// URL");
    if (has_scheme(location, "libsql://") || has_scheme(location, "https://") || has_scheme(location, "http://"))
        return 0;
    if (strstr(location, "://"))
        return err_set(err, "\"%s\" is neither a file path nor a libsql://, https:// or http:// URL", location);
    return 0;
}

int config_check_listen(const char *v)
{
    const char *colon = strrchr(v, ':');
    char host[64];
    long port;
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof host)
        return -1;
    snprintf(host, sizeof host, "%.*s", (int)(colon - v), v);
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1)
        return -1;
    return parse_int(colon + 1, 0, 65535, &port);
}

/* What a setting of this type allows, in words (errors and the man page). */
static void allowed(const struct config_setting *s, char *out, size_t size)
{
    switch (s->type) {
    case CONFIG_TEXT:
        snprintf(out, size, "any text");
        break;
    case CONFIG_INT:
        snprintf(out, size, "a whole number from %.0f to %.0f (digits only, no unit)", s->min, s->max);
        break;
    case CONFIG_DECIMAL:
        snprintf(out, size,
                 "a number %s %g, at most %g, written with digits and a decimal point (e.g. 0.50; no currency sign, "
                 "comma or unit)",
                 s->min_open ? "above" : "from", s->min, s->max);
        break;
    case CONFIG_BOOL:
        snprintf(out, size, "1, true, yes, on, or 0, false, no, off");
        break;
    case CONFIG_URL:
        snprintf(out, size, "an http:// or https:// URL");
        break;
    case CONFIG_DB:
        snprintf(out, size, "a file path, or a libsql://, https:// or http:// URL");
        break;
    case CONFIG_LISTEN:
        snprintf(out, size, "IPV4ADDRESS:PORT, e.g. " CONFIG_DEFAULT_LISTEN);
        break;
    case CONFIG_CRON:
        snprintf(out, size, "a cron expression such as \"TZ=UTC 0 6 * * 0\"");
        break;
    case CONFIG_DATETIME:
        snprintf(out, size, "an ISO date or date-time in UTC, e.g. 2026-03-01 or 2026-03-01T06:00:00Z");
        break;
    }
}

/* Whether v is a good value; on failure err says what is allowed (and,
 * for a cron expression, what the parser found wrong). */
static int check_value(const struct config_setting *s, const char *v, struct err *err)
{
    long n;
    double d;
    int b, ok = 1;
    int64_t ms;
    struct cron_expr expr;
    struct err inner = {{0}};
    switch (s->type) {
    case CONFIG_TEXT:
        break;
    case CONFIG_INT:
        ok = parse_int(v, s->min, s->max, &n) == 0;
        break;
    case CONFIG_DECIMAL:
        ok = parse_decimal(v, &d) == 0 && (s->min_open ? d > s->min : d >= s->min) && d <= s->max;
        break;
    case CONFIG_BOOL:
        ok = parse_bool(v, &b) == 0;
        break;
    case CONFIG_URL:
        ok = has_scheme(v, "http://") || has_scheme(v, "https://");
        break;
    case CONFIG_DB:
        ok = config_check_db_location(v, &inner) == 0;
        inner.msg[0] = '\0';
        break;
    case CONFIG_LISTEN:
        ok = config_check_listen(v) == 0;
        break;
    case CONFIG_CRON:
        ok = cron_parse(v, &expr, &inner) == 0;
        break;
    case CONFIG_DATETIME:
        ok = utc_parse_datetime(v, &ms, &inner) == 0;
        inner.msg[0] = '\0';
        break;
    }
    if (ok)
        return 0;
    char what[300];
    allowed(s, what, sizeof what);
    if (inner.msg[0])
        return err_set(err, "%s (%s)", what, inner.msg);
    return err_set(err, "%s", what);
}

size_t config_edit_distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b), row[128];
    if (la >= 127 || lb >= 127)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static void warn_unknown(const char *name, size_t len)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < nsettings; i++) {
        size_t d = config_edit_distance(name, len, settings[i].name);
        if (d < best_d) {
            best_d = d;
            best = settings[i].name;
        }
    }
    log_warn("%.*s is not a setting cryptic-bench knows; ignored (the closest known one is %s)", (int)len, name,
             best);
}

int config_check_env(struct err *err)
{
    for (size_t i = 0; i < nsettings; i++) {
        const char *v = config_env(settings[i].name);
        struct err why = {{0}};
        if (v && check_value(&settings[i], v, &why) < 0)
            return err_set(err, "%s=\"%s\": expected %s", settings[i].name, v, why.msg);
    }
    static const char prefix[] = "CRYPTIC_BENCH_";
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, prefix, sizeof prefix - 1) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
        if (!find_setting(*e, len))
            warn_unknown(*e, len);
    }
    return 0;
}

/* A name missing from the table is read as a whole number >= 0 without a
 * range (and config_check_env warns about it): add its line to the table. */
static const struct config_setting unlisted = {"", CONFIG_INT, 0, 9e18, 0, ""};

static const struct config_setting *known(const char *name)
{
    const struct config_setting *s = find_setting(name, strlen(name));
    return s ? s : &unlisted;
}

/* The text of a setting the typed readers below parse, and its table row. */
static const char *setting_text(const char *name, const struct config_setting **row)
{
    *row = known(name);
    return config_env(name);
}

long config_long(const char *name, long fallback)
{
    const struct config_setting *s;
    const char *v = setting_text(name, &s);
    long n;
    return v && parse_int(v, s->min, s->max, &n) == 0 ? n : fallback;
}

double config_double(const char *name, double fallback)
{
    const struct config_setting *s;
    const char *v = setting_text(name, &s);
    double d;
    return v && parse_decimal(v, &d) == 0 ? d : fallback;
}

int config_bool(const char *name, int fallback)
{
    const struct config_setting *s;
    const char *v = setting_text(name, &s);
    int b;
    return v && parse_bool(v, &b) == 0 ? b : fallback;
}

void config_resolve(struct config *cfg, const char *db_flag, const char *token_flag)
{
    if (db_flag) {
        cfg->db_location = db_flag;
        cfg->db_source = "--db";
    } else if (config_env("TURSO_DATABASE_URL")) {
        cfg->db_location = config_env("TURSO_DATABASE_URL");
        cfg->db_source = "TURSO_DATABASE_URL";
    } else if (config_env("DATABASE_PATH")) {
        cfg->db_location = config_env("DATABASE_PATH");
        cfg->db_source = "DATABASE_PATH";
    } else {
        cfg->db_location = CONFIG_DEFAULT_DATABASE_PATH;
        cfg->db_source = "default";
    }
    cfg->db_token = token_flag ? token_flag : config_env("TURSO_AUTH_TOKEN");
}

void config_man_text(FILE *out, const char *s)
{
    int line_start = 1;
    for (; *s; s++) {
        if (line_start && (*s == '.' || *s == '\''))
            fputs("\\&", out);
        line_start = *s == '\n';
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
    }
}

void config_print_man(FILE *out)
{
    for (size_t i = 0; i < nsettings; i++) {
        const struct config_setting *s = &settings[i];
        fprintf(out, ".TP\n.B ");
        config_man_text(out, s->name);
        fputc('\n', out);
        config_man_text(out, s->what);
        if (s->type != CONFIG_TEXT) {
            char what[300];
            allowed(s, what, sizeof what);
            fputs(" \\(em ", out);
            config_man_text(out, what);
        }
        fputc('\n', out);
    }
}
