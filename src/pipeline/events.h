/*
 * events.h - the events the pipeline's functions listen for, and the data
 * each of them reads: checked before an event from outside (`send`, POST
 * /e/) is stored, so a typo'd name or a malformed week is refused with the
 * reason instead of answering 200 and queuing a run that fails or does
 * nothing.
 *
 * Events the functions send each other (benchmark/scrape.complete, ...)
 * do not come through here.
 */
#ifndef CB_PIPELINE_EVENTS_H
#define CB_PIPELINE_EVENTS_H

#include <jansson.h>

#include "core/err.h"
#include "store/store.h"

/* Checks one event: name must be one a pipeline function listens for, and
 * data (NULL is {}) an object holding only the fields that function reads,
 * each well-formed (week ids as YYYY-Www, series by their names, models by
 * an id in the models table when store is given; store may be NULL to skip
 * that lookup). Returns 0, or -1 with err saying what is wrong and what is
 * allowed. */
int pipeline_event_check(struct store *store, const char *name, const json_t *data, struct err *err);

/* The same, shaped as the web server's event hook (ctx is the store). */
int pipeline_event_check_hook(void *ctx, const char *name, const json_t *data, struct err *err);

#endif
