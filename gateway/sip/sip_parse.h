/*
 * SIP message parser for stream transports (RFC 3261 §7, §18.3, §20, §25;
 * RFC 4475): zero-copy, resumable, strict.
 *
 * The caller owns the receive buffer, a struct sip_msg and the header array
 * it points to; after a successful parse every struct sip_str in the message
 * is a slice of that buffer.
 *
 * Return contract of sip_parse_message():
 *   > 0          bytes of the whole message: optional leading CRLFs, start
 *                line, header lines, empty line and Content-Length bytes of
 *                body. The next message starts right after it.
 *   SIP_EAGAIN   (-EAGAIN) a valid prefix; call again with the same buffer
 *                holding more bytes. The parser remembers how far it scanned
 *                (linear in the message however it is split).
 *   SIP_E_*      (SIP_E__FIRST..SIP_E__LAST) malformed or over a limit; one
 *                code per class (sip_types.h). Line-structure errors (bare
 *                CR/LF, limits) are found at the first offending byte; the
 *                others once the head is complete, in head order. So a prefix
 *                of a bad message gives SIP_EAGAIN or the same error. On a
 *                stream, any error means the framing is lost: answer a
 *                request (sip_perr_status()), then close.
 *
 * Choices:
 *   - CRLF only; bare LF, or CR without LF, is an error. CRLFs before the
 *     start line are skipped (RFC 3261 §7.5); see sip_keepalive() for the
 *     RFC 5626 CRLFCRLF ping, which the transport handles first.
 *   - Line folding (CRLF followed by SP/HTAB) is LWS inside header values
 *     (RFC 3261 §7.3.1); values are sliced with their folds, and every
 *     helper (sip_hdr.h) treats CR/LF inside a value as LWS. The start
 *     line cannot be folded (SIP_E_START_FOLD).
 *   - Whitespace before the colon is allowed ("Via  :", HCOLON).
 *   - Request line: method SP Request-URI SP "SIP/2.0" with exactly one SP
 *     at each place (RFC 4475 lwsstart, trws are SIP_E_START_LINE); the
 *     Request-URI must be sip:/sips: (SIP_E_URI_SCHEME, 416), parse per
 *     sip_uri.h and carry no headers (RFC 4475 escruri: SIP_E_RURI).
 *   - "SIP" in the version is case-insensitive (§7.1); any version other
 *     than 2.0 is SIP_E_VERSION_UNSUPPORTED (505).
 *   - Via, From, To, Call-ID and CSeq are required (SIP_E_MISSING_HEADER),
 *     and Content-Length, as the transport is a stream (SIP_E_NO_CL);
 *     Max-Forwards is optional (RFC 2543 peers, RFC 4475 inv2543).
 *     Single-valued headers (From, To, Call-ID, CSeq, Max-Forwards,
 *     Content-Type, Expires, Flow-Timer, Date, Retry-After) may appear once
 *     (SIP_E_DUP_HEADER; Content-Length: SIP_E_DUP_CL).
 *   - Numbers: CSeq < 2**31 (§8.1.1.5), Max-Forwards 0..255, Expires,
 *     Retry-After, Flow-Timer, Contact expires <= 2**32-1.
 *   - Every Via, Contact and auth header is checked with the sip_hdr.h
 *     parsers; Date must be an RFC 1123 date in GMT (RFC 4475 baddate).
 *
 * Limits (struct sip_limits, defaults from sip_limits_default()):
 *   line_max    8 KiB   any physical line, CRLF excluded
 *   headers_max 96      header lines (also capped by the caller's array)
 *   head_max    32 KiB  head including leading CRLFs and the empty line
 *   body_max    16 KiB  Content-Length
 */
#ifndef COLUMBA_GATEWAY_SIP_PARSE_H
#define COLUMBA_GATEWAY_SIP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gateway/sip/sip_hdr.h"
#include "gateway/sip/sip_types.h"
#include "gateway/sip/sip_uri.h"

struct sip_header {
	struct sip_str name;  /* as received (may be a compact form) */
	struct sip_str value; /* without leading/trailing LWS; folds kept */
	enum sip_hdr id;
};

struct sip_limits {
	size_t line_max;
	size_t headers_max;
	size_t head_max;
	uint64_t body_max;
};

struct sip_msg {
	/* Set by the caller before the first sip_parse_message() call. */
	struct sip_header *headers;
	size_t headers_cap;

	/* Filled by the parser; valid once it returned > 0. */
	size_t n_headers;
	bool is_request;
	struct sip_str method;        /* requests */
	enum sip_method method_id;
	struct sip_str ruri_text;     /* Request-URI as received */
	struct sip_uri ruri;
	int status;                   /* responses: 100..699 */
	struct sip_str reason;
	struct sip_str call_id;
	uint32_t cseq;
	struct sip_str cseq_method;
	enum sip_method cseq_method_id;
	struct sip_addr from;
	struct sip_addr to;
	struct sip_via via;           /* the topmost Via value */
	size_t n_via;                 /* Via values in all Via headers */
	int max_forwards;             /* -1 when absent */
	uint64_t content_length;
	struct sip_str content_type;  /* empty when absent */
	int64_t expires;              /* Expires header, -1 when absent */
	int64_t retry_after;          /* -1 when absent */
	int64_t flow_timer;           /* -1 when absent */
	struct sip_str date;          /* empty when absent */
	struct sip_contact contact;   /* the first Contact value */
	size_t n_contacts;            /* Contact values, "*" excluded */
	bool contact_star;            /* "Contact: *" */
	/* First header of each kind, or NULL; see sip_auth_parse(),
	 * sip_option_list_has() and sip_hdr_iter for the others. */
	const struct sip_header *authorization;
	const struct sip_header *proxy_authorization;
	const struct sip_header *www_authenticate;
	const struct sip_header *proxy_authenticate;
	const struct sip_header *supported;
	const struct sip_header *require;
	struct sip_str body;
	size_t head_len;              /* leading CRLFs + head */
};

