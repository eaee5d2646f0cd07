/*
 * test_security.c - `serve` as an attacker on the internet meets it
 * (issue 17): behind a forwarding proxy (tests/fakes/forward_proxy.py, so
 * every peer is loopback), under runaway SQL, huge answers and bodies,
 * slow connections, a cross-origin page in Chromium, a forged Host on an
 * Inngest sync, and the smaller holes. Each test failed before its fix.
 *
 * Requests are written by hand over raw sockets: the tests need to choose
 * the Host, the proxy headers and the source address (127.0.0.2 for an
 * attacker, 127.0.0.1 for the visitor who must still be served).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "flow/inngest_sig.h"
#include "testutil.h"

#include "pipeline_fakes.h"

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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- raw HTTP ------------------------------------------------------------------- */

struct reply {
    int status;       /* 0: no answer (refused, closed, or timed out) */
    char *head;       /* status line and headers */
    char *body;
    size_t body_len;
    int64_t took_ms;
};

static void reply_free(struct reply *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* A socket connected from src (NULL: any loopback address) to 127.0.0.1:port,
 * or -1. */
static int connect_from(const char *src, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (src) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        inet_pton(AF_INET, src, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends the request text and reads the whole answer (the request asks the
 * server to close), giving up after timeout_ms. */
static struct reply raw(const char *src, int port, const char *text, size_t len, int timeout_ms)
{
    struct reply r = {0};
    int64_t t0 = now_ms();
    int fd = connect_from(src, port);
    if (fd < 0)
        return r;
    size_t sent = 0;
    signal(SIGPIPE, SIG_IGN);
    while (sent < len) {
        ssize_t w = send(fd, text + sent, len - sent, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may answer (413) before the whole body is sent */
        sent += (size_t)w;
    }
    size_t cap = 1 << 16, used = 0;
    char *data = malloc(cap + 1);
    for (;;) {
        int left = (int)(timeout_ms - (now_ms() - t0));
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        if (used == cap) {
            cap *= 2;
            data = realloc(data, cap + 1);
        }
        ssize_t n = recv(fd, data + used, cap - used, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    data[used] = '\0';
    r.took_ms = now_ms() - t0;
    char *end = strstr(data, "\r\n\r\n");
    if (strncmp(data, "HTTP/1.", 7) == 0 && end) {
        r.status = atoi(data + 9);
        r.head = strndup(data, (size_t)(end - data) + 2);
        r.body_len = used - (size_t)(end + 4 - data);
        r.body = malloc(r.body_len + 1);
        memcpy(r.body, end + 4, r.body_len);
        r.body[r.body_len] = '\0';
    } else {
        r.head = strdup("");
        r.body = strdup("");
    }
    free(data);
    return r;
}

/* One request: method, path, Host (NULL: 127.0.0.1:port), extra header
 * lines ("Name: value\r\n"..., may be NULL) and a body (may be NULL). */
static struct reply req(int port, const char *method, const char *path, const char *host, const char *headers,
                        const char *body)
{
    char hostbuf[64];
    if (!host) {
        snprintf(hostbuf, sizeof hostbuf, "127.0.0.1:%d", port);
        host = hostbuf;
    }
    size_t blen = body ? strlen(body) : 0;
    size_t cap = blen + strlen(path) + strlen(host) + (headers ? strlen(headers) : 0) + 256;
    char *text = malloc(cap);
    int n = snprintf(text, cap, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s", method, path, host,
                     headers ? headers : "");
    if (body)
        n += snprintf(text + n, cap - (size_t)n, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
    n += snprintf(text + n, cap - (size_t)n, "\r\n");
    if (body) {
        memcpy(text + n, body, blen);
        n += (int)blen;
    }
    struct reply r = raw(NULL, port, text, (size_t)n, 60000);
    free(text);
    return r;
}

static void expect_status(struct reply *r, int status, const char *what)
{
    if (r->status != status)
        fail_msg("%s: expected HTTP %d, got %d\n%s\n%.600s", what, status, r->status, r->head ? r->head : "",
                 r->body ? r->body : "");
}

static const char *const base_env[] = {"TURSO_DATABASE_URL=", "CRYPTIC_BENCH_READ_TOKEN=", "CRYPTIC_BENCH_PUBLIC_SQL=",
                                       "INNGEST_SIGNING_KEY=", "INNGEST_DEV=", "INNGEST_BASE_URL=", NULL};

/* Starts serve on db with env entries added to base_env and extra args. */
static int start_serve(const char *db, const char *const *env, const char *const *extra, int *port)
{
    const char *e[32], *a[48];
    size_t ne = 0, na = 0;
    for (const char *const *p = base_env; *p; p++)
        e[ne++] = *p;
    for (; env && *env; env++)
        e[ne++] = *env;
    e[ne] = NULL;
    const char *head[] = {"--db", db, "serve", "--listen", "127.0.0.1:0", "--no-cron", "--workers", "2"};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        a[na++] = head[i];
    for (; extra && *extra; extra++)
        a[na++] = *extra;
    a[na] = NULL;
    return tu_start_server(e, a, port);
}

static const char sql_body[] = "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM models\"}}]}";
static const char event_body[] = "{\"name\":\"benchmark/evaluate.requested\",\"data\":{\"week_id\":\"2026-W30\"}}";

/* ---- 1. nothing that starts work or reads run data without a secret -------------------- */

static void test_proxy_needs_secrets(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "proxy.db");
    int port, proxy;
    start_serve(db, (const char *const[]){"INNGEST_EVENT_KEY=evkey-123", NULL}, NULL, &port);
    char arg[16];
    snprintf(arg, sizeof arg, "%d", port);
    tu_start_fake("forward_proxy.py", arg, &proxy);

    /* Through the proxy: every peer is loopback, still nothing without a secret. */
    struct reply r = req(proxy, "POST", "/e/anything", NULL, NULL, event_body);
    expect_status(&r, 401, "event through the proxy, wrong key");
    reply_free(&r);
    r = req(proxy, "POST", "/e/local", NULL, NULL, event_body);
    expect_status(&r, 401, "event through the proxy, key 'local'");
    reply_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 0);
    const char *reads[][2] = {{"POST", "/v2/pipeline"}, {"POST", "/v3/pipeline"}, {"GET", "/metrics"},
                              {"GET", "/api/runs"}, {"GET", "/api/runs/x"}};
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        r = req(proxy, reads[i][0], reads[i][1], NULL, NULL, reads[i][0][0] == 'P' ? sql_body : NULL);
        expect_status(&r, 401, reads[i][1]);
        reply_free(&r);
    }
    /* On loopback directly: the event API still wants the key, and says which. */
    r = req(port, "POST", "/e/local", NULL, NULL, event_body);
    expect_status(&r, 401, "event on loopback without the key");
    tu_assert_contains(r.body, "INNGEST_EVENT_KEY");
    reply_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 0);
    /* Any one proxy header, or a Host that is not loopback, loses the local exemption. */
    const char *proxied[] = {"X-Forwarded-For: 198.51.100.1\r\n", "X-Real-IP: 198.51.100.1\r\n",
                             "Forwarded: for=198.51.100.1\r\n"};
    for (size_t i = 0; i < sizeof proxied / sizeof proxied[0]; i++) {
        r = req(port, "POST", "/v2/pipeline", NULL, proxied[i], sql_body);
        expect_status(&r, 401, proxied[i]);
        reply_free(&r);
        r = req(port, "GET", "/api/runs", NULL, proxied[i], NULL);
        expect_status(&r, 401, proxied[i]);
        reply_free(&r);
    }
    /* A local operator still reads without a token. */
    r = req(port, "POST", "/v2/pipeline", NULL, NULL, sql_body);
    expect_status(&r, 200, "SQL from loopback");
    reply_free(&r);
    r = req(port, "GET", "/metrics", "localhost", NULL, NULL);
    expect_status(&r, 200, "/metrics from loopback");
    reply_free(&r);
    r = req(port, "GET", "/api/runs", "[::1]:80", NULL, NULL);
    expect_status(&r, 200, "/api/runs from loopback");
    reply_free(&r);
    /* With the key, through the proxy, the event is taken. */
    r = req(proxy, "POST", "/e/evkey-123", NULL, NULL, event_body);
    expect_status(&r, 200, "event with the key");
    reply_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 1);
    free(db);
}

/* Without INNGEST_EVENT_KEY the event API takes nothing over HTTP, and says
 * how to turn it on. */
static void test_events_off_without_key(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "nokey.db");
    int port;
    start_serve(db, (const char *const[]){"INNGEST_EVENT_KEY=", NULL}, NULL, &port);
    struct reply r = req(port, "POST", "/e/local", NULL, NULL, event_body);
    expect_status(&r, 401, "event without a configured key");
    tu_assert_contains(r.body, "INNGEST_EVENT_KEY");
    reply_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 0);
    free(db);
}

