/*
 * stepmap.c - the replay's lookups in constant time: a small open-addressing
 * string map (see internal.h). A replay asks for every step of the run
 * again, so a linear search per call made a run of n steps cost n^3.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/internal.h"

/* FNV-1a: the keys are short step ids and hex hashes. */
static uint32_t hash_key(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static struct stepmap_entry *probe(struct stepmap *m, const char *key, uint32_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct stepmap_entry *e = &m->slots[i];
        if (!e->key || (e->h == h && strcmp(e->key, key) == 0))
            return e;
    }
}

struct stepmap_entry *stepmap_get(struct stepmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    struct stepmap_entry *e = probe(m, key, hash_key(key));
    return e->key ? e : NULL;
}

struct stepmap_entry *stepmap_put(struct stepmap *m, const char *key)
{
    if ((m->n + 1) * 2 > m->cap) { /* at most half full */
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct stepmap_entry *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return NULL;
        struct stepmap old = *m;
        m->slots = slots;
        m->cap = cap;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slots[i].key)
                *probe(m, old.slots[i].key, old.slots[i].h) = old.slots[i];
        free(old.slots);
    }
    uint32_t h = hash_key(key);
    struct stepmap_entry *e = probe(m, key, h);
    if (e->key)
        return e;
    char *copy = strdup(key);
    if (!copy)
        return NULL;
    memset(e, 0, sizeof *e);
    e->key = copy;
    e->h = h;
    m->n++;
    return e;
}

void stepmap_free(struct stepmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof *m);
}
