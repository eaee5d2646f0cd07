/*
 * http.h - a small HTTP client over libcurl for talking to outside services.
 *
 * What every caller of an outside service needs, in one place: a
 * User-Agent naming the project, connect and total timeouts, retries with
 * exponential backoff and jitter on 5xx, 408, 429 and transport failures
 * (Retry-After honoured), a minimum spacing between request starts (to be
 * polite to a blog, or to pace a model), and a cap on the body: anything
 * larger is an error, never an unbounded allocation.
 *
 * Over HTTPS the server is verified against libcurl's default CA
 * directory when it holds OpenSSL's hashed names (only the issuers a
 * handshake needs are read), else, or when the directory cannot verify a
 * server, against libcurl's CA bundle (see http.c).
 *
 * A client is used by one thread at a time.
 */
#ifndef CB_CORE_HTTP_H
#define CB_CORE_HTTP_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define HTTP_DEFAULT_MAX_BODY (10u * 1024 * 1024)

struct http_client_opts {
    const char *user_agent;  /* default "cryptic-bench/VERSION (+https://github.com/cryptic-bench)" */
    long connect_timeout_ms; /* default 10 000 */
    long timeout_ms;         /* whole request; default 60 000 */
    int retries;             /* extra attempts after the first (0: none) */
    long backoff_ms;         /* first retry's base delay, doubled each time; default 1 000 */
    long min_interval_ms;    /* between request starts; default 0 */
    size_t max_body;         /* default HTTP_DEFAULT_MAX_BODY */
};

struct http_client;

int http_client_new(const struct http_client_opts *opts, struct http_client **out, struct err *err);
void http_client_free(struct http_client *client);

struct http_response {
    long status;          /* the final HTTP status */
    struct buf body;      /* owned; NUL-terminated */
    char *content_type;   /* owned, or NULL */
    int attempts;         /* requests made, retries included */
    long retry_after_ms;  /* the Retry-After header of the final response; -1 when absent */
};

/* A request: method "GET" or "POST"; headers a NULL-terminated list of
 * "Name: value" lines (may be NULL); body for POST (may be NULL). */
struct http_request {
    const char *method;
    const char *url;
    const char *const *headers;
    const char *body;
    size_t body_len;
};

/* Performs req, retrying as described above. Returns 0 when an HTTP
 * response arrived (whatever its status: after retries a 5xx is returned
 * as it is, for the caller to judge), -1 when none did (connection refused,
 * timeout, body over the cap, ...), with a message naming the URL. *resp
 * is always initialised; release it with http_response_free(). */
int http_do(struct http_client *client, const struct http_request *req, struct http_response *resp,
            struct err *err);

/* GET url. */
int http_get(struct http_client *client, const char *url, struct http_response *resp,
             struct err *err);

void http_response_free(struct http_response *resp);

/* url for people to read (out: size bytes): user:password@ becomes
 * REDACTED@ and every query value (?authToken=...) REDACTED; text that is
 * not a URL is copied unchanged. Error messages show only this form. */
void http_redact_url(const char *url, char *out, size_t size);

#endif
