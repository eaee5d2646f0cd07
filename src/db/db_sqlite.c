/*
 * db_sqlite.c - the embedded backend: one SQLite file through libsqlite3.
 *
 * The connection runs with foreign_keys=ON and a busy handler (busy_wait()),
 * so a second process (a server and a CLI command on the same file) waits
 * for the lock instead of failing at once. Journal mode is switched to WAL by the
 * first write batch, not at open, so opening and reading never modifies a
 * file (an old database we refuse, or a read-only `status`, stays
 * byte-for-byte as it was).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/utc.h"
#include "db/db_backend.h"

#define BUSY_TIMEOUT_MS 10000
/* The longest sleep between two tries for a lock another connection holds. */
#define BUSY_POLL_MAX_MS 8
/* Prepared statements kept per connection. Preparing the workflow engine's
 * checkpoint upsert costs about as much CPU as committing it; the store's
 * statements are a fixed set of static strings, so a small cache keeps all
 * the hot ones. */
#define STMT_CACHE_SIZE 48

struct cached_stmt {
    sqlite3_stmt *st;   /* reset, bindings cleared; NULL: free slot */
    unsigned long used; /* when it was last handed out, for eviction */
};

struct sqlite_impl {
    sqlite3 *conn;
    char *path;
    int busy_timeout_ms;   /* how long busy_wait() keeps trying */
    int64_t busy_since_ms; /* monotonic start of the current wait */
    int wal_checked; /* journal mode set to WAL (or found unchangeable) */
    int readonly;    /* opened for a command that only reads: batches refused */
    struct cached_stmt cache[STMT_CACHE_SIZE];
    unsigned long clock;
};

static int fail_sqlite(struct sqlite_impl *s, struct err *err, const char *what, const char *sql)
{
    char snippet[160];
    db_sql_snippet(sql ? sql : "", snippet, sizeof snippet);
    if (sql)
        return err_set(err, "%s: %s [%s]", what, sqlite3_errmsg(s->conn), snippet);
    return err_set(err, "%s: %s", what, sqlite3_errmsg(s->conn));
}

static int corrupt(const char *path, const char *detail, struct err *err)
{
    return err_set(err, "%s is corrupt (%s); nothing was written to it: restore the latest backup "
                        "(`cryptic-bench backup FILE` makes one, `init-db` keeps FILE.schema-N.bak)",
                   path, detail);
}

/* PRAGMA quick_check(1): the b-tree structure of every page, without the
 * index-content comparison of integrity_check (linear in the file size).
 * Reading only, so a corrupt file is found out before anything writes. */
static int check_integrity(struct sqlite_impl *s, const char *path, struct err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->conn, "PRAGMA quick_check(1)", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        const char *verdict = (const char *)sqlite3_column_text(st, 0);
        if (!verdict || strcmp(verdict, "ok") != 0) {
            /* One line: "*** in database main ***\nPage 41: ..." */
            char detail[200];
            const char *from = verdict ? verdict : "no verdict";
            const char *nl = strchr(from, '\n');
            if (strncmp(from, "***", 3) == 0 && nl)
                from = nl + 1;
            snprintf(detail, sizeof detail, "%s", from);
            for (char *p = detail; *p; p++)
                if (*p == '\n')
                    *p = ' ';
            result = corrupt(path, detail, err);
        }
    } else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
        result = corrupt(path, sqlite3_errmsg(s->conn), err);
    } else {
        result = fail_sqlite(s, err, path, "PRAGMA quick_check(1)");
    }
    sqlite3_finalize(st);
    return result;
}

/* The busy handler of every connection: tries again after 1, 2, 4, then
 * every BUSY_POLL_MAX_MS ms until busy_timeout_ms have passed since the
 * first try. SQLite's own busy_timeout sleeps up to 100 ms between tries;
 * a reader of a rollback-journal file only gets its SHARED lock in the
 * short gaps a busy writer leaves between its PENDING/EXCLUSIVE locks, and
 * on a loaded machine a hundred tries in 10 s could all miss them. The
 * time is measured, not counted in sleeps, which a loaded machine
 * stretches. */
