/*
 * rank.h - weekly rankings, coverage, movement, tenure, intervals and the
 * all-time table, computed from evaluation counts. Pure: no database here
 * (store/ reads the counts and writes the results), so every rule is unit
 * tested on plain data, and the same input always gives the same output.
 *
 * The rules (issue 5, DESIGN §3):
 *  - a week's clues are its puzzles' clues; a model's score counts its
 *    correct / wrong / no_answer outcomes (errors excluded);
 *  - a model is ranked for a week only when its coverage (non-error
 *    outcomes / clues) reaches the threshold (default 100 %); the others
 *    are listed as incomplete; a week with no complete model has status
 *    "no-ranking" and a reason built from the data;
 *  - competition ranking by accuracy (1, 2, 2, 4), ties listed by name;
 *  - movement: the model's rank in the latest earlier ranked week in which
 *    it was ranked (none: NEW);
 *  - tenure: consecutive ranked weeks at the same rank; unranked weeks
 *    neither extend nor break it;
 *  - 95 % Wilson intervals; all-time pooled over the weeks a model was
 *    ranked;
 *  - rank ranges (issue 16, DESIGN §10): for each pair of models ranked in
 *    a week, an exact two-sided McNemar test on the clues both answered
 *    (rank_mcnemar_p on the discordant clues), significant at p <
 *    RANK_ALPHA, no correction. rank_lo = 1 + the models significantly
 *    better, rank_hi = N - the models significantly worse. With full
 *    coverage a significantly better model always has the higher accuracy,
 *    so the range contains the competition rank; below full coverage the
 *    shared clues may disagree with the accuracies, and the range is then
 *    widened to contain the rank;
 *  - move_significant: the model's correct/total this week differs from its
 *    previous ranked week's by a two-sided Fisher exact test (rank_fisher_p:
 *    different clues, so unpaired) at p < RANK_ALPHA; never for NEW;
 *  - ahead_significant: the model is significantly better (paired test)
 *    than every model at the next competition rank below it; a tenure
 *    counts the weeks of its stint in which that held (significant_weeks);
 *  - accuracy by wordplay type (cluetype.h), all-time, over the answers
 *    the pooled accuracy is made of, with Wilson intervals; over the same
 *    answers, the mean cost per clue and the median latency (the lower
 *    middle value of an even count);
 *  - all-time ranges: the same paired test over every clue both models
 *    answered in weeks in which both were ranked (the clues the pooled
 *    accuracy is made of), and the head-to-head matrix of those counts;
 *  - answer quality, per (week, model) with evaluations, ranked or not, in
 *    percent of the week's scored clues (the coverage denominator):
 *    wrong_length_rate (correct or wrong outcomes whose answer has letters
 *    but not the enumeration's count; see rank_wrong_length), no_answer_rate
 *    (outcome no_answer), error_rate (outcome error); and the average
 *    completion tokens of the non-error replies that report them. All-time
 *    quality pools every week in which the model has evaluations (not only
 *    its ranked weeks: errors happen in the weeks nobody completes).
 */
#ifndef CB_RANK_RANK_H
#define CB_RANK_RANK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define RANK_WEEK_SIZE 16

/* Significance level of every test here: p < RANK_ALPHA is significant. */
#define RANK_ALPHA 0.05

struct rank_model {
    int64_t id;
    char name[128];      /* display name: ties are listed by it */
};

struct rank_week_in {
    char week[RANK_WEEK_SIZE];
    int clues;
};

/* One model's outcomes on one week's clues. */
struct rank_cell {
    char week[RANK_WEEK_SIZE];
    int64_t model_id;
    int correct, wrong, no_answer, errors;
    double avg_latency_ms; /* of its non-error calls; < 0 when none */
    double cost;           /* summed; < 0 when unknown */
    int wrong_length;      /* correct or wrong with a wrong-length answer (rank_wrong_length) */
    int64_t completion_tokens; /* summed over the non-error calls that report them */
    int token_replies;     /* how many calls those are */
};

/* Failed calls of a week by HTTP status (0: no status known), as stored
 * with each failed call (evaluations.error_status). */
struct rank_error_in {
    char week[RANK_WEEK_SIZE];
    int status;
    int count;
};

/* One scored answer (outcome correct, wrong or no_answer; never an error)
 * of a model to a clue of a week: what the paired tests compare. */
struct rank_answer {
    char week[RANK_WEEK_SIZE];
    int64_t clue_id;
    int64_t model_id;
    int correct;                      /* 1 correct, 0 wrong or no answer */
    unsigned types;                   /* the clue's wordplay types (rank_clue_types); 0: unknown */
    double cost;                      /* USD; < 0 unknown */
    double latency_ms;                /* < 0 unknown */
};

struct rank_input {
    const struct rank_week_in *weeks; /* any order */
    size_t nweeks;
    const struct rank_model *models;
    size_t nmodels;
    const struct rank_cell *cells;
    size_t ncells;
    const struct rank_error_in *errors;
    size_t nerrors;
    double threshold;                 /* coverage % to be ranked; 0: 100 */
    const struct rank_answer *answers; /* any order; at most one per (clue, model) */
    size_t nanswers;
};

