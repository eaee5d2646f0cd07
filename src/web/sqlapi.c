/* sqlapi.c - a read-only Hrana-over-HTTP endpoint; see sqlapi.h. */
#define _GNU_SOURCE /* memmem */
#include "web/sqlapi.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/base64.h"
#include "core/utc.h"

#define MAX_STORED_SQL 50

struct session {
    sqlite3 *db;
    const struct sqlapi_limits *limits;
    int64_t deadline;   /* the whole request's, CLOCK_MONOTONIC ms */
    int version;
    char *stored[MAX_STORED_SQL];
    long rows;          /* rows answered so far */
    size_t bytes;       /* an estimate of the answer's size so far */
};

static json_t *error_obj(const char *message, const char *code)
{
    return json_pack("{s:s, s:s}", "message", message, "code", code);
}

/* The running statement's deadline (never past its request's), per thread. */
static __thread int64_t thread_deadline;

/* Starts a statement's clock; 0 when the request's deadline has passed. */
static int statement_clock(struct session *s)
{
    int64_t now = utc_mono_ms();
    if (now >= s->deadline)
        return 0;
    int64_t until = now + (s->limits->statement_ms > 0 ? s->limits->statement_ms : s->limits->request_ms);
    thread_deadline = until < s->deadline ? until : s->deadline;
    return 1;
}

static json_t *deadline_error(struct session *s)
{
    char msg[160];
    snprintf(msg, sizeof msg, "the request ran past its deadline (%ld ms for all its statements) and was interrupted",
             s->limits->request_ms);
    return error_obj(msg, "SQLITE_INTERRUPT");
}

/* ---- the watchdog -------------------------------------------------------------- */

#define WATCH_SLOTS 256

struct sqlapi_watchdog {
    pthread_t thread;
    pthread_mutex_t lock; /* guards the slots and stop; held while interrupting, so a
                             connection is never closed under sqlite3_interrupt */
    pthread_cond_t wake;
    int stop;
    struct {
        sqlite3 *db;      /* NULL: free */
        int64_t deadline;
    } slot[WATCH_SLOTS];
};

static void *watch(void *arg)
{
    struct sqlapi_watchdog *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        int64_t now = utc_mono_ms();
        /* Again on every tick: an interrupt that lands between two
         * statements is cleared when the next one starts. */
        for (int i = 0; i < WATCH_SLOTS; i++)
            if (w->slot[i].db && now >= w->slot[i].deadline)
                sqlite3_interrupt(w->slot[i].db);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 10 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->wake, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int sqlapi_watchdog_start(struct sqlapi_watchdog **out, struct err *err)
{
    struct sqlapi_watchdog *w = calloc(1, sizeof *w);
    if (!w)
        return err_set(err, "out of memory");
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, watch, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return err_set(err, "cannot start the SQL endpoint's watchdog thread");
    }
    *out = w;
    return 0;
}

void sqlapi_watchdog_stop(struct sqlapi_watchdog *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* A slot for db until its deadline, or -1 when all are taken (then the
 * progress handler alone keeps the deadline). */
static int watch_add(struct sqlapi_watchdog *w, sqlite3 *db, int64_t deadline)
{
    if (!w)
        return -1;
    int got = -1;
    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < WATCH_SLOTS && got < 0; i++)
        if (!w->slot[i].db) {
            w->slot[i].db = db;
            w->slot[i].deadline = deadline;
            got = i;
        }
    pthread_mutex_unlock(&w->lock);
    return got;
}

static void watch_remove(struct sqlapi_watchdog *w, int i)
{
    if (!w || i < 0)
        return;
    pthread_mutex_lock(&w->lock);
    w->slot[i].db = NULL;
    pthread_mutex_unlock(&w->lock);
}

static int progress(void *arg)
{
    (void)arg;
    return utc_mono_ms() > thread_deadline;
}

/* The SQL functions a reader needs: core scalars, aggregates, windows,
 * dates, math and JSON. Anything else is denied by name (fts3_tokenizer()
 * hands out a library address and with two arguments plants a pointer in
 * the shared connection; load_extension() loads code; the rest a reader
 * has no use for). Sorted for bsearch. */
static const char *const allowed_functions[] = {
    "->", "->>", "abs", "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "avg", "ceil", "ceiling",
    "char", "coalesce", "concat", "concat_ws", "cos", "cosh", "count", "cume_dist", "current_date",
    "current_time", "current_timestamp", "date", "datetime", "degrees", "dense_rank", "exp", "first_value",
    "floor", "format", "glob", "group_concat", "hex", "ifnull", "iif", "instr", "json", "json_array",
    "json_array_length", "json_each", "json_error_position", "json_extract", "json_group_array",
    "json_group_object", "json_insert", "json_object", "json_patch", "json_quote", "json_remove", "json_replace",
    "json_set", "json_tree", "json_type", "json_valid", "julianday", "lag", "last_value", "lead", "length",
    "like", "likelihood", "likely", "ln", "log", "log10", "log2", "lower", "ltrim", "max", "min", "mod",
    "nth_value", "ntile", "nullif", "octet_length", "percent_rank", "pi", "pow", "power", "printf", "quote",
    "radians", "random", "randomblob", "rank", "replace", "round", "row_number", "rtrim", "sign", "sin", "sinh",
    "sqlite_version", "sqrt", "strftime", "string_agg", "substr", "substring", "sum", "tan", "tanh", "time",
    "timediff", "total", "trim", "trunc", "typeof", "unhex", "unicode", "unixepoch", "unlikely", "upper",
    "zeroblob",
};

