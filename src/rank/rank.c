/* rank.c - rankings from evaluation counts; see rank.h. */
#include "rank/rank.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/letters.h"
#include "rank/cluetype.h"

void rank_wilson(int correct, int total, double *low, double *high)
{
    if (total <= 0) {
        *low = *high = 0;
        return;
    }
    const double z = 1.959963984540054;
    double n = total, p = (double)correct / n, z2 = z * z;
    double denom = 1 + z2 / n;
    double center = (p + z2 / (2 * n)) / denom;
    double half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom;
    *low = fmax(0, center - half) * 100;
    *high = fmin(1, center + half) * 100;
}

/* ---- exact tests ---------------------------------------------------------- */

static double log_choose(int n, int k)
{
    return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
}

double rank_mcnemar_p(int b, int c)
{
    if (b < 0 || c < 0)
        return 1;
    int n = b + c, k = b < c ? b : c;
    if (n == 0 || 2 * k >= n)
        return 1; /* b == c: the tail is at least one half */
    /* The terms grow up to i = k < n/2: scale by the largest, add the
     * smallest first. */
    double base = -n * log(2.0), top = log_choose(n, k) + base, sum = 0;
    for (int i = 0; i <= k; i++)
        sum += exp(log_choose(n, i) + base - top);
    double p = 2 * exp(top + log(sum));
    return p > 1 ? 1 : p;
}

double rank_fisher_p(int correct1, int total1, int correct2, int total2)
{
    if (total1 <= 0 || total2 <= 0 || correct1 < 0 || correct2 < 0 || correct1 > total1 || correct2 > total2)
        return 1;
    int n = total1 + total2, k = correct1 + correct2;
    int lo = total1 - (n - k) > 0 ? total1 - (n - k) : 0, hi = k < total1 ? k : total1;
    double denom = log_choose(n, total1);
    double observed = log_choose(k, correct1) + log_choose(n - k, total1 - correct1) - denom;
    double sum = 0;
    for (int x = lo; x <= hi; x++) {
        double l = log_choose(k, x) + log_choose(n - k, total1 - x) - denom;
        if (l <= observed + log1p(1e-7))
            sum += exp(l);
    }
    return sum > 1 ? 1 : sum;
}

int rank_wrong_length(const char *answer, const char *enumeration)
{
    if (!answer || !enumeration)
        return 0;
    char letters[8];
    size_t n = letters_az(answer, letters, sizeof letters); /* only the count matters */
    if (n == 0)
        return 0;
    int total = letters_enumeration_total(enumeration);
    if (total < 0 && enumeration[0] != '(') {
        char wrapped[256];
        int w = snprintf(wrapped, sizeof wrapped, "(%s)", enumeration);
        if (w > 0 && (size_t)w < sizeof wrapped)
            total = letters_enumeration_total(wrapped);
    }
    return total >= 0 && n != (size_t)total;
}

/* Rates in percent of clues (0 when there are none), capped at 100 as coverage is. */
static double percent_of(int count, int clues)
{
    if (clues <= 0)
        return 0;
    double p = 100.0 * count / clues;
    return p > 100 ? 100 : p;
}

static void quality_of(int wrong_length, int no_answer, int errors, int64_t tokens, int replies, int clues,
                       struct rank_quality *q)
{
    q->wrong_length = wrong_length;
    q->no_answer = no_answer;
    q->errors = errors;
    q->completion_tokens = tokens;
    q->token_replies = replies;
    q->wrong_length_rate = percent_of(wrong_length, clues);
    q->no_answer_rate = percent_of(no_answer, clues);
    q->error_rate = percent_of(errors, clues);
    q->avg_completion_tokens = replies > 0 ? (double)tokens / replies : -1;
}

void rank_output_free(struct rank_output *out)
{
    free(out->weeks);
    free(out->rows);
    free(out->coverage);
    free(out->tenures);
    free(out->alltime);
    free(out->alltime_quality);
    free(out->h2h);
    free(out->types);
    memset(out, 0, sizeof *out);
}

static const struct rank_model *model_of(const struct rank_input *in, int64_t id)
{
    for (size_t i = 0; i < in->nmodels; i++)
        if (in->models[i].id == id)
            return &in->models[i];
    return NULL;
}

static const char *name_of(const struct rank_input *in, int64_t id)
{
    const struct rank_model *m = model_of(in, id);
    return m ? m->name : "";
}

