/*
 * buf.h - bounded growable byte buffers.
 *
 * Every buffer has a size cap given at init (as curl's dynbuf): anything read
 * from outside (a file, an HTTP body, a reply) grows the buffer only up to
 * that cap, and going past it is an error, never a crash or an unbounded
 * allocation. The content is always NUL-terminated, so text can be used as a
 * C string; len does not count the terminator.
 *
 * The buffer owns its memory until buf_take() hands it to the caller.
 */
#ifndef CB_CORE_BUF_H
#define CB_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"

struct buf {
    char *data;  /* NULL until the first append; then NUL-terminated */
    size_t len;  /* bytes in use, excluding the terminator */
    size_t cap;  /* bytes allocated */
    size_t max;  /* most bytes the content may hold */
};

/* Prepares an empty buffer that may hold up to max bytes. */
void buf_init(struct buf *b, size_t max);

/* Appends n bytes. Fails (-1, err set) when the result would exceed max or
 * memory runs out; the buffer is unchanged then. */
int buf_append(struct buf *b, const void *p, size_t n, struct err *err);

/* Appends a C string. */
int buf_append_str(struct buf *b, const char *s, struct err *err);

/* Appends formatted text. */
int buf_printf(struct buf *b, struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int buf_vprintf(struct buf *b, struct err *err, const char *fmt, va_list ap);

/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);

/* Returns the content as a malloc'd NUL-terminated string the caller owns
 * (an empty string for an empty buffer; NULL only if memory runs out) and
 * leaves the buffer empty. */
char *buf_take(struct buf *b);

/* Releases the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

/* Reads a whole file into b (appending). Fails with a message naming the
 * path when it cannot be read or is larger than the buffer allows. */
int buf_read_file(struct buf *b, const char *path, struct err *err);

#endif