/* Resumable parser state; treat as opaque. */
struct sip_parser {
	const struct sip_limits *limits;
	const char *base;   /* buffer of the previous call */
	size_t pos;         /* next byte to scan */
	size_t line_start;  /* offset of the current physical line */
	size_t msg_start;   /* first byte of the start line */
	ssize_t result;     /* total length or error, once known */
	unsigned state;
	bool started;       /* the first call reset the message */
};

/* Iterator over every comma-separated value of every header with one id. */
struct sip_hdr_iter {
	const struct sip_msg *msg;
	enum sip_hdr id;
	size_t next_header;
	struct sip_list_iter list;
	bool in_list;
};

/*
 * sip_limits_default - fill *lim with the defaults listed above.
 */
void sip_limits_default(struct sip_limits *lim);

/*
 * sip_parser_init - prepare *ps for a new message.
 * @lim: limits; must outlive the parser. NULL means the defaults.
 * Call again for each message, with the buffer at the next message's start.
 */
void sip_parser_init(struct sip_parser *ps, const struct sip_limits *lim);

/*
 * sip_parse_message - parse (or continue parsing) one message.
 * @ps:  parser state from sip_parser_init().
 * @buf: the bytes received so far for this message, from its first byte.
 *       Between calls that returned SIP_EAGAIN the caller may only append;
 *       if @buf moved, the parser restarts from offset 0.
 * @len: bytes valid in @buf.
 * @msg: output; msg->headers and msg->headers_cap set by the caller.
 * Returns the message length (> 0), SIP_EAGAIN or a SIP_E_* code (see the
 * top of this file). Once finished, further calls return the same value.
 */
ssize_t sip_parse_message(struct sip_parser *ps, const char *buf, size_t len,
			  struct sip_msg *msg);

/*
 * sip_keepalive - RFC 5626 §4.4.1 keepalive at the start of @buf.
 * Returns 4 for a "\r\n\r\n" ping, 2 for a lone "\r\n" (a pong, or a CRLF
 * the parser would skip), 0 when @buf does not start with CR, or SIP_EAGAIN
 * when the bytes so far could still become one.
 */
ssize_t sip_keepalive(const char *buf, size_t len);

/*
 * sip_find_header - first header with id @id, or with @id == SIP_H_OTHER
 * the first named @name (ASCII case-insensitive). Returns it or NULL.
 */
const struct sip_header *sip_find_header(const struct sip_msg *msg, enum sip_hdr id,
					 const char *name);

/*
 * sip_hdr_iter_init - iterate over all values of headers @id (Via, Contact,
 * Route, Supported…) in message order. Not for the auth headers, whose
 * commas separate parameters, not values: use sip_auth_parse() on each.
 */
void sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg, enum sip_hdr id);

/*
 * sip_hdr_iter_next - next value (LWS-trimmed). Returns true with *value
 * set, false at the end.
 */
bool sip_hdr_iter_next(struct sip_hdr_iter *it, struct sip_str *value);

/*
 * sip_msg_has_option - does any header @id (SIP_H_SUPPORTED, SIP_H_REQUIRE,
 * SIP_H_PROXY_REQUIRE) list option tag @tag? Returns true or false.
 */
bool sip_msg_has_option(const struct sip_msg *msg, enum sip_hdr id, const char *tag);

/*
 * sip_header_id - id of header name @name (full or compact form, any case).
 * Returns SIP_H_OTHER for unknown names.
 */
enum sip_hdr sip_header_id(struct sip_str name);

/*
 * sip_header_name - canonical full name of @id ("Call-ID"); "" for SIP_H_OTHER.
 */
const char *sip_header_name(enum sip_hdr id);

/*
 * sip_method_id - id of method token @m (case-sensitive); SIP_M_OTHER if unknown.
 */
enum sip_method sip_method_id(struct sip_str m);

/*
 * sip_method_name - the token of @id ("INVITE"); "" for SIP_M_OTHER.
 */
const char *sip_method_name(enum sip_method id);

/*
 * sip_perr_status - status to answer a request rejected with @err: 400,
 * 413 (body too large), 414 (line too long), 416 (URI scheme), 505
 * (version), 513 (head or header count too large). 400 for other values.
 */
int sip_perr_status(int err);

/*
 * sip_perr_name - the code's name without prefix ("bare_lf", "cseq_mismatch"…),
 * "unknown" for other values.
 */
const char *sip_perr_name(int err);

/*
 * sip_perr_from_name - inverse of sip_perr_name(). Returns the SIP_E_* code,
 * or 0 when @name is not one.
 */
int sip_perr_from_name(const char *name);

#endif