static int cmp_week(const void *a, const void *b)
{
    return strcmp(((const struct rank_week_in *)a)->week, ((const struct rank_week_in *)b)->week);
}

/* qsort has no context argument (qsort_r is not C11), and the orders
 * below need the input's display names: a merge sort that passes one, so
 * no file-static state and rank_compute is re-entrant. Stable; tmp holds n
 * elements. */
typedef int (*cmp_ctx_fn)(const void *a, const void *b, const void *ctx);

static void merge_sort(char *a, char *tmp, size_t n, size_t size, cmp_ctx_fn cmp, const void *ctx)
{
    if (n < 2)
        return;
    size_t h = n / 2, i = 0, j = h, k = 0;
    merge_sort(a, tmp, h, size, cmp, ctx);
    merge_sort(a + h * size, tmp, n - h, size, cmp, ctx);
    while (i < h && j < n) {
        if (cmp(a + j * size, a + i * size, ctx) < 0)
            memcpy(tmp + k++ * size, a + j++ * size, size);
        else
            memcpy(tmp + k++ * size, a + i++ * size, size);
    }
    memcpy(tmp + k * size, a + i * size, (h - i) * size); /* what is left of the right half is in place */
    k += h - i;
    memcpy(a, tmp, k * size);
}

static int sort_ctx(void *base, size_t n, size_t size, cmp_ctx_fn cmp, const void *ctx, struct err *err)
{
    if (n < 2)
        return 0;
    char *tmp = malloc(n * size);
    if (!tmp)
        return err_set(err, "out of memory");
    merge_sort(base, tmp, n, size, cmp, ctx);
    free(tmp);
    return 0;
}

/* Ranking order within a week: accuracy (exactly, by cross-multiplying),
 * then display name (ctx: the rank_input), then id. */
static int better(const struct rank_row *a, const struct rank_row *b)
{
    int64_t l = (int64_t)a->correct * b->total, r = (int64_t)b->correct * a->total;
    return (l > r) - (l < r);
}

static int cmp_rows(const void *pa, const void *pb, const void *ctx)
{
    const struct rank_row *a = pa, *b = pb;
    int c = better(b, a);
    if (c)
        return c;
    c = strcmp(name_of(ctx, a->model_id), name_of(ctx, b->model_id));
    if (c)
        return c;
    return (a->model_id > b->model_id) - (a->model_id < b->model_id);
}

static int cmp_alltime(const void *pa, const void *pb, const void *ctx)
{
    const struct rank_alltime *a = pa, *b = pb;
    int64_t l = (int64_t)a->correct * b->total, r = (int64_t)b->correct * a->total;
    if (l != r)
        return l < r ? 1 : -1;
    int c = strcmp(name_of(ctx, a->model_id), name_of(ctx, b->model_id));
    return c ? c : (a->model_id > b->model_id) - (a->model_id < b->model_id);
}

static int cmp_alltime_quality(const void *pa, const void *pb)
{
    const struct rank_alltime_quality *a = pa, *b = pb;
    return (a->model_id > b->model_id) - (a->model_id < b->model_id);
}

static int cmp_answer(const void *pa, const void *pb)
{
    const struct rank_answer *a = pa, *b = pb;
    int c = strcmp(a->week, b->week);
    if (c)
        return c;
    if (a->clue_id != b->clue_id)
        return a->clue_id < b->clue_id ? -1 : 1;
    return (a->model_id > b->model_id) - (a->model_id < b->model_id);
}

/* ---- paired comparisons ------------------------------------------------- */

/* Discordant clues between models, n x n, row-major: d[i * n + j] counts
 * the clues i got right and j wrong. */
static int sig_better(const int *d, size_t n, size_t i, size_t j)
{
    int b = d[i * n + j], c = d[j * n + i];
    return b > c && rank_mcnemar_p(b, c) < RANK_ALPHA;
}

/* Counts the week's answers (a[0..na), sorted by clue) for the n ranked
 * rows into disc (n x n), and into the all-time matrices alld (discordant)
 * and alls (shared clues), indexed by the rows' model indices idx[] among
 * nm models. state has room for n. */
