#include "client/imdn.h"

#include <string.h>

/* The text between the only @open and the following @close, or NULL. */
static const char *element(const char *body, size_t len, const char *open, const char *close,
			   size_t *out_len)
{
	size_t ol = strlen(open), cl = strlen(close);
	const char *p = NULL, *e;

	for (size_t i = 0; i + ol <= len; i++) {
		if (memcmp(body + i, open, ol) == 0) {
			if (p)
				return NULL; /* twice: refuse rather than guess */
			p = body + i + ol;
		}
	}
	if (!p)
		return NULL;
	for (e = p; (size_t)(e - body) + cl <= len; e++) {
		if (*e == '<') {
			if (memcmp(e, close, cl) != 0)
				return NULL;
			*out_len = (size_t)(e - p);
			return p;
		}
	}
	return NULL;
}

int cl_imdn_parse(const char *body, size_t len, char id[27], enum cl_imdn_state *state)
{
	static const struct {
		const char *name;
		enum cl_imdn_state st;
	} states[] = {
		{ "delivered", CL_IMDN_DELIVERED },
		{ "failed", CL_IMDN_FAILED },
		{ "expired", CL_IMDN_EXPIRED },
	};
	size_t n;
	const char *p = element(body, len, "<message-id>", "</message-id>", &n);

	if (!p || n != 26)
		return CL_IMDN_E_ID;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", p[i]) || !p[i])
			return CL_IMDN_E_ID;
	memcpy(id, p, 26);
	id[26] = '\0';
	p = element(body, len, "<c:state>", "</c:state>", &n);
	if (!p)
		return CL_IMDN_E_STATE;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (n == strlen(states[i].name) && memcmp(p, states[i].name, n) == 0) {
			*state = states[i].st;
			return 0;
		}
	}
	return CL_IMDN_E_STATE;
}