/* ---- 2. runaway SQL holds neither the server nor past its deadline ---------------------- */

struct background {
    int port;
    char *body;
    struct reply r;
};

static void *background_post(void *arg)
{
    struct background *b = arg;
    b->r = req(b->port, "POST", "/v2/pipeline", NULL, NULL, b->body);
    return NULL;
}

/* A pipeline of n copies of one execute request. */
static char *many_executes(const char *sql, int n)
{
    size_t one = strlen(sql) + 64, cap = one * (size_t)n + 64, used = 0;
    char *out = malloc(cap);
    used += (size_t)snprintf(out, cap, "{\"requests\":[");
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s{\"type\":\"execute\",\"stmt\":{\"sql\":\"%s\"}}",
                                 i ? "," : "", sql);
    snprintf(out + used, cap - used, "]}");
    return out;
}

static const char counting[] = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<50000) SELECT count(*) FROM c";

static void test_runaway_sql(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "runaway.db");
    int port;
    const long deadline = 2000;
    start_serve(db, NULL, (const char *const[]){"--sql-deadline-ms", "2000", "--sql-threads", "4", "--sql-per-client", "4", NULL},
                &port);
    struct background b[4] = {{0}};
    /* One long function call: instr() over ~1 MB strings that almost match everywhere. */
    b[0].body = strdup("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT instr(printf('%.*c', 990000, 'a'), "
                       "printf('%.*c', 490000, 'a') || 'b'), length(printf('%.*c', 999999, 'a'))\"}}]}");
    /* Thousands of statements, each well inside any per-statement limit. */
    b[1].body = many_executes(counting, 3000);
    /* One statement that never ends. */
    b[2].body = strdup("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                       "SELECT x+1 FROM c) SELECT count(*) FROM c\"}}]}");
    /* A sequence of many statements in one SQL text. */
    size_t cap = 100000, used = 0;
    char *seq = malloc(cap);
    used += (size_t)snprintf(seq, cap, "{\"requests\":[{\"type\":\"sequence\",\"sql\":\"");
    while (used + sizeof counting + 16 < cap - 1000)
        used += (size_t)snprintf(seq + used, cap - used, "%s;", counting);
    snprintf(seq + used, cap - used, "\"}]}");
    b[3].body = seq;
    pthread_t t[4];
    int64_t t0 = now_ms();
    for (int i = 0; i < 4; i++) {
        b[i].port = port;
        assert_int_equal(pthread_create(&t[i], NULL, background_post, &b[i]), 0);
    }
    /* While they run, the HTTP threads answer at once. */
    int probes = 0;
    while (now_ms() - t0 < deadline * 3 / 4) {
        struct reply h = req(port, "GET", "/health", NULL, NULL, NULL);
        struct reply d = req(port, "GET", "/", NULL, NULL, NULL);
        if (h.status != 200 || h.took_ms > 1000 || d.status != 200 || d.took_ms > 1000)
            fail_msg("with 4 runaway SQL requests: /health %d in %lld ms, / %d in %lld ms", h.status,
                     (long long)h.took_ms, d.status, (long long)d.took_ms);
        reply_free(&h);
        reply_free(&d);
        probes++;
    }
    assert_true(probes >= 2);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        expect_status(&b[i].r, 200, "runaway pipeline");
        /* Ended within the deadline (plus scheduling slack on a loaded machine). */
        if (b[i].r.took_ms > deadline + 2500)
            fail_msg("runaway request %d took %lld ms, deadline %ld ms", i, (long long)b[i].r.took_ms, deadline);
        if (i > 0)
            tu_assert_contains(b[i].r.body, "deadline");
        reply_free(&b[i].r);
        free(b[i].body);
    }
    /* Values a reader never needs are refused, not built. */
    struct reply r = req(port, "POST", "/v2/pipeline", NULL, NULL,
                         "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT length(replace(hex(zeroblob(500000)), '0', "
                         "'0123456789'))\"}}]}");
    expect_status(&r, 200, "10 MB value");
    tu_assert_contains(r.body, "too big");
    reply_free(&r);
    r = req(port, "POST", "/v2/pipeline", NULL, NULL,
            "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT length(zeroblob(2000000))\"}}]}");
    tu_assert_contains(r.body, "too big");
    reply_free(&r);
    /* printf keeps SQLite's answers. */
    r = req(port, "POST", "/v2/pipeline", NULL, NULL,
            "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT printf('%5.1f|%-4d|%04d|%x|%s|%.2s|%q|%Q|%%|%.3c|%*d', "
            "3.14159, 7, 42, 255, 'hi', 'abc', 'it''s', NULL, '\u00e9t\u00e9', 3, 9), format('%d%%', 50)\"}}]}");
    expect_status(&r, 200, "printf");
    tu_assert_contains(r.body, "\"value\":\"  3.1|7   |0042|ff|hi|ab|it''s|NULL|%|\u00e9\u00e9\u00e9|  9\"");
    tu_assert_contains(r.body, "\"value\":\"50%\"");
    reply_free(&r);
    /* instr, replace and trim keep SQLite's answers. */
    r = req(port, "POST", "/v2/pipeline", NULL, NULL,
            "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT instr('h\u00e9llo w\u00f6rld', 'w\u00f6'), "
            "instr(x'0102030405', x'0304'), instr('abc', ''), instr(NULL, 'a'), replace('a-b-c', '-', '+='), "
            "replace('abc', '', 'x'), trim('xxhixy', 'xy'), ltrim('\u00e9\u00e9a\u00e9', '\u00e9'), rtrim('a..', '.')\"}}]}");
    expect_status(&r, 200, "linear functions");
    tu_assert_contains(r.body, "[{\"type\":\"integer\",\"value\":\"7\"},{\"type\":\"integer\",\"value\":\"3\"},"
                               "{\"type\":\"integer\",\"value\":\"1\"},{\"type\":\"null\"},"
                               "{\"type\":\"text\",\"value\":\"a+=b+=c\"},{\"type\":\"text\",\"value\":\"abc\"},"
                               "{\"type\":\"text\",\"value\":\"hi\"},{\"type\":\"text\",\"value\":\"a\u00e9\"},"
                               "{\"type\":\"text\",\"value\":\"a\"}]");
    reply_free(&r);
    free(db);
}

