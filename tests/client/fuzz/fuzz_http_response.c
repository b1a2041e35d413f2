/*
 * libFuzzer driver for cl_http_parse_response(). For each input:
 *   - the result is > 0 (at most the input's length), -EAGAIN or a
 *     CL_HTTP_E_* code;
 *   - on success the body slice lies inside the input, and every prefix
 *     shorter than the answer gives -EAGAIN or the same error class
 *     (checked on a data-derived prefix: the parser never accepts less).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct cl_http_resp r;
	ssize_t n = cl_http_parse_response(p, size, &r);

	if (n > 0) {
		if ((size_t)n > size || r.body < p || r.body + r.body_len != p + n ||
		    r.status < 100 || r.status > 599)
			abort();
		size_t cut = size ? data[0] % (size_t)n : 0;
		ssize_t m = cl_http_parse_response(p, cut, &r);

		if (m > 0)
			abort();
	} else if (n != -EAGAIN && (n < CL_HTTP_E_STATUS_LINE || n > CL_HTTP_E_TOO_LARGE)) {
		abort();
	}
	return 0;
}
