/*
 * The Internet checksum (RFC 1071) over pieces of any length: the running
 * sum is kept in 32 bits of 16-bit big-endian words; a piece of odd length
 * must be the last one summed into a given accumulator, which is how the
 * stack uses it (headers are even, payload comes last or in even pieces
 * except possibly the final one).
 */
#include "dataplane/net/net-int.h"

uint32_t net__csum_add(uint32_t sum, const void *data, uint32_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	while (len >= 8) {
		acc += (uint32_t)p[0] << 8 | p[1];
		acc += (uint32_t)p[2] << 8 | p[3];
		acc += (uint32_t)p[4] << 8 | p[5];
		acc += (uint32_t)p[6] << 8 | p[7];
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		acc += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	/* Fold to 16 bits (not complemented) so results chain safely. */
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint16_t net__csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t net__pseudo_sum(uint32_t saddr, uint32_t daddr, uint8_t proto, uint32_t len)
{
	uint32_t sum = 0;

	sum += saddr >> 16;
	sum += saddr & 0xffff;
	sum += daddr >> 16;
	sum += daddr & 0xffff;
	sum += proto;
	sum += len;
	return sum;
}

uint32_t net__csum_iov(uint32_t sum, const struct net_iov *iov, int n)
{
	uint32_t off = 0;

	for (int i = 0; i < n; i++) {
		uint32_t s = net__csum_add(0, iov[i].base, iov[i].len);

		/* A piece starting at an odd offset sums byte-swapped (RFC 1071 2(B)). */
		if (off & 1)
			s = ((s & 0xff) << 8) | (s >> 8);
		sum += s;
		sum = (sum & 0xffff) + (sum >> 16);
		off += iov[i].len;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}
