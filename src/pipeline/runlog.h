/*
 * runlog.h - one log line when a workflow run starts and one when it ends,
 * so `journalctl -u cryptic-bench` tells the week's story: which function,
 * for which week or model, how it ended, how long it took, what it cost.
 */
#ifndef CB_PIPELINE_RUNLOG_H
#define CB_PIPELINE_RUNLOG_H

#include "store/store.h"

/* The engine's on_run hook (flow_engine_opts): logs (log_info) "run ID
 * started: FUNCTION (week W, model M)" for a running run, and "run ID
 * completed|failed|cancelled: FUNCTION (...) in 12.3 s, cost $0.0123[:
 * error]" for an ended one. ctx is unused. */
void pipeline_log_run(void *ctx, struct store *store, const struct store_flow_run *run);

#endif
