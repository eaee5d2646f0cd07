/* base64.c - base64 over libcrypto's block coder; see base64.h. */
#include "core/base64.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

char *base64_encode(const void *data, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    return out;
}

int base64_decode(const char *text, unsigned char **out, size_t *len)
{
    size_t n = strlen(text);
    while (n && text[n - 1] == '=')
        n--;
    /* EVP_DecodeBlock wants whole quads: pad what came unpadded. */
    size_t padded = (n + 3) / 4 * 4;
    char *in = malloc(padded + 1);
    unsigned char *bytes = malloc(padded / 4 * 3 + 1);
    if (!in || !bytes) {
        free(in);
        free(bytes);
        return -1;
    }
    memcpy(in, text, n);
    memset(in + n, '=', padded - n);
    in[padded] = '\0';
    int got = padded ? EVP_DecodeBlock(bytes, (unsigned char *)in, (int)padded) : 0;
    free(in);
    /* A lone trailing character cannot be base64; each '=' added decodes to a zero byte. */
    if (got < 0 || n % 4 == 1) {
        free(bytes);
        return -1;
    }
    *out = bytes;
    *len = (size_t)got - (padded - n);
    return 0;
}
