/*
 * Name tables of gateway/sip: header names (full and compact), methods,
 * error codes and the status each error is answered with.
 */
#include "gateway/sip/sip_parse.h"
#include "gateway/sip/sip_lex.h"

#include <string.h>

#include "base/compiler.h"

static const char *const hdr_names[SIP_H__COUNT] = {
	[SIP_H_OTHER] = "",
	[SIP_H_VIA] = "Via",
	[SIP_H_FROM] = "From",
	[SIP_H_TO] = "To",
	[SIP_H_CALL_ID] = "Call-ID",
	[SIP_H_CSEQ] = "CSeq",
	[SIP_H_CONTACT] = "Contact",
	[SIP_H_MAX_FORWARDS] = "Max-Forwards",
	[SIP_H_CONTENT_LENGTH] = "Content-Length",
	[SIP_H_CONTENT_TYPE] = "Content-Type",
	[SIP_H_CONTENT_ENCODING] = "Content-Encoding",
	[SIP_H_EXPIRES] = "Expires",
	[SIP_H_MIN_EXPIRES] = "Min-Expires",
	[SIP_H_AUTHORIZATION] = "Authorization",
	[SIP_H_WWW_AUTHENTICATE] = "WWW-Authenticate",
	[SIP_H_PROXY_AUTHORIZATION] = "Proxy-Authorization",
	[SIP_H_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
	[SIP_H_SUPPORTED] = "Supported",
	[SIP_H_REQUIRE] = "Require",
	[SIP_H_PROXY_REQUIRE] = "Proxy-Require",
	[SIP_H_UNSUPPORTED] = "Unsupported",
	[SIP_H_FLOW_TIMER] = "Flow-Timer",
	[SIP_H_ROUTE] = "Route",
	[SIP_H_RECORD_ROUTE] = "Record-Route",
	[SIP_H_PATH] = "Path",
	[SIP_H_SUBJECT] = "Subject",
	[SIP_H_EVENT] = "Event",
	[SIP_H_ALLOW_EVENTS] = "Allow-Events",
	[SIP_H_REFER_TO] = "Refer-To",
	[SIP_H_REFERRED_BY] = "Referred-By",
	[SIP_H_SESSION_EXPIRES] = "Session-Expires",
	[SIP_H_IDENTITY] = "Identity",
	[SIP_H_ACCEPT_CONTACT] = "Accept-Contact",
	[SIP_H_REJECT_CONTACT] = "Reject-Contact",
	[SIP_H_REQUEST_DISPOSITION] = "Request-Disposition",
	[SIP_H_ALLOW] = "Allow",
	[SIP_H_ACCEPT] = "Accept",
	[SIP_H_DATE] = "Date",
	[SIP_H_RETRY_AFTER] = "Retry-After",
	[SIP_H_USER_AGENT] = "User-Agent",
	[SIP_H_SERVER] = "Server",
	[SIP_H_WARNING] = "Warning",
};

/* Compact forms, 'a'..'z' (RFC 3261 §7.3.3 and the extensions in sip_types.h). */
static const enum sip_hdr compact[26] = {
	['a' - 'a'] = SIP_H_ACCEPT_CONTACT,
	['b' - 'a'] = SIP_H_REFERRED_BY,
	['c' - 'a'] = SIP_H_CONTENT_TYPE,
	['d' - 'a'] = SIP_H_REQUEST_DISPOSITION,
	['e' - 'a'] = SIP_H_CONTENT_ENCODING,
	['f' - 'a'] = SIP_H_FROM,
	['i' - 'a'] = SIP_H_CALL_ID,
	['j' - 'a'] = SIP_H_REJECT_CONTACT,
	['k' - 'a'] = SIP_H_SUPPORTED,
	['l' - 'a'] = SIP_H_CONTENT_LENGTH,
	['m' - 'a'] = SIP_H_CONTACT,
	['o' - 'a'] = SIP_H_EVENT,
	['r' - 'a'] = SIP_H_REFER_TO,
	['s' - 'a'] = SIP_H_SUBJECT,
	['t' - 'a'] = SIP_H_TO,
	['u' - 'a'] = SIP_H_ALLOW_EVENTS,
	['v' - 'a'] = SIP_H_VIA,
	['x' - 'a'] = SIP_H_SESSION_EXPIRES,
	['y' - 'a'] = SIP_H_IDENTITY,
};

enum sip_hdr sip_header_id(struct sip_str name)
{
	if (name.n == 1) {
		char c = sip__lower(name.p[0]);

		return c >= 'a' && c <= 'z' ? compact[c - 'a'] : SIP_H_OTHER;
	}
	for (size_t i = 1; i < SIP_H__COUNT; i++)
		if (sip__lower(name.p[0]) == sip__lower(hdr_names[i][0]) &&
		    sip_str_eq_nocase(name, hdr_names[i]))
			return (enum sip_hdr)i;
	return SIP_H_OTHER;
}

const char *sip_header_name(enum sip_hdr id)
{
	return (unsigned)id < SIP_H__COUNT ? hdr_names[id] : "";
}

static const char *const method_names[SIP_M__COUNT] = {
	[SIP_M_OTHER] = "",          [SIP_M_INVITE] = "INVITE",
	[SIP_M_ACK] = "ACK",         [SIP_M_BYE] = "BYE",
	[SIP_M_CANCEL] = "CANCEL",   [SIP_M_OPTIONS] = "OPTIONS",
	[SIP_M_REGISTER] = "REGISTER", [SIP_M_MESSAGE] = "MESSAGE",
	[SIP_M_INFO] = "INFO",       [SIP_M_PRACK] = "PRACK",
	[SIP_M_UPDATE] = "UPDATE",   [SIP_M_SUBSCRIBE] = "SUBSCRIBE",
	[SIP_M_NOTIFY] = "NOTIFY",   [SIP_M_REFER] = "REFER",
	[SIP_M_PUBLISH] = "PUBLISH",
};

enum sip_method sip_method_id(struct sip_str m)
{
	for (size_t i = 1; i < SIP_M__COUNT; i++)
		if (sip_str_eq(m, method_names[i]))
			return (enum sip_method)i;
	return SIP_M_OTHER;
}

const char *sip_method_name(enum sip_method id)
{
	return (unsigned)id < SIP_M__COUNT ? method_names[id] : "";
}

static const char *const perr_names[] = {
	"bare_lf", "bare_cr", "start_fold", "start_line", "method", "ruri",
	"uri_scheme", "version", "version_unsupported", "status", "reason",
	"header_name", "header_value", "dup_header", "missing_header", "no_cl",
	"dup_cl", "bad_cl", "cseq", "cseq_mismatch", "call_id", "addr", "via",
	"number", "auth", "date", "content_type", "option_tags", "line_too_long",
	"too_many_headers", "head_too_large", "body_too_large",
};

_Static_assert(sizeof(perr_names) / sizeof(perr_names[0]) ==
		       (size_t)(SIP_E__LAST - SIP_E__FIRST + 1),
	       "one name per SIP_E_* code");

const char *sip_perr_name(int err)
{
	if (err < SIP_E__FIRST || err > SIP_E__LAST)
		return "unknown";
	return perr_names[err - SIP_E__FIRST];
}

int sip_perr_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(perr_names); i++)
		if (strcmp(perr_names[i], name) == 0)
			return SIP_E__FIRST + (int)i;
	return 0;
}

