/* spend.c - a run's cost, estimated and checked before any call; see spend.h. */
#include "pipeline/spend.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "core/log.h"

#define DEFAULT_BASE_URL "https://openrouter.ai/api/v1"

int pipeline_spend_estimate(struct store *store, const struct pipeline_evaluate_opts *eopts,
                            const struct pipeline_spend_opts *sopts, const char *const *weeks, size_t nweeks,
                            const char *const *models, size_t n, struct pipeline_spend_estimate *out,
                            struct err *err)
{
    memset(out, 0, sizeof *out);
    for (size_t m = 0; m < n; m++) {
        double per_call = 0;
        int known = 0;
        if (store_model_cost_per_call(store, models[m], &per_call, &known, err) < 0)
            return -1;
        if (!known)
            per_call = sopts->default_cost_per_call;
        for (size_t w = 0; w < nweeks; w++) {
            struct pipeline_evaluate_opts o = *eopts;
            o.week_id = weeks[w];
            int64_t *ids = NULL;
            size_t count = 0;
            if (pipeline_clues_to_ask(store, &o, models[m], weeks[w], &ids, &count, err) < 0)
                return -1;
            free(ids);
            out->calls += (int)count;
            out->cost_usd += per_call * (double)count;
        }
    }
    snprintf(out->summary, sizeof out->summary, "about $%.4f for %d calls (%zu model%s, %zu week%s)", out->cost_usd,
             out->calls, n, n == 1 ? "" : "s", nweeks, nweeks == 1 ? "" : "s");
    return 0;
}

/* The provider's credits left, or *known = 0 where it offers no such endpoint. */
static int credits_left(const struct pipeline_evaluate_opts *eopts, double *left, int *known, struct err *err)
{
    *known = 0;
    const char *base = eopts->base_url && *eopts->base_url ? eopts->base_url : DEFAULT_BASE_URL;
    char url[1024], auth[600];
    size_t len = strlen(base);
    snprintf(url, sizeof url, "%.*s/credits", (int)(len && base[len - 1] == '/' ? len - 1 : len), base);
    snprintf(auth, sizeof auth, "Authorization: Bearer %.500s", eopts->api_key ? eopts->api_key : "");
    const char *headers[] = {auth, NULL};
    struct http_client *http = NULL;
    struct http_client_opts ho = {.retries = 2, .timeout_ms = 20000};
    struct http_response resp = {0};
    int rc = http_client_new(&ho, &http, err);
    if (rc == 0) {
        struct http_request req = {"GET", url, eopts->api_key ? headers : NULL, NULL, 0};
        rc = http_do(http, &req, &resp, err);
    }
    http_client_free(http);
    if (rc < 0) {
        /* Unreachable: the calls will meet the same, and fail as errors. */
        log_warn("the credits left could not be asked (%s): not checked", err->msg);
        http_response_free(&resp);
        memset(err, 0, sizeof *err);
        return 0;
    }
    json_t *body = resp.status == 200 ? json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL) : NULL;
    json_t *data = json_object_get(body, "data");
    json_t *total = json_object_get(data, "total_credits"), *usage = json_object_get(data, "total_usage");
    if (json_is_number(total) && json_is_number(usage)) {
        *left = json_number_value(total) - json_number_value(usage);
        *known = 1;
    } else {
        log_debug("no credits endpoint at %s (HTTP %ld): not checked", url, resp.status);
    }
    json_decref(body);
    http_response_free(&resp);
    return 0;
}

int pipeline_spend_check(const struct pipeline_evaluate_opts *eopts, const struct pipeline_spend_opts *sopts,
                         struct pipeline_spend_estimate *est, struct err *err)
{
    if (sopts->budget_usd > 0 && est->cost_usd > sopts->budget_usd)
        return err_set(err, "refused before any call: %s is over the per-run budget of $%.4f "
                            "(CRYPTIC_BENCH_RUN_BUDGET_USD)",
                       est->summary, sopts->budget_usd);
    if (!sopts->skip_credits && est->calls > 0) {
        if (credits_left(eopts, &est->credits_left_usd, &est->credits_known, err) < 0)
            return -1;
        if (est->credits_known) {
            size_t used = strlen(est->summary);
            snprintf(est->summary + used, sizeof est->summary - used, "; $%.4f of credits left",
                     est->credits_left_usd);
            if (est->credits_left_usd < est->cost_usd)
                return err_set(err, "refused before any call: %s, not enough; add credits at the provider",
                               est->summary);
        }
    }
    return 0;
}
