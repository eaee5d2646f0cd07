/* jsonx.c - helpers over jansson; see jsonx.h. */
#include "core/jsonx.h"

#include <string.h>

#include "core/buf.h"

int jsonx_loads(const char *text, size_t len, const char *what, json_t **out, struct err *err)
{
    json_error_t jerr;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        return err_set(err, "%s line %d column %d: %s", what, jerr.line, jerr.column, jerr.text);
    *out = v;
    return 0;
}

int jsonx_load_file(const char *path, size_t max_bytes, json_t **out, struct err *err)
{
    struct buf text;
    buf_init(&text, max_bytes);
    int rc = buf_read_file(&text, path, err);
    if (rc == 0)
        rc = jsonx_loads(text.data ? text.data : "", text.len, path, out, err);
    buf_free(&text);
    return rc;
}

const char *jsonx_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

int jsonx_check_keys(const json_t *obj, const char *const *allowed, struct err *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        (void)value;
        int known = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0)
                known = 1;
        if (!known) {
            char list[512] = "";
            size_t used = 0;
            for (const char *const *a = allowed; *a && used < sizeof list; a++) {
                int n = snprintf(list + used, sizeof list - used, "%s%s", a == allowed ? "" : ", ", *a);
                if (n < 0)
                    break;
                used += (size_t)n;
            }
            return err_set(err, "unknown field \"%s\" (known: %s)", key, list);
        }
    }
    return 0;
}

/* Looks key up; 1 when present and not null, 0 when absent (error if required). */
static int lookup(const json_t *obj, const char *key, int required, json_t **out, struct err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return err_set(err, "field \"%s\" is missing", key);
        return 0;
    }
    *out = v;
    return 1;
}

int jsonx_get_string(const json_t *obj, const char *key, int required, const char **out,
                     struct err *err)
{
    json_t *v = NULL;
    int found = lookup(obj, key, required, &v, err);
    if (found <= 0)
        return found;
    if (!json_is_string(v))
        return err_set(err, "field \"%s\": expected a string, got %s", key, jsonx_type_name(v));
    *out = json_string_value(v);
    return 0;
}

int jsonx_get_int(const json_t *obj, const char *key, int required, int64_t *out, struct err *err)
{
    json_t *v = NULL;
    int found = lookup(obj, key, required, &v, err);
    if (found <= 0)
        return found;
    if (!json_is_integer(v))
        return err_set(err, "field \"%s\": expected an integer, got %s", key, jsonx_type_name(v));
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int jsonx_get_bool(const json_t *obj, const char *key, int required, int *out, struct err *err)
{
    json_t *v = NULL;
    int found = lookup(obj, key, required, &v, err);
    if (found <= 0)
        return found;
    if (!json_is_boolean(v))
        return err_set(err, "field \"%s\": expected true or false, got %s", key, jsonx_type_name(v));
    *out = json_is_true(v);
    return 0;
}

char *jsonx_dumps_canonical(const json_t *value)
{
    return json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}
