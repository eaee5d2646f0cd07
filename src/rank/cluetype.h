/*
 * cluetype.h - the wordplay types of a clue, read from the blog's
 * explanation text (clues.explanation) by a small rule set over the
 * bloggers' conventions. Pure and deterministic; the rules are the table
 * in cluetype.c and docs/ranking.md, checked against hand-labelled real
 * clues (tests/fixtures/cluetypes.tsv, tests/integration/test_cluetype.c).
 *
 * The types are a set (a clue may have several): anagram, hidden word,
 * charade, container/insertion, reversal, homophone, deletion, double
 * definition, cryptic definition, &lit. An explanation that matches none
 * is "other" (letter selection, say); a clue with no explanation is
 * "unknown".
 */
#ifndef CB_RANK_CLUETYPE_H
#define CB_RANK_CLUETYPE_H

#include <stddef.h>

enum rank_clue_type {
    RANK_CT_ANAGRAM = 1u << 0,
    RANK_CT_HIDDEN = 1u << 1,
    RANK_CT_CHARADE = 1u << 2,
    RANK_CT_CONTAINER = 1u << 3,
    RANK_CT_REVERSAL = 1u << 4,
    RANK_CT_HOMOPHONE = 1u << 5,
    RANK_CT_DELETION = 1u << 6,
    RANK_CT_DOUBLE_DEFINITION = 1u << 7,
    RANK_CT_CRYPTIC_DEFINITION = 1u << 8,
    RANK_CT_AND_LIT = 1u << 9,
    RANK_CT_OTHER = 1u << 10,   /* an explanation, no type recognised */
    RANK_CT_UNKNOWN = 1u << 11, /* no explanation */
};

#define RANK_CT_COUNT 12

/* The types of a clue from its explanation (NULL or blank: UNKNOWN);
 * never 0. */
unsigned rank_clue_types(const char *explanation);

/* The name of type number i (0 .. RANK_CT_COUNT-1, bit 1 << i) as stored
 * and shown: "anagram", "hidden", "charade", "container", "reversal",
 * "homophone", "deletion", "double_definition", "cryptic_definition",
 * "and_lit", "other", "unknown"; NULL out of range. */
const char *rank_clue_type_name(int i);

/* The names of the set bits of types, comma-separated in type order
 * ("charade,deletion"), into out (truncated to size, always terminated). */
void rank_clue_types_text(unsigned types, char *out, size_t size);

#endif
