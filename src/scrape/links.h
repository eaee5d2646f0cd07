/*
 * links.h - linked entries: one clue whose answer runs over several lights.
 *
 * A Guardian answer often spans two lights: "13/18", one clue and a
 * 16-letter answer across two grid entries. Blogs write it in several
 * ways: the caption names both ("13/18", "13,18"); the caption names the
 * first and a line of its own names the other ("18 See 13"); or the
 * caption names only "13" and 18 gets no line at all. In the last case the
 * numbering has a gap at 18, which looks like a page cut short, except
 * that the post itself explains it. A number missing from the clue
 * numbers is a linked entry, not a truncation, when:
 *  - a continuation line names it ("18 See 13": it joins clue 13);
 *  - a clue's text refers to it together with a clue that is there
 *    ("... lost in 13/18", "13/18's ...", "13a,18d"): it joins that clue;
 *  - a clue's enumeration is longer than one light of a 15-wide grid can
 *    hold (over 15 letters): the answer needs more lights than its caption
 *    names, at most one per part of the enumeration ((6,2,8): three), so
 *    the missing numbers join it, nearest after it first.
 * Nothing else explains a gap: a number missing with no such reason still
 * fails validation as a truncated page.
 */
#ifndef CB_SCRAPE_LINKS_H
#define CB_SCRAPE_LINKS_H

#include "scrape/puzzle.h"

/* Records on each clue of p the lights linked to it (scrape_clue.linked)
 * by the rules above. Reads only what the clue reader stored; never fails. */
void scrape_links_resolve(struct scrape_puzzle *p);

/* The letter count of one light of the grids these puzzles use. */
#define SCRAPE_LIGHT_MAX 15

#endif
