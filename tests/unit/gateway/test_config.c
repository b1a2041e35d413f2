/*
 * gateway/config: defaults, INI files, --set overrides and the checks of
 * gw_config_finish(). Every error class answers -EINVAL (or -errno for a
 * file that cannot be opened) with one line naming the key; integer
 * ranges are probed at min-1, min, max and max+1; a failed assignment
 * leaves the old value in place; a dump loads back to the same settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/worker.h"
#include "gateway/config.h"

/* One heap-allocated config per test: struct gw_config holds PATH_MAX buffers. */
static struct gw_config *new_cfg(void)
{
	struct gw_config *cfg = malloc(sizeof(*cfg));

	assert_non_null(cfg);
	gw_config_defaults(cfg);
	return cfg;
}

/* --set that must succeed. */
static void set_ok(struct gw_config *cfg, const char *a)
{
	char err[512] = "";
	int r = gw_config_set(cfg, a, err, sizeof(err));

	if (r)
		fail_msg("gw_config_set(\"%s\") = %d: %s", a, r, err);
}

/* --set that must fail with -EINVAL and a message containing each needle. */
static void set_bad(struct gw_config *cfg, const char *a, const char *needle1, const char *needle2)
{
	char err[512] = "";
	int r = gw_config_set(cfg, a, err, sizeof(err));

	if (r != -EINVAL)
		fail_msg("gw_config_set(\"%s\") = %d, wanted -EINVAL", a, r);
	assert_null(strchr(err, '\n'));
	if (needle1 && !strstr(err, needle1))
		fail_msg("error for \"%s\" is \"%s\": no \"%s\"", a, err, needle1);
	if (needle2 && !strstr(err, needle2))
		fail_msg("error for \"%s\" is \"%s\": no \"%s\"", a, err, needle2);
}

/* A temporary INI file with the given text; the caller unlinks it. */
static void write_ini(char *path, size_t size, const char *text)
{
	int fd;

	snprintf(path, size, "/tmp/columba-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int load_text(struct gw_config *cfg, const char *text, char *err, size_t errlen,
		     char *path, size_t pathlen)
{
	int r;

	write_ini(path, pathlen, text);
	r = gw_config_load(cfg, path, err, errlen);
	unlink(path);
	return r;
}

static void test_defaults(void **state)
{
	struct gw_config *cfg = new_cfg();

	(void)state;
	assert_string_equal(cfg->state_dir, "./var");
	assert_int_equal(cfg->workers, 0);
	assert_true(cfg->pin_workers);
	assert_int_equal(cfg->log_level, LOG_INFO);
	assert_string_equal(cfg->domain, "localhost");
	assert_string_equal(cfg->backend, "uring");
	assert_int_equal(cfg->drain_timeout_ms, 10000);
	assert_int_equal(cfg->http_listen.family, AF_UNSPEC);
	assert_int_equal(cfg->http_listen.port, 8443);
	assert_int_equal(cfg->admin_listen.family, AF_INET);
	assert_int_equal(cfg->admin_listen.port, 8081);
	assert_int_equal(ntohl(cfg->admin_listen.v4.s_addr), INADDR_LOOPBACK);
	assert_true(cfg->admin_enabled);
	assert_int_equal(cfg->max_connections, 65536);
	assert_int_equal(cfg->max_conns_per_addr, 1024);
	assert_int_equal(cfg->header_timeout_ms, 10000);
	assert_int_equal(cfg->idle_timeout_ms, 60000);
	assert_int_equal(cfg->max_request_line, 8192);
	assert_int_equal(cfg->max_headers, 64);
	assert_int_equal(cfg->max_header_bytes, 16384);
	assert_int_equal(cfg->max_body_bytes, 16384);
	assert_int_equal(cfg->send_queue_bytes, 262144);
	assert_string_equal(cfg->cert_file, "");
	assert_string_equal(cfg->key_file, "");
	assert_int_equal(cfg->handshake_timeout_ms, 10000);
	assert_true(cfg->session_tickets);
	free(cfg);
}

struct range_case {
	const char *key; /* section.key */
	size_t off;
	uint32_t min, max;
};

#define R(k, f, lo, hi) { k, offsetof(struct gw_config, f), lo, hi }
static const struct range_case ranges[] = {
	R("server.workers", workers, 0, 256),
	R("server.drain_timeout_ms", drain_timeout_ms, 0, 600000),
	R("http.max_connections", max_connections, 1, 10000000),
	R("http.max_connections_per_address", max_conns_per_addr, 1, 10000000),
	R("http.header_timeout_ms", header_timeout_ms, 100, 600000),
	R("http.idle_timeout_ms", idle_timeout_ms, 100, 3600000),
	R("http.max_request_line", max_request_line, 64, 65536),
	R("http.max_headers", max_headers, 4, 256),
	R("http.max_header_bytes", max_header_bytes, 256, 262144),
	R("http.max_body_bytes", max_body_bytes, 64, 1048576),
	R("http.send_queue_bytes", send_queue_bytes, 16384, 67108864),
	R("tls.handshake_timeout_ms", handshake_timeout_ms, 100, 600000),
};
#undef R

static uint32_t field_u32(const struct gw_config *cfg, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)cfg + off, sizeof(v));
	return v;
}