static int name_cmp(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static int function_allowed(const char *name)
{
    return name && bsearch(&name, allowed_functions, sizeof allowed_functions / sizeof allowed_functions[0],
                           sizeof allowed_functions[0], name_cmp) != NULL;
}

/* Whether the authorizer refused something while this thread prepared a
 * statement: SQLite reports a refusal as a plain SQLITE_ERROR, and the
 * client is told SQLITE_AUTH from this flag, not from the message's words. */
static __thread int thread_denied;

static int deny(void)
{
    thread_denied = 1;
    return SQLITE_DENY;
}

/* Reads only, whatever the statement says: no attaching other files, no
 * writes, no pragma assignments, only the functions a reader needs. */
static int authorize(void *arg, int action, const char *a, const char *b, const char *db, const char *trigger)
{
    (void)arg;
    (void)db;
    (void)trigger;
    switch (action) {
    case SQLITE_FUNCTION:
        return function_allowed(b) ? SQLITE_OK : deny();
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
        return SQLITE_OK;
    case SQLITE_PRAGMA: {
        /* PRAGMA x = y sets; only the schema readers may take an argument. */
        static const char *const readers[] = {"table_info", "table_xinfo", "index_list", "index_info",
                                              "index_xinfo", "foreign_key_list", NULL};
        if (!b)
            return SQLITE_OK;
        for (const char *const *r = readers; *r; r++)
            if (a && strcmp(a, *r) == 0)
                return SQLITE_OK;
        return deny();
    }
    default:
        return deny();
    }
}

/* ---- functions that stay linear ------------------------------------------------ */

/* SQLite's instr(), replace() and trim(X,Y) compare at every position
 * (time in the product of the lengths) inside one C call that neither the
 * progress handler nor sqlite3_interrupt can stop: over two 1 MB values
 * that is minutes. The reader's connection gets linear versions under the
 * same names and with the same results. */

static int64_t utf8_chars(const unsigned char *p, size_t n)
{
    int64_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += (p[i] & 0xC0) != 0x80;
    return count;
}

static void fn_instr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    int t0 = sqlite3_value_type(argv[0]), t1 = sqlite3_value_type(argv[1]);
    if (t0 == SQLITE_NULL || t1 == SQLITE_NULL)
        return;
    int blobs = t0 == SQLITE_BLOB && t1 == SQLITE_BLOB;
    const unsigned char *h = blobs ? sqlite3_value_blob(argv[0]) : sqlite3_value_text(argv[0]);
    size_t hn = (size_t)sqlite3_value_bytes(argv[0]);
    const unsigned char *n = blobs ? sqlite3_value_blob(argv[1]) : sqlite3_value_text(argv[1]);
    size_t nn = (size_t)sqlite3_value_bytes(argv[1]);
    if (nn == 0) {
        sqlite3_result_int(ctx, 1);
        return;
    }
    if (!h || !n) {
        if (sqlite3_errcode(sqlite3_context_db_handle(ctx)) == SQLITE_NOMEM)
            sqlite3_result_error_nomem(ctx);
        else
            sqlite3_result_int(ctx, 0);
        return;
    }
    const unsigned char *at = memmem(h, hn, n, nn); /* glibc: two-way, linear */
    if (!at)
        sqlite3_result_int(ctx, 0);
    else
        sqlite3_result_int64(ctx, 1 + (blobs ? (int64_t)(at - h) : utf8_chars(h, (size_t)(at - h))));
}

static void fn_replace(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *x = sqlite3_value_text(argv[0]);
    if (!x)
        return;
    size_t xn = (size_t)sqlite3_value_bytes(argv[0]);
    const unsigned char *y = sqlite3_value_text(argv[1]);
    if (!y)
        return;
    size_t yn = (size_t)sqlite3_value_bytes(argv[1]);
    if (yn == 0) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    const unsigned char *z = sqlite3_value_text(argv[2]);
    if (!z)
        return;
    size_t zn = (size_t)sqlite3_value_bytes(argv[2]);
    size_t cap = (size_t)sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
    size_t used = 0, size = xn + 1;
    char *out = sqlite3_malloc64(size);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    const unsigned char *p = x, *end = x + xn;
    for (;;) {
        const unsigned char *at = memmem(p, (size_t)(end - p), y, yn);
        size_t keep = at ? (size_t)(at - p) : (size_t)(end - p);
        size_t need = used + keep + (at ? zn : 0);
        if (need > cap) {
            sqlite3_free(out);
            sqlite3_result_error_toobig(ctx);
            return;
        }
        if (need + 1 > size) {
            size = need * 2 + 1 < cap + 1 ? need * 2 + 1 : cap + 1;
            char *bigger = sqlite3_realloc64(out, size);
            if (!bigger) {
                sqlite3_free(out);
                sqlite3_result_error_nomem(ctx);
                return;
            }
            out = bigger;
        }
        memcpy(out + used, p, keep);
        used += keep;
        if (!at)
            break;
        memcpy(out + used, z, zn);
        used += zn;
        p = at + yn;
    }
    sqlite3_result_text64(ctx, out, used, sqlite3_free, SQLITE_UTF8);
}