/* One client gets at most --sql-per-client pipelines at once. */
static void test_sql_per_client_cap(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "cap.db");
    int port;
    start_serve(db, NULL, (const char *const[]){"--sql-deadline-ms", "3000", "--sql-per-client", "1", NULL}, &port);
    struct background b[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        b[i] = (struct background){.port = port,
                                   .body = strdup("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"WITH RECURSIVE "
                                                  "c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c\"}}]}")};
        assert_int_equal(pthread_create(&t[i], NULL, background_post, &b[i]), 0);
    }
    int statuses = 0;
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        statuses += b[i].r.status;
        free(b[i].body);
    }
    /* Each runs 3 s: they overlapped, so one was refused. */
    if (statuses != 200 + 429)
        fail_msg("two concurrent pipelines from one client with --sql-per-client 1: HTTP %d and %d", b[0].r.status,
                 b[1].r.status);
    for (int i = 0; i < 2; i++)
        reply_free(&b[i].r);
    free(db);
}

/* ---- 3. no answer or body makes the server allocate much ----------------------------- */

/* The serve process's peak resident memory, in kB. */
static long vm_hwm_kb(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    char *text = tu_read_file(path, NULL);
    const char *line = strstr(text, "VmHWM:");
    long kb = line ? atol(line + 6) : -1;
    free(text);
    return kb;
}

