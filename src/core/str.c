/* str.c - small string helpers (see str.h). */
#include "core/str.h"

#include <string.h>

char *str_dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}
