/* http.c - HTTP client over libcurl; see http.h. */
#include "core/http.h"

#include <curl/curl.h>
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/utc.h"

#define DEFAULT_USER_AGENT "cryptic-bench/0.1 (LLM cryptic crossword benchmark)"

struct http_client {
    struct http_client_opts opts;
    CURL *curl;
    int64_t last_start_ms; /* monotonic, 0 before the first request */
    int ca_bundle;         /* verify with libcurl's CA bundle: the directory alone failed */
    unsigned rand_state;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* libcurl's default CA directory when it has one, and it holds the hashed
 * names OpenSSL looks certificates up by ("1a2b3c4d.0"); else NULL.
 *
 * Why: with its default CA bundle (a file), libcurl parses every
 * certificate in it (~145, about 1 MB of heap and 10 ms of CPU) into each
 * handle's TLS context; with the directory alone, OpenSSL reads only the
 * issuers a handshake asks for. Distributions that configure libcurl with
 * both (Debian's update-ca-certificates writes both from the same
 * certificates) trust the same CAs either way; a handshake the directory
 * cannot verify is tried once more with the bundle (http_do), so a
 * directory out of step costs a retry, never a refused server. */
static char *ca_dir;

static int has_hashed_names(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    for (struct dirent *e; !found && (e = readdir(d));) {
        const char *n = e->d_name;
        size_t hex = strspn(n, "0123456789abcdef");
        found = hex == 8 && n[8] == '.' && n[9] >= '0' && n[9] <= '9';
    }
    closedir(d);
    return found;
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#if LIBCURL_VERSION_NUM >= 0x075400 /* CURLINFO_CAPATH: 7.84.0 */
    CURL *probe = curl_easy_init();
    char *dir = NULL;
    if (probe && curl_easy_getinfo(probe, CURLINFO_CAPATH, &dir) == CURLE_OK && dir && has_hashed_names(dir))
        ca_dir = strdup(dir);
    curl_easy_cleanup(probe);
#endif
}

int http_client_new(const struct http_client_opts *opts, struct http_client **out, struct err *err)
{
    pthread_once(&curl_once, curl_init_once);
    struct http_client *c = calloc(1, sizeof *c);
    if (!c)
        return err_set(err, "out of memory");
    if (opts)
        c->opts = *opts;
    if (!c->opts.user_agent)
        c->opts.user_agent = DEFAULT_USER_AGENT;
    if (c->opts.connect_timeout_ms <= 0)
        c->opts.connect_timeout_ms = 10000;
    if (c->opts.timeout_ms <= 0)
        c->opts.timeout_ms = 60000;
    if (c->opts.retries < 0)
        c->opts.retries = 0;
    if (c->opts.backoff_ms <= 0)
        c->opts.backoff_ms = 1000;
    if (c->opts.max_body == 0)
        c->opts.max_body = HTTP_DEFAULT_MAX_BODY;
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return err_set(err, "cannot start libcurl");
    }
    c->rand_state = (unsigned)utc_mono_ms() ^ (unsigned)(uintptr_t)c;
    *out = c;
    return 0;
}

void http_client_free(struct http_client *client)
{
    if (!client)
        return;
    curl_easy_cleanup(client->curl);
    free(client);
}

void http_response_free(struct http_response *resp)
{
    if (!resp)
        return;
    buf_free(&resp->body);
    free(resp->content_type);
    resp->content_type = NULL;
}

struct sink {
    struct buf *body;
    int over_cap;
};

static size_t write_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct sink *sink = userdata;
    size_t n = size * nmemb;
    if (buf_append(sink->body, data, n, NULL) < 0) {
        sink->over_cap = 1;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    return n;
}

struct header_state {
    long retry_after_s; /* -1 when absent */
};

static size_t read_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct header_state *h = userdata;
    size_t n = size * nmemb;
    if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        char value[32] = {0};
        size_t len = n - 12 < sizeof value - 1 ? n - 12 : sizeof value - 1;
        memcpy(value, data + 12, len);
        char *end;
        long s = strtol(value, &end, 10);
        if (end != value && s >= 0)
            h->retry_after_s = s;
    }
    return n;
}

static int retriable_status(long status)
{
    return status == 408 || status == 429 || status >= 500;
}

/* Delay before retry number attempt (1-based): base * 2^(attempt-1), plus
 * up to 25 % jitter so that many clients do not retry in step. */
static int64_t backoff_delay(struct http_client *c, int attempt)
{
    int64_t delay = c->opts.backoff_ms;
    for (int i = 1; i < attempt && delay < 60000; i++)
        delay *= 2;
    int64_t jitter = delay / 4 ? (int64_t)(rand_r(&c->rand_state) % (unsigned)(delay / 4 + 1)) : 0;
    return delay + jitter;
}

