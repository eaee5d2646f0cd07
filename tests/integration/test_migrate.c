/*
 * test_migrate.c - `migrate` between a file and a real libSQL server
 * (sqld): the old database to the server and back into a new file, equal
 * at each hop (the command's checksums, and every row and schema entry
 * compared independently with libsqlite3); a non-empty target refused; a
 * copy killed with SIGKILL completed by running it again; the source never
 * changed.
 */
#include "testutil.h"
#include "core/utc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static char *work;
static int sqld;
static char url[64];

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    int port;
    sqld = tu_start_sqld(work, &port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_stop_fake(sqld);
    tu_rmtree(work);
    free(work);
    return 0;
}

static const char *const env[] = {"TURSO_DATABASE_URL=", "TURSO_AUTH_TOKEN=", NULL};

static struct tu_run migrate(const char *from, const char *to, int force)
{
    return tu_run_cli(work, env,
                      (const char *const[]){"migrate", "--from", from, "--to", to, force ? "--force" : NULL, NULL});
}

static const char *const tables[] = {"puzzles", "clues", "models", "evaluations", "weekly_rankings", "rank_tenure",
                                     "metadata"};

/* Every table's rows, and the schema, of a file, as text. */
static char *contents(const char *path)
{
    size_t cap = 1 << 22, used = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    char *schema = tu_sql(path, "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name");
    used += (size_t)snprintf(out + used, cap - used, "%s", schema);
    free(schema);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT rowid, * FROM %s ORDER BY rowid", tables[i]);
        char *rows = tu_sql(path, sql);
        size_t len = strlen(rows);
        if (used + len + 1 >= cap) {
            cap = (used + len) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + used, rows, len + 1);
        used += len;
        free(rows);
    }
    return out;
}

static void expect_all_equal(const char *out)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const char *line = strstr(out, tables[i]);
        if (!line)
            fail_msg("no figures for %s in:\n%s", tables[i], out);
        const char *eol = strchr(line, '\n');
        char text[256];
        snprintf(text, sizeof text, "%.*s", (int)(eol - line), line);
        tu_assert_contains(text, "equal");
    }
}

static void test_there_and_back(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *original = tu_path(tu_shared_dir(), "data/original-cryptic-bench.db");
    char *source = tu_path(work, "source.db");
    tu_copy_file(original, source);
    char before[65], after[65];
    tu_sha256_file(source, before);

    struct tu_run r = migrate(source, url, 0);
    if (r.status != 0)
        fail_msg("migrate to sqld failed: %s\n%s", r.err, r.out);
    expect_all_equal(r.out);
    tu_assert_contains(r.out, "evaluations                2035       2035");
    tu_run_free(&r);

    char *back = tu_path(work, "back.db");
    r = migrate(url, back, 0);
    if (r.status != 0)
        fail_msg("migrate back failed: %s\n%s", r.err, r.out);
    expect_all_equal(r.out);
    tu_run_free(&r);

    /* Independently of the command's own checksums: every row and every schema entry. */
    char *a = contents(source), *b = contents(back);
    if (strcmp(a, b) != 0)
        fail_msg("the copy differs from the source");
    free(a);
    free(b);
    assert_int_equal(tu_sql_int(back, "SELECT count(*) FROM sqlite_schema WHERE name = '_cb_copy'"), 0);

    /* A target with tables is refused, and stays as it was. */
    char target_before[65], target_after[65];
    tu_sha256_file(back, target_before);
    r = migrate(source, back, 0);
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "the target is not empty");
    tu_assert_contains(r.err, "--force");
    tu_run_free(&r);
    tu_sha256_file(back, target_after);
    assert_string_equal(target_before, target_after);
    r = migrate(source, url, 0);
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "the target is not empty");
    tu_run_free(&r);
    /* --force replaces it. */
    r = migrate(source, url, 1);
    if (r.status != 0)
        fail_msg("migrate --force failed: %s", r.err);
    expect_all_equal(r.out);
    tu_run_free(&r);

    tu_sha256_file(source, after);
    assert_string_equal(before, after); /* the source is only read */
    free(back);
    free(source);
    free(original);
}

static void test_killed_copy_resumes(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *source = tu_path(tu_shared_dir(), "data/original-cryptic-bench.db");
    char before[65], after[65];
    tu_sha256_file(source, before);
    /* One row per batch, so the copy is slow enough to be killed in the
     * middle: after its first committed batch, which it logs (waited for,
     * not timed, with a generous cap for a loaded machine). */
    char *log = tu_path(work, "migrate.err");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("CRYPTIC_BENCH_MIGRATE_BATCH_ROWS", "1", 1);
        unsetenv("TURSO_DATABASE_URL");
        int null_fd = open("/dev/null", O_WRONLY);
        int log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(null_fd, 1);
        dup2(log_fd, 2);
        const char *bin = getenv("CRYPTIC_BENCH_BIN");
        execl(bin, bin, "migrate", "--from", source, "--to", url, "--force", (char *)NULL);
        _exit(127);
    }
    int64_t until = utc_mono_ms() + 120000;
    int copying = 0, status = 0, ended = 0;
    while (!copying && !ended && utc_mono_ms() < until) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        char *text = tu_exists(log) ? tu_read_file(log, NULL) : NULL;
        copying = text && strstr(text, " rows") != NULL;
        free(text);
        ended = waitpid(pid, &status, WNOHANG) == pid;
    }
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    if (!copying || ended) {
        char *text = tu_exists(log) ? tu_read_file(log, NULL) : NULL;
        fail_msg("expected migrate killed after its first batch; it %s; its stderr:\n%s",
                 ended ? "ended on its own" : "logged no batch within 120 s", text ? text : "(none)");
    }
    free(log);
    struct tu_run r = migrate(source, url, 0);
    if (r.status != 0)
        fail_msg("the second run failed: %s\n%s", r.err, r.out);
    tu_assert_contains(r.out, "resumed an unfinished copy");
    expect_all_equal(r.out);
    tu_run_free(&r);
    /* A copy of another source is not resumed over it. */
    char *other = tu_path(work, "other.db");
    r = tu_run_cli(work, env, (const char *const[]){"--db", other, "init-db", "--models", getenv("CB_MODELS_JSON"), NULL});
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    r = migrate(other, url, 0);
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "the target is not empty");
    tu_run_free(&r);
    tu_sha256_file(source, after);
    assert_string_equal(before, after);
    free(other);
    free(source);
}

static void test_usage(void **state)
{
    (void)state;
    struct tu_run r = tu_run_cli(work, env, (const char *const[]){"migrate", "--from", "a.db", NULL});
    assert_int_equal(r.status, 2);
    tu_assert_contains(r.err, "both --from and --to");
    tu_run_free(&r);
    r = migrate("missing.db", url, 0);
    assert_int_equal(r.status, 1);
    tu_assert_contains(r.err, "no database at missing.db");
    tu_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_there_and_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_killed_copy_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
    };
    return cmocka_run_group_tests_name("migrate (file <-> sqld)", tests, NULL, NULL);
}
