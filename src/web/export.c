/* export.c - the dashboard as a static site; see export.h. */
#include "web/export.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/fsutil.h"
#include "web/assets.h"
#include "web/firstrow.h"

static json_t *jwt_claims(const char *token, struct err *err)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot2 == dot1 + 1) {
        err_set(err, "the read token is not a JWT, so whether it allows writes cannot be told; "
                     "create one with `turso db tokens create DB --read-only`");
        return NULL;
    }
    size_t n = (size_t)(dot2 - dot1 - 1);
    char *b64 = malloc(n + 1);
    if (!b64) {
        err_set(err, "out of memory");
        return NULL;
    }
    /* base64url to base64: the decoder takes unpadded text. */
    for (size_t i = 0; i < n; i++) {
        char c = dot1[1 + i];
        b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    b64[n] = '\0';
    unsigned char *raw = NULL;
    size_t len = 0;
    json_t *claims = NULL;
    if (base64_decode(b64, &raw, &len) == 0)
        claims = json_loadb((const char *)raw, len, 0, NULL);
    free(b64);
    free(raw);
    if (!json_is_object(claims)) {
        json_decref(claims);
        err_set(err, "the read token's claims (the JWT's middle part) are not a base64url JSON object");
        return NULL;
    }
    return claims;
}

int export_check_read_token(const char *token, struct err *err)
{
    json_t *claims = jwt_claims(token, err);
    if (!claims)
        return -1;
    int rc = -1;
    json_t *a = json_object_get(claims, "a");
    json_t *p = json_object_get(claims, "p");
    if (a) {
        const char *access = json_string_value(a);
        if (access && (strcmp(access, "ro") == 0 || strcmp(access, "roa") == 0))
            rc = 0;
        else
            err_set(err, "the read token allows writes (its claim \"a\" is %s%s%s): a token published in a static site "
                         "must be read-only; create one with `turso db tokens create DB --read-only`",
                    access ? "\"" : "", access ? access : "not a string", access ? "\"" : "");
    } else if (json_is_object(p)) {
        const char *key;
        json_t *grant;
        rc = 0;
        json_object_foreach(p, key, grant) {
            (void)grant;
            if (strcmp(key, "ro") != 0 && strcmp(key, "roa") != 0) {
                err_set(err, "the read token allows writes (its permission set grants \"%s\"): a token published in a "
                             "static site must be read-only",
                        key);
                rc = -1;
                break;
            }
        }
    } else {
        err_set(err, "the read token has no access claim (\"a\" or \"p\"), which libSQL servers take as full access: "
                     "a token published in a static site must be read-only");
    }
    json_decref(claims);
    return rc;
}