int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
            struct err *err)
{
    memset(resp, 0, sizeof *resp);
    resp->retry_after_ms = -1;
    buf_init(&resp->body, c->opts.max_body);
    struct curl_slist *headers = NULL;
    for (const char *const *h = req->headers; h && *h; h++) {
        struct curl_slist *next = curl_slist_append(headers, *h);
        if (!next) {
            curl_slist_free_all(headers);
            return err_set(err, "out of memory");
        }
        headers = next;
    }
    int rc = -1;
    int max_attempts = c->opts.retries + 1;
    char curl_error[CURL_ERROR_SIZE];
    for (int attempt = 1; attempt <= max_attempts; attempt++) {
        if (c->opts.min_interval_ms > 0 && c->last_start_ms) {
            int64_t wait = c->last_start_ms + c->opts.min_interval_ms - utc_mono_ms();
            utc_sleep_ms(wait);
        }
        c->last_start_ms = utc_mono_ms();
        buf_reset(&resp->body);
        struct sink sink = {&resp->body, 0};
        struct header_state hs = {-1};
        curl_error[0] = '\0';
        CURL *curl = c->curl;
        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_URL, req->url);
        int ca_dir_only = ca_dir && !c->ca_bundle;
        if (ca_dir_only) {
            curl_easy_setopt(curl, CURLOPT_CAINFO, NULL);
            curl_easy_setopt(curl, CURLOPT_CAPATH, ca_dir);
        }
        curl_easy_setopt(curl, CURLOPT_USERAGENT, c->opts.user_agent);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &hs);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
        if (headers)
            curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        if (req->method && strcmp(req->method, "POST") == 0) {
            curl_easy_setopt(curl, CURLOPT_POST, 1L);
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        }
        CURLcode cc = curl_easy_perform(curl);
        resp->attempts = attempt;
        if (sink.over_cap) {
            err_set(err, "%s %s: response body exceeds the limit of %zu bytes",
                    req->method ? req->method : "GET", req->url, c->opts.max_body);
            goto out;
        }
        if (ca_dir_only && (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)) {
            /* Nothing was sent: the handshake failed. The same attempt,
             * verified with the bundle, from now on for this client. */
            char shown[1024];
            http_redact_url(req->url, shown, sizeof shown);
            log_warn("%s: the CA directory %s could not verify the server (%s); using libcurl's CA bundle",
                     shown, ca_dir, curl_error[0] ? curl_error : curl_easy_strerror(cc));
            c->ca_bundle = 1;
            attempt--;
            continue;
        }
        if (cc != CURLE_OK) {
            char shown[1024];
            http_redact_url(req->url, shown, sizeof shown);
            err_set(err, "%s %s: %s", req->method ? req->method : "GET", shown,
                    curl_error[0] ? curl_error : curl_easy_strerror(cc));
            if (attempt < max_attempts) {
                int64_t delay = backoff_delay(c, attempt);
                log_warn("%s; retrying in %lld ms (attempt %d of %d)", err->msg, (long long)delay,
                         attempt + 1, max_attempts);
                utc_sleep_ms(delay);
                continue;
            }
            if (attempt > 1)
                err_prefix(err, "after %d attempts", attempt);
            goto out;
        }
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
        if (retriable_status(resp->status) && attempt < max_attempts) {
            int64_t delay = hs.retry_after_s >= 0 ? hs.retry_after_s * 1000 : backoff_delay(c, attempt);
            log_warn("%s %s: HTTP %ld; retrying in %lld ms (attempt %d of %d)",
                     req->method ? req->method : "GET", req->url, resp->status, (long long)delay,
                     attempt + 1, max_attempts);
            utc_sleep_ms(delay);
            continue;
        }
        resp->retry_after_ms = hs.retry_after_s >= 0 ? hs.retry_after_s * 1000 : -1;
        char *ct = NULL;
        curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
        if (ct && !(resp->content_type = strdup(ct))) {
            err_set(err, "out of memory");
            goto out;
        }
        if (!resp->body.data && buf_append(&resp->body, "", 0, err) < 0)
            goto out;
        rc = 0;
        break;
    }
out:
    curl_slist_free_all(headers);
    if (rc < 0) {
        buf_free(&resp->body);
        buf_init(&resp->body, c->opts.max_body);
    }
    return rc;
}

void http_redact_url(const char *location, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = '\0';
    if (!location)
        return;
    const char *rest = strstr(location, "://");
    if (!rest) {
        snprintf(out, size, "%s", location);
        return;
    }
    rest += 3;
    size_t used = 0;
#define PUT(p, n)                                                                  \
    do {                                                                           \
        size_t n_ = (n);                                                           \
        if (used + n_ >= size)                                                     \
            n_ = size - 1 - used;                                                  \
        memcpy(out + used, (p), n_);                                               \
        used += n_;                                                                \
        out[used] = '\0';                                                          \
    } while (0)
    PUT(location, (size_t)(rest - location));
    size_t authority = strcspn(rest, "/?#");
    const char *at = memchr(rest, '@', authority);
    if (at) {
        PUT("REDACTED", 8);
        rest = at;
    }
    size_t path = strcspn(rest, "?#");
    PUT(rest, path);
    rest += path;
    if (*rest == '?') {
        /* Every value: tokens travel as authToken=, jwt=, ... */
        rest++;
        PUT("?", 1);
        while (*rest && *rest != '#') {
            size_t pair = strcspn(rest, "&#");
            const char *eq = memchr(rest, '=', pair);
            PUT(rest, eq ? (size_t)(eq - rest) + 1 : pair);
            if (eq)
                PUT("REDACTED", 8);
            rest += pair;
            if (*rest == '&') {
                PUT("&", 1);
                rest++;
            }
        }
    }
    PUT(rest, strlen(rest));
#undef PUT
}

int http_get(struct http_client *client, const char *url, struct http_response *resp, struct err *err)
{
    struct http_request req = {.method = "GET", .url = url};
    return http_do(client, &req, resp, err);
}
