#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = LOG_INFO;
static _Atomic int log_fd = 2;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level lvl)
{
	atomic_store(&log_level, (int)lvl);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_fd(int fd)
{
	atomic_store(&log_fd, fd);
}

void log_vwrite(enum log_level lvl, const char *comp, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	if ((int)lvl < atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	r = snprintf(line, sizeof(line),
		     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s comp=%s event=",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
		     level_names[lvl], comp);
	if (r < 0)
		return;
	n = (size_t)r;
	/* A prefix that filled the buffer (absurdly long comp) leaves no room:
	 * skip the body, else sizeof(line) - n - 1 wraps and overflows line. */
	if (n <= sizeof(line) - 2) {
		r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
		if (r < 0)
			return;
		n += (size_t)r;
	}
	if (n > sizeof(line) - 2) {
		/* Truncated: say so rather than silently cutting a key=value. */
		n = sizeof(line) - 2 - 12;
		memcpy(line + n, " truncated=1", 12);
		n += 12;
	}
	line[n++] = '\n';
	/* One write per line keeps lines whole across threads. */
	ssize_t w = write(atomic_load(&log_fd), line, n);
	(void)w;
}

void log_write(enum log_level lvl, const char *comp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(lvl, comp, fmt, ap);
	va_end(ap);
}