/* trim(X, Y) and its kin with a character set: Y is at most 64 bytes here
 * (a reader trims a few characters, not a megabyte of them). */
#define TRIM_SET_MAX 64

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

static int in_set(const unsigned char *c, size_t cn, const unsigned char *set, size_t sn)
{
    for (size_t i = 0; i < sn; i += utf8_len(set[i])) {
        size_t k = utf8_len(set[i]);
        if (k == cn && i + k <= sn && memcmp(set + i, c, cn) == 0)
            return 1;
    }
    return 0;
}

static void fn_trim(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    intptr_t sides = (intptr_t)sqlite3_user_data(ctx); /* 1 left, 2 right, 3 both */
    const unsigned char *x = sqlite3_value_text(argv[0]);
    if (!x)
        return;
    size_t xn = (size_t)sqlite3_value_bytes(argv[0]);
    const unsigned char *set = sqlite3_value_text(argv[1]);
    if (!set)
        return;
    size_t sn = (size_t)sqlite3_value_bytes(argv[1]);
    if (sn > TRIM_SET_MAX) {
        sqlite3_result_error(ctx, "trim's character set is limited to 64 bytes on this endpoint", -1);
        return;
    }
    size_t a = 0, b = xn;
    if (sides & 1)
        while (a < b && a + utf8_len(x[a]) <= b && in_set(x + a, utf8_len(x[a]), set, sn))
            a += utf8_len(x[a]);
    if (sides & 2)
        while (b > a) {
            size_t k = b - 1;
            while (k > a && (x[k] & 0xC0) == 0x80)
                k--;
            if (!in_set(x + k, b - k, set, sn))
                break;
            b = k;
        }
    sqlite3_result_text64(ctx, (const char *)x + a, b - a, SQLITE_TRANSIENT, SQLITE_UTF8);
}

/* printf(FORMAT, ...) and format(): SQLite's builds '%.*c' one character
 * at a time, and under a length limit its buffer stops doubling half way,
 * so printf('%.*c', 900000, 'a') reallocates a near-megabyte buffer
 * hundreds of thousands of times in one uninterruptible call. This one
 * hands each conversion to sqlite3_str_appendf() on a buffer that doubles,
 * bounds widths and precisions, and checks the length after each. */
#define PRINTF_WIDTH_MAX SQLAPI_MAX_VALUE

static sqlite3_value *arg_at(int argc, sqlite3_value **argv, int *next)
{
    return *next < argc ? argv[(*next)++] : NULL;
}