static int busy_wait(void *arg, int tries)
{
    struct sqlite_impl *s = arg;
    int64_t now = utc_mono_ms();
    if (tries == 0)
        s->busy_since_ms = now;
    if (now - s->busy_since_ms >= s->busy_timeout_ms)
        return 0;
    utc_sleep_ms(tries < 3 ? 1 << tries : BUSY_POLL_MAX_MS);
    return 1;
}

/* Sets how long the connection waits for another's lock; also starts the
 * next wait afresh (sqlite3_busy_handler() resets SQLite's count of tries,
 * which sqlite3_backup_step(), unlike a statement, does not). */
static void busy_set(struct sqlite_impl *s, int timeout_ms)
{
    s->busy_timeout_ms = timeout_ms;
    sqlite3_busy_handler(s->conn, busy_wait, s);
}

int db_sqlite_open(const char *path, const struct db_open_opts *opts, void **impl, struct err *err)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return err_set(err, "%s is a directory, not a database file", path);
    if (!exists && !opts->create)
        return err_set(err, "no database at %s (create it with `cryptic-bench init-db`)", path);
    if (!exists && fs_make_parent_dirs(path, err) < 0)
        return err_prefix(err, "cannot create database %s", path);

    struct sqlite_impl *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return err_set(err, "out of memory");
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (opts->create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &s->conn, flags, NULL);
    if (rc != SQLITE_OK) {
        if (s->conn)
            err_set(err, "cannot open database %s: %s", path, sqlite3_errmsg(s->conn));
        else
            err_set(err, "cannot open database %s: %s", path, sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(s->conn, 1);
    busy_set(s, BUSY_TIMEOUT_MS);
    if (sqlite3_exec(s->conn, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
        fail_sqlite(s, err, path, NULL);
        goto fail;
    }
    /* Read-only by query_only rather than SQLITE_OPEN_READONLY: SQLite then
     * still removes the -wal and -shm files of a WAL database when the last
     * connection closes, where a read-only connection would leave them. A
     * write-protected file is opened for reading by SQLite on its own. */
    s->readonly = opts->readonly && !opts->create;
    if (s->readonly && sqlite3_exec(s->conn, "PRAGMA query_only=1", NULL, NULL, NULL) != SQLITE_OK) {
        fail_sqlite(s, err, path, NULL);
        goto fail;
    }
    /* Reading the schema is the first access to the file: this is where a
     * file that is not a database is found out, before anything writes. */
    rc = sqlite3_exec(s->conn, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_NOTADB)
            err_set(err, "%s is not an SQLite database", path);
        else if ((rc & 0xff) == SQLITE_CORRUPT)
            corrupt(path, sqlite3_errmsg(s->conn), err);
        else
            fail_sqlite(s, err, path, NULL);
        goto fail;
    }
    if (opts->check && exists && check_integrity(s, path, err) < 0)
        goto fail;
    *impl = s;
    return 0;
fail:
    sqlite3_close(s->conn);
    if (!exists) {
        /* Leave no empty file behind from a failed create. */
        remove(path);
    }
    free(s->path);
    free(s);
    return -1;
}

static void cache_clear(struct sqlite_impl *s)
{
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        sqlite3_finalize(s->cache[i].st);
        s->cache[i].st = NULL;
    }
}

static void sqlite_close(void *impl)
{
    struct sqlite_impl *s = impl;
    if (!s)
        return;
    cache_clear(s);
    sqlite3_close(s->conn);
    free(s->path);
    free(s);
}

