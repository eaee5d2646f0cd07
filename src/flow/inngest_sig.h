/*
 * inngest_sig.h - Inngest's request signatures and key hashes, as the
 * server and the official SDKs compute them (docs/inngest-protocol.md, "Signatures"):
 *
 *   X-Inngest-Signature: t=<unix seconds>&s=<hex HMAC-SHA256>
 *   MAC = HMAC-SHA256(key, body || decimal(t)), where key is the signing key
 *   with its "signkey-<env>-" prefix removed, used as the ASCII bytes of its
 *   hex text (not hex-decoded).
 *
 * The bearer for calls to Inngest's API is "signkey-<env>-" followed by
 * hex(sha256(hexdecode(key))).
 */
#ifndef CB_FLOW_INNGEST_SIG_H
#define CB_FLOW_INNGEST_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* How far a signature's t may be from now, either way (as the JS SDK). */
#define INNGEST_SIG_WINDOW_S 300

/* The hex MAC of body at time t with key (out: 65 bytes). */
void inngest_sign(const char *key, const char *body, size_t len, int64_t t, char out[65]);

/* Checks an X-Inngest-Signature header against key, then fallback (may be
 * NULL), at time now (unix seconds). Returns 0 when it verifies; -1 with
 * why in err (missing, malformed, outside the window, no key matches). The
 * comparison is constant-time. */
int inngest_verify(const char *key, const char *fallback, const char *header, const char *body, size_t len,
                   int64_t now, struct err *err);

/* The hashed key for Authorization: Bearer ... (out: at least 128 bytes);
 * -1 when the key is not hex after its prefix. */
int inngest_hash_signing_key(const char *key, char *out, size_t size);

/* hex(sha256(text)) (out: 65 bytes): the event key's hash in introspection. */
void inngest_sha256_hex(const char *text, char out[65]);

#endif