static void fn_printf(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (argc < 1)
        return;
    const char *f = (const char *)sqlite3_value_text(argv[0]);
    if (!f)
        return;
    size_t cap = (size_t)sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
    sqlite3_str *out = sqlite3_str_new(NULL); /* no db: grows by doubling */
    int next = 1;
    int fail = SQLITE_OK; /* SQLITE_RANGE: a width too large; SQLITE_TOOBIG; SQLITE_NOMEM */
    while (*f && fail == SQLITE_OK) {
        const char *pct = strchr(f, '%');
        size_t plain = pct ? (size_t)(pct - f) : strlen(f);
        sqlite3_str_append(out, f, (int)plain);
        if (!pct)
            break;
        f = pct + 1;
        char flags[16];
        size_t nf = 0;
        while (*f && strchr("-+ #0!,", *f) && nf < sizeof flags - 1)
            flags[nf++] = *f++;
        flags[nf] = '\0';
        long width = 0, prec = -1;
        if (*f == '*') {
            sqlite3_value *v = arg_at(argc, argv, &next);
            width = v ? (long)sqlite3_value_int64(v) : 0;
            f++;
        } else {
            while (*f >= '0' && *f <= '9' && width <= PRINTF_WIDTH_MAX)
                width = width * 10 + (*f++ - '0');
        }
        if (*f == '.') {
            f++;
            prec = 0;
            if (*f == '*') {
                sqlite3_value *v = arg_at(argc, argv, &next);
                prec = v ? (long)sqlite3_value_int64(v) : 0;
                f++;
            } else {
                while (*f >= '0' && *f <= '9' && prec <= PRINTF_WIDTH_MAX)
                    prec = prec * 10 + (*f++ - '0');
            }
        }
        while (*f == 'l')
            f++;
        if (width < -PRINTF_WIDTH_MAX || width > PRINTF_WIDTH_MAX || prec > PRINTF_WIDTH_MAX) {
            fail = SQLITE_RANGE;
            break;
        }
        if (width < 0) { /* a negative width from '*' means left-justified */
            width = -width;
            if (nf < sizeof flags - 1) {
                flags[nf++] = '-';
                flags[nf] = '\0';
            }
        }
        char spec[64];
        int n = snprintf(spec, sizeof spec, "%%%s%ld", flags, width);
        if (prec >= 0)
            n += snprintf(spec + n, sizeof spec - (size_t)n, ".%ld", prec);
        char conv = *f ? *f++ : '\0';
        sqlite3_value *v;
        switch (conv) {
        case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'p':
            v = arg_at(argc, argv, &next);
            snprintf(spec + n, sizeof spec - (size_t)n, "ll%c", conv == 'p' ? 'x' : conv);
            sqlite3_str_appendf(out, spec, (sqlite3_int64)(v ? sqlite3_value_int64(v) : 0));
            break;
        case 'f': case 'e': case 'E': case 'g': case 'G':
            v = arg_at(argc, argv, &next);
            snprintf(spec + n, sizeof spec - (size_t)n, "%c", conv);
            sqlite3_str_appendf(out, spec, v ? sqlite3_value_double(v) : 0.0);
            break;
        case 's': case 'z': case 'q': case 'Q': case 'w':
            v = arg_at(argc, argv, &next);
            snprintf(spec + n, sizeof spec - (size_t)n, "%c", conv == 'z' ? 's' : conv);
            sqlite3_str_appendf(out, spec, v ? (const char *)sqlite3_value_text(v) : NULL);
            break;
        case 'c': {
            /* The first character of the text, repeated precision times, padded to width. */
            v = arg_at(argc, argv, &next);
            const unsigned char *t = v ? sqlite3_value_text(v) : NULL;
            size_t k = t && *t ? utf8_len(t[0]) : 0;
            if (k && strnlen((const char *)t, k) < k)
                k = strnlen((const char *)t, k);
            long times = prec > 1 ? prec : 1;
            long pad = width > times ? width - times : 0;
            int left = strchr(flags, '-') != NULL;
            if (pad && !left)
                sqlite3_str_appendchar(out, (int)pad, ' ');
            if (k == 1)
                sqlite3_str_appendchar(out, (int)times, (char)t[0]);
            else
                for (long i = 0; k && i < times; i++)
                    sqlite3_str_append(out, (const char *)t, (int)k);
            if (pad && left)
                sqlite3_str_appendchar(out, (int)pad, ' ');
            break;
        }
        case '%':
            sqlite3_str_appendchar(out, 1, '%');
            break;
        case 'n':
            break;
        default:
            f = ""; /* as SQLite: an unknown conversion ends the output */
            break;
        }
        if (sqlite3_str_errcode(out) == SQLITE_NOMEM)
            fail = SQLITE_NOMEM;
        else if ((size_t)sqlite3_str_length(out) > cap || sqlite3_str_errcode(out) == SQLITE_TOOBIG)
            fail = SQLITE_TOOBIG;
    }
    int len = sqlite3_str_length(out);
    char *text = sqlite3_str_finish(out);
    if (fail != SQLITE_OK) {
        sqlite3_free(text);
        if (fail == SQLITE_TOOBIG)
            sqlite3_result_error_toobig(ctx);
        else if (fail == SQLITE_NOMEM)
            sqlite3_result_error_nomem(ctx);
        else
            sqlite3_result_error(ctx, "printf's widths and precisions are limited to the longest value, 1000000", -1);
        return;
    }
    if (!text)
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
    else
        sqlite3_result_text64(ctx, text, (sqlite3_uint64)len, sqlite3_free, SQLITE_UTF8);
}

static void linear_functions(sqlite3 *db)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    sqlite3_create_function(db, "printf", -1, flags, NULL, fn_printf, NULL, NULL);
    sqlite3_create_function(db, "format", -1, flags, NULL, fn_printf, NULL, NULL);
    sqlite3_create_function(db, "instr", 2, flags, NULL, fn_instr, NULL, NULL);
    sqlite3_create_function(db, "replace", 3, flags, NULL, fn_replace, NULL, NULL);
    sqlite3_create_function(db, "trim", 2, flags, (void *)3, fn_trim, NULL, NULL);
    sqlite3_create_function(db, "ltrim", 2, flags, (void *)1, fn_trim, NULL, NULL);
    sqlite3_create_function(db, "rtrim", 2, flags, (void *)2, fn_trim, NULL, NULL);
}

/* ---- values --------------------------------------------------------------- */

/* What a cell will add to the answer, before it is built (base64 for blobs). */
static size_t cell_size(sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_TEXT:
        return (size_t)sqlite3_column_bytes(st, col) + 32;
    case SQLITE_BLOB:
        return ((size_t)sqlite3_column_bytes(st, col) + 2) / 3 * 4 + 32;
    default:
        return 48;
    }
}

static json_t *value_json(sqlite3_stmt *st, int col, size_t *bytes)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER: {
        char n[32];
        snprintf(n, sizeof n, "%lld", (long long)sqlite3_column_int64(st, col));
        *bytes += strlen(n) + 32;
        return json_pack("{s:s, s:s}", "type", "integer", "value", n);
    }
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, col);
        *bytes += 48;
        return isfinite(d) ? json_pack("{s:s, s:f}", "type", "float", "value", d)
                           : json_pack("{s:s, s:n}", "type", "float", "value");
    }
    case SQLITE_TEXT: {
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        *bytes += n + 32;
        return json_pack("{s:s, s:s%}", "type", "text", "value", (const char *)sqlite3_column_text(st, col), n);
    }
    case SQLITE_BLOB: {
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        char *b64 = base64_encode(sqlite3_column_blob(st, col), n);
        if (!b64)
            return NULL;
        *bytes += strlen(b64) + 32;
        json_t *v = json_pack("{s:s, s:s}", "type", "blob", "base64", b64);
        free(b64);
        return v;
    }
    default:
        *bytes += 16;
        return json_pack("{s:s}", "type", "null");
    }
}