static void test_ranges(void **state)
{
	struct gw_config *cfg = new_cfg();
	char a[128];

	(void)state;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct range_case *c = &ranges[i];
		const char *key = strchr(c->key, '.') + 1;

		snprintf(a, sizeof(a), "%s=%u", c->key, c->min);
		set_ok(cfg, a);
		assert_int_equal(field_u32(cfg, c->off), c->min);
		snprintf(a, sizeof(a), "%s=%u", c->key, c->max);
		set_ok(cfg, a);
		assert_int_equal(field_u32(cfg, c->off), c->max);
		snprintf(a, sizeof(a), "%s=%llu", c->key, (unsigned long long)c->max + 1);
		set_bad(cfg, a, key, "out of range");
		/* A refused value leaves the previous one. */
		assert_int_equal(field_u32(cfg, c->off), c->max);
		if (c->min > 0) {
			snprintf(a, sizeof(a), "%s=%u", c->key, c->min - 1);
			set_bad(cfg, a, key, "out of range");
			assert_int_equal(field_u32(cfg, c->off), c->max);
		}
	}
	free(cfg);
}

static void test_integers_malformed(void **state)
{
	struct gw_config *cfg = new_cfg();

	(void)state;
	set_bad(cfg, "server.workers=", "workers", "integer");
	set_bad(cfg, "server.workers=-1", "workers", "integer");
	set_bad(cfg, "server.workers=+1", "workers", "integer");
	set_bad(cfg, "server.workers= 1", "workers", "integer");
	set_bad(cfg, "server.workers=1x", "workers", "integer");
	set_bad(cfg, "server.workers=0x10", "workers", "integer");
	set_bad(cfg, "server.workers=two", "workers", "integer");
	set_bad(cfg, "server.workers=1.5", "workers", "integer");
	/* Past 2^64: strtoull's ERANGE, not a wrapped value. */
	set_bad(cfg, "server.workers=99999999999999999999999", "workers", NULL);
	/* 2^32 + 1 must not wrap to 1. */
	set_bad(cfg, "http.max_connections=4294967297", "max_connections", "out of range");
	assert_int_equal(cfg->workers, 0);
	assert_int_equal(cfg->max_connections, 65536);
	set_ok(cfg, "server.workers=007");
	assert_int_equal(cfg->workers, 7);
	free(cfg);
}

