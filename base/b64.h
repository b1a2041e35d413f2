/*
 * Base64 (RFC 4648 §4 standard and §5 URL-safe alphabets), strict and
 * canonical: decoders accept exactly one spelling per byte string (no
 * padding inside, a length of 1 mod 4 refused, unused low bits zero), so a
 * token, nonce or hash has one textual form to compare.
 */
#ifndef COLUMBA_BASE_B64_H
#define COLUMBA_BASE_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters b64_encode_nopad() writes for n bytes (without the NUL). */
static inline size_t b64_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* b64_digit - value of base64 digit c (URL-safe alphabet if url), or -1. */
int b64_digit(unsigned char c, bool url);

/*
 * b64_encode_nopad - encode n bytes without padding into out, which must
 * hold b64_encoded_len(n) + 1 bytes; NUL-terminated. Returns the length.
 */
size_t b64_encode_nopad(const uint8_t *in, size_t n, char *out, bool url);

/*
 * b64_decode_nopad - decode n digits without padding into out (cap bytes).
 * Returns the decoded length, or -1 for a bad digit, a length of 1 mod 4,
 * non-zero unused bits, or a result longer than cap.
 */
long b64_decode_nopad(const char *s, size_t n, uint8_t *out, size_t cap, bool url);

#endif
