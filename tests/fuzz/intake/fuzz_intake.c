/*
 * libFuzzer driver for the message intake. For each input:
 *   - gw_intake_parse(body); on success abort() unless the submission holds
 *     the rules of intake.h: `to` matches the user-name rule, the text is
 *     valid UTF-8 of 1..160 code points without a Cc character except LF,
 *     both are NUL-terminated copies, and ttl is in 1..259200;
 *   - on error: abort() unless the code is known, the status is 400/413/422
 *     and the detail is printable ASCII without '"' or '\\';
 *   - utf8_validate(input) against a value-based reference decoder;
 *   - gw_idem_key_check(input) against its definition.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/intake.h"
#include "gateway/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reference: decode each sequence by value (see tests/unit/gateway/test_utf8.c). */
static int ref_utf8(const uint8_t *p, size_t n, size_t *out)
{
	static const uint32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t i = 0, cps = 0;

	while (i < n) {
		uint8_t b = p[i];
		int len;
		uint32_t cp;

		if (b < 0x80) {
			i++;
			cps++;
			continue;
		}
		*out = i;
		if (b < 0xC0)
			return UTF8_E_CONTINUATION;
		len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
		if (b >= 0xF5 || b == 0xC0 || b == 0xC1)
			return UTF8_E_BYTE;
		cp = b & (0x7Fu >> len);
		for (int k = 1; k < len; k++) {
			if (i + (size_t)k >= n || (p[i + k] & 0xC0) != 0x80)
				return UTF8_E_TRUNCATED;
			cp = cp << 6 | (p[i + k] & 0x3F);
			if (k == 1) {
				unsigned rest = 6u * (unsigned)(len - 2);
				uint32_t lo = cp << rest, hi = lo | ((1u << rest) - 1);

				if (hi < min_for_len[len])
					return UTF8_E_OVERLONG;
				if (lo >= 0xD800 && hi <= 0xDFFF)
					return UTF8_E_SURROGATE;
				if (lo > 0x10FFFF)
					return UTF8_E_RANGE;
			}
		}
		i += (size_t)len;
		cps++;
	}
	*out = cps;
	return 0;
}

static void check_submit(const struct gw_submit *s)
{
	size_t cps = 0;

	if (s->to_len < 1 || s->to_len > GW_USER_MAX || s->to[s->to_len] != '\0')
		abort();
	for (size_t i = 0; i < s->to_len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-", s->to[i]) || !s->to[i])
			abort();
	if (s->text_len > GW_TEXT_MAX_BYTES || s->text[s->text_len] != '\0')
		abort();
	if (utf8_validate((const uint8_t *)s->text, s->text_len, &cps) != 0)
		abort();
	if (cps < 1 || cps > GW_TEXT_MAX_CP)
		abort();
	for (size_t i = 0; i < s->text_len; i++) {
		uint8_t c = (uint8_t)s->text[i];

		if ((c < 0x20 && c != '\n') || c == 0x7F)
			abort();
		if (c == 0xC2 && (uint8_t)s->text[i + 1] < 0xA0)
			abort();
	}
	if (s->ttl_s < 1 || s->ttl_s > GW_TTL_MAX_S)
		abort();
}

static void check_error(int r, const struct gw_intake_diag *d)
{
	char buf[256];
	int n, st = gw_intake_status(r);

	if (r >= 0 || r < GW_INTAKE_E__LAST || r == GW_INTAKE_E_IDEM_KEY)
		abort();
	if (st != 400 && st != 413 && st != 422)
		abort();
	if (!strcmp(gw_intake_code(r), "bad_request"))
		abort();
	n = gw_intake_detail(r, d, buf, sizeof(buf));
	if (n <= 0 || (size_t)n >= sizeof(buf))
		abort();
	for (int i = 0; i < n; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7E || buf[i] == '"' || buf[i] == '\\')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_submit s;
	struct gw_intake_diag d;
	size_t a = 0, b = 0;
	int r, ra, rb;

	r = gw_intake_parse((const char *)data, size, &s, &d);
	if (r == 0)
		check_submit(&s);
	else
		check_error(r, &d);

	ra = utf8_validate(data, size, &a);
	rb = ref_utf8(data, size, &b);
	if (ra != rb || a != b)
		abort();

	r = gw_idem_key_check((const char *)data, size);
	rb = size >= 1 && size <= GW_IDEM_KEY_MAX;
	for (size_t i = 0; rb && i < size; i++)
		rb = data[i] >= 0x21 && data[i] <= 0x7E;
	if ((r == 0) != (rb == 1))
		abort();
	return 0;
}