static void test_booleans(void **state)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	static const char *const bad[] = { "", "maybe", "2", "truee", "y", "-1" };
	struct gw_config *cfg = new_cfg();
	char a[64];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		snprintf(a, sizeof(a), "server.pin_workers=%s", no[i]);
		set_ok(cfg, a);
		assert_false(cfg->pin_workers);
		snprintf(a, sizeof(a), "server.pin_workers=%s", yes[i]);
		set_ok(cfg, a);
		assert_true(cfg->pin_workers);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(a, sizeof(a), "tls.session_tickets=%s", bad[i]);
		set_bad(cfg, a, "session_tickets", "boolean");
		assert_true(cfg->session_tickets);
	}
	set_ok(cfg, "http.admin=off");
	assert_false(cfg->admin_enabled);
	free(cfg);
}

static void test_addresses(void **state)
{
	static const char *const bad[] = {
		"localhost:8443", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:80x", "1.2.3:80", "1.2.3.4.5:80", "256.0.0.1:80",
		"[::1]", "[::1]80", "[]:80", "[::1:80", "::1:80", "[127.0.0.1]:80", "*:", "*:x",
		"**:80", "",
	};
	struct gw_config *cfg = new_cfg();
	struct in6_addr v6;
	char a[96];

	(void)state;
	set_ok(cfg, "http.listen=192.0.2.7:5061");
	assert_int_equal(cfg->http_listen.family, AF_INET);
	assert_int_equal(cfg->http_listen.port, 5061);
	assert_int_equal(ntohl(cfg->http_listen.v4.s_addr), 0xC0000207u);

	set_ok(cfg, "http.listen=[2001:db8::1]:443");
	assert_int_equal(cfg->http_listen.family, AF_INET6);
	assert_int_equal(cfg->http_listen.port, 443);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &v6), 1);
	assert_memory_equal(&cfg->http_listen.v6, &v6, sizeof(v6));

	set_ok(cfg, "http.listen=[::]:1");
	assert_int_equal(cfg->http_listen.family, AF_INET6);
	assert_int_equal(cfg->http_listen.port, 1);

	set_ok(cfg, "http.listen=*:65535");
	assert_int_equal(cfg->http_listen.family, AF_UNSPEC);
	assert_int_equal(cfg->http_listen.port, 65535);

	set_ok(cfg, "http.admin_listen=[::1]:9000");
	assert_int_equal(cfg->admin_listen.family, AF_INET6);
	assert_true(IN6_IS_ADDR_LOOPBACK(&cfg->admin_listen.v6));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(a, sizeof(a), "http.listen=%s", bad[i]);
		set_bad(cfg, a, "listen", "not an address");
		/* Unchanged. */
		assert_int_equal(cfg->http_listen.family, AF_UNSPEC);
		assert_int_equal(cfg->http_listen.port, 65535);
	}
	free(cfg);
}

static void test_strings_and_levels(void **state)
{
	struct gw_config *cfg = new_cfg();
	char *a = malloc(PATH_MAX + 64);
	size_t n;

	(void)state;
	assert_non_null(a);
	set_ok(cfg, "server.log_level=debug");
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	set_ok(cfg, "server.log_level=error");
	assert_int_equal(cfg->log_level, LOG_ERROR);
	set_bad(cfg, "server.log_level=loud", "log_level", "loud");
	assert_int_equal(cfg->log_level, LOG_ERROR);

	/* A value with '=' in it: only the first '=' separates. */
	set_ok(cfg, "server.domain=a=b");
	assert_string_equal(cfg->domain, "a=b");

	/* The longest state_dir that fits, and one byte more. */
	n = (size_t)snprintf(a, PATH_MAX + 64, "server.state_dir=");
	memset(a + n, 'd', PATH_MAX - 1);
	a[n + PATH_MAX - 1] = '\0';
	set_ok(cfg, a);
	assert_int_equal(strlen(cfg->state_dir), PATH_MAX - 1);
	a[n + PATH_MAX - 1] = 'd';
	a[n + PATH_MAX] = '\0';
	set_bad(cfg, a, "state_dir", "longer than");
	assert_int_equal(strlen(cfg->state_dir), PATH_MAX - 1);
	free(a);
	free(cfg);
}

