/*
 * What to answer for each parse error: status, JSON code, detail text.
 * Statuses follow RFC 9110 §15 / RFC 6585 §5 (431) / RFC 9112 §6.1 (501).
 */
#include "gateway/http/http_parse.h"

#include "base/compiler.h"

struct perr_info {
	int status;
	const char *code;
	const char *detail;
};

static const struct perr_info perr_table[] = {
	[HTTP_E_BARE_LF - HTTP_E__FIRST] = { 400, "bare_lf", "line ends in LF without CR" },
	[HTTP_E_BARE_CR - HTTP_E__FIRST] = { 400, "bare_cr", "CR not followed by LF" },
	[HTTP_E_OBS_FOLD - HTTP_E__FIRST] = { 400, "obs_fold", "header line starts with whitespace (obs-fold)" },
	[HTTP_E_METHOD - HTTP_E__FIRST] = { 400, "bad_method", "method is not a token" },
	[HTTP_E_TARGET - HTTP_E__FIRST] = { 400, "bad_target", "request target is not origin-form, absolute-form or OPTIONS *" },
	[HTTP_E_VERSION - HTTP_E__FIRST] = { 400, "bad_version", "malformed HTTP version" },
	[HTTP_E_VERSION_UNSUPPORTED - HTTP_E__FIRST] = { 505, "version_unsupported", "only HTTP/1.x is served" },
	[HTTP_E_HEADER_NAME - HTTP_E__FIRST] = { 400, "bad_header_name", "header name is not a token followed by a colon" },
	[HTTP_E_HEADER_VALUE - HTTP_E__FIRST] = { 400, "bad_header_value", "control character in header value" },
	[HTTP_E_DUP_CL - HTTP_E__FIRST] = { 400, "dup_content_length", "more than one Content-Length" },
	[HTTP_E_BAD_CL - HTTP_E__FIRST] = { 400, "bad_content_length", "Content-Length is not a decimal number" },
	[HTTP_E_TE_AND_CL - HTTP_E__FIRST] = { 400, "te_and_content_length", "Transfer-Encoding together with Content-Length" },
	[HTTP_E_TE_CHUNKED - HTTP_E__FIRST] = { 411, "length_required", "chunked request bodies are not accepted; send Content-Length" },
	[HTTP_E_TE_UNSUPPORTED - HTTP_E__FIRST] = { 501, "te_unsupported", "transfer coding not implemented" },
	[HTTP_E_NO_HOST - HTTP_E__FIRST] = { 400, "no_host", "HTTP/1.1 request without Host" },
	[HTTP_E_DUP_HOST - HTTP_E__FIRST] = { 400, "dup_host", "more than one Host" },
	[HTTP_E_BAD_HOST - HTTP_E__FIRST] = { 400, "bad_host", "Host is not host[:port]" },
	[HTTP_E_EXPECT - HTTP_E__FIRST] = { 417, "expectation_failed", "only Expect: 100-continue is supported" },
	[HTTP_E_LINE_TOO_LONG - HTTP_E__FIRST] = { 414, "line_too_long", "request line over the limit" },
	[HTTP_E_TOO_MANY_HEADERS - HTTP_E__FIRST] = { 431, "too_many_headers", "more header lines than allowed" },
	[HTTP_E_HEAD_TOO_LARGE - HTTP_E__FIRST] = { 431, "head_too_large", "request head over the size limit" },
	[HTTP_E_BODY_TOO_LARGE - HTTP_E__FIRST] = { 413, "body_too_large", "Content-Length over the body limit" },
};

static const struct perr_info *perr_info(int err)
{
	static const struct perr_info unknown = { 400, "bad_request", "malformed request" };

	if (err < HTTP_E__FIRST || err > HTTP_E__LAST)
		return &unknown;
	return &perr_table[err - HTTP_E__FIRST];
}

int http_perr_status(int err)
{
	return perr_info(err)->status;
}

const char *http_perr_code(int err)
{
	return perr_info(err)->code;
}

const char *http_perr_detail(int err)
{
	return perr_info(err)->detail;
}

_Static_assert(ARRAY_SIZE(perr_table) == HTTP_E__LAST - HTTP_E__FIRST + 1,
	       "every HTTP_E_* code has a table entry");