static const char signing_key[] = "signkey-test-8c1f3a0b9d2e4f5061728394a5b6c7d8e9f001122334455667788990aabbccdd";

/* ASan keeps freed memory in a 256 MB quarantine, which would count in
 * VmHWM as if serve held it: the memory tests give it 8 MB. */
static const char asan_small_quarantine[] =
    "ASAN_OPTIONS=exitcode=86:abort_on_error=0:detect_leaks=1:strict_string_checks=1:quarantine_size_mb=8";

static void test_memory_bounded(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "memory.db");
    int port;
    char key_env[160];
    snprintf(key_env, sizeof key_env, "INNGEST_SIGNING_KEY=%s", signing_key);
    int pid = start_serve(db, (const char *const[]){asan_small_quarantine, key_env, "INNGEST_BASE_URL=http://127.0.0.1:9",
                                                    NULL},
                          NULL, &port);
    /* Answers that would be 50 MB to 300 MB: refused, the first row included. */
    static const char *const huge[] = {
        "SELECT zeroblob(50000000)",
        "SELECT printf('%.*c', 100000000, 'x')",
        "SELECT zeroblob(100000000), zeroblob(100000000), zeroblob(100000000)",
        "SELECT zeroblob(999000), zeroblob(999000), zeroblob(999000), zeroblob(999000), zeroblob(999000), "
        "zeroblob(999000), zeroblob(999000), zeroblob(999000), zeroblob(999000)",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<100) "
        "SELECT zeroblob(999000), zeroblob(999000), zeroblob(999000) FROM c",
    };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        char *body = many_executes(huge[i], 1);
        struct background b[2] = {{.port = port, .body = body}, {.port = port, .body = body}};
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            assert_int_equal(pthread_create(&t[k], NULL, background_post, &b[k]), 0);
        for (int k = 0; k < 2; k++) {
            pthread_join(t[k], NULL);
            expect_status(&b[k].r, 200, huge[i]);
            if (b[k].r.body_len > 200000 || !strstr(b[k].r.body, "\"type\":\"error\""))
                fail_msg("%s: an answer of %zu bytes: %.300s", huge[i], b[k].r.body_len, b[k].r.body);
            reply_free(&b[k].r);
        }
        free(body);
    }
    /* Bodies a route does not take are refused by Content-Length, unread. */
    const char *big = "POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n";
    struct reply r = raw(NULL, port, big, strlen(big), 20000);
    expect_status(&r, 413, "a 100 MB body to /health");
    reply_free(&r);
    big = "POST /v2/pipeline HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n\r\n";
    r = raw(NULL, port, big, strlen(big), 20000);
    expect_status(&r, 413, "a 5 MB body to the SQL endpoint");
    reply_free(&r);
    /* The Inngest route takes 5 MiB exactly, and not a byte more. */
    big = "POST /api/inngest?fnId=x&stepId=step HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5242881\r\n\r\n";
    r = raw(NULL, port, big, strlen(big), 20000);
    expect_status(&r, 413, "a body of 5 MiB and one byte to /api/inngest");
    reply_free(&r);
    {
        enum { EXACT = 5 * 1024 * 1024 };
        char head[200];
        int hl = snprintf(head, sizeof head,
                          "POST /api/inngest?fnId=x&stepId=step HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", EXACT);
        char *whole = malloc((size_t)hl + EXACT);
        assert_non_null(whole);
        memcpy(whole, head, (size_t)hl);
        memset(whole + hl, ' ', EXACT);
        r = raw(NULL, port, whole, (size_t)hl + EXACT, 60000);
        free(whole);
        if (r.status == 413 || r.status == 0)
            fail_msg("a body of exactly 5 MiB to /api/inngest: HTTP %d (read whole, then judged by its signature)",
                     r.status);
        reply_free(&r);
    }
    /* 200 connections posting 5 MB each to /api/inngest before any signature check. */
    enum { N = 200, BODY = 5000000 };
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 2 * N + 64 && rl.rlim_max >= 2 * N + 64) {
        rl.rlim_cur = 2 * N + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int fds[N];
    size_t left[N];
    char *chunk = calloc(1, 65536);
    memset(chunk, '{', 65536);
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "POST /api/inngest?fnId=x&stepId=step HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: %d\r\nConnection: close\r\n\r\n", BODY);
    for (int i = 0; i < N; i++) {
        fds[i] = connect_from(NULL, port);
        if (fds[i] < 0)
            fail_msg("connection %d: %s", i, strerror(errno));
        left[i] = BODY;
        if (send(fds[i], head, (size_t)hn, MSG_NOSIGNAL) != hn)
            left[i] = 0;
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
    }
    int64_t t0 = now_ms();
    size_t open_left = N;
    while (open_left && now_ms() - t0 < 120000) {
        struct pollfd p[N];
        for (int i = 0; i < N; i++)
            p[i] = (struct pollfd){left[i] ? fds[i] : -1, POLLOUT, 0};
        if (poll(p, N, 1000) <= 0)
            continue;
        open_left = 0;
        for (int i = 0; i < N; i++) {
            if (!left[i])
                continue;
            if (p[i].revents & (POLLERR | POLLHUP)) {
                left[i] = 0;
                continue;
            }
            if (p[i].revents & POLLOUT) {
                ssize_t w = send(fds[i], chunk, left[i] < 65536 ? left[i] : 65536, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN)
                    left[i] = 0;
                else if (w > 0)
                    left[i] -= (size_t)w;
            }
            open_left += left[i] != 0;
        }
    }
    int answered = 0, busy = 0;
    for (int i = 0; i < N; i++) {
        fcntl(fds[i], F_SETFL, 0);
        struct timeval tv = {5, 0};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[64] = {0};
        if (recv(fds[i], buf, sizeof buf - 1, 0) > 12) {
            answered++;
            busy += strncmp(buf + 9, "503", 3) == 0;
        }
        close(fds[i]);
    }
    free(chunk);
    long kb = vm_hwm_kb(pid);
    fprintf(stderr, "200 x 5 MB bodies: %d answered, %d of them 503; serve's peak RSS %ld kB\n", answered, busy, kb);
    if (kb > 100 * 1024)
        fail_msg("serve's peak RSS reached %ld kB (limit 100 MB)", kb);
    assert_true(busy > 0);
    r = req(port, "GET", "/health", NULL, NULL, NULL);
    expect_status(&r, 200, "/health after the bodies");
    reply_free(&r);
    free(db);
}