struct rank_row {
    char week[RANK_WEEK_SIZE];
    int64_t model_id;
    int total, correct;
    double accuracy, ci_low, ci_high;  /* percent */
    int rank;
    int previous_rank;                 /* 0: none (NEW) */
    int rank_change;                   /* previous - current; meaningless when previous_rank is 0 */
    int tenure_weeks;                  /* at this rank, as of this week */
    double avg_latency_ms, cost;       /* < 0: unknown */
    int rank_lo, rank_hi;              /* rank range, rank_lo <= rank <= rank_hi */
    int move_significant;              /* 1: differs significantly from its previous ranked week */
    int ahead_significant;             /* 1: significantly better than every model at the next rank */
    int tenure_significant_weeks;      /* of tenure_weeks, those with ahead_significant */
};

/* Answer quality over some clues (see the rules above). */
struct rank_quality {
    int wrong_length, no_answer, errors;
    int64_t completion_tokens;         /* summed, as rank_cell */
    int token_replies;
    double wrong_length_rate, no_answer_rate, error_rate; /* percent of the clues */
    double avg_completion_tokens;      /* < 0: no reply reported them */
};

struct rank_coverage {
    char week[RANK_WEEK_SIZE];
    int64_t model_id;
    int clues, evaluated, errors;
    double coverage;                   /* percent */
    int ranked;
    struct rank_quality quality;       /* over the week's clues */
};

struct rank_week_status {
    char week[RANK_WEEK_SIZE];
    int ranked;                        /* "ranked" or "no-ranking" */
    char reason[512];
    int clues, models_ranked;
};

struct rank_tenure {
    int64_t model_id;
    int rank;
    char start_week[RANK_WEEK_SIZE];
    char end_week[RANK_WEEK_SIZE];     /* the last week held */
    int weeks;
    int current;                       /* held in the latest ranked week */
    int significant_weeks;             /* of weeks, those with ahead_significant */
};

struct rank_alltime {
    int64_t model_id;
    int weeks, total, correct;
    double accuracy, ci_low, ci_high;
    int rank;
    int rank_lo, rank_hi;              /* all-time rank range */
    double cost_per_clue;              /* mean cost of the pooled answers that report one; < 0 none */
    double median_latency_ms;          /* median latency of the pooled answers that report one; < 0 none */
};

/* A model's all-time accuracy on the clues of one wordplay type (a clue
 * of several types counts for each), over the same answers as its pooled
 * accuracy (the weeks it was ranked). */
struct rank_type_accuracy {
    int64_t model_id;
    int type;                          /* bit number: rank_clue_type_name(type) */
    int total, correct;
    double accuracy, ci_low, ci_high;  /* percent, Wilson 95 % */
};

/* Head to head of two all-time ranked models over the clues both answered
 * in weeks both were ranked: wins (model right, opponent wrong), losses,
 * ties (same verdict). Both directions are listed. */
struct rank_h2h {
    int64_t model_id, opponent_id;
    int wins, losses, ties;
    double p_value;                    /* rank_mcnemar_p(wins, losses) */
    int significant;                   /* p_value < RANK_ALPHA */
};

/* A model's answer quality pooled over every week it has evaluations in. */
struct rank_alltime_quality {
    int64_t model_id;
    int weeks, clues, evaluated;       /* clues: the weeks' scored clues summed */
    struct rank_quality quality;
};

struct rank_output {
    struct rank_week_status *weeks;    /* in week order */
    size_t nweeks;
    struct rank_row *rows;             /* by week, then rank, then name */
    size_t nrows;
    struct rank_coverage *coverage;    /* by week, then model id */
    size_t ncoverage;
    struct rank_tenure *tenures;       /* by model, then start week */
    size_t ntenures;
    struct rank_alltime *alltime;      /* by rank, then name */
    size_t nalltime;
    struct rank_alltime_quality *alltime_quality; /* by model id; every model with evaluations */
    size_t nalltime_quality;
    struct rank_h2h *h2h;              /* by model, then opponent, in all-time order */
    size_t nh2h;
    struct rank_type_accuracy *types;  /* by model in all-time order, then type; only types with clues */
    size_t ntypes;
};

int rank_compute(const struct rank_input *in, struct rank_output *out, struct err *err);
void rank_output_free(struct rank_output *out);

/* Exact two-sided McNemar test: the binomial test of b against c out of
 * b + c discordant clues at 1/2, p = min(1, 2 P(X <= min(b, c))), summed
 * in log space so that thousands of clues neither underflow nor lose
 * precision. 1 when there is no discordant clue. */
double rank_mcnemar_p(int b, int c);

/* Two-sided Fisher exact test of correct1/total1 against correct2/total2:
 * the sum of the hypergeometric probabilities of the tables no more likely
 * than the observed one (relative tolerance 1e-7, as R). 1 when either
 * total is 0. */
double rank_fisher_p(int correct1, int total1, int correct2, int total2);

/* 95 % Wilson score interval of correct out of total, in percent. */
void rank_wilson(int correct, int total, double *low, double *high);

/* Whether answer, an extracted answer, has the wrong length for
 * enumeration (as stored: "(5,4)", or "5,4" without parentheses): its
 * letters A-Z (letters_az: accents dropped, spaces and hyphens not
 * counted) number other than the enumeration's total. An answer that is
 * NULL or has no letters is no answer, not a wrong length (0); so is an
 * enumeration that does not parse (0: nothing to compare with). */
int rank_wrong_length(const char *answer, const char *enumeration);

#endif
