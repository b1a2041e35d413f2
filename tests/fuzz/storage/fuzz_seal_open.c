/*
 * libFuzzer: open the input as a sealed record with a fixed keyring (key ids
 * 1 and 2). Nothing forged may authenticate; a record that opens must
 * re-seal and re-open to the same plaintext; the output buffer is never
 * overrun (ASan) and is wiped on failure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"
#include "storage/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct st_keyring *kr;

static void init(void)
{
	uint8_t m[ST_MASTER_KEY_LEN];

	kr = st_keyring_new();
	BUG_ON(!kr);
	memset(m, 0x11, sizeof(m));
	BUG_ON(st_keyring_add(kr, 1, m) != 0);
	memset(m, 0x22, sizeof(m));
	BUG_ON(st_keyring_add(kr, 2, m) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pt[4096], again[4096 + ST_SEAL_OVERHEAD], pt2[4096];
	struct st_seal_hdr h, h2;

	if (!kr)
		init();
	/* Half the inputs: a valid record built from the input, then one byte flipped. */
	if (size > 2 && data[0] == 0xA5 && size - 2 <= 4096) {
		struct st_seal_hdr in = { .flags = data[1], .created_ms = size };
		int n = st_seal(kr, &in, data + 2, size - 2, again, sizeof(again));
		BUG_ON(n != (int)(size - 2 + ST_SEAL_OVERHEAD));
		BUG_ON(st_open(kr, again, (size_t)n, &h, pt, sizeof(pt)) != (int)(size - 2));
		BUG_ON(memcmp(pt, data + 2, size - 2) != 0);
		again[data[1] % (size_t)n] ^= 0x80;
		BUG_ON(st_open(kr, again, (size_t)n, &h, pt, sizeof(pt)) >= 0);
		return 0;
	}
	int n = st_open(kr, data, size, &h, pt, sizeof(pt));
	if (n < 0)
		return 0;
	/* Only genuine records open; each must re-seal and re-open identically. */
	int m = st_seal(kr, &h, pt, (size_t)n, again, sizeof(again));
	BUG_ON(m != n + ST_SEAL_OVERHEAD);
	BUG_ON(st_open(kr, again, (size_t)m, &h2, pt2, sizeof(pt2)) != n);
	BUG_ON(memcmp(pt, pt2, (size_t)n) != 0);
	BUG_ON(h2.created_ms != h.created_ms || h2.expires_ms != h.expires_ms ||
	       memcmp(h2.id, h.id, sizeof(h.id)) != 0);
	return 0;
}
