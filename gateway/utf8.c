/*
 * Strict UTF-8 validation: a direct transcription of Unicode Table 3-7,
 * with an 8-bytes-at-a-time fast path for ASCII runs (the common case for
 * short messages in Latin scripts).
 */
#include <string.h>

#include "gateway/utf8.h"

#define ASCII_MASK 0x8080808080808080ull

static inline int is_cont(uint8_t b)
{
	return (b & 0xC0) == 0x80;
}

/*
 * Validate the multi-byte sequence starting with lead byte p[i] (>= 0x80).
 * Returns its length (2..4) or a UTF8_E_* code.
 */
static int seq_check(const uint8_t *p, size_t n, size_t i)
{
	uint8_t b0 = p[i], lo = 0x80, hi = 0xBF;
	int len, bad = UTF8_E_TRUNCATED;

	if (b0 < 0xC0)
		return UTF8_E_CONTINUATION;
	if (b0 < 0xC2 || b0 > 0xF4)
		return UTF8_E_BYTE;
	if (b0 < 0xE0) {
		len = 2;
	} else if (b0 < 0xF0) {
		len = 3;
		if (b0 == 0xE0) {
			lo = 0xA0;
			bad = UTF8_E_OVERLONG;
		} else if (b0 == 0xED) {
			hi = 0x9F;
			bad = UTF8_E_SURROGATE;
		}
	} else {
		len = 4;
		if (b0 == 0xF0) {
			lo = 0x90;
			bad = UTF8_E_OVERLONG;
		} else if (b0 == 0xF4) {
			hi = 0x8F;
			bad = UTF8_E_RANGE;
		}
	}
	/* Second byte: the only one whose range depends on the lead byte. */
	if (i + 1 >= n || !is_cont(p[i + 1]))
		return UTF8_E_TRUNCATED;
	if (p[i + 1] < lo || p[i + 1] > hi)
		return bad;
	for (int k = 2; k < len; k++)
		if (i + (size_t)k >= n || !is_cont(p[i + (size_t)k]))
			return UTF8_E_TRUNCATED;
	return len;
}

int utf8_validate(const uint8_t *p, size_t n, size_t *code_points)
{
	size_t i = 0, cps = 0;

	while (i < n) {
		if (p[i] < 0x80) {
			uint64_t w;

			/* ASCII run: 8 bytes per step while all high bits are clear. */
			while (i + 8 <= n) {
				memcpy(&w, p + i, 8);
				if (w & ASCII_MASK)
					break;
				i += 8;
				cps += 8;
			}
			while (i < n && p[i] < 0x80) {
				i++;
				cps++;
			}
			continue;
		}
		int r = seq_check(p, n, i);

		if (r < 0) {
			if (code_points)
				*code_points = i;
			return r;
		}
		i += (size_t)r;
		cps++;
	}
	if (code_points)
		*code_points = cps;
	return 0;
}

const char *utf8_strerror(int err)
{
	switch (err) {
	case 0:                   return "valid";
	case UTF8_E_OVERLONG:     return "overlong encoding";
	case UTF8_E_SURROGATE:    return "encoded surrogate";
	case UTF8_E_RANGE:        return "code point above U+10FFFF";
	case UTF8_E_TRUNCATED:    return "truncated sequence";
	case UTF8_E_CONTINUATION: return "stray continuation byte";
	case UTF8_E_BYTE:         return "byte never valid in UTF-8";
	default:                  return "invalid UTF-8";
	}
}
