/*
 * Message intake: the JSON body of `POST /v1/messages` → struct gw_submit,
 * the rules are in intake.h. jansson does the JSON; this file adds the
 * Columba rules, and when jansson refuses a body it finds out whether the
 * fault lies in the "text" member so the client gets the 422 naming the
 * text rule rather than a generic 400.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/compiler.h"
#include "gateway/intake.h"
#include "gateway/utf8.h"

/* diag->cause for a lone surrogate escape (\ud800) in the raw text. */
#define CAUSE_SURROGATE_ESCAPE 1

/* ---- locating the raw "text" token in a body jansson refused ---------- */

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* @i is just past an opening quote: index of the closing quote, or @n. */
static size_t str_end(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] != '"')
		i += (s[i] == '\\') ? 2 : 1;
	return i < n ? i : n;
}

/* Skip one value (loosely: jansson judges syntax); index after it or SIZE_MAX. */
static size_t skip_value(const char *s, size_t n, size_t i)
{
	size_t depth = 0, start = i;

	while (i < n) {
		char c = s[i];

		if (c == '"') {
			i = str_end(s, n, i + 1);
			if (i >= n)
				return SIZE_MAX;
			i++;
		} else if (c == '{' || c == '[') {
			depth++;
			i++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				break;
			depth--;
			i++;
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' ||
					  c == '\n' || c == '\r')) {
			break;
		} else {
			i++;
		}
		if (depth == 0 && (c == '"' || c == '}' || c == ']'))
			break;
	}
	return (depth == 0 && i > start) ? i : SIZE_MAX;
}

/*
 * Find the raw bytes (between the quotes, escapes undecoded) of the value
 * of the first top-level member spelled exactly "text". An unterminated
 * string runs to the end of the body. Returns its offset, or SIZE_MAX.
 */
static size_t text_token_find(const char *s, size_t n, size_t *len)
{
	size_t i = skip_ws(s, n, 0);

	if (i >= n || s[i] != '{')
		return SIZE_MAX;
	i++;
	for (;;) {
		size_t k0, e;
		bool is_text;

		i = skip_ws(s, n, i);
		if (i >= n || s[i] != '"')
			return SIZE_MAX;
		k0 = i + 1;
		e = str_end(s, n, k0);
		if (e >= n)
			return SIZE_MAX;
		is_text = e - k0 == 4 && memcmp(s + k0, "text", 4) == 0;
		i = skip_ws(s, n, e + 1);
		if (i >= n || s[i] != ':')
			return SIZE_MAX;
		i = skip_ws(s, n, i + 1);
		if (i >= n)
			return SIZE_MAX;
		if (is_text) {
			if (s[i] != '"')
				return SIZE_MAX;
			*len = str_end(s, n, i + 1) - (i + 1);
			return i + 1;
		}
		i = skip_ws(s, n, skip_value(s, n, i));
		if (i >= n || s[i] != ',')
			return SIZE_MAX;
		i++;
	}
}

static int hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/*
 * The raw text token t[0..len) at body offset @base: invalid UTF-8, a lone
 * surrogate escape or a raw control byte (all of which make jansson refuse
 * the body) → the text error code, with @d filled; else 0.
 */