int export_db_origin(const char *db_url, char *out, size_t size, struct err *err)
{
    const char *scheme;
    const char *rest;
    if (strncmp(db_url, "libsql://", 9) == 0) {
        scheme = "https://";
        rest = db_url + 9;
    } else if (strncmp(db_url, "https://", 8) == 0) {
        scheme = "https://";
        rest = db_url + 8;
    } else if (strncmp(db_url, "http://", 7) == 0) {
        scheme = "http://";
        rest = db_url + 7;
    } else {
        return err_set(err, "--db-url %s: expected a libsql://, https:// or http:// URL of a libSQL server", db_url);
    }
    size_t host = strcspn(rest, "/?#");
    if (host == 0)
        return err_set(err, "--db-url %s: no host", db_url);
    for (size_t i = 0; i < host; i++) {
        char c = rest[i];
        /* What goes into a CSP header must not be able to end the directive. */
        if (!(c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return err_set(err, "--db-url %s: the host has a character a URL host cannot have", db_url);
    }
    if ((size_t)snprintf(out, size, "%s%.*s", scheme, (int)host, rest) >= size)
        return err_set(err, "--db-url %s: too long", db_url);
    return 0;
}

/* Writes a file through a temporary name, so a reader never sees half of it. */
static int write_file(const char *dir, const char *name, const void *data, size_t len, struct err *err)
{
    char path[4096], tmp[4200];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return err_set(err, "%s: path too long", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return err_set(err, "cannot write %s: %s", tmp, strerror(errno));
    int ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return err_set(err, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

static char *index_with_csp(const struct web_asset *index, const char *origin)
{
    static const char marker[] = "<!--csp-->";
    const char *text = (const char *)index->data;
    const char *at = strstr(text, marker);
    if (!at)
        return NULL;
    char meta[1024];
    snprintf(meta, sizeof meta,
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; script-src 'self'; "
             "style-src 'self'; img-src 'self' data:; connect-src 'self' %s; base-uri 'none'; form-action 'none'\">",
             origin);
    size_t head = (size_t)(at - text), tail = index->len - head - strlen(marker);
    char *out = malloc(head + strlen(meta) + tail + 1);
    if (!out)
        return NULL;
    memcpy(out, text, head);
    memcpy(out + head, meta, strlen(meta));
    memcpy(out + head + strlen(meta), at + strlen(marker), tail);
    out[head + strlen(meta) + tail] = '\0';
    return out;
}

/* The header's canonical name, or NULL when it is neither accepted one. */
static const char *token_header_name(const char *token_header)
{
    if (!token_header || strcasecmp(token_header, "authorization") == 0)
        return "Authorization";
    if (strcasecmp(token_header, "x-authorization") == 0)
        return "x-authorization";
    return NULL;
}

int export_check(const char *db_url, const char *token, const char *token_header, char *origin, size_t size,
                 struct err *err)
{
    if (!token_header_name(token_header))
        return err_set(err, "--token-header %s: expected Authorization or x-authorization", token_header);
    if (export_db_origin(db_url, origin, size, err) < 0)
        return -1;
    if (token && *token && export_check_read_token(token, err) < 0)
        return -1;
    return 0;
}

int export_dashboard(const char *dir, const char *db_url, const char *token, const char *token_header,
                     struct store *store, struct err *err)
{
    char origin[512];
    if (export_check(db_url, token, token_header, origin, sizeof origin, err) < 0)
        return -1;
    token_header = token_header_name(token_header);
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/x", dir);
    if (fs_make_parent_dirs(probe, err) < 0)
        return -1;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return err_set(err, "--out %s: not a directory", dir);

    size_t n = 0;
    const struct web_asset *all = web_assets(&n);
    for (size_t i = 0; i < n; i++) {
        const struct web_asset *a = &all[i];
        int rc;
        if (strcmp(a->path, "/index.html") == 0) {
            char *html = index_with_csp(a, origin);
            if (!html)
                return err_set(err, "the embedded index.html has no <!--csp--> marker or memory ran out");
            char *page = NULL;
            size_t len = 0;
            rc = store ? web_firstrow_render(store, html, &page, &len, err) : 0;
            if (rc >= 0)
                rc = page ? write_file(dir, "index.html", page, len, err)
                          : write_file(dir, "index.html", html, strlen(html), err);
            free(page);
            free(html);
        } else if (strcmp(a->path, "/config.js") == 0) {
            json_t *cfg = json_pack("{s:s, s:s, s:s}", "db", db_url, "token", token ? token : "", "token_header",
                                    token_header);
            char *js_obj = cfg ? json_dumps(cfg, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;
            json_decref(cfg);
            if (!js_obj)
                return err_set(err, "out of memory");
            size_t size = strlen(js_obj) + 128;
            char *js = malloc(size);
            if (!js) {
                free(js_obj);
                return err_set(err, "out of memory");
            }
            snprintf(js, size, "// Written by `cryptic-bench export-dashboard`.\nexport const config = %s;\n", js_obj);
            free(js_obj);
            rc = write_file(dir, "config.js", js, strlen(js), err);
            free(js);
        } else {
            rc = write_file(dir, a->path + 1, a->data, a->len, err);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}
