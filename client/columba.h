/*
 * libcolumba: Columba's reference client as a library (DESIGN.md §1
 * "client", issue 6). A struct cl_client ties together the configuration
 * (config.h), the local store (store.h: history and outbox, texts sealed),
 * the HTTPS API (api.h) and the SIP user agent (sipua.h), and implements
 * the client rules:
 *
 *   - a new message is checked (1..160 characters, valid UTF-8, no control
 *     character but LF) and goes to the outbox as Sending; it is tried
 *     t.send_tries times (each try bounded by t.send_timeout_ms: connect,
 *     TLS and the answer), with one Idempotency-Key (its local key) for all
 *     tries ever, so the server never enqueues it twice;
 *   - the outbox is flushed on every trigger: a SIP (re)connect, each
 *     keepalive tick and the next send (cl_client_flush());
 *   - after t.outbox_expiry_ms in the outbox: Error ("send_error"), out of
 *     the outbox, and a CL_EV_SEND_ERROR notification (cl_client_sweep());
 *   - statuses: Sending -> Enqueued (202) -> Delivered / Error (delivery
 *     notification, or cl_client_refresh());
 *   - read expiry: a message displayed (cl_client_mark_read(): an incoming
 *     one, or an outgoing one once Delivered) has its text erased
 *     t.read_expiry_ms later (cl_client_sweep()).
 *
 * Return contract: 0 / negative errno as in the module headers; the CLI
 * turns them into sentences with cl_client_strerror().
 */
#ifndef COLUMBA_CLIENT_COLUMBA_H
#define COLUMBA_CLIENT_COLUMBA_H

#include <stdbool.h>
#include <stdint.h>

#include "client/api.h"
#include "client/config.h"
#include "client/msgrec.h"
#include "client/sipua.h"
#include "client/store.h"
#include "client/timing.h"

enum cl_event {
	CL_EV_RECEIVED = 1,  /* a new incoming message was stored */
	CL_EV_STATUS,        /* an outgoing message changed status */
	CL_EV_SEND_ERROR,    /* an outgoing message left the outbox unsent */
};

typedef void (*cl_event_fn)(enum cl_event ev, struct cl_msg *m, void *arg);

struct cl_client {
	struct cl_paths paths;
	struct cl_config cfg;
	struct cl_tls_cfg tls;
	struct cl_timing t;
	struct cl_store store;
	struct cl_api api;
	struct cl_sip sip;
	bool api_ready, sip_ready;
	cl_event_fn on_event;
	void *event_arg;
	int last_error;        /* the last transport error of a try (0 if none) */
};

/*
 * cl_client_open - load paths, timings, configuration and key, open the
 * store. Returns 0, -ENOENT (not logged in: run `columba login`), or a
 * config.h / store.h code.
 */
int cl_client_open(struct cl_client *c, cl_event_fn on_event, void *arg);

/* cl_client_close - release everything; safe on a failed open. */
void cl_client_close(struct cl_client *c);

/*
 * cl_client_login - POST /v1/tokens for @user, then write the config file
 * (token, trust settings, HA1 values for SIP) and create the key file.
 * @cafile or @pin (hex) must be given. Returns 0, -EINVAL, or an api.h code.
 */
int cl_client_login(const char *server, const char *sip, const char *domain, const char *user,
		    const char *password, const char *cafile, const char *pin);

/*
 * cl_client_check_user - is @to a valid user name (1..64 of a-z 0-9 . _ -)?
 */
bool cl_client_check_user(const char *to);

/*
 * cl_client_send - check @text, store it for @to as Sending, flush the
 * older outbox messages (one try each), then try it t.send_tries times.
 * @m receives the message as it ends. Returns 0 (Enqueued), -EMSGSIZE /
 * -ENODATA / -EILSEQ (text refused, nothing stored), -EINVAL (bad user),
 * -EBADMSG (refused by the server: now Error), -EACCES (token refused:
 * stays Sending), or a transport code (stays Sending in the outbox).
 */
int cl_client_send(struct cl_client *c, const char *to, const char *text, struct cl_msg *m);

/*
 * cl_client_flush - try every outbox message @tries times, oldest first,
 * stopping at the first transport failure. Returns the number enqueued or
 * a negative transport code.
 */
int cl_client_flush(struct cl_client *c, unsigned tries);

/*
 * cl_client_sweep - apply the two expiries at @now_ms (wall clock):
 * outbox -> Send error, and read -> text erased. Returns 0 or a store code.
 */
int cl_client_sweep(struct cl_client *c, uint64_t now_ms);

/*
 * cl_client_mark_read - the message was just displayed: start its read
 * clock (incoming, or outgoing and Delivered). Returns 0 or a store code.
 */
int cl_client_mark_read(struct cl_client *c, struct cl_msg *m);

/*
 * cl_client_refresh - GET the server status of outgoing message @m and
 * store a change (Delivered, Error). Returns 0 or an api.h code.
 */
int cl_client_refresh(struct cl_client *c, struct cl_msg *m);

/*
 * cl_client_find - the message named by @id: a server id (26 characters)
 * or a local key (32 hex digits). Returns 0 or -ENOENT.
 */
int cl_client_find(struct cl_client *c, const char *id, struct cl_msg *m);

/*
 * cl_client_sip_start - connect and REGISTER the SIP flow. Returns 0 or a
 * sipua.h code.
 */
int cl_client_sip_start(struct cl_client *c, uint64_t deadline_ms);

/* cl_client_strerror - a sentence for any code this library returns. */
const char *cl_client_strerror(int err);

/* cl_status_name - "Sending", "Enqueued", "Delivered", "Error", "Received". */
const char *cl_status_name(unsigned status);

#endif
