/*
 * err.h - errors as values.
 *
 * A function that can fail returns int (0 ok, negative failure) and fills a
 * caller-provided struct err with one human-readable line that names what
 * failed ("models.json: entry 3: api_key_env \"sk-...\" is not a variable name").
 * Callers add context on the way up with err_prefix(), so the line that
 * reaches the user reads from the outside in.
 */
#ifndef CB_CORE_ERR_H
#define CB_CORE_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 1024

/* What kind of failure it is (DESIGN §4), carried as data next to the
 * message and the HTTP status, never written into the message to be
 * parsed back: retriable (408, 429, 5xx, no answer: try again), call-fatal
 * (400: this call only), model-fatal (403, 404: this model stops),
 * run-fatal (401, 402: every model of the run stops). */
enum err_class {
    ERR_CLASS_NONE = 0,       /* not classified */
    ERR_CLASS_RETRIABLE,
    ERR_CLASS_CALL_FATAL,
    ERR_CLASS_MODEL_FATAL,
    ERR_CLASS_RUN_FATAL,
};

/* The class's stable name, as stored and sent in JSON ("retriable",
 * "call-fatal", "model-fatal", "run-fatal"); NULL for ERR_CLASS_NONE. */
const char *err_class_name(enum err_class c);

/* The class a stored name stands for; ERR_CLASS_NONE for NULL or a name
 * this version does not know. */
enum err_class err_class_from_name(const char *name);

struct err {
    char msg[ERR_MSG_MAX]; /* NUL-terminated; empty while no error was set */
};

/* Clears the message. */
void err_clear(struct err *err);

/* Sets the message (printf-style) and returns -1, so a failure path reads
 * `return err_set(err, "...")`. err may be NULL: the message is dropped. */
int err_set(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Puts "<prefix>: " in front of the current message and returns -1. */
int err_prefix(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets the message to "<prefix>: <strerror(errnum)>" and returns -1. */
int err_errno(struct err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
