/*
 * Columba's HTTPS API from the client side (docs/api.md): device token
 * login, submit with an Idempotency-Key, status query. One keep-alive
 * connection, opened on first use and reopened after any failure.
 *
 * Return contract of the calls: 0 on success, else
 *   -EACCES        401: bad credentials or an invalid/revoked token
 *   -EAGAIN        a temporary refusal (429, 503, other 5xx): try again later
 *   -EBADMSG       a permanent refusal (other 4xx); the "error" code is kept
 *   -ENOENT        (status) 404: no such message of ours
 *   -EPROTO        an answer that is not what the API documents
 *   a cl_conn_* code (tlsconn.h) or CL_HTTP_E_* (http.h) for transport errors
 */
#ifndef COLUMBA_CLIENT_API_H
#define COLUMBA_CLIENT_API_H

#include <stdbool.h>
#include <stdint.h>

#include "client/http.h"
#include "client/tlsconn.h"

#define CL_TOKEN_MAX 64   /* 43 characters today */
#define CL_ID_LEN    26   /* Crockford base32 message id */
#define CL_ERR_MAX   48

struct cl_api {
	char host[256];
	uint16_t port;
	struct cl_tls_cfg tls;
	char cafile[4096];
	char token[CL_TOKEN_MAX + 1];
	struct cl_conn conn;
	struct cl_http *http;   /* receive buffer, allocated by init */
	char error[CL_ERR_MAX]; /* "error" member of the last refusal */
	int64_t retry_after;    /* Retry-After of the last refusal, -1 if none */
};

struct cl_submit_result {
	char id[CL_ID_LEN + 1];
	bool duplicate;         /* the server had this Idempotency-Key already */
};

/* Server-side status of one of our messages (GET /v1/messages/{id}). */
enum cl_remote_status {
	CL_REMOTE_ENQUEUED = 1,
	CL_REMOTE_DELIVERED,
	CL_REMOTE_FAILED,
	CL_REMOTE_EXPIRED,
};

/*
 * cl_api_init - prepare @a for "host:port" @server, trusting per @tls
 * (cafile is copied), with device token @token (NULL before login).
 * Returns 0, -EINVAL (bad address, token too long) or -ENOMEM.
 */
int cl_api_init(struct cl_api *a, const char *server, const struct cl_tls_cfg *tls,
		const char *token);

/* cl_api_fini - close the connection and free the buffer; safe to repeat. */
void cl_api_fini(struct cl_api *a);

/*
 * cl_api_login - POST /v1/tokens with HTTP Basic @user:@password; on 201
 * the new device token goes to a->token. Returns 0 or a code above.
 */
int cl_api_login(struct cl_api *a, const char *user, const char *password, uint64_t deadline_ms);

/*
 * cl_api_submit - POST /v1/messages {"to":@to,"text":@text} with
 * Idempotency-Key @idem. On 202 fills @out. Returns 0 or a code above.
 */
int cl_api_submit(struct cl_api *a, const char *to, const char *text, const char *idem,
		  struct cl_submit_result *out, uint64_t deadline_ms);

/*
 * cl_api_status - GET /v1/messages/@id into *@st. Returns 0 or a code above.
 */
int cl_api_status(struct cl_api *a, const char *id, enum cl_remote_status *st,
		  uint64_t deadline_ms);

#endif
