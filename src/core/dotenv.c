/* dotenv.c - loading a .env file into the environment; see dotenv.h. */
#include "core/dotenv.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"

#define DOTENV_MAX_BYTES (1024 * 1024)

struct pair {
    char *key;
    char *value;
};

static int is_key_char(char c, int first)
{
    return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

/* Parses one logical line (no newline) into *key / *value (malloc'd), or
 * leaves them NULL for blank and comment lines. */
static int parse_line(char *line, char **key, char **value, struct err *err)
{
    *key = NULL;
    *value = NULL;
    char *p = line;
    size_t len = strlen(p);
    if (len && p[len - 1] == '\r')
        p[--len] = '\0';
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    if (strncmp(p, "export ", 7) == 0) {
        p += 7;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    char *k = p;
    if (!is_key_char(*p, 1))
        return err_set(err, "expected KEY=VALUE");
    while (is_key_char(*p, 0))
        p++;
    size_t klen = (size_t)(p - k);
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '=')
        return err_set(err, "expected '=' after %.*s", (int)klen, k);
    p++;
    while (*p == ' ' || *p == '\t')
        p++;

    struct buf v;
    buf_init(&v, DOTENV_MAX_BYTES);
    if (*p == '\'' || *p == '"') {
        char quote = *p++;
        for (;;) {
            if (*p == '\0') {
                buf_free(&v);
                return err_set(err, "unterminated %c-quoted value for %.*s", quote, (int)klen, k);
            }
            if (*p == quote) {
                p++;
                break;
            }
            char c = *p++;
            if (quote == '"' && c == '\\' && *p) {
                char e = *p++;
                c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            }
            if (buf_append(&v, &c, 1, err) < 0) {
                buf_free(&v);
                return -1;
            }
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '\0' && *p != '#') {
            buf_free(&v);
            return err_set(err, "unexpected text after the quoted value of %.*s", (int)klen, k);
        }
    } else {
        char *end = p;
        char *last = p; /* one past the last non-space byte */
        while (*end && !(*end == '#' && end > p && (end[-1] == ' ' || end[-1] == '\t'))) {
            if (*end != ' ' && *end != '\t')
                last = end + 1;
            end++;
        }
        if (buf_append(&v, p, (size_t)(last - p), err) < 0) {
            buf_free(&v);
            return -1;
        }
    }
    *key = strndup(k, klen);
    *value = buf_take(&v);
    if (!*key || !*value) {
        free(*key);
        free(*value);
        *key = *value = NULL;
        return err_set(err, "out of memory");
    }
    return 0;
}

int dotenv_load(const char *path, int optional, struct err *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT && optional)
            return 0;
        return err_errno(err, errno, "cannot read %s", path);
    }
    int rc = -1;
    struct buf text;
    struct pair *pairs = NULL;
    size_t npairs = 0;
    buf_init(&text, DOTENV_MAX_BYTES);
    if (buf_read_file(&text, path, err) < 0)
        goto out;

    char *line = text.data ? text.data : "";
    for (int lineno = 1; line; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *key, *value;
        if (parse_line(line, &key, &value, err) < 0) {
            err_prefix(err, "%s line %d", path, lineno);
            goto out;
        }
        if (key) {
            struct pair *grown = realloc(pairs, (npairs + 1) * sizeof *pairs);
            if (!grown) {
                free(key);
                free(value);
                err_set(err, "out of memory");
                goto out;
            }
            pairs = grown;
            pairs[npairs].key = key;
            pairs[npairs].value = value;
            npairs++;
        }
        line = nl ? nl + 1 : NULL;
    }
    for (size_t i = 0; i < npairs; i++) {
        if (setenv(pairs[i].key, pairs[i].value, 0) != 0) {
            err_errno(err, errno, "%s: cannot set %s", path, pairs[i].key);
            goto out;
        }
    }
    rc = 0;
out:
    for (size_t i = 0; i < npairs; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
    buf_free(&text);
    return rc;
}
