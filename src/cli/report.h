/*
 * report.h - the text the commands print from what store/ returns: the
 * weeks `rank` (and `evaluate`, `backfill`) report, and `run`'s progress
 * line and summary. store/ returns rows; the wording lives here.
 */
#ifndef CB_CLI_REPORT_H
#define CB_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "store/store.h"

/* Writes to out, from the stored tables: per week (from_week on, or all)
 * "ranked ... N models ranked; incomplete: ..." or "no ranking <reason>",
 * and a count line. */
int report_rank(struct store *store, const char *from_week, FILE *out, struct err *err);

/* One progress line for `run` into out (truncated to size): runs per
 * function (done / all), steps done, evaluations (errors) and cost, for the
 * runs created at since_ms or later. */
int report_run_progress(struct store *store, int64_t since_ms, char *out, size_t size, struct err *err);

/* The summary of the runs created since since_ms into out (truncated to
 * size): a table of runs per function, the failures' errors, the weeks'
 * status. *failed counts failed runs. */
int report_run_summary(struct store *store, int64_t since_ms, char *out, size_t size, int *failed,
                       struct err *err);

#endif
