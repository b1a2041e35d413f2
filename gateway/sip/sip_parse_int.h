/*
 * Internal to gateway/sip: what the framing half of the parser
 * (sip_parse.c) calls in the semantic half (sip_semantics.c). Each int
 * function returns 0 or a SIP_E_* code.
 */
#ifndef COLUMBA_GATEWAY_SIP_PARSE_INT_H
#define COLUMBA_GATEWAY_SIP_PARSE_INT_H

#include <stdint.h>

#include "gateway/sip/sip_parse.h"

/* Clear the parser's outputs, keeping the caller's header array. */
void sip__msg_reset(struct sip_msg *msg);

/* The start line h[0..n) (no CRLF): request or status line. */
int sip__parse_start_line(struct sip_msg *msg, const char *h, size_t n);

/* Header @h was stored: check its value and fill the message fields.
 * @seen: bit per enum sip_hdr already met. */
int sip__apply_header(struct sip_msg *msg, const struct sip_header *h,
		      const struct sip_limits *lim, uint64_t *seen);

/* Empty line reached: required headers, CSeq method, Content-Length. */
int sip__finish_head(struct sip_msg *msg, uint64_t seen);

#endif
