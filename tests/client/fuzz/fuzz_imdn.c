/*
 * libFuzzer driver for cl_imdn_parse(): the result is 0 or a CL_IMDN_E_*
 * code; on success the id is 26 Crockford base32 characters found in the
 * input and the state one of the three.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/imdn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum cl_imdn_state st = 0;
	char id[27];
	int rc = cl_imdn_parse((const char *)data, size, id, &st);

	if (rc == 0) {
		if (strlen(id) != 26 || strspn(id, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") != 26 ||
		    !memmem(data, size, id, 26) || st < CL_IMDN_DELIVERED || st > CL_IMDN_EXPIRED)
			abort();
	} else if (rc != CL_IMDN_E_ID && rc != CL_IMDN_E_STATE) {
		abort();
	}
	return 0;
}
