/*
 * The stack's keyed hash: SipHash-2-4 (base/siphash.h) under the stack's
 * secret, so an attacker who does not know it can neither predict ISNs
 * (RFC 6528), forge SYN cookies (RFC 4987) nor aim many flows at one
 * bucket of the connection table.
 */
#include "dataplane/net/net-int.h"

#include "base/siphash.h"

uint64_t net__siphash(const uint8_t key[16], const void *data, size_t len)
{
	return siphash24_key(key, data, len);
}
