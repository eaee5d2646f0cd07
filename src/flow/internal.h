/*
 * internal.h - what the engine (engine.c) and the Inngest serve adapter
 * (inngest.c) share inside flow/: a body's context and the steps a replay
 * found pending. Not for use outside flow/.
 */
#ifndef CB_FLOW_INTERNAL_H
#define CB_FLOW_INTERNAL_H

#include "flow/flow.h"

enum step_kind { STEP_RUN, STEP_SLEEP, STEP_SEND, STEP_INVOKE, STEP_WAIT };

struct pending {
    enum step_kind kind;
    char hash[48];
    char *name;           /* the full id: "eval-12", then "eval-12:1" for a repeat */
    char *user_id;        /* the id the body gave ("eval-12") */
    int index;            /* 0, then 1, 2 for repeats */
    flow_step_fn fn;
    void *arg;
    void *arg_copy;       /* owned copy of the step's argument */
    int64_t until;        /* sleep: wake time; wait: timeout time */
    json_t *payload;      /* send: events; invoke: data */
    char *target;         /* invoke: function id; wait: event name */
    char *field, *value;  /* wait: the matched field and its value */
    int attempts;         /* run: attempts made so far */
    /* results of executing a run step */
    json_t *output;
    struct flow_step_error error;
    int ok;
    int64_t started_at, ended_at;
};

struct name_count {
    char *name;
    int count;
};

struct flow_ctx {
    struct flow_engine *engine;
    struct store_flow_run *run;
    const char *holder;     /* this claim's lease holder: "<owner>/<claim id>" */
    const struct flow_function *fn;
    json_t *event;
    struct store_flow_step *steps;
    size_t nsteps;
    json_t **results;       /* parsed outputs of the steps, by index */
    struct pending *pending;
    size_t npending, cap;
    struct name_count *names;
    size_t nnames;
    int blocked;            /* a step waits (retry backoff, sleep, event, child) */
    int lost;               /* a checkpoint did not land: the run is no longer ours */
    int64_t wake_at;        /* earliest time a blocked step can go on */
    int waits_only;         /* blocked only by events / children */
    json_t *output;
    char fail_message[512];
    json_t *scratch;        /* results handed to the body: failure objects */
    int seq;
};

/* Hex SHA-1 of a step id, as Inngest keys step state. */
void flow_hash_id(const char *id, char out[48]);
/* Executes a pending run step: fills its output or error and times. */
void flow_execute_run_step(struct pending *p);
/* The text of a field ("data.week_id") of an event, or NULL; caller frees. */
char *flow_field_text(const json_t *event, const char *field);
/* Frees what a context holds (steps, results, pending, names). */
void flow_ctx_clear(struct flow_ctx *ctx);
/* The registered functions. */
const struct flow_function *flow_engine_functions(const struct flow_engine *engine, int *count);

#endif
