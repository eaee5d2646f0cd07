/*
 * test_deploy.c - what a deployment relies on: `backup` (a copy of the old
 * system's upgraded database with every table's rows equal and integrity
 * ok; its refusals; a consistent copy while another process keeps writing,
 * in WAL and in rollback-journal mode), `meson install` (the layout and the
 * generated systemd unit, which `systemd-analyze verify` must accept), the
 * two GitHub workflows (parsed with python3's yaml), and .env.example
 * naming every environment variable the source reads.
 */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *work;
static pid_t writer_pid; /* the writing child of a backup test, killed in teardown */

static const char *const clean_env[] = {"TURSO_DATABASE_URL=", "DATABASE_PATH=", "MODELS_FILE=",
                                        "TURSO_AUTH_TOKEN=", "CRYPTIC_BENCH_BACKUP_STEP_PAGES=", NULL};

static int setup(void **state)
{
    (void)state;
    work = tu_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (writer_pid > 0) {
        kill(writer_pid, SIGKILL);
        waitpid(writer_pid, NULL, 0);
        writer_pid = 0;
    }
    tu_rmtree(work);
    free(work);
    work = NULL;
    return 0;
}

#define RUN(...) tu_run_cli(work, clean_env, (const char *const[]){__VA_ARGS__, NULL})

static const char *env_or_fail(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("%s is not set (run the tests through meson)", name);
    return v;
}

/* A new database at path (init-db with the repository's models.json). */
static void new_db(const char *path)
{
    struct tu_run r = RUN("--db", path, "init-db", "--models", env_or_fail("CB_MODELS_JSON"));
    if (r.status != 0)
        fail_msg("init-db failed: %s", r.err);
    tu_run_free(&r);
}

/* Only the expected names are in work: nothing else left behind. */
static void assert_dir_holds(const char *dir, const char *const *names)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        int known = 0;
        for (const char *const *n = names; *n; n++)
            known |= strcmp(*n, e->d_name) == 0;
        if (!known)
            fail_msg("%s: unexpected file %s left behind", dir, e->d_name);
    }
    closedir(d);
}

/* ---- backup: every row ---------------------------------------------------- */

/* SHA-256 of a table's rows as text, in rowid order (key order for a
 * WITHOUT ROWID table). */
