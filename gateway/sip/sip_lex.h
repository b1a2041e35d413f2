/*
 * Internal to gateway/sip: character classes of the RFC 3261 §25 grammar and
 * small scanning helpers over slices.
 *
 * Header values handed to these helpers are slices of a complete head whose
 * line structure the scanner already checked: any CR or LF inside a value is
 * part of a fold (CRLF followed by SP/HTAB), so the helpers treat SP, HTAB,
 * CR and LF alike as linear white space (RFC 3261 §7.3.1, LWS/SWS).
 */
#ifndef COLUMBA_GATEWAY_SIP_LEX_H
#define COLUMBA_GATEWAY_SIP_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/sip/sip_types.h"

static inline bool sip__is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline bool sip__is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool sip__is_alnum(unsigned char c)
{
	return sip__is_alpha(c) || sip__is_digit(c);
}

static inline bool sip__is_hex(unsigned char c)
{
	return sip__is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline int sip__hexval(unsigned char c)
{
	return sip__is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
static inline bool sip__is_token(unsigned char c)
{
	if (sip__is_alnum(c))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*':
	case '_': case '+': case '`': case '\'': case '~':
		return true;
	default:
		return false;
	}
}

/* LWS inside a checked value (see the top of this file). */
static inline bool sip__is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Control bytes that may appear only inside a quoted-pair. */
static inline bool sip__is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static inline char sip__lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

/* @s equals the @n bytes of @lit ignoring ASCII case (length checked first,
 * so literal comparisons cost nothing when the lengths differ). */
static inline bool sip__eq_nocase_n(struct sip_str s, const char *lit, size_t n)
{
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (sip__lower(s.p[i]) != sip__lower(lit[i]))
			return false;
	return true;
}

#define sip__eq_lit(s, lit) sip__eq_nocase_n((s), "" lit, sizeof(lit) - 1)

static inline struct sip_str sip__str(const char *p, size_t n)
{
	struct sip_str s = { p, n };
	return s;
}

/* Index of the first non-LWS byte at or after @i (or @n). */
size_t sip__skip_ws(const char *p, size_t i, size_t n);

/* @s without leading and trailing LWS. */
struct sip_str sip__trim(struct sip_str s);

/* Index after the token starting at @i (== @i when there is none). */
size_t sip__token_end(const char *p, size_t i, size_t n);

/* @s is 1*token? */
bool sip__is_token_str(struct sip_str s);

/*
 * p[i] is '"': index just after the closing quote, or 0 when the string is
 * unterminated or holds a CR/LF that is not a fold, or a control byte
 * outside a quoted-pair (RFC 3261 §25.1 quoted-string).
 */
size_t sip__quoted_end(const char *p, size_t i, size_t n);

/*
 * Decimal 1*DIGIT in @s (no sign, no LWS). Returns 0 and *out, -1 when @s is
 * empty or has a non-digit, -2 when the value exceeds @max.
 */
int sip__parse_uint(struct sip_str s, uint64_t max, uint64_t *out);

/* Host of RFC 3261 §25.1: hostname, IPv4address or "[" IPv6address "]".
 * Returns true when @s is one. */
bool sip__is_host(struct sip_str s);

/*
 * Header value @v (folds included) well-formed? Control bytes only inside a
 * quoted-pair, CR/LF skipped (the scan checked they are folds).
 * Returns 0, or SIP_E_HEADER_VALUE.
 */
int sip__check_value(struct sip_str v);

#endif
