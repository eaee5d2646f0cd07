/* events.c - checking events from outside; see events.h. */
#include "pipeline/events.h"

#include <string.h>

#include "core/utc.h"
#include "pipeline/functions.h"
#include "scrape/title.h"

enum field_type {
    FIELD_WEEK,    /* "2026-W07" */
    FIELD_WEEKS,   /* ["2026-W07", ...] */
    FIELD_MODEL,   /* "provider/name", in the models table */
    FIELD_MODELS,  /* [model, ...] */
    FIELD_SERIES,  /* ["guardian-cryptic", ...] */
    FIELD_COUNT,   /* whole number >= 1 */
    FIELD_MS,      /* whole number >= 0: milliseconds since the epoch */
    FIELD_BOOL,
    FIELD_TEXT,
};

struct field {
    const char *name;
    enum field_type type;
    int required;
};

struct event_shape {
    const char *name;
    const char *function; /* who listens, for the messages */
    struct field fields[6];
};

/* What each function reads of its event (functions.c). */
static const struct event_shape shapes[] = {
    {"benchmark/scrape.requested", "scrape-puzzles",
     {{"week_id", FIELD_WEEK, 0}, {"since", FIELD_MS, 0}, {"max", FIELD_COUNT, 0}, {"series", FIELD_SERIES, 0},
      {"max_pages", FIELD_COUNT, 0}}},
    {"benchmark/evaluate.requested", "evaluate-week",
     {{"week_id", FIELD_WEEK, 1}, {"models", FIELD_MODELS, 0}, {"no_skip", FIELD_BOOL, 0},
      {"retry_no_answer", FIELD_BOOL, 0}}},
    {PIPELINE_EVENT_EVALUATE_MODEL, "evaluate-model",
     {{"model", FIELD_MODEL, 1}, {"week_id", FIELD_WEEK, 1}, {"no_skip", FIELD_BOOL, 0},
      {"retry_no_answer", FIELD_BOOL, 0}}},
    {PIPELINE_EVENT_CANCEL_WEEK, "evaluate-model (cancels)",
     {{"week_id", FIELD_WEEK, 1}, {"model", FIELD_MODEL, 0}, {"reason", FIELD_TEXT, 0}}},
    {"benchmark/evaluate.complete", "calculate-rankings", {{"week_id", FIELD_WEEK, 0}}},
    {PIPELINE_EVENT_MODEL_ADDED, "backfill-model", {{"model", FIELD_MODEL, 1}, {"weeks", FIELD_WEEKS, 0}}},
};

static const size_t nshapes = sizeof shapes / sizeof shapes[0];

static int check_week(const char *field, const json_t *v, struct err *err)
{
    struct utc_date monday;
    struct err why = {{0}};
    if (!json_is_string(v))
        return err_set(err, "%s must be a week id such as 2026-W07, not %s", field,
                       json_is_null(v) ? "null" : "a non-string");
    if (utc_week_monday(json_string_value(v), &monday, &why) < 0)
        return err_set(err, "%s \"%.40s\" is not a week id (YYYY-Www, e.g. 2026-W07)", field, json_string_value(v));
    return 0;
}

static int check_model(struct store *store, const char *field, const json_t *v, struct err *err)
{
    if (!json_is_string(v) || !strchr(json_string_value(v), '/'))
        return err_set(err, "%s must be a model id such as anthropic/claude-opus-4.5", field);
    if (!store)
        return 0;
    struct store_model_list list = {0};
    if (store_models_list(store, &list, err) < 0)
        return -1;
    int found = 0;
    for (size_t i = 0; i < list.n && !found; i++)
        found = strcmp(list.items[i].openrouter_id, json_string_value(v)) == 0;
    store_model_list_free(&list);
    if (!found)
        return err_set(err, "%s \"%.100s\" is not a known model (see `cryptic-bench models`)", field,
                       json_string_value(v));
    return 0;
}

