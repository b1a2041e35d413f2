#include "base/b64.h"

static const char alpha_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char alpha_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64_digit(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

size_t b64_encode_nopad(const uint8_t *in, size_t n, char *out, bool url)
{
	const char *alpha = url ? alpha_url : alpha_std;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alpha[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = alpha[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

long b64_decode_nopad(const char *s, size_t n, uint8_t *out, size_t cap, bool url)
{
	size_t olen = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0), o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (n % 4 == 1 || olen > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_digit((unsigned char)s[i], url);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits && (acc & ((1u << bits) - 1)))
		return -1;
	return (long)o;
}
