/*
 * Delivery notifications as Columba sends them (message/imdn+xml, RFC 5438
 * with the urn:columba:params:xml:ns:imdn "state" element; docs/api.md).
 * Not a general XML parser: it finds the two elements the client needs, in
 * the shape the server writes, and refuses anything else.
 *
 * cl_imdn_parse() returns 0, or one code per reason:
 *   CL_IMDN_E_ID     no <message-id> with a 26-character id (once)
 *   CL_IMDN_E_STATE  no <c:state> with delivered / failed / expired (once)
 */
#ifndef COLUMBA_CLIENT_IMDN_H
#define COLUMBA_CLIENT_IMDN_H

#include <stddef.h>

enum cl_imdn_state {
	CL_IMDN_DELIVERED = 1,
	CL_IMDN_FAILED,
	CL_IMDN_EXPIRED,
};

enum {
	CL_IMDN_E_ID = -2100,
	CL_IMDN_E_STATE,
};

/*
 * cl_imdn_parse - extract the message id (NUL-terminated into @id) and the
 * state from @body (@len bytes). Returns 0 or a code above.
 */
int cl_imdn_parse(const char *body, size_t len, char id[27], enum cl_imdn_state *state);

#endif
