/* xml.c - libxml2 loaded on first use; see xml.h. */
#include "scrape/xml.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* The library's soname, found by meson at configure time
 * (scripts/soname.py); the default is libxml2 2.9 to 2.13's. */
#ifndef CB_LIBXML2_SONAME
#define CB_LIBXML2_SONAME "libxml2.so.2"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct scrape_xml lib;
static const struct scrape_xml *loaded;
static char why[256];

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define BIND(field, name)                                                                    \
    do {                                                                                     \
        void *sym = dlsym(handle, name);                                                     \
        if (!sym) {                                                                          \
            snprintf(why, sizeof why, "%s has no %s", CB_LIBXML2_SONAME, name);            \
            return;                                                                          \
        }                                                                                    \
        *(void **)&lib.field = sym;                                                          \
    } while (0)

static void load(void)
{
    /* RTLD_LOCAL: its symbols serve these pointers only. Never closed: the
     * documents it returned live until their callers free them. */
    void *handle = dlopen(CB_LIBXML2_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        snprintf(why, sizeof why, "cannot load %s: %s", CB_LIBXML2_SONAME, e ? e : "unknown error");
        return;
    }
    void (*init)(void) = NULL;
    void *sym = dlsym(handle, "xmlInitParser");
    if (!sym) {
        snprintf(why, sizeof why, "%s has no xmlInitParser", CB_LIBXML2_SONAME);
        return;
    }
    *(void **)&init = sym;
    BIND(read_memory, "xmlReadMemory");
    BIND(html_read_memory, "htmlReadMemory");
    BIND(get_last_error, "xmlGetLastError");
    BIND(doc_root, "xmlDocGetRootElement");
    BIND(free_doc, "xmlFreeDoc");
    BIND(node_content, "xmlNodeGetContent");
    BIND(get_prop, "xmlGetProp");
    BIND(xpath_new_context, "xmlXPathNewContext");
    BIND(xpath_free_context, "xmlXPathFreeContext");
    BIND(xpath_eval, "xmlXPathEvalExpression");
    BIND(xpath_cast_to_string, "xmlXPathCastToString");
    BIND(xpath_free_object, "xmlXPathFreeObject");
    lib.free = dlsym(handle, "xmlFree");
    if (!lib.free || !*lib.free) {
        snprintf(why, sizeof why, "%s has no xmlFree", CB_LIBXML2_SONAME);
        return;
    }
    /* Once, before any thread parses: libxml2's rule for threaded use. */
    init();
    loaded = &lib;
}

const struct scrape_xml *scrape_xml(struct err *err)
{
    pthread_once(&once, load);
    if (!loaded)
        err_set(err, "libxml2: %s", why);
    return loaded;
}
