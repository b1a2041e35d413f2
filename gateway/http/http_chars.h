/*
 * Character classes of the HTTP grammar (internal to gateway/http): one
 * table lookup per byte on the parser's hot loop.
 */
#ifndef COLUMBA_GATEWAY_HTTP_CHARS_H
#define COLUMBA_GATEWAY_HTTP_CHARS_H

#include <stdbool.h>
#include <stdint.h>

#define HTTP__C_TCHAR  0x01u /* RFC 9110 §5.6.2 tchar */
#define HTTP__C_TARGET 0x02u /* RFC 3986 pchar, "/", "?", "%", "[", "]" */
#define HTTP__C_VCHAR  0x04u /* field-vchar: VCHAR / obs-text */
#define HTTP__C_HOST   0x08u /* RFC 3986 host [":" port] */
#define HTTP__C_DIGIT  0x10u
#define HTTP__C_HEX    0x20u
#define HTTP__C_ALPHA  0x40u
#define HTTP__C_FIELD  0x80u /* field-vchar / SP / HTAB */

extern const uint8_t http__cclass[256];

static inline bool http__is(unsigned char c, unsigned cls)
{
	return (http__cclass[c] & cls) != 0;
}

#define http__is_tchar(c)  http__is((unsigned char)(c), HTTP__C_TCHAR)
#define http__is_target(c) http__is((unsigned char)(c), HTTP__C_TARGET)
#define http__is_vchar(c)  http__is((unsigned char)(c), HTTP__C_VCHAR)
#define http__is_host(c)   http__is((unsigned char)(c), HTTP__C_HOST)
#define http__is_digit(c)  http__is((unsigned char)(c), HTTP__C_DIGIT)
#define http__is_hex(c)    http__is((unsigned char)(c), HTTP__C_HEX)
#define http__is_alpha(c)  http__is((unsigned char)(c), HTTP__C_ALPHA)
#define http__is_field(c)  http__is((unsigned char)(c), HTTP__C_FIELD)

static inline char http__lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

#endif
