/* ranking.c - store/'s rows to rank/'s input, rank/'s output to store/'s rows; see ranking.h. */
#include "pipeline/ranking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/cluetype.h"
#include "rank/rank.h"

/* Orders rank_cells as store_ranking_source's cells (week, then model id;
 * strcmp and SQLite's BINARY collation agree on week ids). */
static int cmp_cell(const void *pa, const void *pb)
{
    const struct rank_cell *a = pa, *b = pb;
    int c = strcmp(a->week, b->week);
    return c ? c : (a->model_id > b->model_id) - (a->model_id < b->model_id);
}

/* Adds each wrong-length answer (rank_wrong_length) to its (week, model)
 * cell. SQL cannot count letters as the benchmark does, so this is done
 * here, on the answers store/ read. */
static void count_wrong_lengths(const struct store_ranking_source *src, struct rank_cell *cells, size_t ncells)
{
    for (size_t i = 0; i < src->nlengths; i++) {
        const struct store_ranking_length *l = &src->lengths[i];
        if (!rank_wrong_length(l->answer, l->enumeration))
            continue;
        struct rank_cell key = {.model_id = l->model_id};
        snprintf(key.week, sizeof key.week, "%s", l->week);
        struct rank_cell *cell = bsearch(&key, cells, ncells, sizeof *cells, cmp_cell);
        if (cell) /* always: both queries read the same rows */
            cell->wrong_length++;
    }
}

struct input {
    struct rank_input in;
    struct rank_week_in *weeks;
    struct rank_model *models;
    struct rank_cell *cells;
    struct rank_error_in *errors;
    struct rank_answer *answers;
};

static void input_free(struct input *x)
{
    free(x->weeks);
    free(x->models);
    free(x->cells);
    free(x->errors);
    free(x->answers);
    memset(x, 0, sizeof *x);
}

static int to_input(const struct store_ranking_source *src, double threshold, struct input *x, struct err *err)
{
    memset(x, 0, sizeof *x);
    x->weeks = calloc(src->nweeks + 1, sizeof *x->weeks);
    x->models = calloc(src->nmodels + 1, sizeof *x->models);
    x->cells = calloc(src->ncells + 1, sizeof *x->cells);
    x->errors = calloc(src->nerrors + 1, sizeof *x->errors);
    x->answers = calloc(src->nanswers + 1, sizeof *x->answers);
    if (!x->weeks || !x->models || !x->cells || !x->errors || !x->answers) {
        input_free(x);
        return err_set(err, "out of memory");
    }
    for (size_t i = 0; i < src->nweeks; i++) {
        snprintf(x->weeks[i].week, sizeof x->weeks[i].week, "%s", src->weeks[i].week);
        x->weeks[i].clues = src->weeks[i].clues;
    }
    for (size_t i = 0; i < src->nmodels; i++) {
        x->models[i].id = src->models[i].id;
        snprintf(x->models[i].name, sizeof x->models[i].name, "%s", src->models[i].name);
    }
    for (size_t i = 0; i < src->ncells; i++) {
        const struct store_ranking_cell *s = &src->cells[i];
        struct rank_cell *c = &x->cells[i];
        snprintf(c->week, sizeof c->week, "%s", s->week);
        c->model_id = s->model_id;
        c->correct = s->correct;
        c->wrong = s->wrong;
        c->no_answer = s->no_answer;
        c->errors = s->errors;
        c->avg_latency_ms = s->avg_latency_ms;
        c->cost = s->cost;
        c->completion_tokens = s->completion_tokens;
        c->token_replies = s->token_replies;
    }
    count_wrong_lengths(src, x->cells, src->ncells);
    for (size_t i = 0; i < src->nerrors; i++) {
        snprintf(x->errors[i].week, sizeof x->errors[i].week, "%s", src->errors[i].week);
        x->errors[i].status = src->errors[i].status;
        x->errors[i].count = src->errors[i].count;
    }
    for (size_t i = 0; i < src->nanswers; i++) {
        const struct store_ranking_answer *s = &src->answers[i];
        struct rank_answer *a = &x->answers[i];
        snprintf(a->week, sizeof a->week, "%s", s->week);
        a->clue_id = s->clue_id;
        a->model_id = s->model_id;
        a->correct = s->correct;
        a->types = rank_clue_types(s->explanation);
        a->cost = s->cost;
        a->latency_ms = s->latency_ms;
    }
    x->in = (struct rank_input){
        .weeks = x->weeks, .nweeks = src->nweeks,
        .models = x->models, .nmodels = src->nmodels,
        .cells = x->cells, .ncells = src->ncells,
        .errors = x->errors, .nerrors = src->nerrors,
        .threshold = threshold,
        .answers = x->answers, .nanswers = src->nanswers,
    };
    return 0;
}

