/*
 * Message intake: validation of the JSON body of `POST /v1/messages`
 * (DESIGN.md §1–2, issue 4) and the JSON answers of the messages API.
 * Pure code: no I/O, no logging; jansson allocates while parsing and
 * everything it allocates is released before return.
 *
 * Body: {"to":"bob","text":"…","ttl":259200} — a JSON object with exactly
 * these members ("ttl" optional), no other member, no key twice. Rules:
 *
 *   to    A user name of this domain, plain form only: 1..64 bytes of
 *         [a-z0-9._-] (lower case). "bob@domain" and "sips:bob@domain" are
 *         refused: the domain is implicit (single-domain gateway), and one
 *         spelling per user keeps the recipient index unambiguous. Whether the
 *         user exists (404) is the caller's check, not this module's.
 *   text  After JSON decoding: valid UTF-8 (UTF-8 rules of gateway/utf8.h,
 *         lone surrogate escapes such as \ud800 refused), 1..160 code points,
 *         and no control character: no code point of Unicode general category
 *         Cc other than LF. That is U+0000..U+001F except U+000A (so NUL, TAB
 *         and CR are refused), DEL U+007F, and the C1 controls U+0080..U+009F
 *         (which some terminals still interpret, e.g. U+009B CSI). "Text only"
 *         (DESIGN §1) means a message a phone can display as-is.
 *   ttl   Optional JSON integer (no fraction, no exponent, no string, no
 *         null), 1..259200 seconds; default 259200 (72 h).
 *
 * The checks run in this order and the first failure is reported:
 * size → JSON syntax → root is an object → unknown member → to → text → ttl;
 * within a member: present → type → rule. Within text: UTF-8 → empty →
 * too long → control character.
 *
 * Return contract: 0 or a negative GW_INTAKE_E_* code. Each code has an
 * HTTP status (gw_intake_status), a stable machine code for the JSON
 * "error" member (gw_intake_code) and a detail naming the rule and field
 * (gw_intake_detail). No detail ever quotes the message text; in
 * particular jansson's own error text is never used, since it quotes the
 * input ("… near '\"secret'").
 */
#ifndef COLUMBA_GATEWAY_INTAKE_H
#define COLUMBA_GATEWAY_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GW_BODY_MAX       16384u  /* bytes; larger bodies are not parsed */
#define GW_USER_MAX       64u     /* bytes of a user name */
#define GW_TEXT_MAX_CP    160u    /* code points of a message */
#define GW_TEXT_MAX_BYTES (4u * GW_TEXT_MAX_CP)
#define GW_TTL_MAX_S      259200u /* 72 h, DESIGN §1 */
#define GW_IDEM_KEY_MAX   64u
#define GW_MSG_ID_LEN     26u     /* Crockford base32 of a 128-bit id */

enum {
	GW_INTAKE_E_TOO_LARGE     = -1,  /* 413 body_too_large */
	GW_INTAKE_E_JSON          = -2,  /* 400 invalid_json */
	GW_INTAKE_E_DUPLICATE     = -3,  /* 400 duplicate_field */
	GW_INTAKE_E_UNKNOWN_FIELD = -4,  /* 400 unknown_field */
	GW_INTAKE_E_MISSING_FIELD = -5,  /* 400 missing_field */
	GW_INTAKE_E_WRONG_TYPE    = -6,  /* 400 wrong_type (also: root not an object) */
	GW_INTAKE_E_RECIPIENT     = -7,  /* 422 bad_recipient */
	GW_INTAKE_E_TEXT_EMPTY    = -8,  /* 422 text_empty */
	GW_INTAKE_E_TEXT_TOO_LONG = -9,  /* 422 text_too_long */
	GW_INTAKE_E_TEXT_UTF8     = -10, /* 422 text_invalid_utf8 */
	GW_INTAKE_E_TEXT_CONTROL  = -11, /* 422 text_control_char */
	GW_INTAKE_E_TTL_RANGE     = -12, /* 422 ttl_out_of_range */
	GW_INTAKE_E_IDEM_KEY      = -13, /* 400 bad_idempotency_key */
	GW_INTAKE_E__LAST         = -13,
};

/* A validated submission, copied out of the request (NUL-terminated too). */
struct gw_submit {
	char to[GW_USER_MAX + 1];
	size_t to_len;
	char text[GW_TEXT_MAX_BYTES + 1]; /* never log it */
	size_t text_len;                  /* bytes */
	uint32_t ttl_s;
	bool notify;                      /* delivery notifications wanted (default true) */
};

/*
 * Where and why a body was refused: input to gw_intake_detail(). Holds
 * no message text. Fields not relevant to the error are 0 / NULL / "".
 */