/* ---- 4. slow clients do not hold every connection --------------------------------------- */

/* 1 100 connections from 127.0.0.2 that send a header line and stop (more
 * than the 1 024 descriptors serve may open); a visitor from 127.0.0.1 is
 * still served. And a client that keeps sending header lines is cut at
 * the header timeout. */
static void test_slow_clients(void **state)
{
    (void)state;
    enum { N = 1100 };
    char *db = pf_make_db(work, "slow.db");
    struct rlimit rl, saved;
    getrlimit(RLIMIT_NOFILE, &saved);
    if (saved.rlim_max < N + 200) {
        fprintf(stderr, "SKIPPED: the descriptor limit (%ld) is below %d\n", (long)saved.rlim_max, N + 200);
        free(db);
        skip();
    }
    /* serve runs with 1 024 descriptors, as a default system gives it. */
    rl = saved;
    rl.rlim_cur = 1024;
    setrlimit(RLIMIT_NOFILE, &rl);
    int port;
    start_serve(db, NULL, (const char *const[]){"--header-timeout-s", "3", NULL}, &port);
    rl.rlim_cur = N + 200;
    setrlimit(RLIMIT_NOFILE, &rl);
    static int fds[N];
    int opened = 0;
    for (int i = 0; i < N; i++) {
        fds[i] = connect_from("127.0.0.2", port);
        if (fds[i] >= 0) {
            send(fds[i], "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", 33, MSG_NOSIGNAL);
            opened++;
        }
    }
    assert_true(opened > 1024);
    /* A new client gets the dashboard (several tries, capped). */
    int served = 0;
    struct reply r = {0};
    for (int64_t t0 = now_ms(); !served && now_ms() - t0 < 10000;) {
        reply_free(&r);
        r = req(port, "GET", "/", NULL, NULL, NULL);
        served = r.status == 200;
    }
    if (!served)
        fail_msg("with %d slow connections a new client got: HTTP %d %s", opened, r.status, r.head);
    reply_free(&r);
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    /* A client that is never silent but never finishes its headers is cut. */
    int fd = connect_from("127.0.0.3", port);
    assert_true(fd >= 0);
    send(fd, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
    int cut = 0;
    int64_t t0 = now_ms();
    while (!cut && now_ms() - t0 < 20000) {
        if (send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) < 0) {
            cut = 1;
            break;
        }
        struct pollfd p = {fd, POLLIN, 0};
        /* Readable: the end of the stream (or an error answer): let go. */
        if (poll(&p, 1, 500) > 0)
            cut = 1;
    }
    close(fd);
    if (!cut)
        fail_msg("a client sending a header line every 0.5 s was still connected after 20 s");
    int64_t took = now_ms() - t0;
    fprintf(stderr, "slow header client cut after %lld ms (header timeout 3 s)\n", (long long)took);
    assert_true(took >= 2500);
    setrlimit(RLIMIT_NOFILE, &saved);
    free(db);
}