static void count_pairs(const struct rank_answer *a, size_t na, const struct rank_row *rows, size_t n,
                        const size_t *idx, size_t nm, int *disc, int *alld, int *alls, signed char *state)
{
    for (size_t g = 0; g < na;) {
        size_t end = g;
        memset(state, -1, n);
        for (; end < na && a[end].clue_id == a[g].clue_id; end++)
            for (size_t i = 0; i < n; i++)
                if (rows[i].model_id == a[end].model_id)
                    state[i] = a[end].correct ? 1 : 0;
        for (size_t i = 0; i < n; i++) {
            if (state[i] < 0)
                continue;
            for (size_t j = i + 1; j < n; j++) {
                if (state[j] < 0)
                    continue;
                alls[idx[i] * nm + idx[j]]++;
                alls[idx[j] * nm + idx[i]]++;
                if (state[i] == state[j])
                    continue;
                size_t w = state[i] ? i : j, l = state[i] ? j : i;
                disc[w * n + l]++;
                alld[idx[w] * nm + idx[l]]++;
            }
        }
        g = end;
    }
}

/* Rank ranges, widened to contain each rank (see rank.h), and whether
 * each row is significantly ahead of the next rank. rows are in rank
 * order. */
static void week_ranges(struct rank_row *rows, size_t n, const int *disc)
{
    for (size_t i = 0; i < n; i++) {
        int better = 0, worse = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            better += sig_better(disc, n, j, i);
            worse += sig_better(disc, n, i, j);
        }
        rows[i].rank_lo = 1 + better < rows[i].rank ? 1 + better : rows[i].rank;
        rows[i].rank_hi = (int)n - worse > rows[i].rank ? (int)n - worse : rows[i].rank;
        size_t next = i + 1;
        while (next < n && rows[next].rank == rows[i].rank)
            next++;
        int ahead = next < n;
        for (size_t k = next; k < n && rows[k].rank == rows[next].rank; k++)
            ahead = ahead && sig_better(disc, n, i, k);
        rows[i].ahead_significant = ahead;
    }
}