static int bind_value(sqlite3_stmt *st, int i, const json_t *v, const char **why)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    json_t *value = json_object_get(v, "value");
    if (!type) {
        *why = "a value without a type";
        return -1;
    }
    if (strcmp(type, "null") == 0)
        return sqlite3_bind_null(st, i);
    if (strcmp(type, "integer") == 0) {
        const char *s = json_string_value(value);
        char *end;
        long long n = s ? strtoll(s, &end, 10) : 0;
        if (!s || *end || !*s) {
            *why = "an integer value must be a decimal string";
            return -1;
        }
        return sqlite3_bind_int64(st, i, n);
    }
    if (strcmp(type, "float") == 0) {
        if (!json_is_number(value)) {
            *why = "a float value must be a number";
            return -1;
        }
        return sqlite3_bind_double(st, i, json_number_value(value));
    }
    if (strcmp(type, "text") == 0) {
        if (!json_is_string(value)) {
            *why = "a text value must be a string";
            return -1;
        }
        return sqlite3_bind_text(st, i, json_string_value(value), (int)json_string_length(value), SQLITE_TRANSIENT);
    }
    if (strcmp(type, "blob") == 0) {
        const char *b64 = json_string_value(json_object_get(v, "base64"));
        if (!b64) {
            *why = "a blob value needs base64";
            return -1;
        }
        unsigned char *out = NULL;
        size_t len = 0;
        if (base64_decode(b64, &out, &len) < 0) {
            *why = "a blob value with bad base64";
            return -1;
        }
        return sqlite3_bind_blob(st, i, out, (int)len, free);
    }
    *why = "a value of unknown type";
    return -1;
}

/* ---- statements ------------------------------------------------------------- */

static const char *stmt_sql(struct session *s, const json_t *stmt, const char **why)
{
    json_t *sql = json_object_get(stmt, "sql"), *id = json_object_get(stmt, "sql_id");
    if (json_is_string(sql) && !id)
        return json_string_value(sql);
    if (json_is_integer(id) && !sql) {
        json_int_t n = json_integer_value(id);
        if (n >= 0 && n < MAX_STORED_SQL && s->stored[n])
            return s->stored[n];
        *why = "SQL text not found for that sql_id";
        return NULL;
    }
    *why = "a statement needs exactly one of sql and sql_id";
    return NULL;
}

