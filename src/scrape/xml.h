/*
 * xml.h - the libxml2 functions scrape/ calls, from the library loaded
 * (dlopen) when the first feed or page is parsed, not at program start.
 *
 * Why: libxml2 brings ICU and libstdc++, whose start-up alone is 2 MB of
 * resident memory in every process that maps them; most commands
 * (evaluate, rank, serve between scrapes) never parse a page. The types
 * and constants still come from libxml2's headers, so the calls are
 * checked against them; only the binding is late. See docs/benchmarks.md.
 */
#ifndef CB_SCRAPE_XML_H
#define CB_SCRAPE_XML_H

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>

#include "core/err.h"

struct scrape_xml {
    __typeof__(xmlReadMemory) *read_memory;
    __typeof__(htmlReadMemory) *html_read_memory;
    __typeof__(xmlGetLastError) *get_last_error;
    __typeof__(xmlDocGetRootElement) *doc_root;
    __typeof__(xmlFreeDoc) *free_doc;
    __typeof__(xmlNodeGetContent) *node_content;
    __typeof__(xmlGetProp) *get_prop;
    __typeof__(xmlXPathNewContext) *xpath_new_context;
    __typeof__(xmlXPathFreeContext) *xpath_free_context;
    __typeof__(xmlXPathEvalExpression) *xpath_eval;
    __typeof__(xmlXPathCastToString) *xpath_cast_to_string;
    __typeof__(xmlXPathFreeObject) *xpath_free_object;
    xmlFreeFunc *free; /* the library's xmlFree hook: call (*x->free)(p) */
};

/* The functions, the library loaded and initialised (xmlInitParser) on the
 * first call from any thread; NULL, with what failed in err (may be NULL),
 * when the library or one of its functions cannot be loaded. */
const struct scrape_xml *scrape_xml(struct err *err);

#endif
