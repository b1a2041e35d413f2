/*
 * Strict UTF-8 validation (RFC 3629 §4, Unicode 15 Table 3-7 "Well-Formed
 * UTF-8 Byte Sequences"). Pure code, no allocation, no I/O.
 *
 * Return contract (one distinct negative code per class of ill-formed input,
 * so tests can assert why a string was refused). The offset reported on error
 * is the first byte of the ill-formed subsequence: the lead byte for
 * OVERLONG / SURROGATE / RANGE / TRUNCATED, the offending byte itself for
 * CONTINUATION / BYTE.
 */
#ifndef COLUMBA_GATEWAY_UTF8_H
#define COLUMBA_GATEWAY_UTF8_H

#include <stddef.h>
#include <stdint.h>

enum {
	/* E0 80..9F or F0 80..8F: a 3- or 4-byte form of a shorter code point. */
	UTF8_E_OVERLONG = -1,
	/* ED A0..BF: an encoded UTF-16 surrogate U+D800..U+DFFF. */
	UTF8_E_SURROGATE = -2,
	/* F4 90..BF: a code point above U+10FFFF. */
	UTF8_E_RANGE = -3,
	/* A lead byte whose sequence ends (end of input or a non-continuation
	 * byte) before it is complete. */
	UTF8_E_TRUNCATED = -4,
	/* A continuation byte 80..BF where a lead byte was expected. */
	UTF8_E_CONTINUATION = -5,
	/* A byte that never occurs in UTF-8: C0, C1 (they could only start an
	 * overlong 2-byte form, Table 3-7 has no row for them) and F5..FF. */
	UTF8_E_BYTE = -6,
};

/*
 * utf8_validate - check that @p[0..n) is well-formed UTF-8.
 * @p:           bytes (may be NULL when @n is 0); NUL is a valid code point.
 * @n:           length in bytes.
 * @code_points: if not NULL, receives on success the number of code points;
 *               on error the byte offset of the first bad byte (see above).
 * Returns 0, or one of UTF8_E_* (negative).
 */
int utf8_validate(const uint8_t *p, size_t n, size_t *code_points);

/*
 * utf8_strerror - short English name of a UTF8_E_* class ("overlong
 * encoding", …) for error details; "valid" for 0, "invalid UTF-8" for
 * anything else. Never NULL.
 */
const char *utf8_strerror(int err);

#endif
