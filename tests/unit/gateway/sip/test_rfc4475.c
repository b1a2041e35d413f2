/*
 * RFC 4475 torture messages (tests/data/rfc4475, listed in its INDEX):
 * valid ones parse with the right key fields, invalid ones are rejected
 * with the expected class, and every one survives the guard-page,
 * split-at-every-byte and byte-by-byte harness.
 * argv[1]: the data directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sip/sip_parse.h"
#include "sip_harness.h"

static const char *data_dir;

struct entry {
	char name[64];
	char outcome[64];
	char section[16];
	char status[8];
};

static char *read_file(const char *name, size_t *n)
{
	char path[512];
	FILE *f;
	char *buf;
	long len;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return buf;
}

static size_t load_index(struct entry *e, size_t cap)
{
	size_t n = 0, len;
	char *idx = read_file("INDEX", &len), *save = NULL, *line;

	idx[len] = '\0';
	for (line = strtok_r(idx, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || !line[0])
			continue;
		assert_true(n < cap);
		assert_int_equal(sscanf(line, "%63s %63s %15s %7s", e[n].name, e[n].outcome,
					e[n].section, e[n].status), 4);
		n++;
	}
	free(idx);
	return n;
}

static bool is(struct sip_str s, const char *lit)
{
	return sip_str_eq(s, lit);
}

static struct sip_header hdrs[H_MAX_HDRS];

/* Key fields of the valid messages. */
static void check_fields(const char *name, const struct sip_msg *m, const char *buf, size_t n,
			 ssize_t rc)
{
	char dec[256];
	ssize_t d;

	if (!strcmp(name, "wsinv.sip")) {
		assert_int_equal(m->method_id, SIP_M_INVITE);
		assert_int_equal(m->max_forwards, 68);
		assert_int_equal(m->cseq, 9);
		assert_int_equal(m->cseq_method_id, SIP_M_INVITE);
		assert_int_equal(m->n_via, 3);
		assert_true(is(m->via.transport, "UDP"));
		assert_true(is(m->via.host, "192.0.2.2"));
		assert_true(is(m->via.branch, "390skdjuw"));
		assert_true(m->via.rport);
		assert_true(is(m->to.tag, "1918181833n"));
		assert_true(is(m->from.tag, "98asjd8"));
		assert_true(is(m->from.display, "J Rosenberg \\\\\\\""));
		assert_true(is(m->from.uri, "sip:jdrosen@example.com"));
		assert_true(is(m->to.uri, "sip:vivekg@chair-dnrc.example.com"));
		assert_true(is(m->call_id, "wsinv.ndaksdj@192.0.2.1"));
		assert_int_equal(m->n_contacts, 1);
		assert_int_equal(m->contact.q, 330);
		assert_true(is(m->content_type, "application/sdp"));
		assert_int_equal(m->content_length, 150);
		assert_true(is(m->ruri.host, "chair-dnrc.example.com"));
		assert_true(is(m->ruri.user, "vivekg"));
		assert_non_null(sip_find_header(m, SIP_H_SUBJECT, NULL));
		assert_true(is(sip_find_header(m, SIP_H_SUBJECT, NULL)->value, ""));
		assert_true(is(sip_find_header(m, SIP_H_OTHER, "unknownheaderwithunusualvalue")->value,
			       ";;,,;;,;"));
	} else if (!strcmp(name, "intmeth.sip")) {
		assert_int_equal(m->method_id, SIP_M_OTHER);
		assert_true(is(m->method, "!interesting-Method0123456789_*+`.%indeed'~"));
		assert_int_equal(m->cseq, 139122385);
		assert_int_equal(m->max_forwards, 255);
		assert_true(is(m->ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"));
		assert_true(is(m->ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"));
		assert_true(is(m->from.tag, "_token~1'+`*%!-."));
		assert_true(is(m->from.display, "token1~` token2'+_ token3*%!.-"));
		assert_int_equal(m->to.display.n, 20);
	} else if (!strcmp(name, "esc01.sip")) {
		struct sip_uri to, want;

		d = sip_uri_unescape(m->ruri.user, dec, sizeof(dec));
		assert_int_equal(d, 21);
		assert_memory_equal(dec, "sips:user@example.com", 21);
		assert_int_equal(sip_uri_parse(m->to.uri.p, m->to.uri.n, &to), 0);
		assert_int_equal(sip_uri_parse("sip:user@example.com", 20, &want), 0);
		assert_true(sip_uri_equal(&to, &want));
		assert_int_equal(m->n_contacts, 1);
		assert_true(is(m->call_id, "esc01.239409asdfakjkn23onasd0-3234"));
	} else if (!strcmp(name, "escnull.sip")) {
		struct sip_uri to;

		assert_int_equal(m->method_id, SIP_M_REGISTER);
		assert_int_equal(sip_uri_parse(m->to.uri.p, m->to.uri.n, &to), 0);
		d = sip_uri_unescape(to.user, dec, sizeof(dec));
		assert_int_equal(d, 11);
		assert_memory_equal(dec, "null-\0-null", 11);
		assert_int_equal(m->n_contacts, 2);
		assert_int_equal(m->content_length, 0);
	} else if (!strcmp(name, "esc02.sip")) {
		assert_int_equal(m->method_id, SIP_M_OTHER);
		assert_true(is(m->method, "RE%47IST%45R"));
		assert_int_equal(m->n_contacts, 2);
		assert_non_null(sip_find_header(m, SIP_H_OTHER, "C%6Fntact"));
		assert_true(is(m->from.display, "%Z%45"));
	} else if (!strcmp(name, "lwsdisp.sip")) {
		assert_true(is(m->from.display, "caller"));
		assert_true(is(m->from.tag, "323"));
	} else if (!strcmp(name, "longreq.sip")) {
		assert_int_equal(m->n_via, 33);
		assert_false(m->via.has_branch);
		assert_true(is(m->via.host, "sip33.example.com"));
		assert_true(m->to.has_tag);
		assert_int_equal(m->content_length, 150);
	} else if (!strcmp(name, "dblreq.sip")) {
		struct sip_msg m2;

		assert_int_equal(m->method_id, SIP_M_REGISTER);
		assert_true((size_t)rc < n);
		assert_int_equal(h_parse(NULL, buf + rc, n - (size_t)rc, &m2, hdrs, H_MAX_HDRS),
				 n - (size_t)rc);
		assert_int_equal(m2.method_id, SIP_M_INVITE);
		assert_int_equal(m2.body.n, m2.content_length);
		assert_true(m2.body.p + m2.body.n == buf + n);
		return;
	} else if (!strcmp(name, "semiuri.sip")) {
		assert_true(is(m->ruri.user, "user;par=u%40example.net"));
		assert_true(is(m->ruri.host, "example.com"));
		assert_int_equal(m->ruri.params.n, 0);
	} else if (!strcmp(name, "transports.sip")) {
		static const char *const want[] = { "UDP", "SCTP", "TLS", "UNKNOWN", "TCP" };
		struct sip_hdr_iter it;
		struct sip_str v;
		size_t k = 0;

		assert_int_equal(m->n_via, 5);
		sip_hdr_iter_init(&it, m, SIP_H_VIA);
		while (sip_hdr_iter_next(&it, &v)) {
			struct sip_via via;

			assert_int_equal(sip_via_parse(v, &via), 0);
			assert_true(k < 5);
			assert_true(is(via.transport, want[k++]));
		}
		assert_int_equal(k, 5);
	} else if (!strcmp(name, "mpart01.sip")) {
		assert_int_equal(m->method_id, SIP_M_MESSAGE);
		assert_true(is(m->content_type, "multipart/mixed;boundary=7a9cbec.3a7c0e1f.4b5c6d7e"));
		assert_true(is(m->date, "Thu, 12 Oct 2006 20:49:11 GMT"));
		assert_true(m->via.rport);
	} else if (!strcmp(name, "unreason.sip")) {
		assert_false(m->is_request);
		assert_int_equal(m->status, 200);
		assert_true(m->reason.n > 20 && !memcmp(m->reason.p, "= 2**3 * 5**2 ", 14));
	} else if (!strcmp(name, "noreason.sip")) {
		assert_int_equal(m->status, 100);
		assert_int_equal(m->reason.n, 0);
	} else if (!strcmp(name, "unksm2.sip")) {
		assert_true(is(m->to.uri, "isbn:2983792873"));
		assert_true(is(m->from.uri, "http://www.example.com"));
		assert_true(is(m->contact.addr.uri, "name:John_Smith"));
	} else if (!strcmp(name, "bext01.sip")) {
		assert_true(sip_msg_has_option(m, SIP_H_REQUIRE, "nothingSupportsThisEither"));
		assert_true(sip_msg_has_option(m, SIP_H_PROXY_REQUIRE, "noProxiesSupportThis"));
		assert_false(sip_msg_has_option(m, SIP_H_REQUIRE, "outbound"));
	} else if (!strcmp(name, "regaut01.sip")) {
		struct sip_auth a;

		assert_non_null(m->authorization);
		assert_int_equal(sip_auth_parse(m->authorization->value, &a), 0);
		assert_true(is(a.scheme, "NoOneKnowsThisScheme"));
	} else if (!strcmp(name, "zeromf.sip")) {
		assert_int_equal(m->max_forwards, 0);
	} else if (!strcmp(name, "inv2543.sip")) {
		assert_int_equal(m->max_forwards, -1);
		assert_false(m->via.has_branch);
		assert_true(is(m->to.uri, "sip:+16505552222@ss1.example.net"));
	} else if (!strcmp(name, "bcast.sip")) {
		assert_int_equal(m->n_via, 2);
		assert_int_equal(m->status, 200);
	} else if (!strcmp(name, "regescrt.sip")) {
		struct sip_uri c;

		assert_int_equal(sip_uri_parse(m->contact.addr.uri.p, m->contact.addr.uri.n, &c), 0);
		assert_true(is(c.headers, "Route=%3Csip:sip.example.com%3E"));
	} else if (!strcmp(name, "cparam01.sip")) {
		assert_false(m->contact.addr.angle);
		assert_true(is(m->contact.addr.params, ";unknownparam"));
	}
	/* Every valid message ends with its body. */
	assert_true(m->body.p + m->body.n == buf + rc);
}

static void test_torture(void **state)
{
	static struct entry e[128];
	size_t count = load_index(e, 128), ok = 0, bad = 0;

	(void)state;
	assert_true(count >= 50);
	for (size_t i = 0; i < count; i++) {
		size_t n;
		char *buf = read_file(e[i].name, &n);
		struct sip_msg m;
		ssize_t want, rc;

		if (!strcmp(e[i].outcome, "parse-ok") || !strcmp(e[i].outcome, "eagain"))
			assert_string_equal(e[i].status, "-");
		if (!strcmp(e[i].outcome, "parse-ok")) {
			rc = h_parse(NULL, buf, n, &m, hdrs, H_MAX_HDRS);
			if (rc <= 0)
				fail_msg("%s: got %zd (%s)", e[i].name, rc, sip_perr_name((int)rc));
			check_fields(e[i].name, &m, buf, n, rc);
			want = rc;
			ok++;
		} else if (!strcmp(e[i].outcome, "eagain")) {
			want = SIP_EAGAIN;
		} else {
			want = sip_perr_from_name(e[i].outcome);
			if (!want)
				fail_msg("%s: unknown outcome %s", e[i].name, e[i].outcome);
			/* The answer a UAS sends for this class. */
			assert_int_equal(sip_perr_status((int)want), atoi(e[i].status));
			bad++;
		}
		h_run(buf, n, want, NULL, H_MAX_HDRS);
		free(buf);
	}
	printf("rfc4475: %zu messages, %zu parsed, %zu rejected with their class\n", count, ok, bad);
}

/* clerr with a body limit below its Content-Length is rejected at once. */
static void test_clerr_small_limit(void **state)
{
	struct sip_limits lim;
	struct sip_msg m;
	size_t n;
	char *buf = read_file("clerr.sip", &n);

	(void)state;
	sip_limits_default(&lim);
	lim.body_max = 1000;
	assert_int_equal(h_parse(&lim, buf, n, &m, hdrs, H_MAX_HDRS), SIP_E_BODY_TOO_LARGE);
	free(buf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torture),
		cmocka_unit_test(test_clerr_small_limit),
	};

	data_dir = argc > 1 ? argv[1] : "tests/data/rfc4475";
	return cmocka_run_group_tests(tests, NULL, NULL);
}