static int bind_args(struct sqlite_impl *s, sqlite3_stmt *st, const struct db_stmt *stmt,
                     struct err *err)
{
    int expected = sqlite3_bind_parameter_count(st);
    if ((size_t)expected != stmt->nargs) {
        char snippet[160];
        db_sql_snippet(stmt->sql, snippet, sizeof snippet);
        return err_set(err, "statement takes %d parameters, %zu given [%s]", expected, stmt->nargs,
                       snippet);
    }
    for (size_t i = 0; i < stmt->nargs; i++) {
        const struct db_value *v = &stmt->args[i];
        int idx = (int)i + 1;
        int rc;
        switch (v->type) {
        case DB_NULL: rc = sqlite3_bind_null(st, idx); break;
        case DB_INTEGER: rc = sqlite3_bind_int64(st, idx, v->i); break;
        case DB_REAL: rc = sqlite3_bind_double(st, idx, v->r); break;
        case DB_TEXT: rc = sqlite3_bind_text64(st, idx, v->p, v->len, SQLITE_TRANSIENT, SQLITE_UTF8); break;
        case DB_BLOB: rc = sqlite3_bind_blob64(st, idx, v->p, v->len, SQLITE_TRANSIENT); break;
        default: return err_set(err, "parameter %d has an unknown type", idx);
        }
        if (rc != SQLITE_OK)
            return fail_sqlite(s, err, "cannot bind a parameter", stmt->sql);
    }
    return 0;
}

/* A cached statement for sql, taken out of the cache (the caller gives it
 * back with release), or NULL. Calls are serialised by db.c's lock. */
static sqlite3_stmt *cache_take(struct sqlite_impl *s, const char *sql)
{
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        sqlite3_stmt *st = s->cache[i].st;
        if (st && strcmp(sqlite3_sql(st), sql) == 0) {
            s->cache[i].st = NULL;
            return st;
        }
    }
    return NULL;
}

/* Done with st: reset and kept for the next use of its SQL, evicting the
 * least recently used one when the cache is full. A reset statement holds
 * no lock and no read transaction. */
static void release(struct sqlite_impl *s, sqlite3_stmt *st)
{
    if (!st)
        return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    size_t slot = 0;
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        if (!s->cache[i].st) {
            slot = i;
            break;
        }
        if (s->cache[i].used < s->cache[slot].used)
            slot = i;
    }
    sqlite3_finalize(s->cache[slot].st);
    s->cache[slot].st = st;
    s->cache[slot].used = ++s->clock;
}

static int prepare(struct sqlite_impl *s, const struct db_stmt *stmt, sqlite3_stmt **out,
                   struct err *err)
{
    const char *tail = NULL;
    *out = cache_take(s, stmt->sql);
    if (*out) {
        if (bind_args(s, *out, stmt, err) < 0) {
            release(s, *out);
            *out = NULL;
            return -1;
        }
        return 0;
    }
    if (sqlite3_prepare_v2(s->conn, stmt->sql, -1, out, &tail) != SQLITE_OK)
        return fail_sqlite(s, err, "cannot prepare", stmt->sql);
    if (!*out)
        return err_set(err, "empty statement");
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && *tail) {
        sqlite3_finalize(*out);
        *out = NULL;
        char snippet[160];
        db_sql_snippet(stmt->sql, snippet, sizeof snippet);
        return err_set(err, "one statement at a time, found more [%s]", snippet);
    }
    if (bind_args(s, *out, stmt, err) < 0) {
        sqlite3_finalize(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Steps st to the end, collecting its rows into a new result. */
static int collect(struct sqlite_impl *s, sqlite3_stmt *st, const char *sql, struct db_result **out,
                   struct err *err)
{
    int ncols = sqlite3_column_count(st);
    struct db_result *r = db_result_new((size_t)ncols, err);
    struct db_value *row = ncols ? calloc((size_t)ncols, sizeof *row) : NULL;
    if (!r || (ncols && !row)) {
        err_set(err, "out of memory");
        goto fail;
    }
    for (int c = 0; c < ncols; c++)
        if (db_result_set_col(r, (size_t)c, sqlite3_column_name(st, c), err) < 0)
            goto fail;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < ncols; c++) {
            struct db_value v = {.type = DB_NULL};
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER:
                v.type = DB_INTEGER;
                v.i = sqlite3_column_int64(st, c);
                break;
            case SQLITE_FLOAT:
                v.type = DB_REAL;
                v.r = sqlite3_column_double(st, c);
                break;
            case SQLITE_TEXT:
                v.type = DB_TEXT;
                v.p = (const char *)sqlite3_column_text(st, c);
                v.len = (size_t)sqlite3_column_bytes(st, c);
                break;
            case SQLITE_BLOB:
                v.type = DB_BLOB;
                v.p = sqlite3_column_blob(st, c);
                v.len = (size_t)sqlite3_column_bytes(st, c);
                break;
            default: break;
            }
            row[c] = v;
        }
        if (db_result_add_row(r, row, err) < 0)
            goto fail;
    }
    if (rc != SQLITE_DONE) {
        fail_sqlite(s, err, "statement failed", sql);
        goto fail;
    }
    if (!sqlite3_stmt_readonly(st)) {
        r->changes = sqlite3_changes64(s->conn);
        r->last_insert_rowid = sqlite3_last_insert_rowid(s->conn);
    }
    free(row);
    *out = r;
    return 0;
