/*
 * The SIP registrar (RFC 3261 §10.3, RFC 8760 digest, RFC 5626 outbound).
 *
 * A REGISTER on a TLS flow binds its user to that flow, nothing else: the
 * store's location map (storage/store.h ST_OP_LOC_*) learns user → worker,
 * flow, expiry. Order of the checks, each with its answer:
 *   Request-URI or To not in our domain               404
 *   To and From users differ                          403
 *   no Authorization                                  401, SHA-256 and MD5 challenges
 *   Authorization malformed                           400
 *   its username is not the To user                   403
 *   (store: the user record)  unknown user            401
 *   digest: stale 401 stale=true, wrong user 403, malformed 400, other 401
 *   Contact: * without Expires: 0, several Contacts   400
 *   expires (Contact param, else Expires, else default) below min: 423 +
 *   Min-Expires; above max: clamped; 0: unregister, 200
 *   (store: ST_OP_LOC_REGISTER) 200 with the Contact and its expires, Date,
 *   and Require: outbound + Flow-Timer when the Contact has +sip.instance
 *   and reg-id and the request says Supported: outbound.
 * The store keeps one binding per user: a second device's REGISTER
 * replaces the first one's binding.
 */
#ifndef COLUMBA_GATEWAY_REGISTRAR_H
#define COLUMBA_GATEWAY_REGISTRAR_H

#include <stdint.h>

#include "gateway/config.h"
#include "gateway/sipconn.h"

/* gw_reg_expires() result besides 0. */
#define GW_REG_TOO_BRIEF 1

/*
 * gw_registrar_register - handle the REGISTER @msg that arrived on @sc:
 * answers it at once or through store operations (the flow waits).
 */
void gw_registrar_register(struct gw_sipconn *sc, const struct sip_msg *msg);

/*
 * gw_registrar_flow_gone - tell the store that @user's binding on @flow
 * ended (the flow closed, or the binding expired). Runs without a
 * connection; if the op pool or the channel is full, the store's own
 * expiry of the binding is the fallback (logged).
 */
void gw_registrar_flow_gone(struct gw_worker *gw, const char *user, uint64_t flow);

/*
 * gw_reg_expires - the lifetime the REGISTER @msg asks for its first
 * Contact: its ;expires, else the Expires header, else the configured
 * default; clamped to [sip] max_expires_s. Zero means "remove".
 * Returns 0 with *out_s set, or GW_REG_TOO_BRIEF (a nonzero value below
 * min_expires_s: answer 423 with Min-Expires).
 */
int gw_reg_expires(const struct sip_msg *msg, const struct gw_config *cfg, uint32_t *out_s);

/*
 * gw_reg_uri_user - the unescaped user part of the sip:/sips: URI @text in
 * our domain into @out (NUL-terminated, @cap bytes). Returns its length,
 * -EINVAL (not a SIP URI, no user, too long, a NUL) or -ENOENT (another
 * domain).
 */
int gw_reg_uri_user(const struct gw_config *cfg, struct sip_str text, char *out, size_t cap);

#endif
