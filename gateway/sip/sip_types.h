/*
 * Types shared by the SIP codec (gateway/sip): slices, error codes, method
 * and header identifiers. Nothing here allocates.
 */
#ifndef COLUMBA_GATEWAY_SIP_TYPES_H
#define COLUMBA_GATEWAY_SIP_TYPES_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/* A slice of the caller's buffer; not NUL-terminated. */
struct sip_str {
	const char *p;
	size_t n;
};

/*
 * Message-parser errors (sip_parse_message() and the header parsers).
 * One code per malformed class, from -1200 up; never an errno value.
 * sip_perr_status() gives the status to answer, sip_perr_name() a name.
 */
enum sip_perr {
	SIP_EAGAIN = -EAGAIN,
	SIP_E_BARE_LF = -1200,   /* LF without CR */
	SIP_E_BARE_CR,           /* CR not followed by LF */
	SIP_E_START_FOLD,        /* the line after the start line begins with WSP */
	SIP_E_START_LINE,        /* start line not "x SP y SP z" (extra/trailing SP, none) */
	SIP_E_METHOD,            /* method is not a token */
	SIP_E_RURI,              /* Request-URI malformed (or has headers, RFC 3261 §19.1.1) */
	SIP_E_URI_SCHEME,        /* Request-URI not sip:/sips: (416) */
	SIP_E_VERSION,           /* malformed SIP-Version */
	SIP_E_VERSION_UNSUPPORTED, /* not SIP/2.0 (505) */
	SIP_E_STATUS,            /* status code not 3 digits in 100..699 */
	SIP_E_REASON,            /* control byte in the reason phrase */
	SIP_E_HEADER_NAME,       /* not token *WSP ":" */
	SIP_E_HEADER_VALUE,      /* control byte outside a quoted-pair */
	SIP_E_DUP_HEADER,        /* a single-valued header repeated */
	SIP_E_MISSING_HEADER,    /* no Via, From, To, Call-ID or CSeq */
	SIP_E_NO_CL,             /* no Content-Length on a stream (RFC 3261 §18.3) */
	SIP_E_DUP_CL,            /* Content-Length twice */
	SIP_E_BAD_CL,            /* Content-Length not 1*DIGIT */
	SIP_E_CSEQ,              /* CSeq not "number method", number >= 2**31 */
	SIP_E_CSEQ_MISMATCH,     /* CSeq method differs from the request method */
	SIP_E_CALL_ID,           /* Call-ID not word ["@" word] */
	SIP_E_ADDR,              /* From/To/Contact: bad name-addr, addr-spec or params */
	SIP_E_VIA,               /* bad Via */
	SIP_E_NUMBER,            /* Max-Forwards/Expires/Retry-After/Flow-Timer/expires/q/reg-id */
	SIP_E_AUTH,              /* bad Authorization/Proxy-Authorization/WWW-/Proxy-Authenticate */
	SIP_E_DATE,              /* Date not an RFC 1123 date in GMT */
	SIP_E_CONTENT_TYPE,      /* Content-Type not type "/" subtype *(; param) */
	SIP_E_OPTION_TAGS,       /* Supported/Require/Proxy-Require not a token list */
	SIP_E_LINE_TOO_LONG,     /* limits.line_max */
	SIP_E_TOO_MANY_HEADERS,  /* limits.headers_max or the caller's array */
	SIP_E_HEAD_TOO_LARGE,    /* limits.head_max */
	SIP_E_BODY_TOO_LARGE,    /* Content-Length over limits.body_max */
	SIP_E__FIRST = SIP_E_BARE_LF,
	SIP_E__LAST = SIP_E_BODY_TOO_LARGE,
};

enum sip_method {
	SIP_M_OTHER = 0, /* any other token (methods are case-sensitive) */
	SIP_M_INVITE,
	SIP_M_ACK,
	SIP_M_BYE,
	SIP_M_CANCEL,
	SIP_M_OPTIONS,
	SIP_M_REGISTER,
	SIP_M_MESSAGE,
	SIP_M_INFO,
	SIP_M_PRACK,
	SIP_M_UPDATE,
	SIP_M_SUBSCRIBE,
	SIP_M_NOTIFY,
	SIP_M_REFER,
	SIP_M_PUBLISH,
	SIP_M__COUNT,
};

/* Header identifiers; names are matched case-insensitively, compact forms
 * (RFC 3261 §7.3.3, RFC 3265, RFC 3515, RFC 3841, RFC 4028, RFC 4474)
 * map to the same id. */
enum sip_hdr {
	SIP_H_OTHER = 0,
	SIP_H_VIA,                 /* v */
	SIP_H_FROM,                /* f */
	SIP_H_TO,                  /* t */
	SIP_H_CALL_ID,             /* i */
	SIP_H_CSEQ,
	SIP_H_CONTACT,             /* m */
	SIP_H_MAX_FORWARDS,
	SIP_H_CONTENT_LENGTH,      /* l */
	SIP_H_CONTENT_TYPE,        /* c */
	SIP_H_CONTENT_ENCODING,    /* e */
	SIP_H_EXPIRES,
	SIP_H_MIN_EXPIRES,
	SIP_H_AUTHORIZATION,
	SIP_H_WWW_AUTHENTICATE,
	SIP_H_PROXY_AUTHORIZATION,
	SIP_H_PROXY_AUTHENTICATE,
	SIP_H_SUPPORTED,           /* k */
	SIP_H_REQUIRE,
	SIP_H_PROXY_REQUIRE,
	SIP_H_UNSUPPORTED,
	SIP_H_FLOW_TIMER,
	SIP_H_ROUTE,
	SIP_H_RECORD_ROUTE,
	SIP_H_PATH,
	SIP_H_SUBJECT,             /* s */
	SIP_H_EVENT,               /* o */
	SIP_H_ALLOW_EVENTS,        /* u */
	SIP_H_REFER_TO,            /* r */
	SIP_H_REFERRED_BY,         /* b */
	SIP_H_SESSION_EXPIRES,     /* x */
	SIP_H_IDENTITY,            /* y */
	SIP_H_ACCEPT_CONTACT,      /* a */
	SIP_H_REJECT_CONTACT,      /* j */
	SIP_H_REQUEST_DISPOSITION, /* d */
	SIP_H_ALLOW,
	SIP_H_ACCEPT,
	SIP_H_DATE,
	SIP_H_RETRY_AFTER,
	SIP_H_USER_AGENT,
	SIP_H_SERVER,
	SIP_H_WARNING,
	SIP_H__COUNT,
};

/*
 * sip_str_eq - does @s equal the NUL-terminated @lit byte for byte?
 */
bool sip_str_eq(struct sip_str s, const char *lit);

/*
 * sip_str_eq_nocase - does @s equal @lit ignoring ASCII case?
 */
bool sip_str_eq_nocase(struct sip_str s, const char *lit);

/*
 * sip_str_eq2_nocase - do @a and @b hold the same bytes ignoring ASCII case?
 */
bool sip_str_eq2_nocase(struct sip_str a, struct sip_str b);

#endif
