/* rank.c - rankings from evaluation counts; see rank.h. */
#include "rank/rank.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/letters.h"

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

int rank_error_status(const char *m)
{
    if (!m)
        return 0;
    static const char *const markers[] = {"HTTP ", "error: ", "Error: ", "status ", NULL};
    for (const char *const *k = markers; *k; k++) {
        const char *p = strstr(m, *k);
        if (!p)
            continue;
        p += strlen(*k);
        if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
            !isdigit((unsigned char)p[3]))
            return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    }
    return 0;
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

/* Ranking order within a week: accuracy (exactly, by cross-multiplying),
 * then display name, then id. qsort has no context argument, so the
 * comparators find the names here; rank_compute is not re-entrant. */
static const struct rank_input *sort_input;

static int better(const struct rank_row *a, const struct rank_row *b)
{
    int64_t l = (int64_t)a->correct * b->total, r = (int64_t)b->correct * a->total;
    return (l > r) - (l < r);
}

static int cmp_rows(const void *pa, const void *pb)
{
    const struct rank_row *a = pa, *b = pb;
    int c = better(b, a);
    if (c)
        return c;
    c = strcmp(name_of(sort_input, a->model_id), name_of(sort_input, b->model_id));
    if (c)
        return c;
    return (a->model_id > b->model_id) - (a->model_id < b->model_id);
}

static int cmp_alltime(const void *pa, const void *pb)
{
    const struct rank_alltime *a = pa, *b = pb;
    int64_t l = (int64_t)a->correct * b->total, r = (int64_t)b->correct * a->total;
    if (l != r)
        return l < r ? 1 : -1;
    int c = strcmp(name_of(sort_input, a->model_id), name_of(sort_input, b->model_id));
    return c ? c : (a->model_id > b->model_id) - (a->model_id < b->model_id);
}

static int cmp_alltime_quality(const void *pa, const void *pb)
{
    const struct rank_alltime_quality *a = pa, *b = pb;
    return (a->model_id > b->model_id) - (a->model_id < b->model_id);
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
        int held_latest;        /* ranked in the latest ranked week seen */
    } *states = calloc(in->nmodels ? in->nmodels : 1, sizeof *states);
    if (!weeks || !out->weeks || !out->rows || !out->coverage || !out->tenures || !out->alltime ||
        !out->alltime_quality || !states) {
        err_set(err, "out of memory");
        goto out;
    }
    memcpy(weeks, in->weeks, in->nweeks * sizeof *weeks);
    qsort(weeks, in->nweeks, sizeof *weeks, cmp_week);
    for (size_t i = 0; i < in->nmodels; i++) {
        states[i].id = in->models[i].id;
        states[i].tenure = -1;
    }
    sort_input = in;
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
        qsort(rows, n, sizeof *rows, cmp_rows);
        for (size_t i = 0; i < n; i++)
            rows[i].rank = i > 0 && better(&rows[i], &rows[i - 1]) == 0 ? rows[i - 1].rank : (int)i + 1;
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
            s->last_rank = rows[i].rank;
            if (s->rank == rows[i].rank && s->tenure >= 0) {
                s->weeks++;
                struct rank_tenure *t = &out->tenures[s->tenure];
                t->weeks = s->weeks;
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
            }
            rows[i].tenure_weeks = s->weeks;
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
    qsort(out->alltime, out->nalltime, sizeof *out->alltime, cmp_alltime);
    for (size_t i = 0; i < out->nalltime; i++) {
        const struct rank_alltime *a = &out->alltime[i], *p = i ? &out->alltime[i - 1] : NULL;
        out->alltime[i].rank = p && (int64_t)a->correct * p->total == (int64_t)p->correct * a->total
                                   ? p->rank
                                   : (int)i + 1;
    }

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
    if (rc < 0)
        rank_output_free(out);
    return rc;
}
