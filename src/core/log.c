/* log.c - leveled diagnostics on stderr; see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level current_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > current_level)
        return;
    char line[2048];
    int n = snprintf(line, sizeof line, "cryptic-bench: %s: ", names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