static void table_sha(const char *db, const char *table, int without_rowid, char out[65])
{
    char sql[256];
    snprintf(sql, sizeof sql, without_rowid ? "SELECT * FROM \"%s\"" : "SELECT rowid, * FROM \"%s\" ORDER BY rowid",
             table);
    char *rows = tu_sql(db, sql);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    assert_int_equal(EVP_Digest(rows, strlen(rows), md, &len, EVP_sha256(), NULL), 1);
    for (unsigned int i = 0; i < len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
    free(rows);
}

static void test_backup_copies_every_row(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED();
    char *db = tu_path(work, "bench.db"), *copy = tu_path(work, "backups/bench-copy.db");
    tu_upgraded_old_db(db, clean_env);
    char before[65], after[65];
    tu_sha256_file(db, before);

    struct tu_run r = RUN("--db", db, "backup", copy);
    if (r.status != 0)
        fail_msg("backup failed: %s", r.err);
    tu_assert_contains(r.out, "backed up ");
    tu_assert_contains(r.out, " pages of ");
    tu_assert_contains(r.out, "integrity ok");
    tu_run_free(&r);

    /* The source is only read. */
    tu_sha256_file(db, after);
    assert_string_equal(before, after);

    char *check = tu_sql(copy, "PRAGMA integrity_check");
    assert_string_equal(check, "ok\n");
    free(check);
    char *schema_a = tu_sql(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name");
    char *schema_b = tu_sql(copy, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name");
    assert_string_equal(schema_a, schema_b);
    free(schema_a);
    free(schema_b);

    /* Every table, by a checksum of its rows. */
    char *tables = tu_sql(db, "SELECT name, instr(upper(sql), 'WITHOUT ROWID') > 0 FROM sqlite_schema "
                              "WHERE type = 'table' ORDER BY name");
    int ntables = 0;
    for (char *line = tables, *next; *line; line = next) {
        next = strchr(line, '\n');
        *next++ = '\0';
        char *bar = strchr(line, '|');
        *bar = '\0';
        char sha_a[65], sha_b[65];
        table_sha(db, line, atoi(bar + 1), sha_a);
        table_sha(copy, line, atoi(bar + 1), sha_b);
        if (strcmp(sha_a, sha_b) != 0)
            fail_msg("table %s differs in the copy", line);
        ntables++;
    }
    free(tables);
    assert_true(ntables >= 7); /* the old system's seven and ours */
    assert_true(tu_sql_int(copy, "SELECT count(*) FROM evaluations") > 0);

    /* The copy is a database the program opens as it is. */
    r = RUN("--db", copy, "status");
    if (r.status != 0)
        fail_msg("status on the copy failed: %s", r.err);
    tu_assert_contains(r.out, "(current)");
    tu_run_free(&r);

    char *backups = tu_path(work, "backups");
    assert_dir_holds(backups, (const char *const[]){"bench-copy.db", NULL});
    free(backups);
    free(db);
    free(copy);
}

/* ---- backup: refusals ----------------------------------------------------- */

static void test_backup_refusals(void **state)
{
    (void)state;
    char *db = tu_path(work, "bench.db"), *copy = tu_path(work, "copy.db");
    new_db(db);
    char db_sha[65], sha[65];
    tu_sha256_file(db, db_sha);

    /* An existing FILE, without --force: left as it was. */
    tu_write_file(copy, "keep me\n");
    struct tu_run r = RUN("--db", db, "backup", copy);
    tu_assert_failed_with(&r, "copy.db already exists (--force replaces it)");
    tu_run_free(&r);
    char *text = tu_read_file(copy, NULL);
    assert_string_equal(text, "keep me\n");
    free(text);

    /* With --force it is replaced by the copy. */
    r = RUN("--db", db, "backup", copy, "--force");
    if (r.status != 0)
        fail_msg("backup --force failed: %s", r.err);
    tu_run_free(&r);
    assert_int_equal(tu_sql_int(copy, "SELECT count(*) FROM models"), tu_sql_int(db, "SELECT count(*) FROM models"));
    assert_int_equal(unlink(copy), 0);

    /* A remote database, by flag or by the environment: not contacted. */
    r = RUN("--db", "libsql://bench.example.turso.io", "backup", copy);
    tu_assert_failed_with(&r, "libsql://bench.example.turso.io is a remote database: back it up with "
                           "`cryptic-bench migrate --from libsql://bench.example.turso.io --to ");
    tu_run_free(&r);
    r = tu_run_cli(work, (const char *const[]){"TURSO_DATABASE_URL=http://127.0.0.1:9", "DATABASE_PATH=",
                                               "TURSO_AUTH_TOKEN=", NULL},
                   (const char *const[]){"backup", copy, NULL});
    tu_assert_failed_with(&r, "http://127.0.0.1:9 is a remote database");
    tu_run_free(&r);

    /* FILE is the database: refused even with --force, however spelled. */
    const char *same[] = {db, "bench.db", "./bench.db"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        r = RUN("--db", db, "backup", same[i], "--force");
        tu_assert_failed_with(&r, "is the database itself");
        tu_run_free(&r);
    }
    /* ...and FILE whose temporary file would be the database. */
    char *db_tmp_name = tu_path(work, "other.db.tmp");
    tu_copy_file(db, db_tmp_name);
    r = RUN("--db", "other.db.tmp", "backup", "other.db");
    tu_assert_failed_with(&r, "other.db.tmp is the database itself");
    tu_run_free(&r);
    assert_int_equal(unlink(db_tmp_name), 0);
    free(db_tmp_name);

    /* No database: nothing created, neither it nor the copy. */
    r = RUN("--db", "missing.db", "backup", "copy.db");
    tu_assert_failed_with(&r, "no database at missing.db");
    tu_run_free(&r);

    /* Usage errors. */
    const char *const *usage[] = {
        (const char *const[]){"--db", db, "backup", NULL},
        (const char *const[]){"--db", db, "backup", "a.db", "b.db", NULL},
        (const char *const[]){"--db", db, "backup", "a.db", "--bogus", NULL},
    };
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        r = tu_run_cli(work, clean_env, usage[i]);
        if (r.status != 2)
            fail_msg("usage case %zu: expected exit 2, got %d (%s)", i, r.status, r.err);
        tu_assert_contains(r.err, "usage: cryptic-bench backup FILE [--force]");
        tu_run_free(&r);
    }

    tu_sha256_file(db, sha);
    assert_string_equal(sha, db_sha);
    assert_dir_holds(work, (const char *const[]){"bench.db", NULL});
    free(db);
    free(copy);
}

/* ---- backup: while another process writes ---------------------------------- */

/* The writer: one transaction after another, each inserting a row into
 * probe and counting it in tally, until SIGTERM. A consistent copy has
 * count(probe) = tally.n and no gap in probe's ids. After its first
 * commit it writes a byte to started_fd (and closes it). */
static void writer(const char *db_path, int started_fd)
{
    sqlite3 *conn = NULL;
    if (sqlite3_open_v2(db_path, &conn, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        _exit(3);
    sqlite3_busy_timeout(conn, 10000);
    static const char payload[] = "a row the size of a stored model reply, give or take a little, "
                                  "so that pages fill and split while the backup copies them";
    for (;;) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "BEGIN IMMEDIATE; INSERT INTO probe(v) VALUES ('%s'); UPDATE tally SET n = n + 1; COMMIT",
                 payload);
        if (sqlite3_exec(conn, sql, NULL, NULL, NULL) != SQLITE_OK) {
            sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
            usleep(1000);
        } else if (started_fd >= 0) {
            if (write(started_fd, "w", 1) != 1)
                _exit(4);
            close(started_fd);
            started_fd = -1;
        }
    }
}

static void backup_while_writing(const char *journal_mode)
{
    char *db = tu_path(work, "busy.db");
    new_db(db);
    /* Some bulk first, so the copy takes many steps of two pages. */
    char *set = tu_sql(db, "CREATE TABLE probe(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    free(set);
    set = tu_sql(db, "CREATE TABLE tally(n INTEGER NOT NULL)");
    free(set);
    set = tu_sql(db, "INSERT INTO tally VALUES (0)");
    free(set);
    set = tu_sql(db, "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 3000) "
                     "INSERT INTO probe(v) SELECT printf('%0500d', i) FROM k");
    free(set);
    set = tu_sql(db, "UPDATE tally SET n = (SELECT count(*) FROM probe)");
    free(set);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA journal_mode=%s", journal_mode);
    set = tu_sql(db, pragma);
    free(set);

    int64_t started = tu_sql_int(db, "SELECT n FROM tally");

    int go[2];
    assert_int_equal(pipe(go), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(go[0]);
        writer(db, go[1]);
    }
    writer_pid = pid;
    close(go[1]);
    /* Until the writer is under way: its first commit, which it reports on
     * the pipe (a generous cap for a loaded machine). The source itself is
     * not read from here while it writes. */
    struct pollfd pfd = {.fd = go[0], .events = POLLIN};
    char byte;
    if (poll(&pfd, 1, 120000) != 1 || read(go[0], &byte, 1) != 1)
        fail_msg("the writer did not commit within 120 s");
    close(go[0]);

    int restarted = 0;
    int64_t copied[3] = {0};
    for (int round = 0; round < 3; round++) {
        char name[64];
        snprintf(name, sizeof name, "copy-%s-%d.db", journal_mode, round);
        char *copy = tu_path(work, name);
        struct tu_run r = tu_run_cli(work, (const char *const[]){"CRYPTIC_BENCH_BACKUP_STEP_PAGES=2",
                                                                 "TURSO_DATABASE_URL=", "DATABASE_PATH=", NULL},
                                     (const char *const[]){"--db", db, "backup", copy, NULL});
        if (r.status != 0)
            fail_msg("backup during writes (%s) failed: %s", journal_mode, r.err);
        restarted += strstr(r.out, "restarted") != NULL;
        tu_run_free(&r);
        char *check = tu_sql(copy, "PRAGMA integrity_check");
        assert_string_equal(check, "ok\n");
        free(check);
        int64_t rows = tu_sql_int(copy, "SELECT count(*) FROM probe");
        assert_int_equal(rows, tu_sql_int(copy, "SELECT n FROM tally"));
        assert_int_equal(rows, tu_sql_int(copy, "SELECT max(id) - min(id) + 1 FROM probe"));
        assert_true(rows >= started);
        copied[round] = rows;
        free(copy);
    }
    kill(pid, SIGTERM);
    int wstatus = 0;
    assert_true(waitpid(pid, &wstatus, 0) == pid);
    writer_pid = 0;
    /* The writer was stopped by our signal, not by a failure of its own. */
    assert_true(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGTERM);
    int64_t later = tu_sql_int(db, "SELECT n FROM tally");
    /* It kept committing while the copies were taken, and no copy holds
     * more than was committed. */
    assert_true(later > copied[0]);
    assert_true(copied[2] <= later);
    fprintf(stderr, "backup during writes (%s): %lld transactions committed meanwhile; copies hold %lld, %lld, "
                    "%lld rows; %d of 3 backups restarted by writes\n",
            journal_mode, (long long)(later - started), (long long)copied[0], (long long)copied[1],
            (long long)copied[2], restarted);
    free(db);
}

static void test_backup_while_writing_wal(void **state)
{
    (void)state;
    backup_while_writing("wal");
}

static void test_backup_while_writing_rollback_journal(void **state)
{
    (void)state;
    backup_while_writing("delete");
}

/* ---- meson install and the systemd unit ------------------------------------ */

static char *staged(const char *staging, const char *abs_path)
{
    size_t n = strlen(staging) + strlen(abs_path) + 1;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s%s", staging, abs_path);
    return p;
}

static void assert_same_file(const char *a, const char *b)
{
    char sa[65], sb[65];
    tu_sha256_file(a, sa);
    tu_sha256_file(b, sb);
    if (strcmp(sa, sb) != 0)
        fail_msg("%s differs from %s", a, b);
}

static void test_meson_install_layout_and_unit(void **state)
{
    (void)state;
    const char *build = env_or_fail("CB_BUILD_ROOT"), *source = env_or_fail("CB_SOURCE_ROOT");
    const char *prefix = env_or_fail("CB_INSTALL_PREFIX");
    const char *bindir = env_or_fail("CB_INSTALL_BINDIR"), *datadir = env_or_fail("CB_INSTALL_DATADIR");
    char *staging = tu_path(work, "staging");
    struct tu_run r = tu_run_program(NULL, NULL, (const char *const[]){"meson", "install", "-C", build, "--destdir", staging,
                                                              "--no-rebuild", "--quiet", NULL});
    if (r.status != 0)
        fail_msg("meson install failed (%d):\n%s\n%s", r.status, r.out, r.err);
    tu_run_free(&r);

    char path[4096];
    snprintf(path, sizeof path, "%s/cryptic-bench", bindir);
    char *bin = staged(staging, path);
    assert_int_equal(access(bin, X_OK), 0);
    snprintf(path, sizeof path, "%s/cryptic-bench/models.json", datadir);
    char *models = staged(staging, path);
    char *src = tu_path(source, "models.json");
    assert_same_file(models, src);
    free(src);
    snprintf(path, sizeof path, "%s/cryptic-bench/env.example", datadir);
    char *env_example = staged(staging, path);
    src = tu_path(source, ".env.example");
    assert_same_file(env_example, src);
    free(src);
    snprintf(path, sizeof path, "%s/lib/systemd/system/cryptic-bench.service", prefix);
    char *unit_path = staged(staging, path);
    assert_true(tu_exists(unit_path));

    /* The staged binary is the program, with the backup command. */
    r = tu_run_program(NULL, NULL, (const char *const[]){bin, "--help", NULL});
    assert_int_equal(r.status, 0);
    tu_assert_contains(r.out, "backup");
    tu_run_free(&r);

    /* The unit: the real paths filled in, every directive asked for. */
    char *unit = tu_read_file(unit_path, NULL);
    if (strchr(unit, '@'))
        fail_msg("a placeholder is left in the unit:\n%s", unit);
    char line[4096];
    snprintf(line, sizeof line, "\nExecStart=%s/cryptic-bench serve --listen 127.0.0.1:8080\n", bindir);
    tu_assert_contains(unit, line);
    snprintf(line, sizeof line, "\nEnvironment=MODELS_FILE=%s/cryptic-bench/models.json\n", datadir);
    tu_assert_contains(unit, line);
    static const char *const directives[] = {
        "[Service]", "Type=simple", "EnvironmentFile=-/etc/cryptic-bench/env",
        "Environment=DATABASE_PATH=/var/lib/cryptic-bench/cryptic-bench.db", "WorkingDirectory=/var/lib/cryptic-bench",
        "StateDirectory=cryptic-bench", "DynamicUser=yes", "Restart=on-failure", "RestartSec=5",
        "KillSignal=SIGTERM", "TimeoutStopSec=120", "NoNewPrivileges=yes", "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/cryptic-bench", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
        "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectControlGroups=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "RestrictNamespaces=yes", "LockPersonality=yes",
        "MemoryDenyWriteExecute=yes", "SystemCallArchitectures=native", "CapabilityBoundingSet=",
        "[Install]", "WantedBy=multi-user.target",
    };
    for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++) {
        snprintf(line, sizeof line, "\n%s\n", directives[i]);
        tu_assert_contains(unit, line);
    }

    /* systemd-analyze verify checks that ExecStart's program exists, and the
     * installed path does not exist yet: it lives under the staging root.
     * `verify --root=STAGING` (systemd 252 has it) would look for
     * everything there, the units the service depends on (sysinit.target,
     * ...) included, and fail on those; so verify a copy of the unit, under
     * its own name, whose ExecStart points at the staged binary: every other
     * line is the installed one. */
    char *verify_dir = tu_path(work, "verify");
    assert_int_equal(mkdir(verify_dir, 0755), 0);
    char *copy_path = tu_path(verify_dir, "cryptic-bench.service");
    snprintf(line, sizeof line, "\nExecStart=%s/cryptic-bench ", bindir);
    char *at = strstr(unit, line);
    assert_non_null(at);
    size_t cut = (size_t)(at - unit) + strlen("\nExecStart=");
    size_t n = strlen(unit) + strlen(staging) + 1;
    char *rewritten = malloc(n);
    assert_non_null(rewritten);
    snprintf(rewritten, n, "%.*s%s%s", (int)cut, unit, staging, unit + cut);
    tu_write_file(copy_path, rewritten);
    r = tu_run_program(verify_dir, NULL, (const char *const[]){"systemd-analyze", "verify", copy_path, NULL});
    if (r.status == 127)
        fail_msg("systemd-analyze is missing (Debian package systemd; scripts/bootstrap --test installs it)");
    /* Problems in a unit (an unknown key, a bad value) are warnings with
     * exit status 0: any line naming the unit fails the test too. */
    if (r.status != 0 || strstr(r.out, "cryptic-bench.service") || strstr(r.err, "cryptic-bench.service"))
        fail_msg("systemd-analyze verify rejects the unit (%d):\n%s%s", r.status, r.out, r.err);
    tu_run_free(&r);

    /* And it does see faults: the check is not vacuous. */
    char *bad = strstr(rewritten, "\nRestartSec=5\n");
    assert_non_null(bad);
    memcpy(bad + 1, "RestartSex", 10);
    tu_write_file(copy_path, rewritten);
    r = tu_run_program(verify_dir, NULL, (const char *const[]){"systemd-analyze", "verify", copy_path, NULL});
    if (!strstr(r.out, "RestartSex") && !strstr(r.err, "RestartSex"))
        fail_msg("systemd-analyze verify does not report an unknown key:\n%s%s", r.out, r.err);
    tu_run_free(&r);

    free(rewritten);
    free(copy_path);
    free(verify_dir);
    free(unit);
    free(unit_path);
    free(env_example);
    free(models);
    free(bin);
    free(staging);
}

/* ---- the GitHub workflows -------------------------------------------------- */

/* A workflow file as JSON, through python3's yaml (YAML 1.1 reads the key
 * `on` as true: it comes back as "on"). */
static json_t *load_workflow(const char *name)
{
    char *path = tu_path(env_or_fail("CB_SOURCE_ROOT"), name);
    static const char script[] =
        "import json, sys, yaml\n"
        "doc = yaml.safe_load(open(sys.argv[1]))\n"
        "if True in doc: doc['on'] = doc.pop(True)\n"
        "json.dump(doc, sys.stdout)\n";
    struct tu_run r = tu_run_program(NULL, NULL, (const char *const[]){"python3", "-c", script, path, NULL});
    if (r.status != 0)
        fail_msg("%s does not parse (python3 with yaml: Debian python3-yaml): %s", name, r.err);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    if (!json_is_object(doc))
        fail_msg("%s: not a mapping: %s", name, r.out);
    tu_run_free(&r);
    free(path);
    return doc;
}

static const char *str_at(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* The step of any job named name, after checking that every step of every
 * job has a name; NULL when none is. */
static const json_t *find_step(const json_t *doc, const char *name, const json_t **job_out)
{
    const json_t *found = NULL;
    const char *job_name;
    json_t *job;
    json_object_foreach(json_object_get(doc, "jobs"), job_name, job) {
        size_t i;
        json_t *step;
        json_array_foreach(json_object_get(job, "steps"), i, step) {
            if (!*str_at(step, "name"))
                fail_msg("job %s: step %zu has no name", job_name, i + 1);
            if (strcmp(str_at(step, "name"), name) == 0 && !found) {
                found = step;
                if (job_out)
                    *job_out = job;
            }
        }
    }
    return found;
}

static const json_t *need_step(const json_t *doc, const char *name, const json_t **job)
{
    const json_t *step = find_step(doc, name, job);
    if (!step)
        fail_msg("no step named \"%s\"", name);
    return step;
}

/* A step that uses action (owner/name, any version). */
static const json_t *step_using(const json_t *doc, const char *action)
{
    const char *job_name;
    json_t *job;
    json_object_foreach(json_object_get(doc, "jobs"), job_name, job) {
        size_t i;
        json_t *step;
        json_array_foreach(json_object_get(job, "steps"), i, step) {
            const char *uses = str_at(step, "uses");
            if (strncmp(uses, action, strlen(action)) == 0 && uses[strlen(action)] == '@')
                return step;
        }
    }
    fail_msg("no step uses %s", action);
    return NULL;
}

/* No job runs the benchmark: it is scheduled by serve's cron or Inngest. */
static void assert_no_benchmark(const json_t *doc, const char *file)
{
    char *text = json_dumps(doc, 0);
    static const char *const commands[] = {"cryptic-bench run", "cryptic-bench evaluate", "cryptic-bench scrape",
                                           "cryptic-bench serve"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strstr(text, commands[i]))
            fail_msg("%s runs `%s`: the benchmark is scheduled by the engine or Inngest", file, commands[i]);
    free(text);
}

static void test_workflows(void **state)
{
    (void)state;
    json_t *ci = load_workflow(".github/workflows/ci.yml");
    const json_t *on = json_object_get(ci, "on");
    assert_true(json_object_get(on, "push") != NULL && json_object_get(on, "pull_request") != NULL);
    need_step(ci, "Install packages", NULL);
    tu_assert_contains(str_at(need_step(ci, "Build and test", NULL), "run"), "bash .ci/run");
    const json_t *keep = need_step(ci, "Keep test artifacts", NULL);
    tu_assert_contains(str_at(keep, "uses"), "actions/upload-artifact@");
    assert_string_equal(str_at(json_object_get(keep, "with"), "path"), "build-check/test-artifacts");
    /* Kept when the tests fail too, which is when they matter. */
    tu_assert_contains(str_at(keep, "if"), "always()");
    step_using(ci, "actions/checkout");
    assert_no_benchmark(ci, "ci.yml");
    json_decref(ci);

    json_t *dash = load_workflow(".github/workflows/dashboard.yml");
    on = json_object_get(dash, "on");
    const json_t *schedule = json_object_get(on, "schedule");
    assert_true(json_array_size(schedule) >= 1);
    assert_true(*str_at(json_array_get(schedule, 0), "cron"));
    assert_non_null(json_object_get(on, "workflow_dispatch"));
    const json_t *perms = json_object_get(dash, "permissions");
    assert_string_equal(str_at(perms, "pages"), "write");
    assert_string_equal(str_at(perms, "id-token"), "write");

    const json_t *job = NULL;
    const json_t *export = need_step(dash, "Export the dashboard", &job);
    const char *run = str_at(export, "run");
    tu_assert_contains(run, "./build/cryptic-bench export-dashboard --out site");
    tu_assert_contains(run, "--db-url \"$TURSO_DATABASE_URL\"");
    tu_assert_contains(run, "--read-token \"$TURSO_READ_TOKEN\"");
    const json_t *env = json_object_get(export, "env");
    tu_assert_contains(str_at(env, "TURSO_DATABASE_URL"), "secrets.TURSO_DATABASE_URL");
    tu_assert_contains(str_at(env, "TURSO_READ_TOKEN"), "secrets.TURSO_READ_TOKEN");
    step_using(dash, "actions/checkout");
    step_using(dash, "actions/configure-pages");
    assert_string_equal(str_at(json_object_get(step_using(dash, "actions/upload-pages-artifact"), "with"), "path"),
                        "site");
    const json_t *deploy = step_using(dash, "actions/deploy-pages");
    /* The deployment runs in the github-pages environment. */
    const char *job_name;
    json_t *j;
    int in_env = 0;
    json_object_foreach(json_object_get(dash, "jobs"), job_name, j) {
        size_t i;
        json_t *step;
        json_array_foreach(json_object_get(j, "steps"), i, step) if (step == deploy) {
            const json_t *e = json_object_get(j, "environment");
            in_env = strcmp(json_is_string(e) ? json_string_value(e) : str_at(e, "name"), "github-pages") == 0;
        }
    }
    assert_true(in_env);
    assert_no_benchmark(dash, "dashboard.yml");
    json_decref(dash);
}

/* ---- .env.example ------------------------------------------------------------ */

struct names {
    char items[256][64];
    size_t n;
};

static void add_name(struct names *ns, const char *name, size_t len)
{
    if (len == 0 || len >= sizeof ns->items[0])
        return;
    for (size_t i = 0; i < ns->n; i++)
        if (strlen(ns->items[i]) == len && strncmp(ns->items[i], name, len) == 0)
            return;
    assert_true(ns->n < sizeof ns->items / sizeof ns->items[0]);
    memcpy(ns->items[ns->n], name, len);
    ns->items[ns->n][len] = '\0';
    ns->n++;
}

/* The names in calls that read a variable: config_env("X"),
 * config_long/double/bool("X", ...), getenv("X") (secure_getenv too). */
static void scan_source(const char *text, struct names *ns)
{
    static const char *const calls[] = {"config_env(\"", "getenv(\"",
                                        "config_long(\"", "config_double(\"", "config_bool(\""};
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++)
        for (const char *p = text; (p = strstr(p, calls[c])); p++) {
            const char *name = p + strlen(calls[c]);
            size_t len = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
            if (name[len] == '"')
                add_name(ns, name, len);
        }
}

static void scan_tree(const char *dir, struct names *ns)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = tu_path(dir, e->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        size_t len = strlen(e->d_name);
        if (S_ISDIR(st.st_mode)) {
            scan_tree(path, ns);
        } else if (len > 2 && (strcmp(e->d_name + len - 2, ".c") == 0 || strcmp(e->d_name + len - 2, ".h") == 0)) {
            char *text = tu_read_file(path, NULL);
            scan_source(text, ns);
            free(text);
        }
        free(path);
    }
    closedir(d);
}

static void test_env_example_names_every_variable(void **state)
{
    (void)state;
    const char *source = env_or_fail("CB_SOURCE_ROOT");
    struct names *ns = calloc(1, sizeof *ns);
    assert_non_null(ns);
    char *src = tu_path(source, "src");
    scan_tree(src, ns);
    free(src);
    /* The scan works: it finds variables of every kind of call. */
    assert_true(ns->n >= 30);
    char *example_path = tu_path(source, ".env.example");
    char *example = tu_read_file(example_path, NULL);

    /* TZ is read only to put the process's zone back after computing a cron
     * time in another zone (flow/cron.c): not a setting. */
    static const char *const not_settings[] = {"TZ"};
    int seen_now = 0, seen_key = 0;
    for (size_t i = 0; i < ns->n; i++) {
        const char *name = ns->items[i];
        int skip = 0;
        for (size_t k = 0; k < sizeof not_settings / sizeof not_settings[0]; k++)
            skip |= strcmp(name, not_settings[k]) == 0;
        if (skip)
            continue;
        seen_now |= strcmp(name, "CRYPTIC_BENCH_NOW") == 0;
        seen_key |= strcmp(name, "OPENROUTER_API_KEY") == 0;
        char line[128];
        snprintf(line, sizeof line, "\n#%s=", name);
        char bare[128];
        snprintf(bare, sizeof bare, "\n%s=", name);
        if (!strstr(example, line) && !strstr(example, bare))
            fail_msg(".env.example has no line for %s, which the source reads: add `#%s=...` with a comment "
                     "in its block",
                     name, name);
    }
    assert_true(seen_now && seen_key);

    /* Copied as it is, it sets nothing; and it holds no secret. */
    for (const char *p = example; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        if (*p != '#' && *p != '\n')
            fail_msg(".env.example: a line that is not commented out: %.60s", p);
    }
    if (strstr(example, "sk-") || strstr(example, "eyJ"))
        fail_msg(".env.example holds something that looks like a key or a token");

    /* Uncommented, every line is one the program's .env reader takes. */
    size_t len = strlen(example);
    char *uncommented = malloc(len + 1);
    assert_non_null(uncommented);
    size_t used = 0;
    for (const char *p = example; *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p + 1) : strlen(p);
        int is_setting = p[0] == '#' && p[1] >= 'A' && p[1] <= 'Z';
        if (is_setting) {
            memcpy(uncommented + used, p + 1, n - 1);
            used += n - 1;
        } else {
            memcpy(uncommented + used, p, n);
            used += n;
        }
        p += n;
    }
    uncommented[used] = '\0';
    char *dotenv = tu_path(work, ".env");
    tu_write_file(dotenv, uncommented);
    struct tu_run r = RUN("--db", "fresh.db", "init-db", "--models", env_or_fail("CB_MODELS_JSON"));
    if (r.status != 0)
        fail_msg("the uncommented .env.example is refused as a .env: %s", r.err);
    tu_run_free(&r);

    free(dotenv);
    free(uncommented);
    free(example);
    free(example_path);
    free(ns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backup_copies_every_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_while_writing_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_while_writing_rollback_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meson_install_layout_and_unit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workflows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_example_names_every_variable, setup, teardown),
    };
    return cmocka_run_group_tests_name("deploy (backup, install, unit, workflows, env)", tests, NULL, NULL);
}
