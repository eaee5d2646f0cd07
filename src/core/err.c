/* err.c - errors as values; see err.h. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Messages are cut at ERR_MSG_MAX on purpose: a long line is still a clear one. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static const char *const class_names[] = {
    [ERR_CLASS_RETRIABLE] = "retriable",
    [ERR_CLASS_CALL_FATAL] = "call-fatal",
    [ERR_CLASS_MODEL_FATAL] = "model-fatal",
    [ERR_CLASS_RUN_FATAL] = "run-fatal",
};

const char *err_class_name(enum err_class c)
{
    return c > ERR_CLASS_NONE && c <= ERR_CLASS_RUN_FATAL ? class_names[c] : NULL;
}

enum err_class err_class_from_name(const char *name)
{
    for (int c = ERR_CLASS_RETRIABLE; name && c <= ERR_CLASS_RUN_FATAL; c++)
        if (strcmp(name, class_names[c]) == 0)
            return (enum err_class)c;
    return ERR_CLASS_NONE;
}

void err_clear(struct err *err)
{
    if (err)
        err->msg[0] = '\0';
}

int err_set(struct err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* err->msg = fmt formatted, then ": rest" when rest is not empty (rest may
 * be err->msg itself: it is read after the format, which may read it too). */
static void set_joined(struct err *err, const char *rest, const char *fmt, va_list ap)
{
    char prefix[ERR_MSG_MAX], tail[ERR_MSG_MAX];
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    snprintf(tail, sizeof tail, "%s", rest);
    if (tail[0])
        snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, tail);
    else
        snprintf(err->msg, sizeof err->msg, "%s", prefix);
}

int err_prefix(struct err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    set_joined(err, err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int err_errno(struct err *err, int errnum, const char *fmt, ...)
{
    if (!err)
        return -1;
    /* strerror_r (XSI): strerror may share one buffer between threads. */
    char why[256];
    if (strerror_r(errnum, why, sizeof why) != 0)
        snprintf(why, sizeof why, "error %d", errnum);
    va_list ap;
    va_start(ap, fmt);
    set_joined(err, why, fmt, ap);
    va_end(ap);
    return -1;
}
