#include "client/api.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/clock.h"

int cl_api_init(struct cl_api *a, const char *server, const struct cl_tls_cfg *tls,
		const char *token)
{
	memset(a, 0, sizeof(*a));
	a->conn.fd = -1;
	a->retry_after = -1;
	if (cl_host_port_parse(server, a->host, sizeof(a->host), &a->port) < 0)
		return -EINVAL;
	a->tls = *tls;
	if (tls->cafile) {
		if (strlen(tls->cafile) >= sizeof(a->cafile))
			return -EINVAL;
		memcpy(a->cafile, tls->cafile, strlen(tls->cafile) + 1);
		a->tls.cafile = a->cafile;
	}
	if (token) {
		if (strlen(token) > CL_TOKEN_MAX)
			return -EINVAL;
		memcpy(a->token, token, strlen(token) + 1);
	}
	a->http = calloc(1, sizeof(*a->http));
	if (!a->http)
		return -ENOMEM;
	a->http->conn = &a->conn;
	return 0;
}

void cl_api_fini(struct cl_api *a)
{
	cl_conn_close(&a->conn);
	free(a->http);
	a->http = NULL;
	explicit_bzero(a->token, sizeof(a->token));
}

/* One request; a kept-alive connection the server closed meanwhile is
 * reopened once (every request here is safe to repeat: submits carry an
 * Idempotency-Key). */
static int roundtrip(struct cl_api *a, const char *method, const char *path,
		     const char *const *headers, const char *body, struct cl_http_resp *r,
		     uint64_t deadline_ms)
{
	for (int pass = 0; pass < 2; pass++) {
		bool reused = cl_conn_is_open(&a->conn);
		int rc;

		if (!reused) {
			a->http->len = a->http->consumed = 0;
			rc = cl_conn_open(&a->conn, a->host, a->port, &a->tls, deadline_ms);
			if (rc < 0)
				return rc;
		}
		rc = cl_http_roundtrip(a->http, method, a->host, path, headers, body,
				       body ? strlen(body) : 0, r, deadline_ms);
		if (rc == 0)
			return 0;
		cl_conn_close(&a->conn);
		if (!reused || rc != -ECONNRESET)
			return rc;
	}
	return -ECONNRESET;
}

/* Classify a non-success answer; remembers its "error" member. */
static int refusal(struct cl_api *a, const struct cl_http_resp *r)
{
	json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
	const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;

	snprintf(a->error, sizeof(a->error), "%s", e ? e : "");
	json_decref(j);
	a->retry_after = r->retry_after;
	if (r->status == 401)
		return -EACCES;
	if (r->status == 404 && strcmp(a->error, "not_found") == 0)
		return -ENOENT;
	if (r->status == 429 || r->status == 408 || r->status >= 500)
		return -EAGAIN;
	if (r->status >= 400)
		return -EBADMSG;
	return -EPROTO;
}

int cl_api_login(struct cl_api *a, const char *user, const char *password, uint64_t deadline_ms)
{
	char cred[512], auth[720];
	const char *hdrs[2] = { auth, NULL };
	struct cl_http_resp r;
	json_t *j = NULL;
	const char *tok;
	int n, rc;

	n = snprintf(cred, sizeof(cred), "%s:%s", user, password);
	if (n < 0 || (size_t)n >= sizeof(cred))
		return -EINVAL;
	memcpy(auth, "Authorization: Basic ", 21);
	b64_encode_nopad((const uint8_t *)cred, (size_t)n, auth + 21, false);
	/* The API's Basic credentials are standard base64 with padding. */
	for (size_t len = strlen(auth + 21); len % 4; len++)
		memcpy(auth + 21 + len, "=", 2);
	explicit_bzero(cred, sizeof(cred));
	rc = roundtrip(a, "POST", "/v1/tokens", hdrs, NULL, &r, deadline_ms);
	explicit_bzero(auth, sizeof(auth));
	if (rc < 0)
		return rc;
	if (r.status != 201)
		return refusal(a, &r);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	tok = j ? json_string_value(json_object_get(j, "token")) : NULL;
	if (!tok || strlen(tok) > CL_TOKEN_MAX || !*tok) {
		json_decref(j);
		return -EPROTO;
	}
	memcpy(a->token, tok, strlen(tok) + 1);
	json_decref(j);
	return 0;
}

int cl_api_submit(struct cl_api *a, const char *to, const char *text, const char *idem,
		  struct cl_submit_result *out, uint64_t deadline_ms)
{
	char auth[128], key[96];
	const char *hdrs[3] = { auth, key, NULL };
	struct cl_http_resp r;
	json_t *req, *j;
	const char *id;
	char *body;
	int rc;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
	snprintf(key, sizeof(key), "Idempotency-Key: %s", idem);
	req = json_pack("{s:s, s:s}", "to", to, "text", text);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body)
		return -ENOMEM;
	rc = roundtrip(a, "POST", "/v1/messages", hdrs, body, &r, deadline_ms);
	explicit_bzero(body, strlen(body));
	free(body);
	explicit_bzero(auth, sizeof(auth));
	if (rc < 0)
		return rc;
	if (r.status != 202)
		return refusal(a, &r);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	id = j ? json_string_value(json_object_get(j, "id")) : NULL;
	if (!id || strlen(id) != CL_ID_LEN) {
		json_decref(j);
		return -EPROTO;
	}
	memcpy(out->id, id, CL_ID_LEN + 1);
	out->duplicate = json_is_true(json_object_get(j, "duplicate"));
	json_decref(j);
	return 0;
}

int cl_api_status(struct cl_api *a, const char *id, enum cl_remote_status *st,
		  uint64_t deadline_ms)
{
	static const struct {
		const char *name;
		enum cl_remote_status st;
	} names[] = {
		{ "enqueued", CL_REMOTE_ENQUEUED },
		{ "delivered", CL_REMOTE_DELIVERED },
		{ "failed", CL_REMOTE_FAILED },
		{ "expired", CL_REMOTE_EXPIRED },
	};
	char auth[128], path[64];
	const char *hdrs[2] = { auth, NULL };
	struct cl_http_resp r;
	const char *s;
	json_t *j;
	int rc = -EPROTO;

	if (strlen(id) != CL_ID_LEN || strspn(id, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") != CL_ID_LEN)
		return -EINVAL;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
	snprintf(path, sizeof(path), "/v1/messages/%s", id);
	rc = roundtrip(a, "GET", path, hdrs, NULL, &r, deadline_ms);
	explicit_bzero(auth, sizeof(auth));
	if (rc < 0)
		return rc;
	if (r.status != 200)
		return refusal(a, &r);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	s = j ? json_string_value(json_object_get(j, "status")) : NULL;
	rc = -EPROTO;
	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*st = names[i].st;
			rc = 0;
		}
	}
	json_decref(j);
	return rc;
}