/* ---- 5. another origin's page, and names that are not ours --------------------------- */

/* Runs cross_origin.mjs: the page at page_url reads serve_url. */
static json_t *cross_origin(const char *page_url, const char *serve_url)
{
    char *script = tu_path(getenv("CB_TESTS_DIR"), "security/cross_origin.mjs");
    struct tu_run r = tu_run_program(NULL, NULL, (const char *const[]){"node", script, page_url, serve_url, NULL});
    if (r.status != 0)
        fail_msg("cross_origin.mjs failed (is chromium at /usr/bin/chromium?): %s", r.err);
    json_error_t jerr;
    json_t *out = json_loads(r.out, 0, &jerr);
    if (!out)
        fail_msg("cross_origin.mjs printed no JSON: %s", r.out);
    tu_run_free(&r);
    free(script);
    return out;
}

static void test_cross_origin_page(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "cors.db");
    char *site = tu_path(work, "elsewhere");
    char *page = tu_path(site, "index.html");
    mkdir(site, 0755);
    tu_write_file(page, "<!doctype html><title>another site</title><p>nothing to see\n");
    int site_port, port;
    tu_start_fake("static_site.py", site, &site_port);
    char page_url[64], page_origin[64], serve_url[64];
    snprintf(page_url, sizeof page_url, "http://127.0.0.1:%d/index.html", site_port);
    snprintf(page_origin, sizeof page_origin, "http://127.0.0.1:%d", site_port);
    int pid = start_serve(db, (const char *const[]){"INNGEST_EVENT_KEY=evkey-123", NULL}, NULL, &port);
    snprintf(serve_url, sizeof serve_url, "http://127.0.0.1:%d", port);
    json_t *seen = cross_origin(page_url, serve_url);
    static const char *const reads[] = {"sql_json", "sql_simple", "runs", "metrics"};
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
        if (json_object_get(json_object_get(seen, reads[i]), "body"))
            fail_msg("the page on another origin read %s: %s", reads[i], json_dumps(seen, 0));
    json_decref(seen);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 0);
    /* No wildcard for anyone. */
    struct reply r = req(port, "POST", "/v2/pipeline", NULL, "Origin: http://evil.example\r\n", sql_body);
    expect_status(&r, 200, "SQL from loopback with a foreign Origin");
    assert_null(strstr(r.head, "Access-Control-Allow-Origin"));
    reply_free(&r);
    tu_stop_fake(pid);

    /* With the page's origin allowed (an exported dashboard's host), the
     * same page reads: the browser test can tell the two apart. Events still
     * need the key. */
    pid = start_serve(db, (const char *const[]){"INNGEST_EVENT_KEY=evkey-123", NULL},
                      (const char *const[]){"--allow-origin", page_origin, NULL}, &port);
    snprintf(serve_url, sizeof serve_url, "http://127.0.0.1:%d", port);
    seen = cross_origin(page_url, serve_url);
    const char *body = json_string_value(json_object_get(json_object_get(seen, "sql_json"), "body"));
    if (!body || !strstr(body, "\"rows\""))
        fail_msg("with --allow-origin %s the page could not read: %s", page_origin, json_dumps(seen, 0));
    json_decref(seen);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 0);
    tu_stop_fake(pid);

    /* --public-sql: the wildcard. */
    start_serve(db, NULL, (const char *const[]){"--public-sql", NULL}, &port);
    r = req(port, "POST", "/v2/pipeline", NULL, "Origin: http://evil.example\r\n", sql_body);
    tu_assert_contains(r.head, "Access-Control-Allow-Origin: *");
    reply_free(&r);
    free(page);
    free(site);
    free(db);
}

/* DNS rebinding: a name that is not ours is refused on every route but
 * /health; --public-host names ours. */
static void test_host_names(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "host.db");
    int port;
    start_serve(db, (const char *const[]){"INNGEST_EVENT_KEY=evkey-123", NULL},
                (const char *const[]){"--public-host", "bench.example.org,other.example", NULL}, &port);
    const char *routes[][2] = {{"GET", "/"}, {"POST", "/v2/pipeline"}, {"POST", "/e/evkey-123"}, {"GET", "/api/runs"},
                               {"GET", "/metrics"}, {"GET", "/v2"}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        struct reply r = req(port, routes[i][0], routes[i][1], "evil.example:80", NULL,
                             routes[i][0][0] == 'P' ? (routes[i][1][1] == 'e' ? event_body : sql_body) : NULL);
        expect_status(&r, 421, routes[i][1]);
        reply_free(&r);
    }
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 0);
    struct reply r = req(port, "GET", "/health", "evil.example", NULL, NULL);
    expect_status(&r, 200, "/health under any name");
    reply_free(&r);
    r = req(port, "GET", "/", "bench.example.org", NULL, NULL);
    expect_status(&r, 200, "the public name");
    reply_free(&r);
    r = req(port, "GET", "/", "OTHER.example:8443", NULL, NULL);
    expect_status(&r, 200, "the second public name, with a port");
    reply_free(&r);
    /* A public name is not local: reads want a token. */
    r = req(port, "POST", "/v2/pipeline", "bench.example.org", NULL, sql_body);
    expect_status(&r, 401, "SQL under the public name");
    reply_free(&r);
    /* Bad values are usage errors naming the setting. */
    struct tu_run run = tu_run_cli(work, base_env, (const char *const[]){"--db", db, "serve", "--public-host",
                                                                         "https://x.example/", NULL});
    assert_int_equal(run.status, 2);
    tu_assert_contains(run.err, "--public-host");
    tu_run_free(&run);
    run = tu_run_cli(work, base_env, (const char *const[]){"--db", db, "serve", "--allow-origin", "x.example", NULL});
    assert_int_equal(run.status, 2);
    tu_assert_contains(run.err, "--allow-origin");
    tu_run_free(&run);
    free(db);
}