static int text_token_fault(const char *t, size_t len, size_t base, struct gw_intake_diag *d)
{
	size_t off, cps = 0;
	int r = utf8_validate((const uint8_t *)t, len, &off);

	d->field = "text";
	if (r < 0) {
		d->cause = r;
		d->offset = base + off;
		return GW_INTAKE_E_TEXT_UTF8;
	}
	for (size_t i = 0; i < len; cps++) {
		uint8_t c = (uint8_t)t[i];
		uint32_t v, v2;

		/* A raw LF is a JSON fault (it must be written \n), not a text one. */
		if (c < 0x20 && c != '\n') {
			d->code_point = c;
			d->position = cps;
			d->offset = base + i;
			return GW_INTAKE_E_TEXT_CONTROL;
		}
		if (c != '\\') {
			i++;
			while (i < len && ((uint8_t)t[i] & 0xC0) == 0x80)
				i++;
			continue;
		}
		if (i + 6 > len || t[i + 1] != 'u' || hex4(t + i + 2, &v) < 0) {
			i += 2; /* another escape, or a malformed one: jansson's call */
			continue;
		}
		if (v >= 0xD800 && v <= 0xDBFF && i + 12 <= len && t[i + 6] == '\\' &&
		    t[i + 7] == 'u' && hex4(t + i + 8, &v2) == 0 && v2 >= 0xDC00 && v2 <= 0xDFFF) {
			i += 12;
			continue;
		}
		if (v >= 0xD800 && v <= 0xDFFF) {
			d->cause = CAUSE_SURROGATE_ESCAPE;
			d->offset = base + i;
			return GW_INTAKE_E_TEXT_UTF8;
		}
		i += 6;
	}
	return 0;
}

/* jansson refused the body: classify why. */
static int json_fault(const char *body, size_t n, const json_error_t *je,
		      struct gw_intake_diag *d)
{
	enum json_error_code jc = json_error_code(je);
	size_t tlen, t = text_token_find(body, n, &tlen);

	/* Only blame the text if jansson got as far as its token. */
	if (t != SIZE_MAX && je->position >= 0 && (size_t)je->position >= t) {
		int r = text_token_fault(body + t, tlen, t, d);

		if (r < 0)
			return r;
	}
	memset(d, 0, sizeof(*d));
	d->field = "body";
	d->offset = je->position > 0 ? (size_t)je->position : 0;
	d->cause = (int)jc;
	return jc == json_error_duplicate_key ? GW_INTAKE_E_DUPLICATE : GW_INTAKE_E_JSON;
}

/* ---- the rules --------------------------------------------------------- */

int gw_user_name_check(const char *p, size_t n)
{
	if (n < 1 || n > GW_USER_MAX)
		return GW_INTAKE_E_RECIPIENT;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return GW_INTAKE_E_RECIPIENT;
	}
	return 0;
}

int gw_idem_key_check(const char *p, size_t n)
{
	if (n < 1 || n > GW_IDEM_KEY_MAX)
		return GW_INTAKE_E_IDEM_KEY;
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)p[i] < 0x21 || (uint8_t)p[i] > 0x7E)
			return GW_INTAKE_E_IDEM_KEY;
	return 0;
}

/* Decoded text s[0..n) (valid UTF-8): first Cc code point other than LF. */
static int text_control_scan(const uint8_t *s, size_t n, struct gw_intake_diag *d)
{
	size_t cps = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t cp = 0x110000;

		if (s[i] < 0x20 && s[i] != '\n')
			cp = s[i];
		else if (s[i] == 0x7F)
			cp = 0x7F;
		else if (s[i] == 0xC2 && i + 1 < n && s[i + 1] <= 0x9F)
			cp = s[i + 1]; /* C2 80..9F is U+0080..U+009F */
		if (cp != 0x110000) {
			d->field = "text";
			d->code_point = cp;
			d->position = cps;
			return GW_INTAKE_E_TEXT_CONTROL;
		}
		if ((s[i] & 0xC0) != 0x80)
			cps++;
	}
	return 0;
}

int gw_intake_text_check(const char *s, size_t n, struct gw_intake_diag *d)
{
	size_t cps;
	int r;

	d->field = "text";
	r = utf8_validate((const uint8_t *)s, n, &cps);
	if (r < 0) {
		d->cause = r;
		return GW_INTAKE_E_TEXT_UTF8;
	}
	if (cps == 0)
		return GW_INTAKE_E_TEXT_EMPTY;
	if (cps > GW_TEXT_MAX_CP) {
		d->count = cps;
		return GW_INTAKE_E_TEXT_TOO_LONG;
	}
	/* JSON_ALLOW_NUL lets \u0000 through: an embedded NUL (strlen(s) < n)
	 * is U+0000 and is caught here as a control character. */
	return text_control_scan((const uint8_t *)s, n, d);
}