struct gw_intake_diag {
	const char *field;   /* "to", "text", "ttl", "body" (static strings) */
	size_t offset;       /* invalid_json / invalid UTF-8: byte offset in the body */
	size_t position;     /* text_control_char: index (code points) in the text */
	uint32_t code_point; /* text_control_char: the code point */
	size_t count;        /* text_too_long: code points; too_large: bytes */
	int cause;           /* invalid_json: a json_error_code; UTF-8: a UTF8_E_*;
	                      * text_invalid_utf8 from an escape: 1 */
	char name[33];       /* unknown_field: the member name if it is short
	                      * [A-Za-z0-9_-] (else ""), NUL-terminated */
};

/*
 * gw_intake_parse - validate a `POST /v1/messages` body and copy it out.
 * @body: @n bytes, need not be NUL-terminated.
 * @out:  receives the submission on success; unspecified on error.
 * @diag: if not NULL, zeroed, then on error says where and why.
 * Returns 0 or a GW_INTAKE_E_* code (all but GW_INTAKE_E_IDEM_KEY).
 */
int gw_intake_parse(const char *body, size_t n, struct gw_submit *out,
		    struct gw_intake_diag *diag);

/*
 * gw_intake_text_check - the text rules alone (UTF-8, 1..160 code points,
 * no control character but LF) for @n bytes at @s: SIP submit uses them.
 * Returns 0 or a GW_INTAKE_E_TEXT_* code, @d filled as for gw_intake_parse.
 */
int gw_intake_text_check(const char *s, size_t n, struct gw_intake_diag *d);

/*
 * gw_user_name_check - the recipient rule above: 1..64 bytes of [a-z0-9._-].
 * Also the rule `columbad user add` must enforce so every user is
 * addressable. Returns 0 or GW_INTAKE_E_RECIPIENT.
 */
int gw_user_name_check(const char *p, size_t n);

/*
 * gw_idem_key_check - an Idempotency-Key header value: 1..64 bytes, each
 * printable ASCII 0x21..0x7E (no space). Returns 0 or GW_INTAKE_E_IDEM_KEY.
 */
int gw_idem_key_check(const char *p, size_t n);

/*
 * gw_intake_status - HTTP status for @err: 400, 413 or 422 (400 for any
 * value that is not a GW_INTAKE_E_* code).
 */
int gw_intake_status(int err);

/*
 * gw_intake_code - stable machine code for @err ("invalid_json",
 * "text_too_long", …), the JSON "error" member. "bad_request" for any
 * value that is not a GW_INTAKE_E_* code. Never NULL.
 */
const char *gw_intake_code(int err);

/*
 * gw_intake_detail - one English sentence naming the rule (and field) that
 * @err broke, e.g. "text: 161 characters, at most 160 allowed".
 * @diag: from gw_intake_parse (may be NULL: then a generic sentence).
 * @buf/@cap: output, always NUL-terminated when @cap > 0 (truncated if short).
 * Returns the length the full detail has (snprintf contract); plain ASCII
 * with no '"' or '\\', so it needs no JSON escaping.
 */
int gw_intake_detail(int err, const struct gw_intake_diag *diag, char *buf, size_t cap);

/*
 * gw_intake_write_accepted - the 202 body
 * {"id":"<id26>","status":"enqueued","expires_at":<s>} and, when
 * @duplicate (an Idempotency-Key replay), a trailing ,"duplicate":true.
 * @id26: GW_MSG_ID_LEN Crockford base32 characters (0-9, A-Z without I L O U).
 * Returns bytes written (not counting the NUL terminator, which is always
 * written on success), -EINVAL for a bad id, -ENOSPC if @cap cannot hold
 * the body and its NUL.
 */
ssize_t gw_intake_write_accepted(char *buf, size_t cap, const char *id26,
				 uint64_t expires_at_s, bool duplicate);

/*
 * gw_intake_write_status - the `GET /v1/messages/{id}` body
 * {"id":"<id26>","status":"<state>","created_at":<s>,"expires_at":<s>,
 *  "updated_at":<s>|null} (null when @updated_s is 0). Never any text.
 * @state_name: 1..32 bytes of [a-z_] ("enqueued", "delivered", "error"…).
 * Returns bytes written (as above), -EINVAL for a bad id or state name,
 * -ENOSPC if @cap cannot hold the body and its NUL.
 */
ssize_t gw_intake_write_status(char *buf, size_t cap, const char *id26,
			       const char *state_name, uint64_t created_s,
			       uint64_t expires_s, uint64_t updated_s);

#endif