/* ---- 6. a forged Host registers nothing elsewhere ----------------------------------- */

/* A PUT /api/inngest (a sync), signed when sign is set, under host. */
static struct reply sync_put(int port, const char *host, int sign)
{
    const char *body = "{}";
    char headers[256] = "";
    if (sign) {
        char mac[65];
        int64_t t = (int64_t)time(NULL);
        inngest_sign(signing_key, body, strlen(body), t, mac);
        snprintf(headers, sizeof headers, "X-Inngest-Signature: t=%lld&s=%s\r\nX-Forwarded-Host: evil.example\r\n",
                 (long long)t, mac);
    }
    return req(port, "PUT", "/api/inngest", host, headers, body);
}

/* The URLs registered so far at the fake Inngest API (webhook.py's log). */
static char *registered(const char *log)
{
    char *text = tu_exists(log) ? tu_read_file(log, NULL) : strdup("");
    return text;
}

static void test_sync_url_from_config(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "sync.db");
    char *log = tu_path(work, "register.log");
    int api, port;
    tu_start_fake("webhook.py", log, &api);
    char key_env[160], base_env_[64];
    snprintf(key_env, sizeof key_env, "INNGEST_SIGNING_KEY=%s", signing_key);
    snprintf(base_env_, sizeof base_env_, "INNGEST_BASE_URL=http://127.0.0.1:%d", api);
    int pid = start_serve(db, (const char *const[]){key_env, base_env_, "INNGEST_SERVE_ORIGIN=", NULL}, NULL, &port);
    /* Unsigned, in cloud mode: refused, nothing registered. */
    struct reply r = sync_put(port, "localhost:1", 0);
    expect_status(&r, 401, "an unsigned sync");
    reply_free(&r);
    char *text = registered(log);
    assert_string_equal(text, "");
    free(text);
    /* A foreign name never reaches the sync. */
    r = sync_put(port, "evil.example", 1);
    expect_status(&r, 421, "a sync under a foreign Host");
    reply_free(&r);
    /* Signed, under another loopback name and a forwarded host: the URL is
     * still the configured one (here the listen address). */
    r = sync_put(port, "localhost:4444", 1);
    expect_status(&r, 200, "a signed sync");
    reply_free(&r);
    text = registered(log);
    char want[128];
    snprintf(want, sizeof want, "\"url\": \"http://127.0.0.1:%d/api/inngest\"", port);
    tu_assert_contains(text, want);
    assert_null(strstr(text, "localhost:4444"));
    assert_null(strstr(text, "evil.example"));
    free(text);
    tu_stop_fake(pid);
    /* With --public-host, that name (behind TLS). */
    remove(log);
    start_serve(db, (const char *const[]){key_env, base_env_, "INNGEST_SERVE_ORIGIN=", NULL},
                (const char *const[]){"--public-host", "bench.example.org", NULL}, &port);
    r = sync_put(port, NULL, 1);
    expect_status(&r, 200, "a signed sync with --public-host");
    reply_free(&r);
    text = registered(log);
    tu_assert_contains(text, "\"url\": \"https://bench.example.org/api/inngest\"");
    free(text);
    free(log);
    free(db);
}

/* ---- 7. the smaller holes ------------------------------------------------------------ */

