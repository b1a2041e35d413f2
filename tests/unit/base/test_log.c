/*
 * Unit tests for base/log: the logfmt line format, level filtering,
 * log_parse_level and truncation of over-long lines. Output goes to a
 * non-blocking pipe (log_set_fd) that each test reads back.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/compiler.h"
#include "base/log.h"

#define LINE_MAX_BYTES 1024 /* log.c's line buffer, newline included */

static int pipe_fds[2];

static int setup(void **state)
{
	(void)state;
	if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	log_set_fd(pipe_fds[1]);
	log_set_level(LOG_INFO);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_fd(2);
	log_set_level(LOG_INFO);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	return 0;
}

/* Everything written so far, NUL-terminated; returns its length. */
static size_t read_all(char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(pipe_fds[0], buf + n, size - 1 - n);

		if (r <= 0) {
			assert_true(r < 0 && errno == EAGAIN);
			break;
		}
		n += (size_t)r;
		assert_true(n < size - 1);
	}
	buf[n] = '\0';
	return n;
}

static size_t count_char(const char *s, char c)
{
	size_t k = 0;

	for (; *s; s++)
		k += *s == c;
	return k;
}

static void assert_matches(const char *line, const char *pattern)
{
	regex_t re;
	int r;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	r = regexec(&re, line, 0, NULL, 0);
	regfree(&re);
	if (r != 0)
		fail_msg("line '%s' does not match /%s/", line, pattern);
}

#define TS_RE "^ts=[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}Z "

static void test_line_format(void **state)
{
	char buf[4096];

	(void)state;
	log_info("tls", "handshake_failed peer=%s err=%d", "192.0.2.7:51514", -313);
	read_all(buf, sizeof(buf));
	assert_matches(buf, TS_RE "level=info comp=tls event=handshake_failed "
			    "peer=192\\.0\\.2\\.7:51514 err=-313\n$");
	assert_int_equal(count_char(buf, '\n'), 1);

	log_warn("sip", "x");
	log_error("http", "y k=%u", 7u);
	read_all(buf, sizeof(buf));
	assert_int_equal(count_char(buf, '\n'), 2);
	assert_matches(buf, TS_RE "level=warn comp=sip event=x\n"
			    "ts=[^ ]+Z level=error comp=http event=y k=7\n$");
}

static void test_level_filter(void **state)
{
	char buf[4096];

	(void)state;
	/* Default INFO: debug dropped. */
	log_debug("t", "dbg");
	log_info("t", "inf");
	read_all(buf, sizeof(buf));
	assert_int_equal(count_char(buf, '\n'), 1);
	assert_non_null(strstr(buf, "level=info comp=t event=inf\n"));

	log_set_level(LOG_WARN);
	assert_int_equal(log_get_level(), LOG_WARN);
	log_debug("t", "a");
	log_info("t", "b");
	log_warn("t", "c");
	log_error("t", "d");
	read_all(buf, sizeof(buf));
	assert_int_equal(count_char(buf, '\n'), 2);
	assert_non_null(strstr(buf, "level=warn comp=t event=c\n"));
	assert_non_null(strstr(buf, "level=error comp=t event=d\n"));

	log_set_level(LOG_ERROR);
	log_warn("t", "e");
	assert_int_equal(read_all(buf, sizeof(buf)), 0);

	log_set_level(LOG_DEBUG);
	log_debug("t", "f n=%d", 1);
	log_write(LOG_DEBUG, "t", "g");
	read_all(buf, sizeof(buf));
	assert_matches(buf, TS_RE "level=debug comp=t event=f n=1\n"
			    "ts=[^ ]+Z level=debug comp=t event=g\n$");
}

static void test_parse_level(void **state)
{
	static const struct {
		const char *s;
		enum log_level lvl;
	} ok[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO },
		{ "warn", LOG_WARN },	{ "error", LOG_ERROR },
	};
	static const char *const bad[] = { "", "INFO", "Info", "warning", "err", "info ",
					   " info", "debug2", "fatal" };
	enum log_level lvl;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		lvl = (enum log_level)-1;
		assert_int_equal(log_parse_level(ok[i].s, &lvl), 0);
		assert_int_equal(lvl, ok[i].lvl);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		lvl = LOG_ERROR;
		assert_int_equal(log_parse_level(bad[i], &lvl), -EINVAL);
		assert_int_equal(lvl, LOG_ERROR); /* untouched on error */
	}
}

/* Length of the fixed prefix up to and including "event=" for comp "t". */
static size_t prefix_len(void)
{
	return strlen("ts=2026-11-27T15:20:00.123Z level=info comp=t event=");
}

static void test_truncation(void **state)
{
	static char body[3000];
	char buf[8192];
	size_t n, fit;

	(void)state;
	memset(body, 'a', sizeof(body) - 1);

	/* Far too long: cut, marked, one newline. */
	log_info("t", "long v=%s", body);
	n = read_all(buf, sizeof(buf));
	assert_int_equal(n, LINE_MAX_BYTES - 1);
	assert_int_equal(count_char(buf, '\n'), 1);
	assert_int_equal(buf[n - 1], '\n');
	assert_non_null(strstr(buf, "aaaa truncated=1\n"));
	assert_matches(buf, TS_RE "level=info comp=t event=long v=a+ truncated=1\n$");

	/* The longest line that fits is written whole (1022 chars + newline)... */
	fit = LINE_MAX_BYTES - 2 - prefix_len();
	log_info("t", "%.*s", (int)fit, body);
	n = read_all(buf, sizeof(buf));
	assert_int_equal(n, LINE_MAX_BYTES - 1);
	assert_null(strstr(buf, "truncated"));
	assert_int_equal(count_char(buf, '\n'), 1);

	/* ...and one more character makes it truncated. */
	log_info("t", "%.*s", (int)fit + 1, body);
	n = read_all(buf, sizeof(buf));
	assert_int_equal(n, LINE_MAX_BYTES - 1);
	assert_non_null(strstr(buf, " truncated=1\n"));
	assert_int_equal(count_char(buf, '\n'), 1);
}

/*
 * A component name that fills the line buffer (never done on purpose, but
 * it must not write past the buffer): still one bounded, marked line. The
 * lengths put the end of the prefix on each side of the buffer's end, where
 * a write past it lands in ASan's redzone.
 */
static void test_overlong_comp(void **state)
{
	static char comp[2000];
	const size_t fixed = strlen("ts=2026-11-27T15:20:00.123Z level=info comp= event=");
	char buf[8192];
	size_t n;

	(void)state;
	for (size_t prefix = LINE_MAX_BYTES - 4; prefix <= sizeof(comp); prefix++) {
		size_t len;

		if (prefix > LINE_MAX_BYTES + 64)
			prefix = sizeof(comp); /* then one far too long */
		len = prefix - fixed;
		memset(comp, 'c', len);
		comp[len] = '\0';
		log_info(comp, "ev k=%d", 1);
		n = read_all(buf, sizeof(buf));
		assert_int_equal(n, LINE_MAX_BYTES - 1);
		assert_int_equal(count_char(buf, '\n'), 1);
		assert_matches(buf, TS_RE "level=info comp=c+[ a-z=]* truncated=1\n$");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_line_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
		cmocka_unit_test(test_parse_level),
		cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_comp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
