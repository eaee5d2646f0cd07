/*
 * ranking.h - the rankings recomputed: store/'s rows in, rank/'s rules
 * applied, the derived tables written back. The adapter between the two
 * lives here because neither may know the other (DESIGN §2: rank/ is pure
 * computation on plain data, store/ returns rows): it turns
 * store_ranking_source into rank_input (counting the wrong-length answers
 * and reading each clue's wordplay types on the way) and rank_output into
 * store_rankings.
 */
#ifndef CB_PIPELINE_RANKING_H
#define CB_PIPELINE_RANKING_H

#include "core/err.h"
#include "store/store.h"

/* Recomputes every ranking from the stored evaluations and stores them
 * (store_rank_write: from_week and later, or everything when NULL) in
 * one atomic batch. threshold: coverage % to be ranked (0: 100). On
 * success *weeks_ranked (may be NULL) is the number of ranked weeks from
 * from_week on. A failure leaves the stored rankings as they were. */
int pipeline_rankings_recompute(struct store *store, double threshold, const char *from_week, int *weeks_ranked,
                                struct err *err);

#endif
