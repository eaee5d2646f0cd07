/* report.c - the wording of what the commands report; see report.h. */
#include "cli/report.h"

#include <string.h>

#include "core/pct.h"
#include "pipeline/functions.h"

int report_rank(struct store *store, const char *from, FILE *out, struct err *err)
{
    struct store_rank_weeks w;
    if (store_rank_weeks(store, from, &w, err) < 0)
        return -1;
    int ranked = 0, unranked = 0;
    for (size_t i = 0; i < w.nweeks; i++) {
        const struct store_rank_week *week = &w.weeks[i];
        if (week->status && strcmp(week->status, "ranked") == 0) {
            ranked++;
            fprintf(out, "ranked      %s (%lld clues): %lld models ranked", week->week, (long long)week->clues,
                    (long long)week->models_ranked);
            int first = 1;
            for (size_t k = 0; k < w.nincomplete; k++) {
                const struct store_rank_incomplete *m = &w.incomplete[k];
                if (strcmp(m->week, week->week) != 0)
                    continue;
                fprintf(out, "%s%s %.1f%% (%lld errors)", first ? "; incomplete: " : ", ", m->model,
                        pct_round1(m->coverage), (long long)m->errors);
                first = 0;
            }
            fprintf(out, "\n");
        } else {
            unranked++;
            fprintf(out, "no ranking  %s\n", week->reason ? week->reason : week->week);
        }
    }
    fprintf(out, "%d weeks ranked, %d without a ranking%s\n", ranked, unranked,
            from ? " (this week and later; earlier weeks kept)" : "");
    store_rank_weeks_free(&w);
    return 0;
}

int report_run_progress(struct store *store, int64_t since_ms, char *out, size_t size, struct err *err)
{
    struct store_run_progress p;
    if (store_run_progress(store, pipeline_step_fields(), since_ms, &p, err) < 0)
        return -1;
    size_t used = 0;
    int n = snprintf(out, size, "runs:");
    used = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < p.nfunctions && used < size; i++) {
        n = snprintf(out + used, size - used, " %s %lld/%lld%s", p.functions[i].function,
                     (long long)p.functions[i].completed, (long long)p.functions[i].runs,
                     p.functions[i].failed ? " (failures)" : "");
        if (n > 0)
            used += (size_t)n;
    }
    if (used < size)
        snprintf(out + used, size - used, "; %lld steps done; %lld evaluations (%lld errors); cost $%.4f",
                 (long long)p.steps_done, (long long)p.evaluations, (long long)p.evaluation_errors, p.cost);
    store_run_progress_free(&p);
    return 0;
}

int report_run_summary(struct store *store, int64_t since_ms, char *out, size_t size, int *failed,
                       struct err *err)
{
    struct store_run_summary s;
    *failed = 0;
    if (store_run_summary(store, since_ms, &s, err) < 0)
        return -1;
    size_t used = 0;
#define ADD(...)                                                                  \
    do {                                                                          \
        int n_ = used < size ? snprintf(out + used, size - used, __VA_ARGS__) : 0; \
        if (n_ > 0)                                                               \
            used += (size_t)n_ < size - used ? (size_t)n_ : size - used - 1;      \
    } while (0)
    ADD("%-20s %9s %6s %9s\n", "FUNCTION", "COMPLETED", "FAILED", "CANCELLED");
    for (size_t i = 0; i < s.nfunctions; i++) {
        const struct store_run_count *c = &s.functions[i];
        ADD("%-20s %9lld %6lld %9lld\n", c->function, (long long)c->completed, (long long)c->failed,
            (long long)c->cancelled);
        *failed += (int)c->failed;
    }
    for (size_t i = 0; i < s.nfailures; i++)
        ADD("failed: %s: %s\n", s.failures[i].function, s.failures[i].error ? s.failures[i].error : "");
    for (size_t i = 0; i < s.nweeks; i++) {
        const char *status = s.weeks[i].status ? s.weeks[i].status : "";
        int ranked = strcmp(status, "ranked") == 0;
        ADD("%s %s%s%s\n", s.weeks[i].week, status, ranked ? "" : ": ",
            !ranked && s.weeks[i].reason ? s.weeks[i].reason : "");
    }
#undef ADD
    store_run_summary_free(&s);
    return 0;
}