static int check_field(struct store *store, const struct field *f, const json_t *v, struct err *err)
{
    size_t i;
    const json_t *item;
    switch (f->type) {
    case FIELD_WEEK:
        return check_week(f->name, v, err);
    case FIELD_MODEL:
        return check_model(store, f->name, v, err);
    case FIELD_WEEKS:
    case FIELD_MODELS:
    case FIELD_SERIES:
        if (!json_is_array(v) || json_array_size(v) == 0)
            return err_set(err, "%s must be a non-empty list", f->name);
        json_array_foreach(v, i, item) {
            if (f->type == FIELD_WEEKS && check_week(f->name, item, err) < 0)
                return -1;
            if (f->type == FIELD_MODELS && check_model(store, f->name, item, err) < 0)
                return -1;
            if (f->type == FIELD_SERIES && (!json_is_string(item) || !scrape_series_name(json_string_value(item)))) {
                char known[512] = "";
                size_t used = 0;
                for (const char *const *s = scrape_series_names; *s && used < sizeof known; s++) {
                    int n = snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", *s);
                    if (n < 0)
                        break;
                    used += (size_t)n;
                }
                return err_set(err, "series %.60s%s%s is not one of: %s", json_is_string(item) ? "\"" : "",
                               json_is_string(item) ? json_string_value(item) : "(not a string)",
                               json_is_string(item) ? "\"" : "", known);
            }
        }
        return 0;
    case FIELD_COUNT:
    case FIELD_MS:
        if (!json_is_integer(v) || json_integer_value(v) < (f->type == FIELD_COUNT ? 1 : 0))
            return err_set(err, "%s must be a whole number%s", f->name,
                           f->type == FIELD_COUNT ? " from 1" : " of milliseconds since 1970");
        return 0;
    case FIELD_BOOL:
        if (!json_is_boolean(v))
            return err_set(err, "%s must be true or false", f->name);
        return 0;
    case FIELD_TEXT:
        if (!json_is_string(v))
            return err_set(err, "%s must be a string", f->name);
        return 0;
    }
    return 0;
}

static int check_shape(struct store *store, const struct event_shape *shape, const json_t *data, struct err *err)
{
    if (data && !json_is_null(data) && !json_is_object(data))
        return err_set(err, "its data must be a JSON object");
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)data, key, value) {
        const struct field *f = NULL;
        for (const struct field *k = shape->fields; k->name; k++)
            if (strcmp(k->name, key) == 0)
                f = k;
        if (!f) {
            char known[256] = "";
            size_t used = 0;
            for (const struct field *k = shape->fields; k->name && used < sizeof known; k++) {
                int n = snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", k->name);
                if (n < 0)
                    break;
                used += (size_t)n;
            }
            return err_set(err, "%s does not read data.%.60s (it reads: %s)", shape->function, key, known);
        }
        if (check_field(store, f, value, err) < 0)
            return err_prefix(err, "data");
    }
    for (const struct field *k = shape->fields; k->name; k++)
        if (k->required && !json_object_get(data, k->name))
            return err_set(err, "%s needs data.%s", shape->function, k->name);
    return 0;
}

int pipeline_event_check(struct store *store, const char *name, const json_t *data, struct err *err)
{
    if (!name || !*name)
        return err_set(err, "an event needs a name, e.g. benchmark/scrape.requested");
    for (size_t i = 0; i < nshapes; i++)
        if (strcmp(shapes[i].name, name) == 0)
            return check_shape(store, &shapes[i], data, err) < 0 ? err_prefix(err, "event %s", name) : 0;
    char known[600] = "";
    size_t used = 0;
    for (size_t i = 0; i < nshapes && used < sizeof known; i++) {
        int n = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", shapes[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return err_set(err, "no function listens for the event \"%.100s\" (known: %s)", name, known);
}

int pipeline_event_check_hook(void *ctx, const char *name, const json_t *data, struct err *err)
{
    return pipeline_event_check(ctx, name, data, err);
}