/* Prepares exactly one read-only statement; on error sets *error. */
static sqlite3_stmt *prepare(struct session *s, const char *sql, json_t **error)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    thread_denied = 0;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, &tail);
    if (rc != SQLITE_OK) {
        *error = error_obj(sqlite3_errmsg(s->db),
                           thread_denied || (rc & 0xff) == SQLITE_AUTH ? "SQLITE_AUTH" : "SQLITE_ERROR");
        return NULL;
    }
    if (!st) {
        *error = error_obj("no SQL statement", "SQL_NO_STATEMENT");
        return NULL;
    }
    while (tail && (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && *tail) {
        sqlite3_finalize(st);
        *error = error_obj("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
        return NULL;
    }
    if (!sqlite3_stmt_readonly(st)) {
        sqlite3_finalize(st);
        *error = error_obj("this endpoint is read-only: the statement would write", "SQLITE_READONLY");
        return NULL;
    }
    return st;
}

static json_t *run_stmt(struct session *s, const json_t *stmt, json_t **error)
{
    const char *why = NULL;
    const char *sql = stmt_sql(s, stmt, &why);
    if (!sql) {
        *error = error_obj(why, "PROTOCOL_ERROR");
        return NULL;
    }
    sqlite3_stmt *st = prepare(s, sql, error);
    if (!st)
        return NULL;
    json_t *args = json_object_get(stmt, "args"), *named = json_object_get(stmt, "named_args");
    size_t nargs = json_array_size(args), nnamed = json_array_size(named);
    if (nargs && nnamed) {
        sqlite3_finalize(st);
        *error = error_obj("positional and named arguments in one statement", "ARGS_BOTH_POSITIONAL_AND_NAMED");
        return NULL;
    }
    int nparams = sqlite3_bind_parameter_count(st);
    if (!nnamed && (int)nargs != nparams) {
        char msg[128];
        snprintf(msg, sizeof msg, "the statement takes %d arguments, %zu given", nparams, nargs);
        sqlite3_finalize(st);
        *error = error_obj(msg, "ARGS_INVALID");
        return NULL;
    }
    for (size_t i = 0; i < nargs; i++)
        if (bind_value(st, (int)i + 1, json_array_get(args, i), &why) != SQLITE_OK) {
            sqlite3_finalize(st);
            *error = error_obj(why ? why : "cannot bind an argument", "ARGS_INVALID");
            return NULL;
        }
    for (size_t i = 0; i < nnamed; i++) {
        json_t *a = json_array_get(named, i);
        const char *name = json_string_value(json_object_get(a, "name"));
        int idx = 0;
        if (name) {
            idx = sqlite3_bind_parameter_index(st, name);
            for (const char *p = ":@$"; !idx && *p; p++) {
                char full[256];
                snprintf(full, sizeof full, "%c%s", *p, name);
                idx = sqlite3_bind_parameter_index(st, full);
            }
        }
        if (!idx || bind_value(st, idx, json_object_get(a, "value"), &why) != SQLITE_OK) {
            sqlite3_finalize(st);
            *error = error_obj(idx ? (why ? why : "cannot bind an argument") : "no such named parameter",
                               "ARGS_INVALID");
            return NULL;
        }
    }
    int ncols = sqlite3_column_count(st);
    json_t *cols = json_array(), *rows = json_array();
    for (int c = 0; c < ncols; c++) {
        const char *decl = sqlite3_column_decltype(st, c);
        json_array_append_new(cols, json_pack("{s:s, s:s?}", "name", sqlite3_column_name(st, c), "decltype", decl));
    }
    int rc;
    if (!statement_clock(s)) {
        sqlite3_finalize(st);
        json_decref(cols);
        json_decref(rows);
        *error = deadline_error(s);
        return NULL;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (++s->rows > s->limits->max_rows || s->bytes > s->limits->max_bytes) {
            rc = -2;
            break;
        }
        /* Every cell is measured before it is converted: the first row
         * of a query counts as much as any. */
        json_t *row = json_array();
        for (int c = 0; c < ncols && rc != -2; c++) {
            if (s->bytes + cell_size(st, c) > s->limits->max_bytes)
                rc = -2;
            else
                json_array_append_new(row, value_json(st, c, &s->bytes));
        }
        json_array_append_new(rows, row);
        if (rc == -2)
            break;
    }
    if (rc != SQLITE_DONE) {
        if (rc == -2)
            *error = error_obj("the response is too large: narrow the query or page it", "RESPONSE_TOO_LARGE");
        else if (rc == SQLITE_INTERRUPT && utc_mono_ms() >= s->deadline)
            *error = deadline_error(s);
        else if (rc == SQLITE_INTERRUPT)
            *error = error_obj("the statement ran too long and was interrupted", "SQLITE_INTERRUPT");
        else
            *error = error_obj(sqlite3_errmsg(s->db), "SQLITE_ERROR");
        sqlite3_finalize(st);
        json_decref(cols);
        json_decref(rows);
        return NULL;
    }
    sqlite3_finalize(st);
    return json_pack("{s:o, s:o, s:i, s:n, s:i, s:i}", "cols", cols, "rows", rows, "affected_row_count", 0,
                     "last_insert_rowid", "rows_read", 0, "rows_written", 0);
}

/* ---- batches ------------------------------------------------------------------ */

static int eval_cond(struct session *s, const json_t *cond, const json_t *results, const json_t *errors,
                     size_t step, int *ok)
{
    const char *type = json_string_value(json_object_get(cond, "type"));
    if (!type)
        return -1;
    if (strcmp(type, "ok") == 0 || strcmp(type, "error") == 0) {
        json_t *n = json_object_get(cond, "step");
        if (!json_is_integer(n) || json_integer_value(n) < 0 || (size_t)json_integer_value(n) >= step)
            return -1;
        size_t k = (size_t)json_integer_value(n);
        *ok = strcmp(type, "ok") == 0 ? !json_is_null(json_array_get(results, k))
                                      : !json_is_null(json_array_get(errors, k));
        return 0;
    }
    if (strcmp(type, "not") == 0) {
        int inner;
        if (eval_cond(s, json_object_get(cond, "cond"), results, errors, step, &inner) < 0)
            return -1;
        *ok = !inner;
        return 0;
    }
    if (strcmp(type, "and") == 0 || strcmp(type, "or") == 0) {
        int is_and = strcmp(type, "and") == 0;
        json_t *conds = json_object_get(cond, "conds");
        if (!json_is_array(conds))
            return -1;
        *ok = is_and;
        size_t i;
        json_t *c;
        json_array_foreach(conds, i, c) {
            int v;
            if (eval_cond(s, c, results, errors, step, &v) < 0)
                return -1;
            *ok = is_and ? (*ok && v) : (*ok || v);
        }
        return 0;
    }
    if (strcmp(type, "is_autocommit") == 0 && s->version >= 3) {
        *ok = sqlite3_get_autocommit(s->db) != 0;
        return 0;
    }
    return -1;
}

static json_t *run_batch(struct session *s, const json_t *batch, const char **bad)
{
    json_t *steps = json_object_get(batch, "steps");
    if (!json_is_array(steps)) {
        *bad = "a batch needs steps";
        return NULL;
    }
    json_t *results = json_array(), *errors = json_array();
    size_t i;
    json_t *step;
    json_array_foreach(steps, i, step) {
        json_t *cond = json_object_get(step, "condition");
        int run = 1;
        if (cond && !json_is_null(cond) && eval_cond(s, cond, results, errors, i, &run) < 0) {
            json_decref(results);
            json_decref(errors);
            *bad = "a batch condition is malformed or names a later step";
            return NULL;
        }
        json_t *result = NULL, *error = NULL;
        if (run)
            result = run_stmt(s, json_object_get(step, "stmt"), &error);
        json_array_append_new(results, result ? result : json_null());
        json_array_append_new(errors, error ? error : json_null());
    }
    return json_pack("{s:o, s:o}", "step_results", results, "step_errors", errors);
}

static json_t *describe(struct session *s, const json_t *req, json_t **error)
{
    const char *why = NULL;
    const char *sql = stmt_sql(s, req, &why);
    if (!sql) {
        *error = error_obj(why, "PROTOCOL_ERROR");
        return NULL;
    }
    sqlite3_stmt *st = prepare(s, sql, error);
    if (!st)
        return NULL;
    json_t *params = json_array(), *cols = json_array();
    for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++)
        json_array_append_new(params, json_pack("{s:s?}", "name", sqlite3_bind_parameter_name(st, i)));
    for (int c = 0; c < sqlite3_column_count(st); c++)
        json_array_append_new(cols, json_pack("{s:s, s:s?}", "name", sqlite3_column_name(st, c), "decltype",
                                              sqlite3_column_decltype(st, c)));
    json_t *out = json_pack("{s:o, s:o, s:b, s:b}", "params", params, "cols", cols, "is_explain",
                            sqlite3_stmt_isexplain(st) != 0, "is_readonly", 1);
    sqlite3_finalize(st);
    return out;
}