static void quality_row(struct store_ranking_quality *out, const struct rank_quality *q)
{
    *out = (struct store_ranking_quality){
        .wrong_length = q->wrong_length,
        .no_answer = q->no_answer,
        .wrong_length_rate = q->wrong_length_rate,
        .no_answer_rate = q->no_answer_rate,
        .error_rate = q->error_rate,
        .avg_completion_tokens = q->avg_completion_tokens,
    };
}

static void rows_free(struct store_rankings *r)
{
    free(r->weeks);
    free(r->rows);
    free(r->coverage);
    free(r->tenures);
    free(r->alltime);
    free(r->alltime_quality);
    free(r->h2h);
    free(r->types);
    memset(r, 0, sizeof *r);
}

/* The rows of o, pointing into o's strings (valid while o is). */
static int to_rows(const struct rank_output *o, struct store_rankings *r, struct err *err)
{
    memset(r, 0, sizeof *r);
    r->weeks = calloc(o->nweeks + 1, sizeof *r->weeks);
    r->rows = calloc(o->nrows + 1, sizeof *r->rows);
    r->coverage = calloc(o->ncoverage + 1, sizeof *r->coverage);
    r->tenures = calloc(o->ntenures + 1, sizeof *r->tenures);
    r->alltime = calloc(o->nalltime + 1, sizeof *r->alltime);
    r->alltime_quality = calloc(o->nalltime_quality + 1, sizeof *r->alltime_quality);
    r->h2h = calloc(o->nh2h + 1, sizeof *r->h2h);
    r->types = calloc(o->ntypes + 1, sizeof *r->types);
    if (!r->weeks || !r->rows || !r->coverage || !r->tenures || !r->alltime || !r->alltime_quality || !r->h2h ||
        !r->types) {
        rows_free(r);
        return err_set(err, "out of memory");
    }
    r->nweeks = o->nweeks;
    for (size_t i = 0; i < o->nweeks; i++) {
        const struct rank_week_status *s = &o->weeks[i];
        r->weeks[i] = (struct store_week_status_row){s->week, s->ranked ? "ranked" : "no-ranking", s->reason,
                                                     s->clues, s->models_ranked};
    }
    r->nrows = o->nrows;
    for (size_t i = 0; i < o->nrows; i++) {
        const struct rank_row *s = &o->rows[i];
        r->rows[i] = (struct store_ranking_row){
            .week = s->week, .model_id = s->model_id, .total = s->total, .correct = s->correct, .rank = s->rank,
            .previous_rank = s->previous_rank, .rank_change = s->rank_change, .accuracy = s->accuracy,
            .ci_low = s->ci_low, .ci_high = s->ci_high, .tenure_weeks = s->tenure_weeks,
            .avg_latency_ms = s->avg_latency_ms, .cost = s->cost, .rank_lo = s->rank_lo, .rank_hi = s->rank_hi,
            .move_significant = s->move_significant, .ahead_significant = s->ahead_significant,
            .tenure_significant_weeks = s->tenure_significant_weeks,
        };
    }
    r->ncoverage = o->ncoverage;
    for (size_t i = 0; i < o->ncoverage; i++) {
        const struct rank_coverage *s = &o->coverage[i];
        r->coverage[i] = (struct store_coverage_row){.week = s->week, .model_id = s->model_id, .clues = s->clues,
                                                     .evaluated = s->evaluated, .errors = s->errors,
                                                     .coverage = s->coverage};
        quality_row(&r->coverage[i].quality, &s->quality);
    }
    r->ntenures = o->ntenures;
    for (size_t i = 0; i < o->ntenures; i++) {
        const struct rank_tenure *s = &o->tenures[i];
        r->tenures[i] = (struct store_tenure_row){
            .model_id = s->model_id, .rank = s->rank, .start_week = s->start_week,
            .end_week = s->current ? NULL : s->end_week, /* the old meaning: NULL while held */
            .weeks = s->weeks, .current = s->current, .significant_weeks = s->significant_weeks,
        };
    }
    r->nalltime = o->nalltime;
    for (size_t i = 0; i < o->nalltime; i++) {
        const struct rank_alltime *s = &o->alltime[i];
        r->alltime[i] = (struct store_alltime_row){
            .model_id = s->model_id, .weeks = s->weeks, .total = s->total, .correct = s->correct,
            .rank = s->rank, .rank_lo = s->rank_lo, .rank_hi = s->rank_hi, .accuracy = s->accuracy,
            .ci_low = s->ci_low, .ci_high = s->ci_high, .cost_per_clue = s->cost_per_clue,
            .median_latency_ms = s->median_latency_ms,
        };
    }
    r->nalltime_quality = o->nalltime_quality;
    for (size_t i = 0; i < o->nalltime_quality; i++) {
        const struct rank_alltime_quality *s = &o->alltime_quality[i];
        r->alltime_quality[i] = (struct store_alltime_quality_row){.model_id = s->model_id, .weeks = s->weeks,
                                                                   .clues = s->clues, .evaluated = s->evaluated,
                                                                   .errors = s->quality.errors};
        quality_row(&r->alltime_quality[i].quality, &s->quality);
    }
    r->nh2h = o->nh2h;
    for (size_t i = 0; i < o->nh2h; i++) {
        const struct rank_h2h *s = &o->h2h[i];
        r->h2h[i] = (struct store_h2h_row){.model_id = s->model_id, .opponent_id = s->opponent_id,
                                           .wins = s->wins, .losses = s->losses, .ties = s->ties,
                                           .significant = s->significant, .p_value = s->p_value};
    }
    r->ntypes = o->ntypes;
    for (size_t i = 0; i < o->ntypes; i++) {
        const struct rank_type_accuracy *s = &o->types[i];
        r->types[i] = (struct store_type_accuracy_row){
            .model_id = s->model_id, .clue_type = rank_clue_type_name(s->type), .total = s->total,
            .correct = s->correct, .accuracy = s->accuracy, .ci_low = s->ci_low, .ci_high = s->ci_high,
        };
    }
    return 0;
}

int pipeline_rankings_recompute(struct store *store, double threshold, const char *from_week, int *weeks_ranked,
                                struct err *err)
{
    struct store_ranking_source src = {0};
    struct input x = {0};
    struct rank_output o = {0};
    struct store_rankings rows = {0};
    int rc = store_ranking_source_read(store, &src, err);
    if (rc == 0)
        rc = to_input(&src, threshold, &x, err);
    if (rc == 0)
        rc = rank_compute(&x.in, &o, err);
    if (rc == 0)
        rc = to_rows(&o, &rows, err);
    if (rc == 0)
        rc = store_rank_write(store, &rows, from_week, err);
    if (rc == 0 && weeks_ranked) {
        *weeks_ranked = 0;
        for (size_t i = 0; i < o.nweeks; i++)
            *weeks_ranked += o.weeks[i].ranked && (!from_week || strcmp(o.weeks[i].week, from_week) >= 0);
    }
    rows_free(&rows);
    rank_output_free(&o);
    input_free(&x);
    store_ranking_source_free(&src);
    return rc;
}