static void test_smaller_holes(void **state)
{
    (void)state;
    char *db = pf_make_db(work, "small.db");
    char *token_file = tu_path(work, "read-token");
    tu_write_file(token_file, "file-token-42\n");
    int port;
    int pid = start_serve(db, (const char *const[]){"INNGEST_EVENT_KEY=evkey-123", NULL},
                          (const char *const[]){"--read-token-file", token_file, NULL}, &port);
    /* The token came from the file, and is not on the command line. */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    size_t len;
    char *cmdline = tu_read_file(path, &len);
    for (size_t i = 0; i < len; i++)
        if (!cmdline[i])
            cmdline[i] = ' ';
    assert_null(strstr(cmdline, "file-token-42"));
    free(cmdline);
    struct reply r = req(port, "POST", "/v2/pipeline", NULL, NULL, sql_body);
    expect_status(&r, 401, "SQL without the file's token");
    reply_free(&r);
    const char *auth = "Authorization: Bearer file-token-42\r\n";
    r = req(port, "POST", "/v2/pipeline", NULL, auth, sql_body);
    expect_status(&r, 200, "SQL with the file's token");
    reply_free(&r);
    /* Only the functions a reader needs: fts3_tokenizer() and load_extension() are refused. */
    static const char *const denied[] = {"SELECT fts3_tokenizer('simple')",
                                         "SELECT hex(fts3_tokenizer('simple'))",
                                         "SELECT load_extension('/tmp/x')",
                                         "SELECT sqlite_compileoption_get(0)"};
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        char *body = many_executes(denied[i], 1);
        r = req(port, "POST", "/v2/pipeline", NULL, auth, body);
        expect_status(&r, 200, denied[i]);
        if (!strstr(r.body, "\"type\":\"error\"") || !strstr(r.body, "not authorized"))
            fail_msg("%s was not refused: %s", denied[i], r.body);
        reply_free(&r);
        free(body);
    }
    char *body = many_executes("SELECT count(*), max(id), coalesce(NULL, 1), json_extract('{\\\"a\\\":2}', '$.a'), "
                               "'{\\\"a\\\":3}' ->> 'a', date('2026-12-05'), round(2.5), upper('x') FROM models",
                               1);
    r = req(port, "POST", "/v2/pipeline", NULL, auth, body);
    if (r.status != 200 || !strstr(r.body, "\"type\":\"ok\""))
        fail_msg("a reader's functions were refused: %s", r.body);
    reply_free(&r);
    free(body);
    /* An event batch with one bad event stores none of them. */
    r = req(port, "POST", "/e/evkey-123", NULL, NULL,
            "[{\"name\":\"benchmark/evaluate.complete\",\"data\":{}},{\"data\":{}},{\"name\":\"test/c\"}]");
    expect_status(&r, 400, "a batch with an event without a name");
    reply_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 0);
    /* An id of 5 000 characters is refused; one of 63 is stored and answered whole. */
    size_t idn = 5000;
    char *ev = malloc(idn + 128);
    int n = snprintf(ev, idn + 128, "{\"name\":\"benchmark/evaluate.complete\",\"id\":\"");
    memset(ev + n, 'i', idn);
    snprintf(ev + n + idn, 128, "\"}");
    r = req(port, "POST", "/e/evkey-123", NULL, NULL, ev);
    expect_status(&r, 400, "an event id of 5000 characters");
    reply_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events"), 0);
    n = snprintf(ev, idn + 128, "{\"name\":\"benchmark/evaluate.complete\",\"id\":\"");
    memset(ev + n, 'k', 63);
    snprintf(ev + n + 63, 128, "\"}");
    r = req(port, "POST", "/e/evkey-123", NULL, NULL, ev);
    expect_status(&r, 200, "an event id of 63 characters");
    char want[128];
    snprintf(want, sizeof want, "\"ids\":[\"%.63s\"]", ev + n);
    tu_assert_contains(r.body, want);
    reply_free(&r);
    assert_int_equal(tu_sql_int(db, "SELECT count(*) FROM flow_events WHERE length(id) = 63"), 1);
    free(ev);
    /* A wrong key of the right length is refused like any other. */
    r = req(port, "POST", "/e/evkey-124", NULL, NULL, event_body);
    expect_status(&r, 401, "a near-miss event key");
    reply_free(&r);
    /* HEAD / and HEAD /health answer. */
    r = req(port, "HEAD", "/", NULL, NULL, NULL);
    expect_status(&r, 200, "HEAD /");
    reply_free(&r);
    r = req(port, "HEAD", "/health", NULL, NULL, NULL);
    expect_status(&r, 200, "HEAD /health");
    reply_free(&r);
    /* Bad token files and settings are usage errors naming them. */
    struct tu_run run = tu_run_cli(work, base_env, (const char *const[]){"--db", db, "serve", "--read-token-file",
                                                                         "/nonexistent/token", NULL});
    assert_int_equal(run.status, 2);
    tu_assert_contains(run.err, "--read-token-file");
    tu_run_free(&run);
    run = tu_run_cli(work, base_env, (const char *const[]){"--db", db, "serve", "--sql-deadline-ms", "5s", NULL});
    assert_int_equal(run.status, 2);
    tu_assert_contains(run.err, "--sql-deadline-ms");
    tu_run_free(&run);
    const char *bad_env[] = {"TURSO_DATABASE_URL=", "CRYPTIC_BENCH_MAX_CONNECTIONS=lots", NULL};
    run = tu_run_cli(work, bad_env, (const char *const[]){"--db", db, "serve", NULL});
    assert_int_equal(run.status, 2);
    tu_assert_contains(run.err, "CRYPTIC_BENCH_MAX_CONNECTIONS");
    tu_run_free(&run);
    /* A database URL's password and token never show. */
    run = tu_run_cli(work, (const char *const[]){"TURSO_AUTH_TOKEN=", NULL},
                     (const char *const[]){"--db", "http://reader:hunter2@127.0.0.1:9/?authToken=tok-secret-9", "status",
                                           NULL});
    assert_int_equal(run.status, 1);
    assert_null(strstr(run.err, "hunter2"));
    assert_null(strstr(run.err, "tok-secret-9"));
    tu_assert_contains(run.err, "127.0.0.1:9");
    tu_run_free(&run);
    free(token_file);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_proxy_needs_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_off_without_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runaway_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sql_per_client_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_origin_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_url_from_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smaller_holes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
