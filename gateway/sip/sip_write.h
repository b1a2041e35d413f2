/*
 * SIP message writer: builds requests and responses into a caller-owned
 * buffer (no allocation, no I/O).
 *
 * A struct sip_wbuf accumulates the message; every sip_write_* call returns
 * 0, -ENOSPC (the buffer is full) or -EINVAL (a name that is not a token,
 * a value with a CR, LF or other control byte, a status outside 100..699),
 * and the first error sticks: sip_write_finish() returns it, so a caller
 * may check only there. Content-Length is always written, by
 * sip_write_finish(), from the body it is given (RFC 3261 §18.3).
 */
#ifndef COLUMBA_GATEWAY_SIP_WRITE_H
#define COLUMBA_GATEWAY_SIP_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gateway/sip/sip_parse.h"

struct sip_wbuf {
	char *buf;
	size_t cap;
	size_t n;
	int err; /* first error, 0 while none */
};

/* A header to write: @name NUL-terminated, @value a slice. */
struct sip_hdr_out {
	const char *name;
	struct sip_str value;
};

/*
 * sip_wbuf_init - start a message in @buf (@cap bytes).
 */
void sip_wbuf_init(struct sip_wbuf *w, char *buf, size_t cap);

/*
 * sip_write_request_line - "METHOD SP Request-URI SP SIP/2.0 CRLF".
 * @method must be a token, @ruri must hold no SP, CR, LF or control byte.
 */
int sip_write_request_line(struct sip_wbuf *w, const char *method, struct sip_str ruri);

/*
 * sip_write_status_line - "SIP/2.0 SP status SP reason CRLF".
 * @reason: NULL for sip_reason(@status).
 */
int sip_write_status_line(struct sip_wbuf *w, int status, const char *reason);

/*
 * sip_write_header - "name: value CRLF". CR/LF inside @value are refused
 * (-EINVAL): use sip_write_header_unfold() for a parsed value.
 */
int sip_write_header(struct sip_wbuf *w, const char *name, struct sip_str value);

/*
 * sip_write_header_unfold - like sip_write_header() for a value sliced by
 * the parser: its folds (CRLF + WSP) are written as the WSP alone, and
 * control bytes are accepted inside quoted-pairs (as the parser does);
 * -EINVAL for any other control byte.
 */
int sip_write_header_unfold(struct sip_wbuf *w, const char *name, struct sip_str value);

/*
 * sip_write_header_uint - "name: <decimal> CRLF".
 */
int sip_write_header_uint(struct sip_wbuf *w, const char *name, uint64_t value);

/*
 * sip_write_dialog_headers - copy, for a response to @req (RFC 3261 §8.2.6.2):
 * every Via value in order, From, To (with ";tag=@to_tag" added when the
 * request's To has no tag and @to_tag is not empty), Call-ID and CSeq.
 * @to_tag must be a token (or empty). Returns 0, -ENOSPC or -EINVAL.
 */
int sip_write_dialog_headers(struct sip_wbuf *w, const struct sip_msg *req,
			     struct sip_str to_tag);

/*
 * sip_write_finish - "Content-Length: <body_len>", the empty line and the body.
 * Returns the message length (> 0), or the first error of any call on @w.
 */
ssize_t sip_write_finish(struct sip_wbuf *w, const char *body, size_t body_len);

/*
 * sip_write_response - a whole response to @req: status line, the dialog
 * headers (see sip_write_dialog_headers()), @extra headers, Content-Length
 * and @body. @reason NULL means sip_reason(@status).
 * Returns the length written, -ENOSPC or -EINVAL.
 */
ssize_t sip_write_response(char *buf, size_t cap, const struct sip_msg *req, int status,
			   const char *reason, struct sip_str to_tag,
			   const struct sip_hdr_out *extra, size_t n_extra,
			   const char *body, size_t body_len);

/*
 * sip_write_request - a whole request: request line, @hdrs in order,
 * Content-Length and @body. Returns the length, -ENOSPC or -EINVAL.
 */
ssize_t sip_write_request(char *buf, size_t cap, const char *method, struct sip_str ruri,
			  const struct sip_hdr_out *hdrs, size_t n_hdrs,
			  const char *body, size_t body_len);

/*
 * sip_reason - default reason phrase for @status ("OK", "Not Found"…);
 * a class phrase ("Client Error"…) for codes without their own.
 */
const char *sip_reason(int status);

#endif
