/* inngest_sig.c - Inngest's signatures and key hashes; see inngest_sig.h. */
#include "flow/inngest_sig.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key without "signkey-<env>-" (env is \w+ in the SDKs' pattern). */
static const char *strip_prefix(const char *key, size_t *prefix_len)
{
    *prefix_len = 0;
    if (strncmp(key, "signkey-", 8) != 0)
        return key;
    const char *p = key + 8;
    while (*p && (isalnum((unsigned char)*p) || *p == '_'))
        p++;
    if (*p != '-' || p == key + 8)
        return key;
    *prefix_len = (size_t)(p + 1 - key);
    return p + 1;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void inngest_sign(const char *key, const char *body, size_t len, int64_t t, char out[65])
{
    size_t plen;
    const char *k = strip_prefix(key, &plen);
    char ts[32];
    int tn = snprintf(ts, sizeof ts, "%lld", (long long)t);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    /* HMAC over body || t without building the concatenation. */
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0), OSSL_PARAM_construct_end()};
    size_t outlen = 0;
    if (ctx && EVP_MAC_init(ctx, (const unsigned char *)k, strlen(k), params) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)tn) == 1 &&
        EVP_MAC_final(ctx, mac, &outlen, sizeof mac) == 1)
        maclen = (unsigned int)outlen;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    if (maclen != 32) {
        out[0] = '\0';
        return;
    }
    hex(mac, 32, out);
}

static int verify_with(const char *key, const char *sig, int64_t t, const char *body, size_t len)
{
    char want[65];
    inngest_sign(key, body, len, t, want);
    return want[0] && strlen(sig) == 64 && CRYPTO_memcmp(want, sig, 64) == 0;
}

int inngest_verify(const char *key, const char *fallback, const char *header, const char *body, size_t len,
                   int64_t now, struct err *err)
{
    if (!header || !*header)
        return err_set(err, "no X-Inngest-Signature header");
    /* "t=<digits>&s=<64 hex>", in either order. */
    int64_t t = -1;
    char sig[65] = "";
    char copy[256];
    if (strlen(header) >= sizeof copy)
        return err_set(err, "X-Inngest-Signature is malformed");
    snprintf(copy, sizeof copy, "%s", header);
    for (char *save = NULL, *part = strtok_r(copy, "&", &save); part; part = strtok_r(NULL, "&", &save)) {
        if (strncmp(part, "t=", 2) == 0) {
            char *end;
            long long v = strtoll(part + 2, &end, 10);
            if (*end || end == part + 2 || v < 0)
                return err_set(err, "X-Inngest-Signature is malformed");
            t = v;
        } else if (strncmp(part, "s=", 2) == 0) {
            if (strlen(part + 2) != 64)
                return err_set(err, "X-Inngest-Signature is malformed");
            snprintf(sig, sizeof sig, "%s", part + 2);
        }
    }
    if (t < 0 || !sig[0])
        return err_set(err, "X-Inngest-Signature is malformed");
    if (t < now - INNGEST_SIG_WINDOW_S || t > now + INNGEST_SIG_WINDOW_S)
        return err_set(err, "the signature's time is more than %d s from now", INNGEST_SIG_WINDOW_S);
    if (key && verify_with(key, sig, t, body, len))
        return 0;
    if (fallback && *fallback && verify_with(fallback, sig, t, body, len))
        return 0;
    return err_set(err, "the signature does not match the signing key");
}

int inngest_hash_signing_key(const char *key, char *out, size_t size)
{
    size_t plen;
    const char *k = strip_prefix(key, &plen);
    size_t n = strlen(k);
    if (n == 0 || n % 2 || size < plen + 65)
        return -1;
    unsigned char *raw = malloc(n / 2);
    if (!raw)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)k[2 * i]) || !isxdigit((unsigned char)k[2 * i + 1]) ||
            sscanf(k + 2 * i, "%2x", &v) != 1) {
            free(raw);
            return -1;
        }
        raw[i] = (unsigned char)v;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(raw, n / 2, md, &mdlen, EVP_sha256(), NULL);
    free(raw);
    memcpy(out, key, plen);
    hex(md, mdlen, out + plen);
    return 0;
}

void inngest_sha256_hex(const char *text, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
    hex(md, 32, out);
}
