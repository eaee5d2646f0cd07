/*
 * str.h - small string helpers shared by every module.
 */
#ifndef CB_CORE_STR_H
#define CB_CORE_STR_H

/* A malloc'd copy of s, owned by the caller; NULL when s is NULL (a NULL
 * column or field stays NULL) or when memory runs out. */
char *str_dup_or_null(const char *s);

#endif