static void test_set_syntax(void **state)
{
	struct gw_config *cfg = new_cfg();

	(void)state;
	set_bad(cfg, "http.listen", "http.listen", "section.key=value");
	set_bad(cfg, "workers=1", "workers=1", "section.key=value");
	set_bad(cfg, ".workers=1", ".workers=1", "section.key=value");
	set_bad(cfg, "server.=1", "server.=1", "section.key=value");
	set_bad(cfg, "=1", NULL, "section.key=value");
	set_bad(cfg, "", NULL, "section.key=value");
	set_bad(cfg, "a=b.c", "a=b.c", "section.key=value");
	set_bad(cfg, "server.bogus=1", "bogus", "[server]");
	set_bad(cfg, "nosuch.workers=1", "workers", "[nosuch]");
	set_bad(cfg, "tls.workers=1", "workers", "[tls]");
	/* Over-long section or key names are refused, not truncated into a match. */
	set_bad(cfg, "serverserverserverserverserverserverserver.workers=1", NULL, NULL);
	set_bad(cfg, "server.workersworkersworkersworkersworkersworkersworkersworkersworkers=1",
		NULL, NULL);
	free(cfg);
}

static void test_load_file(void **state)
{
	struct gw_config *cfg = new_cfg();
	char err[1024] = "", path[64];
	int r;

	(void)state;
	r = load_text(cfg,
		      "; columbad\n"
		      "# comments of both kinds\n"
		      "[server]\n"
		      "workers = 3\n"
		      "pin_workers = no\n"
		      "state_dir = /srv/columba\n"
		      "\n"
		      "[http]\n"
		      "listen = [::1]:9443\n"
		      "max_body_bytes = 4096\n"
		      "[tls]\n"
		      "session_tickets = off\n",
		      err, sizeof(err), path, sizeof(path));
	if (r)
		fail_msg("load: %d %s", r, err);
	assert_int_equal(cfg->workers, 3);
	assert_false(cfg->pin_workers);
	assert_string_equal(cfg->state_dir, "/srv/columba");
	assert_int_equal(cfg->http_listen.family, AF_INET6);
	assert_int_equal(cfg->http_listen.port, 9443);
	assert_int_equal(cfg->max_body_bytes, 4096);
	assert_false(cfg->session_tickets);
	/* Untouched settings keep their defaults; --set goes over the file. */
	assert_int_equal(cfg->max_headers, 64);
	set_ok(cfg, "server.workers=5");
	assert_int_equal(cfg->workers, 5);
	free(cfg);
}

