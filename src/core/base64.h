/*
 * base64.h - standard base64 (RFC 4648 §4), as libSQL's wire format uses it
 * for blobs: encoded with padding; decoded with or without it (sqld sends
 * it unpadded).
 */
#ifndef CB_CORE_BASE64_H
#define CB_CORE_BASE64_H

#include <stddef.h>

/* A NUL-terminated encoding of n bytes, or NULL when out of memory. Caller frees. */
char *base64_encode(const void *data, size_t n);

/* Decodes text into *out (caller frees; at least one byte is allocated)
 * and *len. Returns -1 for text that is not base64 or out of memory. */
int base64_decode(const char *text, unsigned char **out, size_t *len);

#endif