/* All-time ranges and the head-to-head matrix from the pooled counts. */
static int alltime_pairs(const struct rank_input *in, struct rank_output *out, const int *alld, const int *alls,
                         struct err *err)
{
    size_t n = out->nalltime, nm = in->nmodels;
    out->h2h = calloc(n * n + 1, sizeof *out->h2h);
    size_t *idx = calloc(n + 1, sizeof *idx);
    int *d = calloc(n * n + 1, sizeof *d);
    if (!out->h2h || !idx || !d) {
        free(idx);
        free(d);
        return err_set(err, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = (size_t)(model_of(in, out->alltime[i].model_id) - in->models);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            d[i * n + j] = alld[idx[i] * nm + idx[j]];
    for (size_t i = 0; i < n; i++) {
        struct rank_alltime *a = &out->alltime[i];
        int better = 0, worse = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            better += sig_better(d, n, j, i);
            worse += sig_better(d, n, i, j);
            struct rank_h2h *h = &out->h2h[out->nh2h++];
            h->model_id = a->model_id;
            h->opponent_id = out->alltime[j].model_id;
            h->wins = d[i * n + j];
            h->losses = d[j * n + i];
            h->ties = alls[idx[i] * nm + idx[j]] - h->wins - h->losses;
            h->p_value = rank_mcnemar_p(h->wins, h->losses);
            h->significant = h->p_value < RANK_ALPHA;
        }
        a->rank_lo = 1 + better < a->rank ? 1 + better : a->rank;
        a->rank_hi = (int)n - worse > a->rank ? (int)n - worse : a->rank;
    }
    free(idx);
    free(d);
    return 0;
}

/* Per (model, type) counts of the answers of ranked (week, model) rows:
 * answers are sorted by week like rows' weeks; counts[model index *
 * RANK_CT_COUNT + type] pairs of (total, correct). */
struct latency {
    size_t model;                      /* index in the input's models */
    double ms;
};

static int cmp_latency(const void *pa, const void *pb)
{
    const struct latency *a = pa, *b = pb;
    if (a->model != b->model)
        return a->model < b->model ? -1 : 1;
    return (a->ms > b->ms) - (a->ms < b->ms);
}

/* Also sums each model's known costs (cost[2m]: sum, cost[2m+1]: count)
 * and lists its known latencies. */
static void count_types(const struct rank_answer *a, size_t na, const struct rank_row *rows, size_t n,
                        const size_t *idx, int *counts, double *cost, struct latency *lat, size_t *nlat)
{
    for (size_t k = 0; k < na; k++)
        for (size_t i = 0; i < n; i++) {
            if (rows[i].model_id != a[k].model_id)
                continue;
            if (a[k].cost >= 0) {
                cost[idx[i] * 2] += a[k].cost;
                cost[idx[i] * 2 + 1]++;
            }
            if (a[k].latency_ms >= 0)
                lat[(*nlat)++] = (struct latency){idx[i], a[k].latency_ms};
            unsigned types = a[k].types ? a[k].types : RANK_CT_UNKNOWN;
            for (int t = 0; t < RANK_CT_COUNT; t++)
                if (types & (1u << t)) {
                    counts[(idx[i] * RANK_CT_COUNT + (size_t)t) * 2]++;
                    counts[(idx[i] * RANK_CT_COUNT + (size_t)t) * 2 + 1] += a[k].correct != 0;
                }
        }
}

static int alltime_types(const struct rank_input *in, struct rank_output *out, const int *counts, const double *cost,
                         struct latency *lat, size_t nlat, struct err *err)
{
    out->types = calloc(out->nalltime * RANK_CT_COUNT + 1, sizeof *out->types);
    if (!out->types)
        return err_set(err, "out of memory");
    qsort(lat, nlat, sizeof *lat, cmp_latency);
    for (size_t i = 0; i < out->nalltime; i++) {
        size_t m = (size_t)(model_of(in, out->alltime[i].model_id) - in->models);
        out->alltime[i].cost_per_clue = cost[m * 2 + 1] > 0 ? cost[m * 2] / cost[m * 2 + 1] : -1;
        size_t first = 0, count = 0;
        while (first < nlat && lat[first].model < m)
            first++;
        while (first + count < nlat && lat[first + count].model == m)
            count++;
        out->alltime[i].median_latency_ms = count ? lat[first + (count - 1) / 2].ms : -1;
        for (int t = 0; t < RANK_CT_COUNT; t++) {
            const int *c = &counts[(m * RANK_CT_COUNT + (size_t)t) * 2];
            if (c[0] == 0)
                continue;
            struct rank_type_accuracy *ta = &out->types[out->ntypes++];
            ta->model_id = out->alltime[i].model_id;
            ta->type = t;
            ta->total = c[0];
            ta->correct = c[1];
            ta->accuracy = 100.0 * c[1] / c[0];
            rank_wilson(c[1], c[0], &ta->ci_low, &ta->ci_high);
        }
    }
    return 0;
}

static int cmp_coverage(const void *pa, const void *pb)
{
    const struct rank_coverage *a = pa, *b = pb;
    int c = strcmp(a->week, b->week);
    return c ? c : (a->model_id > b->model_id) - (a->model_id < b->model_id);
}

static int cmp_tenure(const void *pa, const void *pb)
{
    const struct rank_tenure *a = pa, *b = pb;
    if (a->model_id != b->model_id)
        return a->model_id < b->model_id ? -1 : 1;
    return strcmp(a->start_week, b->start_week);
}

struct error_count {
    int status, count;
};

static int cmp_error_count(const void *pa, const void *pb)
{
    const struct error_count *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return a->status - b->status;
}

/* "2026-W24: 0 of 11 models complete; 308 of 308 calls failed (HTTP 402 ×280, 404 ×28)",
 * or, for a week no model was asked about yet, "2026-W07: not evaluated yet". */
static void no_ranking_reason(const struct rank_input *in, const char *week, int models, int calls,
                              int failed, char *out, size_t size)
{
    if (calls == 0) {
        snprintf(out, size, "%s: not evaluated yet", week);
        return;
    }
    int n = snprintf(out, size, "%s: 0 of %d models complete", week, models);
    if (n < 0 || (size_t)n >= size)
        return;
    size_t used = (size_t)n;
    n = snprintf(out + used, size - used, "; %d of %d calls failed", failed, calls);
    if (n < 0 || (size_t)n >= size - used || failed == 0)
        return;
    used += (size_t)n;
    struct error_count counts[32];
    int ncounts = 0;
    for (size_t i = 0; i < in->nerrors; i++) {
        if (strcmp(in->errors[i].week, week) != 0)
            continue;
        int k = 0;
        while (k < ncounts && counts[k].status != in->errors[i].status)
            k++;
        if (k == ncounts) {
            if (ncounts == 32)
                continue;
            counts[ncounts++] = (struct error_count){in->errors[i].status, 0};
        }
        counts[k].count += in->errors[i].count;
    }
    qsort(counts, (size_t)ncounts, sizeof *counts, cmp_error_count);
    for (int k = 0; k < ncounts && used + 1 < size; k++) {
        char what[32];
        if (counts[k].status)
            snprintf(what, sizeof what, "%s%d", k == 0 ? "HTTP " : "", counts[k].status);
        else
            snprintf(what, sizeof what, "other");
        n = snprintf(out + used, size - used, "%s%s \xc3\x97%d%s", k == 0 ? " (" : ", ", what,
                     counts[k].count, k == ncounts - 1 ? ")" : "");
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

int rank_compute(const struct rank_input *in, struct rank_output *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    double threshold = in->threshold > 0 ? in->threshold : 100.0;
    struct rank_week_in *weeks = NULL;
    int rc = -1;
    size_t max_rows = in->ncells ? in->ncells : 1;
    weeks = calloc(in->nweeks ? in->nweeks : 1, sizeof *weeks);
    out->weeks = calloc(in->nweeks ? in->nweeks : 1, sizeof *out->weeks);
    out->rows = calloc(max_rows, sizeof *out->rows);
    out->coverage = calloc(max_rows, sizeof *out->coverage);
    out->tenures = calloc(max_rows, sizeof *out->tenures);
    out->alltime = calloc(in->nmodels ? in->nmodels : 1, sizeof *out->alltime);
    out->alltime_quality = calloc(in->nmodels ? in->nmodels : 1, sizeof *out->alltime_quality);
    /* Per model: its current tenure and its last ranked week's rank. */
    struct state {
        int64_t id;
        int rank, weeks;        /* current stint; rank 0: none */
        long tenure;            /* index into out->tenures of the stint, -1 none */
        int last_rank;          /* rank in the latest ranked week it was ranked in; 0 none */
        int last_correct, last_total; /* its result that week */
        int held_latest;        /* ranked in the latest ranked week seen */
    } *states = calloc(in->nmodels ? in->nmodels : 1, sizeof *states);
    /* Paired counts: sorted answers, a week's matrix (at most every model
     * ranked), and the all-time matrices over all models. */
    size_t nm = in->nmodels ? in->nmodels : 1, cursor = 0;
    struct rank_answer *answers = calloc(in->nanswers ? in->nanswers : 1, sizeof *answers);
    int *disc = calloc(nm * nm, sizeof *disc), *alld = calloc(nm * nm, sizeof *alld);
    int *alls = calloc(nm * nm, sizeof *alls);
    size_t *idx = calloc(nm, sizeof *idx);
    signed char *pstate = calloc(nm, 1);
    int *type_counts = calloc(nm * RANK_CT_COUNT * 2, sizeof *type_counts);
    double *costs = calloc(nm * 2, sizeof *costs);
    struct latency *lat = calloc(in->nanswers + 1, sizeof *lat);
    size_t nlat = 0;
    if (!weeks || !out->weeks || !out->rows || !out->coverage || !out->tenures || !out->alltime ||
        !out->alltime_quality || !states || !answers || !disc || !alld || !alls || !idx || !pstate ||
        !type_counts || !costs || !lat) {
        err_set(err, "out of memory");
        goto out;
    }
    memcpy(weeks, in->weeks, in->nweeks * sizeof *weeks);
    qsort(weeks, in->nweeks, sizeof *weeks, cmp_week);
    if (in->nanswers)
        memcpy(answers, in->answers, in->nanswers * sizeof *answers);
    qsort(answers, in->nanswers, sizeof *answers, cmp_answer);
    for (size_t i = 0; i < in->nmodels; i++) {
        states[i].id = in->models[i].id;
        states[i].tenure = -1;
    }
    for (size_t w = 0; w < in->nweeks; w++) {
        const struct rank_week_in *week = &weeks[w];
        struct rank_week_status *st = &out->weeks[out->nweeks++];
        snprintf(st->week, sizeof st->week, "%s", week->week);
        st->clues = week->clues;
        size_t first_row = out->nrows;
        int models = 0, calls = 0, failed = 0;
        for (size_t c = 0; c < in->ncells; c++) {
            const struct rank_cell *cell = &in->cells[c];
            if (strcmp(cell->week, week->week) != 0)
                continue;
            if (!model_of(in, cell->model_id)) {
                err_set(err, "evaluations of week %s name an unknown model %lld", week->week,
                        (long long)cell->model_id);
                goto out;
            }
            models++;
            int scored = cell->correct + cell->wrong + cell->no_answer;
            calls += scored + cell->errors;
            failed += cell->errors;
            struct rank_coverage *cov = &out->coverage[out->ncoverage++];
            snprintf(cov->week, sizeof cov->week, "%s", week->week);
            cov->model_id = cell->model_id;
            cov->clues = week->clues;
            cov->evaluated = scored;
            cov->errors = cell->errors;
            cov->coverage = week->clues > 0 ? 100.0 * scored / week->clues : 0;
            if (cov->coverage > 100)
                cov->coverage = 100;
            quality_of(cell->wrong_length, cell->no_answer, cell->errors, cell->completion_tokens,
                       cell->token_replies, week->clues, &cov->quality);
            if (week->clues <= 0 || scored == 0 || cov->coverage + 1e-9 < threshold)
                continue;
            cov->ranked = 1;
            struct rank_row *row = &out->rows[out->nrows++];
            snprintf(row->week, sizeof row->week, "%s", week->week);
            row->model_id = cell->model_id;
            row->total = scored;
            row->correct = cell->correct;
            row->accuracy = 100.0 * cell->correct / scored;
            rank_wilson(cell->correct, scored, &row->ci_low, &row->ci_high);
            row->avg_latency_ms = cell->avg_latency_ms;
            row->cost = cell->cost;
        }
        size_t n = out->nrows - first_row;
        st->models_ranked = (int)n;
        st->ranked = n > 0;
        if (!st->ranked && week->clues <= 0) {
            snprintf(st->reason, sizeof st->reason, "%s: no clue of the week counts (quarantined or excluded)",
                     week->week);
            continue;
        }
        if (!st->ranked) {
            no_ranking_reason(in, week->week, models, calls, failed, st->reason, sizeof st->reason);
            continue; /* neither extends nor breaks a tenure */
        }
        snprintf(st->reason, sizeof st->reason, "%s: %zu of %d models complete", week->week, n, models);
        struct rank_row *rows = &out->rows[first_row];
        if (sort_ctx(rows, n, sizeof *rows, cmp_rows, in, err) < 0)
            goto out;
        for (size_t i = 0; i < n; i++)
            rows[i].rank = i > 0 && better(&rows[i], &rows[i - 1]) == 0 ? rows[i - 1].rank : (int)i + 1;
        /* Ranges from the week's answers (weeks and answers share an order). */
        while (cursor < in->nanswers && strcmp(answers[cursor].week, week->week) < 0)
            cursor++;
        size_t first_answer = cursor;
        while (cursor < in->nanswers && strcmp(answers[cursor].week, week->week) == 0)
            cursor++;
        for (size_t i = 0; i < n; i++)
            idx[i] = (size_t)(model_of(in, rows[i].model_id) - in->models);
        memset(disc, 0, n * n * sizeof *disc);
        count_pairs(&answers[first_answer], cursor - first_answer, rows, n, idx, nm, disc, alld, alls, pstate);
        week_ranges(rows, n, disc);
        count_types(&answers[first_answer], cursor - first_answer, rows, n, idx, type_counts, costs, lat, &nlat);
        /* Movement and tenure. */
        for (size_t s = 0; s < in->nmodels; s++)
            states[s].held_latest = 0;
        for (size_t i = 0; i < n; i++) {
            struct state *s = NULL;
            for (size_t k = 0; k < in->nmodels; k++)
                if (states[k].id == rows[i].model_id)
                    s = &states[k];
            rows[i].previous_rank = s->last_rank;
            rows[i].rank_change = s->last_rank ? s->last_rank - rows[i].rank : 0;
            rows[i].move_significant =
                s->last_rank && rank_fisher_p(rows[i].correct, rows[i].total, s->last_correct, s->last_total) < RANK_ALPHA;
            s->last_rank = rows[i].rank;
            s->last_correct = rows[i].correct;
            s->last_total = rows[i].total;
            if (s->rank == rows[i].rank && s->tenure >= 0) {
                s->weeks++;
                struct rank_tenure *t = &out->tenures[s->tenure];
                t->weeks = s->weeks;
                t->significant_weeks += rows[i].ahead_significant;
                snprintf(t->end_week, sizeof t->end_week, "%s", week->week);
            } else {
                s->rank = rows[i].rank;
                s->weeks = 1;
                s->tenure = (long)out->ntenures;
                struct rank_tenure *t = &out->tenures[out->ntenures++];
                t->model_id = rows[i].model_id;
                t->rank = rows[i].rank;
                snprintf(t->start_week, sizeof t->start_week, "%s", week->week);
                snprintf(t->end_week, sizeof t->end_week, "%s", week->week);
                t->weeks = 1;
                t->significant_weeks = rows[i].ahead_significant;
            }
            rows[i].tenure_weeks = s->weeks;
            rows[i].tenure_significant_weeks = out->tenures[s->tenure].significant_weeks;
            s->held_latest = 1;
        }
        /* A model absent from a ranked week loses its tenure. */
        for (size_t k = 0; k < in->nmodels; k++)
            if (!states[k].held_latest) {
                states[k].rank = 0;
                states[k].weeks = 0;
                states[k].tenure = -1;
            }
    }
    for (size_t k = 0; k < in->nmodels; k++)
        if (states[k].tenure >= 0)
            out->tenures[states[k].tenure].current = 1;
    qsort(out->coverage, out->ncoverage, sizeof *out->coverage, cmp_coverage);
    qsort(out->tenures, out->ntenures, sizeof *out->tenures, cmp_tenure);

    /* All-time: pooled over the weeks each model was ranked. */
    for (size_t k = 0; k < in->nmodels; k++) {
        struct rank_alltime a = {.model_id = in->models[k].id};
        for (size_t i = 0; i < out->nrows; i++)
            if (out->rows[i].model_id == a.model_id) {
                a.weeks++;
                a.total += out->rows[i].total;
                a.correct += out->rows[i].correct;
            }
        if (a.weeks == 0)
            continue;
        a.accuracy = 100.0 * a.correct / a.total;
        rank_wilson(a.correct, a.total, &a.ci_low, &a.ci_high);
        out->alltime[out->nalltime++] = a;
    }
    if (sort_ctx(out->alltime, out->nalltime, sizeof *out->alltime, cmp_alltime, in, err) < 0)
        goto out;
    for (size_t i = 0; i < out->nalltime; i++) {
        const struct rank_alltime *a = &out->alltime[i], *p = i ? &out->alltime[i - 1] : NULL;
        out->alltime[i].rank = p && (int64_t)a->correct * p->total == (int64_t)p->correct * a->total
                                   ? p->rank
                                   : (int)i + 1;
    }
    if (alltime_pairs(in, out, alld, alls, err) < 0 || alltime_types(in, out, type_counts, costs, lat, nlat, err) < 0)
        goto out;

    /* All-time quality: pooled over every week the model has evaluations in. */
    for (size_t k = 0; k < in->nmodels; k++) {
        struct rank_alltime_quality a = {.model_id = in->models[k].id};
        int wrong_length = 0, no_answer = 0, errors = 0, replies = 0;
        int64_t tokens = 0;
        for (size_t i = 0; i < out->ncoverage; i++) {
            const struct rank_coverage *c = &out->coverage[i];
            if (c->model_id != a.model_id)
                continue;
            a.weeks++;
            a.clues += c->clues;
            a.evaluated += c->evaluated;
            wrong_length += c->quality.wrong_length;
            no_answer += c->quality.no_answer;
            errors += c->quality.errors;
            tokens += c->quality.completion_tokens;
            replies += c->quality.token_replies;
        }
        if (a.weeks == 0)
            continue;
        quality_of(wrong_length, no_answer, errors, tokens, replies, a.clues, &a.quality);
        out->alltime_quality[out->nalltime_quality++] = a;
    }
    qsort(out->alltime_quality, out->nalltime_quality, sizeof *out->alltime_quality, cmp_alltime_quality);
    rc = 0;
out:
    free(states);
    free(weeks);
    free(answers);
    free(disc);
    free(alld);
    free(alls);
    free(idx);
    free(pstate);
    free(type_counts);
    free(costs);
    free(lat);
    if (rc < 0)
        rank_output_free(out);
    return rc;
}
