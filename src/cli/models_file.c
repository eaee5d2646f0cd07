/* models_file.c - reading and validating models.json; see models_file.h. */
#include "cli/models_file.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/config.h"
#include "core/jsonx.h"

static const char *const top_keys[] = {"defaults", "models", "description", NULL};
static const char *const default_keys[] = {"max_tokens", "min_interval_ms", NULL};
static const char *const entry_keys[] = {"id", "provider", "model_name", "display_name",
                                         "max_tokens", "min_interval_ms", "extra", "base_url",
                                         "api_key_env", "release_date", NULL};

/* Field names that would hold a secret. */
static const char *const secret_names[] = {"api_key", "apikey", "key", "token", "secret",
                                           "password", "authorization", "bearer", NULL};

static int is_exact_secret_name(const char *name)
{
    for (const char *const *s = secret_names; *s; s++)
        if (strcasecmp(name, *s) == 0)
            return 1;
    return 0;
}

static int is_secret_name(const char *name)
{
    if (is_exact_secret_name(name))
        return 1;
    size_t len = strlen(name);
    return (len > 4 && strcasecmp(name + len - 4, "_key") == 0) ||
           (len > 6 && strcasecmp(name + len - 6, "_token") == 0);
}

/* Whether name is a field name with a letter or two wrong. */
static int near_known_field(const char *name)
{
    for (const char *const *k = entry_keys; *k; k++)
        if (config_edit_distance(name, strlen(name), *k) <= 2)
            return 1;
    return 0;
}

/* A secret's name: one of the list exactly, or *_key / *_token unless it
 * is a typo of a known field ("max_token" is max_tokens misspelt). */
static int is_secret_field(const char *name)
{
    return is_exact_secret_name(name) || (is_secret_name(name) && !near_known_field(name));
}

/* Values that look like a credential: provider key prefixes and bearer
 * strings. */
static int looks_like_key(const char *value)
{
    static const char *const prefixes[] = {"sk-", "sk_", "Bearer ", "xai-", "gsk_", "AIza", NULL};
    for (const char *const *p = prefixes; *p; p++)
        if (strncasecmp(value, *p, strlen(*p)) == 0)
            return 1;
    return 0;
}

/* Walks value (inside "extra") refusing secret field names and key-like strings. */
static int check_no_secrets(const json_t *value, const char *path, struct err *err)
{
    if (json_is_object(value)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)value, key, child) {
            char child_path[256];
            snprintf(child_path, sizeof child_path, "%s.%s", path, key);
            if (is_secret_field(key) && json_is_string(child))
                return err_set(err, "field \"%s\" would put a secret in a file; keys belong in "
                                    "the environment (name the variable in api_key_env)",
                               child_path);
            if (check_no_secrets(child, child_path, err) < 0)
                return -1;
        }
    } else if (json_is_array(value)) {
        size_t i;
        json_t *child;
        json_array_foreach((json_t *)value, i, child) {
            char child_path[256];
            snprintf(child_path, sizeof child_path, "%s[%zu]", path, i);
            if (check_no_secrets(child, child_path, err) < 0)
                return -1;
        }
    } else if (json_is_string(value) && looks_like_key(json_string_value(value))) {
        return err_set(err, "field \"%s\" holds what looks like a literal API key; keys belong "
                            "in the environment (name the variable in api_key_env)",
                       path);
    }
    return 0;
}