int sip_perr_status(int err)
{
	switch (err) {
	case SIP_E_BODY_TOO_LARGE:
		return 413;
	case SIP_E_LINE_TOO_LONG:
		return 414;
	case SIP_E_URI_SCHEME:
		return 416;
	case SIP_E_VERSION_UNSUPPORTED:
		return 505;
	case SIP_E_HEAD_TOO_LARGE:
	case SIP_E_TOO_MANY_HEADERS:
		return 513;
	default:
		return 400;
	}
}

const struct sip_header *sip_find_header(const struct sip_msg *msg, enum sip_hdr id,
					 const char *name)
{
	for (size_t i = 0; i < msg->n_headers; i++) {
		const struct sip_header *h = &msg->headers[i];

		if (id != SIP_H_OTHER ? h->id == id :
					(h->id == SIP_H_OTHER && name && sip_str_eq_nocase(h->name, name)))
			return h;
	}
	return NULL;
}

void sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg, enum sip_hdr id)
{
	memset(it, 0, sizeof(*it));
	it->msg = msg;
	it->id = id;
}

bool sip_hdr_iter_next(struct sip_hdr_iter *it, struct sip_str *value)
{
	for (;;) {
		if (it->in_list && sip_list_next(&it->list, value))
			return true;
		it->in_list = false;
		while (it->next_header < it->msg->n_headers &&
		       it->msg->headers[it->next_header].id != it->id)
			it->next_header++;
		if (it->next_header >= it->msg->n_headers)
			return false;
		sip_list_init(&it->list, it->msg->headers[it->next_header++].value);
		it->in_list = true;
	}
}

bool sip_msg_has_option(const struct sip_msg *msg, enum sip_hdr id, const char *tag)
{
	struct sip_hdr_iter it;
	struct sip_str v;

	sip_hdr_iter_init(&it, msg, id);
	while (sip_hdr_iter_next(&it, &v))
		if (sip_str_eq_nocase(v, tag))
			return true;
	return false;
}