/* One request of the pipeline; NULL with *bad for a protocol error that loses the whole pipeline. */
static json_t *run_request(struct session *s, const json_t *req, const char **bad)
{
    const char *type = json_string_value(json_object_get(req, "type"));
    json_t *response = NULL, *error = NULL;
    if (!type) {
        *bad = "a request without a type";
        return NULL;
    }
    if (strcmp(type, "execute") == 0) {
        json_t *r = run_stmt(s, json_object_get(req, "stmt"), &error);
        if (r)
            response = json_pack("{s:s, s:o}", "type", "execute", "result", r);
    } else if (strcmp(type, "batch") == 0) {
        json_t *r = run_batch(s, json_object_get(req, "batch"), bad);
        if (!r)
            return NULL;
        response = json_pack("{s:s, s:o}", "type", "batch", "result", r);
    } else if (strcmp(type, "sequence") == 0) {
        const char *why = NULL;
        const char *sql = stmt_sql(s, req, &why);
        if (!sql) {
            *bad = why;
            return NULL;
        }
        /* Each statement of the text, one at a time, under the same rules. */
        const char *rest = sql;
        while (rest && *rest && !error) {
            sqlite3_stmt *st = NULL;
            const char *tail = NULL;
            if (sqlite3_prepare_v2(s->db, rest, -1, &st, &tail) != SQLITE_OK) {
                error = error_obj(sqlite3_errmsg(s->db), "SQLITE_ERROR");
                break;
            }
            if (!st)
                break;
            if (!sqlite3_stmt_readonly(st)) {
                error = error_obj("this endpoint is read-only: the statement would write", "SQLITE_READONLY");
            } else if (!statement_clock(s)) {
                error = deadline_error(s);
            } else {
                int rc;
                while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                    ;
                if (rc == SQLITE_INTERRUPT && utc_mono_ms() >= s->deadline)
                    error = deadline_error(s);
                else if (rc != SQLITE_DONE)
                    error = error_obj(sqlite3_errmsg(s->db), "SQLITE_ERROR");
            }
            sqlite3_finalize(st);
            rest = tail;
        }
        if (!error)
            response = json_pack("{s:s}", "type", "sequence");
    } else if (strcmp(type, "describe") == 0) {
        json_t *r = describe(s, req, &error);
        if (r)
            response = json_pack("{s:s, s:o}", "type", "describe", "result", r);
    } else if (strcmp(type, "store_sql") == 0) {
        json_t *id = json_object_get(req, "sql_id"), *sql = json_object_get(req, "sql");
        if (!json_is_integer(id) || !json_is_string(sql)) {
            *bad = "store_sql needs sql_id and sql";
            return NULL;
        }
        json_int_t n = json_integer_value(id);
        if (n < 0 || n >= MAX_STORED_SQL) {
            error = error_obj("too many stored SQL texts", "SQL_STORE_TOO_MANY");
        } else {
            free(s->stored[n]);
            s->stored[n] = strdup(json_string_value(sql));
            response = json_pack("{s:s}", "type", "store_sql");
        }
    } else if (strcmp(type, "close_sql") == 0) {
        json_int_t n = json_integer_value(json_object_get(req, "sql_id"));
        if (n >= 0 && n < MAX_STORED_SQL) {
            free(s->stored[n]);
            s->stored[n] = NULL;
        }
        response = json_pack("{s:s}", "type", "close_sql");
    } else if (strcmp(type, "close") == 0) {
        response = json_pack("{s:s}", "type", "close");
    } else if (strcmp(type, "get_autocommit") == 0 && s->version >= 3) {
        response = json_pack("{s:s, s:b}", "type", "get_autocommit", "is_autocommit", sqlite3_get_autocommit(s->db));
    } else {
        *bad = "unknown request type";
        return NULL;
    }
    if (response)
        return json_pack("{s:s, s:o}", "type", "ok", "response", response);
    return json_pack("{s:s, s:o}", "type", "error", "error", error ? error : error_obj("failed", "UNKNOWN"));
}

/* One read-only connection per server thread, kept between requests:
 * opening one and loading the schema costs more than a dashboard query.
 * Closed when its thread ends. */
struct cached_conn {
    sqlite3 *db;
    char path[1024];
};

static pthread_key_t conn_key;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;

static void conn_free(void *p)
{
    struct cached_conn *c = p;
    sqlite3_close(c->db);
    free(c);
}

