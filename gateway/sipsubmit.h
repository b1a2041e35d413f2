/*
 * SIP submit (issue 5 item 4): MESSAGE from a registered user agent to
 * sips:<user>@<domain>, validated like POST /v1/messages and answered 202
 * once durable. See gateway/sipsubmit.c for the rules.
 */
#ifndef COLUMBA_GATEWAY_SIPSUBMIT_H
#define COLUMBA_GATEWAY_SIPSUBMIT_H

#include "gateway/gw.h"
#include "gateway/sip/sip_parse.h"

/*
 * gw_sip_submit - handle MESSAGE request @m on flow @sc: answered at once
 * (403 before the flow authenticated or when From is not that user, 404,
 * 415, 400/413 naming the text rule, 503 + Retry-After for the rate limit
 * or a busy store) or, once the store answers, 202 with the message id in
 * X-Columba-Message-Id.
 */
void gw_sip_submit(struct gw_sipconn *sc, const struct sip_msg *m);

#endif