static int is_env_name(const char *s)
{
    if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

static int valid_model_id(const char *id)
{
    const char *slash = strchr(id, '/');
    if (!slash || slash == id || !slash[1])
        return 0;
    for (const char *p = id; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return 0;
    return 1;
}

static int get_nonempty(const json_t *obj, const char *key, int required, const char **out,
                        struct err *err)
{
    if (jsonx_get_string(obj, key, required, out, err) < 0)
        return -1;
    if (*out && !**out)
        return err_set(err, "field \"%s\" is empty", key);
    return 0;
}

static int get_bounded_int(const json_t *obj, const char *key, int64_t min, int64_t max,
                           int64_t *out, struct err *err)
{
    if (jsonx_get_int(obj, key, 0, out, err) < 0)
        return -1;
    if (*out < min || *out > max)
        return err_set(err, "field \"%s\" is %lld, expected %lld to %lld", key, (long long)*out,
                       (long long)min, (long long)max);
    return 0;
}

/* Validates one entry and fills m. */
static int load_entry(const json_t *entry, int64_t default_max_tokens, int64_t default_interval,
                      struct store_model *m, struct err *err)
{
    if (!json_is_object(entry))
        return err_set(err, "expected an object, got %s", jsonx_type_name(entry));
    /* Secrets first: a key under a wrong name is reported as a secret, not
     * merely as an unknown field; but a typo of a known field ("max_token")
     * is that typo, whatever its suffix. */
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)entry, key, value) {
        if (strcmp(key, "api_key_env") != 0 && is_secret_field(key))
            return err_set(err, "field \"%s\" would put a secret in a file; keys belong in the "
                                "environment (set api_key_env to the variable's name)",
                           key);
    }
    if (check_no_secrets(entry, "entry", err) < 0)
        return -1;
    if (jsonx_check_keys(entry, entry_keys, err) < 0)
        return -1;

    const char *id = NULL, *provider = NULL, *model_name = NULL, *display_name = NULL;
    const char *base_url = NULL, *api_key_env = NULL;
    int64_t max_tokens = default_max_tokens, interval = default_interval;
    if (get_nonempty(entry, "id", 1, &id, err) < 0 ||
        get_nonempty(entry, "provider", 1, &provider, err) < 0 ||
        get_nonempty(entry, "display_name", 1, &display_name, err) < 0 ||
        get_nonempty(entry, "model_name", 0, &model_name, err) < 0 ||
        get_nonempty(entry, "base_url", 0, &base_url, err) < 0 ||
        get_nonempty(entry, "api_key_env", 0, &api_key_env, err) < 0 ||
        get_bounded_int(entry, "max_tokens", 1, 1000000, &max_tokens, err) < 0 ||
        get_bounded_int(entry, "min_interval_ms", 0, 3600000, &interval, err) < 0)
        return -1;
    if (!valid_model_id(id))
        return err_set(err, "id \"%s\" is not a model id (expected provider/name, e.g. "
                            "anthropic/claude-opus-4.5)",
                       id);
    if (base_url && strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
        return err_set(err, "base_url \"%s\" must start with http:// or https://", base_url);
    if (api_key_env && !is_env_name(api_key_env))
        return err_set(err, "api_key_env must be the NAME of an environment variable (such as "
                            "LOCAL_LLM_KEY), not \"%.12s...\"",
                       api_key_env);
    if (api_key_env && !base_url)
        return err_set(err, "api_key_env is only for a model with its own base_url "
                            "(OpenRouter models use OPENROUTER_API_KEY)");
    const char *release = NULL;
    if (get_nonempty(entry, "release_date", 0, &release, err) < 0)
        return -1;
    int y, mo, d;
    char tail;
    if (release && (sscanf(release, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 || strlen(release) != 10 || mo < 1 ||
                    mo > 12 || d < 1 || d > 31))
        return err_set(err, "release_date \"%s\" is not a date (YYYY-MM-DD)", release);
    m->release_date = release ? strdup(release) : NULL;
    json_t *extra = json_object_get(entry, "extra");
    if (extra && !json_is_null(extra) && !json_is_object(extra))
        return err_set(err, "field \"extra\": expected an object of request fields, got %s",
                       jsonx_type_name(extra));

    json_t *options = json_object();
    if (!options)
        return err_set(err, "out of memory");
    json_object_set_new(options, "max_tokens", json_integer(max_tokens));
    json_object_set_new(options, "min_interval_ms", json_integer(interval));
    if (extra && json_is_object(extra) && json_object_size(extra))
        json_object_set(options, "extra", extra);
    if (base_url)
        json_object_set_new(options, "base_url", json_string(base_url));
    if (api_key_env)
        json_object_set_new(options, "api_key_env", json_string(api_key_env));
    m->options = jsonx_dumps_canonical(options);
    json_decref(options);

    m->openrouter_id = strdup(id);
    m->provider = strdup(provider);
    m->model_name = strdup(model_name ? model_name : display_name);
    m->display_name = strdup(display_name);
    m->is_active = 1;
    if (!m->options || !m->openrouter_id || !m->provider || !m->model_name || !m->display_name)
        return err_set(err, "out of memory");
    return 0;
}

int models_file_load(const char *path, struct store_model_list *out, struct err *err)
{
    json_t *root = NULL;
    int rc = -1;
    out->items = NULL;
    out->n = 0;
    if (jsonx_load_file(path, MODELS_FILE_MAX_BYTES, &root, err) < 0)
        return -1;
    if (!json_is_object(root)) {
        err_set(err, "%s: expected an object with a \"models\" list, got %s", path,
                jsonx_type_name(root));
        goto out;
    }
    if (jsonx_check_keys(root, top_keys, err) < 0) {
        err_prefix(err, "%s", path);
        goto out;
    }
    int64_t default_max_tokens = MODELS_DEFAULT_MAX_TOKENS;
    int64_t default_interval = MODELS_DEFAULT_MIN_INTERVAL_MS;
    json_t *defaults = json_object_get(root, "defaults");
    if (defaults) {
        if (!json_is_object(defaults)) {
            err_set(err, "%s: \"defaults\" must be an object", path);
            goto out;
        }
        if (jsonx_check_keys(defaults, default_keys, err) < 0 ||
            get_bounded_int(defaults, "max_tokens", 1, 1000000, &default_max_tokens, err) < 0 ||
            get_bounded_int(defaults, "min_interval_ms", 0, 3600000, &default_interval, err) < 0) {
            err_prefix(err, "%s: defaults", path);
            goto out;
        }
    }
    json_t *models = json_object_get(root, "models");
    if (!json_is_array(models) || json_array_size(models) == 0) {
        err_set(err, "%s: \"models\" must be a non-empty list of models", path);
        goto out;
    }
    size_t n = json_array_size(models);
    out->items = calloc(n, sizeof *out->items);
    if (!out->items) {
        err_set(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *entry = json_array_get(models, i);
        out->n++;
        if (load_entry(entry, default_max_tokens, default_interval, &out->items[i], err) < 0) {
            const char *id = json_string_value(json_object_get(entry, "id"));
            if (id)
                err_prefix(err, "%s: entry %zu (%s)", path, i + 1, id);
            else
                err_prefix(err, "%s: entry %zu", path, i + 1);
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(out->items[j].openrouter_id, out->items[i].openrouter_id) == 0) {
                err_set(err, "%s: entry %zu: model %s is listed twice (entries %zu and %zu)", path,
                        i + 1, out->items[i].openrouter_id, j + 1, i + 1);
                goto out;
            }
    }
    rc = 0;
out:
    if (rc < 0)
        store_model_list_free(out);
    json_decref(root);
    return rc;
}
