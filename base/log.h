/*
 * Structured logs: one line per event on stderr, logfmt style:
 *
 *   ts=2026-11-27T15:20:00.123Z level=warn comp=tls event=handshake_failed peer=192.0.2.7:51514 err=-313
 *
 * The format argument starts with the event name (one word, snake_case) and
 * goes on with key=value pairs. Each line is written with a single write(2),
 * so lines from different threads never interleave. Never log message text,
 * passwords or tokens: log ids and sizes instead.
 */
#ifndef COLUMBA_BASE_LOG_H
#define COLUMBA_BASE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

/* Lines below this level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

/*
 * log_parse_level - map "debug", "info", "warn", "error" to a level.
 * Returns 0 and sets *out, or -EINVAL for any other string.
 */
int log_parse_level(const char *s, enum log_level *out);

/* Redirect output (tests); fd 2 by default. */
void log_set_fd(int fd);

void log_write(enum log_level lvl, const char *comp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vwrite(enum log_level lvl, const char *comp, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define log_debug(comp, ...)                                     \
	do {                                                     \
		if (log_get_level() <= LOG_DEBUG)                \
			log_write(LOG_DEBUG, comp, __VA_ARGS__); \
	} while (0)
#define log_info(comp, ...)  log_write(LOG_INFO, comp, __VA_ARGS__)
#define log_warn(comp, ...)  log_write(LOG_WARN, comp, __VA_ARGS__)
#define log_error(comp, ...) log_write(LOG_ERROR, comp, __VA_ARGS__)

#endif
