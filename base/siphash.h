/*
 * SipHash-2-4 (Aumasson and Bernstein): a keyed 64-bit hash for tables an
 * attacker can aim at (rate-limit buckets, the TCP connection table) and
 * for values an attacker must not predict (ISNs, SYN cookies).
 */
#ifndef COLUMBA_BASE_SIPHASH_H
#define COLUMBA_BASE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* siphash24 - SipHash-2-4 of @len bytes at @data under the key (k0, k1). */
uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len);

/* siphash24_key - the same with the key as 16 bytes (k0, k1 little-endian). */
uint64_t siphash24_key(const uint8_t key[16], const void *data, size_t len);

#endif