static int take_text(json_t *v, struct gw_submit *out, struct gw_intake_diag *d)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	int r = gw_intake_text_check(s, n, d);

	if (r < 0)
		return r;
	BUG_ON(n > GW_TEXT_MAX_BYTES); /* 160 code points are at most 640 bytes */
	memcpy(out->text, s, n);
	out->text[n] = '\0';
	out->text_len = n;
	return 0;
}

static int take_fields(json_t *root, struct gw_submit *out, struct gw_intake_diag *d)
{
	const char *key;
	json_t *v, *to, *text, *ttl, *notify;
	size_t n;
	int r;

	json_object_foreach(root, key, v) {
		if (strcmp(key, "to") && strcmp(key, "text") && strcmp(key, "ttl") &&
		    strcmp(key, "notify")) {
			size_t kl = strlen(key);

			d->field = "body";
			if (kl <= sizeof(d->name) - 1 && strspn(key, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == kl)
				memcpy(d->name, key, kl + 1);
			return GW_INTAKE_E_UNKNOWN_FIELD;
		}
	}
	to = json_object_get(root, "to");
	text = json_object_get(root, "text");
	ttl = json_object_get(root, "ttl");
	notify = json_object_get(root, "notify");

	d->field = "to";
	if (!to)
		return GW_INTAKE_E_MISSING_FIELD;
	if (!json_is_string(to))
		return GW_INTAKE_E_WRONG_TYPE;
	n = json_string_length(to);
	if (gw_user_name_check(json_string_value(to), n) < 0)
		return GW_INTAKE_E_RECIPIENT;
	memcpy(out->to, json_string_value(to), n);
	out->to[n] = '\0';
	out->to_len = n;

	d->field = "text";
	if (!text)
		return GW_INTAKE_E_MISSING_FIELD;
	if (!json_is_string(text))
		return GW_INTAKE_E_WRONG_TYPE;
	r = take_text(text, out, d);
	if (r < 0)
		return r;

	d->field = "ttl";
	out->ttl_s = GW_TTL_MAX_S;
	if (ttl) {
		json_int_t t;

		if (!json_is_integer(ttl))
			return GW_INTAKE_E_WRONG_TYPE;
		t = json_integer_value(ttl);
		if (t < 1 || t > (json_int_t)GW_TTL_MAX_S)
			return GW_INTAKE_E_TTL_RANGE;
		out->ttl_s = (uint32_t)t;
	}
	d->field = "notify";
	out->notify = true;
	if (notify) {
		if (!json_is_boolean(notify))
			return GW_INTAKE_E_WRONG_TYPE;
		out->notify = json_is_true(notify);
	}
	d->field = NULL;
	return 0;
}

int gw_intake_parse(const char *body, size_t n, struct gw_submit *out,
		    struct gw_intake_diag *diag)
{
	struct gw_intake_diag local, *d = diag ? diag : &local;
	json_error_t je;
	json_t *root;
	int r;

	memset(d, 0, sizeof(*d));
	if (n > GW_BODY_MAX) {
		d->field = "body";
		d->count = n;
		return GW_INTAKE_E_TOO_LARGE;
	}
	/* JSON_ALLOW_NUL: \u0000 in a value is decoded (and then refused as a
	 * control character, 422) instead of failing the whole parse (400).
	 * JSON_DECODE_ANY: a scalar root is "wrong_type", not a syntax error.
	 * EOF check stays on: trailing bytes after the object are an error. */
	root = json_loadb(body, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
			  JSON_DECODE_ANY, &je);
	if (!root)
		return json_fault(body, n, &je, d);
	if (!json_is_object(root)) {
		d->field = "body";
		r = GW_INTAKE_E_WRONG_TYPE;
		goto out;
	}
	r = take_fields(root, out, d);
out:
	json_decref(root);
	return r;
}

/* ---- error reporting --------------------------------------------------- */

static const struct {
	int status;
	const char *code;
} errs[] = {
	[-GW_INTAKE_E_TOO_LARGE]     = { 413, "body_too_large" },
	[-GW_INTAKE_E_JSON]          = { 400, "invalid_json" },
	[-GW_INTAKE_E_DUPLICATE]     = { 400, "duplicate_field" },
	[-GW_INTAKE_E_UNKNOWN_FIELD] = { 400, "unknown_field" },
	[-GW_INTAKE_E_MISSING_FIELD] = { 400, "missing_field" },
	[-GW_INTAKE_E_WRONG_TYPE]    = { 400, "wrong_type" },
	[-GW_INTAKE_E_RECIPIENT]     = { 422, "bad_recipient" },
	[-GW_INTAKE_E_TEXT_EMPTY]    = { 422, "text_empty" },
	[-GW_INTAKE_E_TEXT_TOO_LONG] = { 422, "text_too_long" },
	[-GW_INTAKE_E_TEXT_UTF8]     = { 422, "text_invalid_utf8" },
	[-GW_INTAKE_E_TEXT_CONTROL]  = { 422, "text_control_char" },
	[-GW_INTAKE_E_TTL_RANGE]     = { 422, "ttl_out_of_range" },
	[-GW_INTAKE_E_IDEM_KEY]      = { 400, "bad_idempotency_key" },
};

static bool known(int err)
{
	return err < 0 && err >= GW_INTAKE_E__LAST;
}

int gw_intake_status(int err)
{
	return known(err) ? errs[-err].status : 400;
}

const char *gw_intake_code(int err)
{
	return known(err) ? errs[-err].code : "bad_request";
}

/* A fixed description of a jansson error class (its text quotes input). */
static const char *json_cause(int jc)
{
	switch (jc) {
	case json_error_invalid_utf8:             return "invalid UTF-8";
	case json_error_premature_end_of_input:   return "premature end of input";
	case json_error_end_of_input_expected:    return "data after the object";
	case json_error_null_character:           return "NUL character";
	case json_error_null_byte_in_key:         return "NUL in a member name";
	case json_error_numeric_overflow:         return "number out of range";
	case json_error_invalid_syntax:           return "syntax error";
	default:                                  return "malformed";
	}
}

static const char *field_of(const struct gw_intake_diag *d)
{
	return d->field ? d->field : "body";
}

int gw_intake_detail(int err, const struct gw_intake_diag *diag, char *buf, size_t cap)
{
	struct gw_intake_diag none = { 0 };
	const struct gw_intake_diag *d = diag ? diag : &none;
	const char *f = field_of(d);

	switch (err) {
	case GW_INTAKE_E_TOO_LARGE:
		return snprintf(buf, cap, "body: %zu bytes, at most %u allowed",
				d->count, GW_BODY_MAX);
	case GW_INTAKE_E_JSON:
		return snprintf(buf, cap, "body: not valid JSON (%s) at byte %zu",
				json_cause(d->cause), d->offset);
	case GW_INTAKE_E_DUPLICATE:
		return snprintf(buf, cap, "body: a member name appears twice (at byte %zu)",
				d->offset);
	case GW_INTAKE_E_UNKNOWN_FIELD:
		if (d->name[0])
			return snprintf(buf, cap, "body: unknown member '%s'; allowed: to, text, ttl",
					d->name);
		return snprintf(buf, cap, "body: unknown member; allowed: to, text, ttl");
	case GW_INTAKE_E_MISSING_FIELD:
		return snprintf(buf, cap, "%s: required member missing", f);
	case GW_INTAKE_E_WRONG_TYPE:
		if (!strcmp(f, "ttl"))
			return snprintf(buf, cap, "ttl: must be an integer number of seconds");
		if (!strcmp(f, "to") || !strcmp(f, "text"))
			return snprintf(buf, cap, "%s: must be a string", f);
		return snprintf(buf, cap, "body: must be a JSON object");
	case GW_INTAKE_E_RECIPIENT:
		return snprintf(buf, cap, "to: must be a user name of 1 to %u characters "
				"a-z 0-9 . _ - (no domain part)", GW_USER_MAX);
	case GW_INTAKE_E_TEXT_EMPTY:
		return snprintf(buf, cap, "text: must not be empty");
	case GW_INTAKE_E_TEXT_TOO_LONG:
		return snprintf(buf, cap, "text: %zu characters, at most %u allowed",
				d->count, GW_TEXT_MAX_CP);
	case GW_INTAKE_E_TEXT_UTF8:
		if (d->cause == CAUSE_SURROGATE_ESCAPE)
			return snprintf(buf, cap, "text: lone surrogate escape at byte %zu; "
					"must be valid UTF-8", d->offset);
		if (d->offset)
			return snprintf(buf, cap, "text: not valid UTF-8 (%s) at byte %zu",
					utf8_strerror(d->cause), d->offset);
		return snprintf(buf, cap, "text: not valid UTF-8 (%s)", utf8_strerror(d->cause));
	case GW_INTAKE_E_TEXT_CONTROL:
		return snprintf(buf, cap, "text: control character U+%04" PRIX32 " at character %zu;"
				" only LF (U+000A) is allowed", d->code_point, d->position);
	case GW_INTAKE_E_TTL_RANGE:
		return snprintf(buf, cap, "ttl: must be 1 to %u seconds", GW_TTL_MAX_S);
	case GW_INTAKE_E_IDEM_KEY:
		return snprintf(buf, cap, "Idempotency-Key: must be 1 to %u printable ASCII "
				"characters without spaces", GW_IDEM_KEY_MAX);
	default:
		return snprintf(buf, cap, "bad request");
	}
}

/* ---- answers ----------------------------------------------------------- */

static bool id26_ok(const char *id)
{
	if (!id)
		return false;
	for (size_t i = 0; i < GW_MSG_ID_LEN; i++) {
		char c = id[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) ||
		    c == 'I' || c == 'L' || c == 'O' || c == 'U')
			return false;
	}
	return id[GW_MSG_ID_LEN] == '\0';
}

