/*
 * log.h - leveled diagnostics on stderr.
 *
 * Results a command was asked for go to stdout; everything about how it went
 * (progress, warnings, debug detail) goes here. The level is process-wide:
 * -q shows errors and warnings only, -v adds debug lines.
 */
#ifndef CB_CORE_LOG_H
#define CB_CORE_LOG_H

enum log_level {
    LOG_ERROR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Writes one line "cryptic-bench: <level>: <message>" when level is enabled.
 * Thread-safe: each line is written with a single call. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