fail:
    free(row);
    db_result_free(r);
    return -1;
}

static int sqlite_query(void *impl, const struct db_stmt *stmt, struct db_result **out, struct err *err)
{
    struct sqlite_impl *s = impl;
    sqlite3_stmt *st = NULL;
    if (prepare(s, stmt, &st, err) < 0)
        return -1;
    int rc = -1;
    if (!sqlite3_stmt_readonly(st)) {
        char snippet[160];
        db_sql_snippet(stmt->sql, snippet, sizeof snippet);
        err_set(err, "a query must only read; writes go in a batch [%s]", snippet);
        goto out;
    }
    rc = collect(s, st, stmt->sql, out, err);
out:
    release(s, st);
    return rc;
}

/* WAL lets readers (the dashboard's server) run while a batch writes. */
static void ensure_wal(struct sqlite_impl *s)
{
    if (s->wal_checked)
        return;
    s->wal_checked = 1;
    sqlite3_exec(s->conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
}

static int sqlite_batch(void *impl, const struct db_stmt *stmts, size_t n, struct db_result **results,
                        struct err *err)
{
    struct sqlite_impl *s = impl;
    if (s->readonly)
        return err_set(err, "%s was opened for reading only", s->path);
    ensure_wal(s);
    if (sqlite3_exec(s->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail_sqlite(s, err, "cannot start a write", NULL);
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = NULL;
        struct db_result *r = NULL;
        int rc = prepare(s, &stmts[i], &st, err);
        if (rc == 0)
            rc = collect(s, st, stmts[i].sql, &r, err);
        release(s, st);
        if (rc < 0) {
            err_prefix(err, "statement %zu of %zu", i + 1, n);
            goto rollback;
        }
        if (results)
            results[i] = r;
        else
            db_result_free(r);
    }
    if (sqlite3_exec(s->conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail_sqlite(s, err, "cannot commit", NULL);
        goto rollback;
    }
    return 0;
rollback:
    if (!sqlite3_get_autocommit(s->conn))
        sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
    db_results_free(results, n);
    return -1;
}

/* ---- backup ---------------------------------------------------------- */

#define BACKUP_STEP_PAGES 64
#define BACKUP_MAX_RESTARTS 3
/* How long a backup waits for its read lock, when a writer in another
 * process is committing without pause (rollback-journal mode). */
#define BACKUP_LOCK_TIMEOUT_MS 120000

/* 1 when a and b name the same existing file (hard links and other
 * spellings of the path included). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Removes path and the journal files SQLite may have left next to it. */
static void remove_with_journals(const char *path)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    char name[PATH_MAX];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if ((size_t)snprintf(name, sizeof name, "%s%s", path, suffixes[i]) < sizeof name)
            remove(name);
}

/* fsync of a file, or of the directory holding it (so that a rename in it
 * survives a crash). */
static int sync_file(const char *path, int parent_dir, struct err *err)
{
    char dir[PATH_MAX];
    if (parent_dir) {
        if (strlen(path) >= sizeof dir)
            return err_set(err, "path too long: %s", path);
        strcpy(dir, path);
        char *slash = strrchr(dir, '/');
        if (!slash)
            strcpy(dir, ".");
        else if (slash == dir)
            dir[1] = '\0';
        else
            *slash = '\0';
        path = dir;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | (parent_dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return err_errno(err, errno, "cannot open %s", path);
    int rc = fsync(fd) == 0 ? 0 : err_errno(err, errno, "cannot sync %s", path);
    close(fd);
    return rc;
}

/* Opens a read transaction on the source and reads from it, which takes
 * its SHARED lock (in WAL mode: pins its snapshot) until read_end(). Other
 * processes' writers then wait for the copy (their busy timeout) rather
 * than restart it. Waits up to BACKUP_LOCK_TIMEOUT_MS for a writer to let
 * go, polling (busy_wait()) as often as a reader needs to get in between
 * the commits of a writer that never pauses. */
static int read_begin(struct sqlite_impl *s, struct err *err)
{
    busy_set(s, BACKUP_LOCK_TIMEOUT_MS);
    int rc = sqlite3_exec(s->conn, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->conn, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    busy_set(s, BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        return 0;
    int busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    if (busy)
        err_set(err, "backup of %s: no read (SHARED) lock on it in %d s: another process kept it "
                     "locked for writing (PENDING or EXCLUSIVE lock) all that time; try again "
                     "when it writes less",
                s->path, BACKUP_LOCK_TIMEOUT_MS / 1000);
    else
        fail_sqlite(s, err, s->path, "BEGIN; SELECT count(*) FROM sqlite_schema");
    if (!sqlite3_get_autocommit(s->conn))
        sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static void read_end(struct sqlite_impl *s)
{
    if (!sqlite3_get_autocommit(s->conn))
        sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
}

/* Copies the source into dst with the online backup API. First step_pages
 * at a time, holding no lock between steps, so a serve in another process
 * keeps writing; each of its commits makes SQLite restart the copy from
 * the first page (that is what keeps the copy one consistent snapshot).
 * After max_restarts, or as soon as a step meets a writer's lock, the rest
 * is copied under a read transaction of its own (read_begin()): one
 * snapshot that no commit can restart, whatever the writer does. */
static int backup_copy(struct sqlite_impl *s, sqlite3 *dst, const struct db_backup_opts *opts,
                       struct db_backup_report *report, struct err *err)
{
    int step_pages = opts->step_pages > 0 ? opts->step_pages : BACKUP_STEP_PAGES;
    int max_restarts = opts->max_restarts > 0 ? opts->max_restarts : BACKUP_MAX_RESTARTS;
    if (!sqlite3_get_autocommit(s->conn))
        return err_set(err, "backup of %s: the connection is inside a transaction", s->path);
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->conn, "main");
    if (!b)
        return err_set(err, "cannot start the backup: %s", sqlite3_errmsg(dst));
    int rc;
    int64_t prev_done = -1;
    for (;;) {
        /* Each step's wait for a lock is a wait of its own. */
        busy_set(s, BUSY_TIMEOUT_MS);
        rc = sqlite3_backup_step(b, step_pages);
        if (rc != SQLITE_OK)
            break;
        /* A restart shows as fewer pages done than after the last step. */
        int64_t done = (int64_t)sqlite3_backup_pagecount(b) - sqlite3_backup_remaining(b);
        if (done <= prev_done && ++report->restarts >= max_restarts)
            break;
        prev_done = done;
    }
    int contended = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    int locked = 0;
    if (rc == SQLITE_OK || contended) {
        if (read_begin(s, err) < 0) {
            sqlite3_backup_finish(b);
            return -1;
        }
        locked = 1;
        /* The source is read-locked by this connection: nothing for the
         * step to wait for, and no commit can come in between. */
        rc = sqlite3_backup_step(b, -1);
    }
    report->pages = sqlite3_backup_pagecount(b);
    int finish_rc = sqlite3_backup_finish(b);
    if (locked)
        read_end(s);
    if (rc != SQLITE_DONE)
        return err_set(err, "backup of %s failed: %s", s->path, sqlite3_errstr(rc));
    if (finish_rc != SQLITE_OK)
        return err_set(err, "backup of %s failed: %s", s->path, sqlite3_errmsg(dst));
    return 0;
}

/* The first column of the first row of a one-statement query, as text into
 * out (empty for no row). */
static int query_text(sqlite3 *conn, const char *sql, char *out, size_t size, struct err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    out[0] = '\0';
    if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK) {
        err_set(err, "%s: %s", sql, sqlite3_errmsg(conn));
        goto out;
    }
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(st, 0);
        snprintf(out, size, "%s", text ? (const char *)text : "");
    } else if (step != SQLITE_DONE) {
        err_set(err, "%s: %s", sql, sqlite3_errmsg(conn));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* PRAGMA integrity_check on the finished copy, through a connection of its
 * own: it reads the file as written, not the backup's page cache. */
static int check_copy(const char *path, struct err *err)
{
    sqlite3 *conn = NULL;
    char verdict[512];
    int rc = -1;
    if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        err_set(err, "cannot open the copy %s: %s", path,
                conn ? sqlite3_errmsg(conn) : "out of memory");
        goto out;
    }
    if (query_text(conn, "PRAGMA integrity_check", verdict, sizeof verdict, err) < 0) {
        err_prefix(err, "integrity check of the copy %s", path);
        goto out;
    }
    if (strcmp(verdict, "ok") != 0) {
        err_set(err, "integrity check of the copy %s failed: %s", path, verdict);
        goto out;
    }
    rc = 0;
out:
    sqlite3_close(conn);
    return rc;
}

static int sqlite_backup(void *impl, const char *path, const struct db_backup_opts *opts,
                         struct db_backup_report *report, struct err *err)
{
    struct sqlite_impl *s = impl;
    char tmp[PATH_MAX];
    sqlite3 *dst = NULL;
    int tmp_made = 0; /* tmp (and its journals) must go on failure */
    int rc = -1;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return err_set(err, "path too long: %s", path);
    /* Writing either name would destroy the database being copied. */
    if (same_file(path, s->path) || same_file(tmp, s->path))
        return err_set(err, "%s is the database itself; back it up to another file",
                       same_file(path, s->path) ? path : tmp);
    if (fs_make_parent_dirs(path, err) < 0)
        return err_prefix(err, "cannot write %s", path);

    /* A tmp already there is a backup that was interrupted (the name is
     * ours): start from nothing, so its pages cannot leak into this copy. */
    tmp_made = 1;
    remove_with_journals(tmp);
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        err_set(err, "cannot create %s: %s", tmp, dst ? sqlite3_errmsg(dst) : "out of memory");
        goto out;
    }
    if (backup_copy(s, dst, opts, report, err) < 0)
        goto out;
    char page_size[32];
    if (query_text(dst, "PRAGMA page_size", page_size, sizeof page_size, err) < 0)
        goto out;
    report->page_size = strtoll(page_size, NULL, 10);
    if (sqlite3_close(dst) != SQLITE_OK) {
        err_set(err, "cannot close %s: %s", tmp, sqlite3_errmsg(dst));
        goto out;
    }
    dst = NULL;
    if (check_copy(tmp, err) < 0)
        goto out;
    /* Data on disk before the name points at it: a crash after the rename
     * must not leave path naming a file with missing pages. */
    if (sync_file(tmp, 0, err) < 0)
        goto out;
    if (rename(tmp, path) != 0) {
        err_errno(err, errno, "cannot rename %s to %s", tmp, path);
        goto out;
    }
    tmp_made = 0;
    /* The copy is complete and checked; only whether the rename survives a
     * power cut is in doubt when the directory cannot be synced. */
    struct err dir_err = {{0}};
    if (sync_file(path, 1, &dir_err) < 0)
        log_warn("%s", dir_err.msg);
    struct stat st;
    report->bytes = stat(path, &st) == 0 ? (int64_t)st.st_size : report->pages * report->page_size;
    rc = 0;
out:
    if (dst)
        sqlite3_close(dst);
    if (tmp_made)
        remove_with_journals(tmp);
    return rc;
}

const struct db_backend_ops db_sqlite_ops = {
    .name = "sqlite",
    .query = sqlite_query,
    .batch = sqlite_batch,
    .close = sqlite_close,
    .backup = sqlite_backup,
};
