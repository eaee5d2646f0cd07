/*
 * internal.h - what the engine (engine.c) and the Inngest serve adapter
 * (inngest.c) share inside flow/: a body's context and the steps a replay
 * found pending. Not for use outside flow/.
 */
#ifndef CB_FLOW_INTERNAL_H
#define CB_FLOW_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

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
    int resend;           /* invoke: checkpointed waiting already; only make sure the child exists */
    char *field, *value;  /* wait: the matched field and its value */
    int attempts;         /* run: attempts made so far */
    /* results of executing a run step */
    json_t *output;
    struct flow_step_error error;
    int ok;
    int64_t started_at, ended_at;
};

/* A string map for the replay's lookups (stepmap.c). Keys are copied;
 * what a value means is the user's: a step's index, a name's repeat count,
 * a full id's hash. Entries are never removed, only the map as a whole. */
struct stepmap_entry {
    char *key;          /* NULL: free slot */
    uint32_t h;
    size_t index;       /* by hash: the step's index in ctx->steps */
    int count;          /* by name: repeats seen in round `round` */
    unsigned round;
    char hash[48];      /* by full id: its hex SHA-1 */
};

struct stepmap {
    struct stepmap_entry *slots;
    size_t cap, n;      /* cap is a power of two, n <= cap / 2 */
};

/* The entry for key, or NULL. */
struct stepmap_entry *stepmap_get(struct stepmap *m, const char *key);
/* The entry for key, added zeroed if new; NULL when out of memory. */
struct stepmap_entry *stepmap_put(struct stepmap *m, const char *key);
void stepmap_free(struct stepmap *m);

/* Where a body calls flow_step_run, and what the engine has seen it do. */
#define MAX_CALL_SITES 32
struct call_site {
    const void *addr;       /* the caller's return address */
    int sequential;         /* the body returned right after this site's pending step */
    int parallel;           /* the body asked for more after this site's pending step */
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
    struct stepmap names;   /* step name -> repeats asked for in this round */
    unsigned round;         /* the replay's number, so names need no clearing */
    struct stepmap ids;     /* full id -> its hash, so a replay hashes nothing */
    struct stepmap by_hash; /* hash -> index in steps */
    size_t indexed;         /* steps[0..indexed) are in by_hash */
    /* Inline execution (engine only; see flow_step_run in engine.c). */
    int inline_ok;          /* this context may execute run steps in the call */
    struct call_site sites[MAX_CALL_SITES];
    int nsites;
    struct call_site *open_site; /* gave this round's only pending step, nothing asked since */
    int inline_failed;      /* a checkpoint failed inside a call: inline_err says why */
    struct err inline_err;
    int blocked;            /* a step waits (retry backoff, sleep, event, child) */
    int lost;               /* a checkpoint did not land: the run is no longer ours */
    int oom;                /* memory ran out while the body asked for steps: a step's id,
                               its queue entry or one of its fields is missing, so this
                               round's plan cannot be trusted (the caller fails it) */
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
/* A failed step's error object, as both engines hand it to bodies and
 * Inngest carries it: {"message", "class"? (err_class_name), "status"?}.
 * A new reference. */
json_t *flow_error_json(const char *message, enum err_class error_class, int status);
/* Frees what a context holds (steps, results, pending, names). */
void flow_ctx_clear(struct flow_ctx *ctx);
/* The registered functions. */
const struct flow_function *flow_engine_functions(const struct flow_engine *engine, int *count);

#endif