/* load_text() that must fail with want, err holding "<path>:<line>:" and needles. */
static void load_bad(const char *text, int line, const char *needle1, const char *needle2)
{
	struct gw_config *cfg = new_cfg();
	char err[1024] = "", path[64], where[96];
	int r = load_text(cfg, text, err, sizeof(err), path, sizeof(path));

	if (r != -EINVAL)
		fail_msg("load of \"%s\" = %d, wanted -EINVAL (%s)", text, r, err);
	assert_null(strchr(err, '\n'));
	snprintf(where, sizeof(where), "%s:%d: ", path, line);
	if (strncmp(err, where, strlen(where)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, where);
	if (needle1 && !strstr(err, needle1))
		fail_msg("error \"%s\": no \"%s\"", err, needle1);
	if (needle2 && !strstr(err, needle2))
		fail_msg("error \"%s\": no \"%s\"", err, needle2);
	free(cfg);
}

static void test_load_errors(void **state)
{
	struct gw_config *cfg = new_cfg();
	char err[1024] = "";
	int r;

	(void)state;
	load_bad("[server]\nworkers = 1\n\nbogus = 2\n", 4, "unknown key \"bogus\"", "[server]");
	load_bad("[server]\nworkers = 1\n[nope]\nworkers = 1\n", 4, "unknown section [nope]", NULL);
	load_bad("workers = 1\n", 1, "unknown section", NULL);
	load_bad("[server]\nworkers = 1000\n", 2, "workers", "out of range");
	load_bad("[http]\nadmin = perhaps\n", 2, "admin", "boolean");
	load_bad("[http]\nlisten = 8443\n", 2, "listen", "not an address");
	load_bad("[server]\nlog_level = chatty\n", 2, "log_level", NULL);
	load_bad("[server]\nworkers = 1\njust some words\n", 3, "syntax error", NULL);
	/* The first error is the one reported, with its own line. */
	load_bad("[server]\nworkers = x\nbogus = 1\n", 2, "workers", NULL);
	load_bad("[server]\nworkers = x\nnot a setting\n", 2, "workers", NULL);
	load_bad("[server]\nnot a setting\nworkers = x\n", 2, "syntax error", NULL);
	/* An unclosed section header, then a key: the header is the error
	 * (not an "unknown section" for the key that follows it). */
	load_bad("[server\nworkers = 1\n", 1, "syntax error", NULL);
	load_bad("[server]\nworkers = 1\n[oops\nbogus = 1\n", 3, "syntax error", NULL);

	r = gw_config_load(cfg, "/nonexistent/columbad.ini", err, sizeof(err));
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/columbad.ini"));
	assert_non_null(strstr(err, "cannot open"));
	free(cfg);
}

static void finish_bad(struct gw_config *cfg, const char *needle1, const char *needle2)
{
	char err[1024] = "";
	int r = gw_config_finish(cfg, err, sizeof(err));

	if (r != -EINVAL)
		fail_msg("gw_config_finish = %d, wanted -EINVAL", r);
	if (needle1 && !strstr(err, needle1))
		fail_msg("error \"%s\": no \"%s\"", err, needle1);
	if (needle2 && !strstr(err, needle2))
		fail_msg("error \"%s\": no \"%s\"", err, needle2);
}

static void test_finish(void **state)
{
	struct gw_config *cfg = new_cfg();
	char err[1024] = "";
	unsigned ncpu = dp_online_cpus();

	(void)state;
	/* workers = 0: one per core minus one, at least one. */
	set_ok(cfg, "server.state_dir=/var/lib/columba");
	assert_int_equal(gw_config_finish(cfg, err, sizeof(err)), 0);
	assert_true(cfg->workers >= 1);
	assert_int_equal(cfg->workers, ncpu > 1 ? ncpu - 1 : 1);
	/* The development certificate lives in the state directory. */
	assert_true(cfg->dev_cert);
	assert_string_equal(cfg->cert_file, "/var/lib/columba/tls/dev-cert.pem");
	assert_string_equal(cfg->key_file, "/var/lib/columba/tls/dev-key.pem");
	free(cfg);

	/* An explicit worker count is kept. */
	cfg = new_cfg();
	set_ok(cfg, "server.workers=7");
	assert_int_equal(gw_config_finish(cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->workers, 7);
	assert_string_equal(cfg->cert_file, "./var/tls/dev-cert.pem");
	free(cfg);

	/* A configured certificate is used as given. */
	cfg = new_cfg();
	set_ok(cfg, "tls.certificate=/etc/columba/cert.pem");
	set_ok(cfg, "tls.private_key=/etc/columba/key.pem");
	assert_int_equal(gw_config_finish(cfg, err, sizeof(err)), 0);
	assert_false(cfg->dev_cert);
	assert_string_equal(cfg->cert_file, "/etc/columba/cert.pem");
	assert_string_equal(cfg->key_file, "/etc/columba/key.pem");
	free(cfg);

	/* One without the other. */
	cfg = new_cfg();
	set_ok(cfg, "tls.certificate=/etc/columba/cert.pem");
	finish_bad(cfg, "certificate", "private_key");
	free(cfg);
	cfg = new_cfg();
	set_ok(cfg, "tls.private_key=/etc/columba/key.pem");
	finish_bad(cfg, "certificate", "private_key");
	free(cfg);

	cfg = new_cfg();
	set_ok(cfg, "server.backend=dpdk");
	finish_bad(cfg, "backend", "dpdk");
	free(cfg);

	cfg = new_cfg();
	set_ok(cfg, "server.state_dir=");
	finish_bad(cfg, "state_dir", NULL);
	free(cfg);

	/* The head must have room for the longest request line. */
	cfg = new_cfg();
	set_ok(cfg, "http.max_request_line=8192");
	set_ok(cfg, "http.max_header_bytes=8195");
	finish_bad(cfg, "max_header_bytes", "max_request_line");
	free(cfg);
	cfg = new_cfg();
	set_ok(cfg, "http.max_request_line=8192");
	set_ok(cfg, "http.max_header_bytes=8196");
	assert_int_equal(gw_config_finish(cfg, err, sizeof(err)), 0);
	free(cfg);

	/* Per-address connections cannot exceed all connections. */
	cfg = new_cfg();
	set_ok(cfg, "http.max_connections=10");
	set_ok(cfg, "http.max_connections_per_address=50");
	assert_int_equal(gw_config_finish(cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->max_conns_per_addr, 10);
	free(cfg);
}

static void test_finish_state_dir_too_long(void **state)
{
	struct gw_config *cfg = new_cfg();
	char *a = malloc(PATH_MAX + 64);
	size_t n;

	(void)state;
	assert_non_null(a);
	/* Fits as a directory, not with "/tls/dev-cert.pem" after it. */
	n = (size_t)snprintf(a, PATH_MAX + 64, "server.state_dir=/");
	memset(a + n, 's', PATH_MAX - 10);
	a[n + PATH_MAX - 10] = '\0';
	set_ok(cfg, a);
	finish_bad(cfg, "state_dir", NULL);
	free(a);
	free(cfg);
}

static void test_dump_loads_back(void **state)
{
	struct gw_config *a = new_cfg(), *b = new_cfg();
	char err[1024] = "", path[64];
	char *text1 = NULL, *text2 = NULL;
	size_t len1 = 0, len2 = 0;
	FILE *f;
	int fd;

	(void)state;
	set_ok(a, "server.workers=4");
	set_ok(a, "server.pin_workers=false");
	set_ok(a, "server.log_level=warn");
	set_ok(a, "http.listen=[::1]:9443");
	set_ok(a, "http.admin_listen=127.0.0.1:9081");
	set_ok(a, "http.max_body_bytes=2048");
	set_ok(a, "tls.session_tickets=no");
	f = open_memstream(&text1, &len1);
	assert_non_null(f);
	gw_config_dump(a, f);
	fclose(f);

	snprintf(path, sizeof(path), "/tmp/columba-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text1, len1), (ssize_t)len1);
	close(fd);
	if (gw_config_load(b, path, err, sizeof(err)))
		fail_msg("dump does not load back: %s\n%s", err, text1);
	unlink(path);
	f = open_memstream(&text2, &len2);
	assert_non_null(f);
	gw_config_dump(b, f);
	fclose(f);
	assert_string_equal(text1, text2);
	assert_int_equal(b->http_listen.family, AF_INET6);
	assert_int_equal(b->workers, 4);
	assert_false(b->session_tickets);

	/* --help-config lists every key the dump has. */
	free(text2);
	text2 = NULL;
	f = open_memstream(&text2, &len2);
	assert_non_null(f);
	gw_config_describe(f);
	fclose(f);
	for (char *line = strtok(text1, "\n"); line; line = strtok(NULL, "\n")) {
		char key[80], pat[96];

		if (line[0] == '[' || sscanf(line, "%79s =", key) != 1)
			continue;
		snprintf(pat, sizeof(pat), "  %s ", key);
		if (!strstr(text2, pat))
			fail_msg("--help-config does not describe \"%s\"", key);
	}
	free(text1);
	free(text2);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_integers_malformed),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_strings_and_levels),
		cmocka_unit_test(test_set_syntax),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_finish_state_dir_too_long),
		cmocka_unit_test(test_dump_loads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