static bool state_ok(const char *s)
{
	size_t n = s ? strnlen(s, 33) : 0;

	return n >= 1 && n <= 32 && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == n;
}

/* snprintf's result → the writers' contract. */
static ssize_t wrote(int r, size_t cap)
{
	if (r < 0)
		return -EINVAL;
	if ((size_t)r >= cap)
		return -ENOSPC;
	return r;
}

ssize_t gw_intake_write_accepted(char *buf, size_t cap, const char *id26,
				 uint64_t expires_at_s, bool duplicate)
{
	if (!id26_ok(id26))
		return -EINVAL;
	return wrote(snprintf(buf, cap, "{\"id\":\"%s\",\"status\":\"enqueued\","
			      "\"expires_at\":%" PRIu64 "%s}", id26, expires_at_s,
			      duplicate ? ",\"duplicate\":true" : ""), cap);
}

ssize_t gw_intake_write_status(char *buf, size_t cap, const char *id26,
			       const char *state_name, uint64_t created_s,
			       uint64_t expires_s, uint64_t updated_s)
{
	char upd[24];

	if (!id26_ok(id26) || !state_ok(state_name))
		return -EINVAL;
	if (updated_s)
		snprintf(upd, sizeof(upd), "%" PRIu64, updated_s);
	else
		memcpy(upd, "null", 5);
	return wrote(snprintf(buf, cap, "{\"id\":\"%s\",\"status\":\"%s\",\"created_at\":%"
			      PRIu64 ",\"expires_at\":%" PRIu64 ",\"updated_at\":%s}",
			      id26, state_name, created_s, expires_s, upd), cap);
}