static void conn_key_make(void)
{
    pthread_key_create(&conn_key, conn_free);
}

static sqlite3 *connection(const char *path, char *msg, size_t size)
{
    pthread_once(&conn_once, conn_key_make);
    struct cached_conn *c = pthread_getspecific(conn_key);
    if (c && strcmp(c->path, path) == 0)
        return c->db;
    if (c) {
        pthread_setspecific(conn_key, NULL);
        conn_free(c);
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(msg, size, "cannot open the database: %s", db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    /* What a reader needs and no more: bounded values keep every single
     * function call short (instr() over two 10 MB strings ran 18 s), and
     * bounded texts and depths keep preparing cheap. */
    static const int limits[][2] = {
        {SQLITE_LIMIT_LENGTH, SQLAPI_MAX_VALUE},   {SQLITE_LIMIT_SQL_LENGTH, SQLAPI_MAX_SQL},
        {SQLITE_LIMIT_COLUMN, 500},                {SQLITE_LIMIT_EXPR_DEPTH, 100},
        {SQLITE_LIMIT_COMPOUND_SELECT, 50},        {SQLITE_LIMIT_VDBE_OP, 100000},
        {SQLITE_LIMIT_FUNCTION_ARG, 32},           {SQLITE_LIMIT_ATTACHED, 0},
        {SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 200},  {SQLITE_LIMIT_VARIABLE_NUMBER, 1000},
        {SQLITE_LIMIT_TRIGGER_DEPTH, 1},           {SQLITE_LIMIT_WORKER_THREADS, 0},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        sqlite3_limit(db, limits[i][0], limits[i][1]);
    linear_functions(db);
    sqlite3_set_authorizer(db, authorize, NULL);
    sqlite3_progress_handler(db, 1000, progress, NULL);
    c = calloc(1, sizeof *c);
    if (!c) {
        sqlite3_close(db);
        snprintf(msg, size, "out of memory");
        return NULL;
    }
    c->db = db;
    snprintf(c->path, sizeof c->path, "%s", path);
    pthread_setspecific(conn_key, c);
    return db;
}

static unsigned fail(char **response, unsigned status, const char *message, const char *code)
{
    json_t *e = error_obj(message, code);
    *response = json_dumps(e, JSON_COMPACT);
    json_decref(e);
    return status;
}

unsigned sqlapi_pipeline(const char *path, const struct sqlapi_limits *limits, int version, const char *body,
                         size_t len, char **response)
{
    return sqlapi_pipeline_guarded(path, limits, NULL, version, body, len, response);
}

unsigned sqlapi_pipeline_guarded(const char *path, const struct sqlapi_limits *limits,
                                 struct sqlapi_watchdog *watchdog, int version, const char *body, size_t len,
                                 char **response)
{
    static const struct sqlapi_limits defaults = {0, 10000, 10u << 20, 5000};
    int64_t started = utc_mono_ms();
    struct sqlapi_limits lim = limits ? *limits : defaults;
    if (lim.request_ms <= 0)
        lim.request_ms = defaults.request_ms;
    if (lim.statement_ms <= 0 || lim.statement_ms > lim.request_ms)
        lim.statement_ms = lim.request_ms;
    if (lim.max_rows <= 0)
        lim.max_rows = defaults.max_rows;
    if (lim.max_bytes == 0)
        lim.max_bytes = defaults.max_bytes;
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return fail(response, 400, "the body is not a JSON object", "PROTOCOL_ERROR");
    }
    json_t *baton = json_object_get(doc, "baton"), *requests = json_object_get(doc, "requests");
    if (baton && !json_is_null(baton)) {
        json_decref(doc);
        return fail(response, 400, "streams are not kept here: send each pipeline without a baton", "BATON_INVALID");
    }
    if (!json_is_array(requests)) {
        json_decref(doc);
        return fail(response, 400, "the body needs a requests array", "PROTOCOL_ERROR");
    }
    /* The clock started when the request arrived here: parsing counts. */
    struct session s = {.limits = &lim, .version = version, .deadline = started + lim.request_ms};
    char msg[600];
    if (!(s.db = connection(path, msg, sizeof msg))) {
        json_decref(doc);
        return fail(response, 500, msg, "INTERNAL");
    }
    int slot = watch_add(watchdog, s.db, s.deadline);
    json_t *results = json_array();
    const char *bad = NULL;
    size_t i;
    json_t *req;
    json_array_foreach(requests, i, req) {
        json_t *r = run_request(&s, req, &bad);
        if (!r)
            break;
        json_array_append_new(results, r);
    }
    for (int k = 0; k < MAX_STORED_SQL; k++)
        free(s.stored[k]);
    /* No stream outlives its pipeline: a transaction left open ends here. */
    watch_remove(watchdog, slot);
    if (!sqlite3_get_autocommit(s.db))
        sqlite3_exec(s.db, "ROLLBACK", NULL, NULL, NULL);
    json_decref(doc);
    if (bad) {
        json_decref(results);
        return fail(response, 400, bad, "PROTOCOL_ERROR");
    }
    json_t *out = json_pack("{s:n, s:n, s:o}", "baton", "base_url", "results", results);
    *response = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    return *response ? 200 : fail(response, 500, "out of memory", "INTERNAL");
}
