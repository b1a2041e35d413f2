/*
 * libFuzzer: decode the input as a WAL segment (a run of records, as
 * replay does) and each record's payload as a mutation list. Checks the
 * decoder's contracts: consumed bytes stay inside the input, a record
 * re-encodes to the same bytes, mutations stay inside their payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"
#include "storage/db.h"
#include "storage/walrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	for (;;) {
		struct st_wal_rec rec;
		long n = st_wal_decode(data + off, size - off, &rec);
		if (n <= 0)
			break;
		BUG_ON((size_t)n > size - off);
		BUG_ON(rec.payload != data + off + ST_WAL_HDR_LEN);
		BUG_ON((size_t)ST_WAL_HDR_LEN + rec.len + rec.pad != (size_t)n);
		/* The header must re-encode bit for bit. */
		uint8_t hdr[ST_WAL_HDR_LEN];
		st_wal_hdr_encode(hdr, rec.seq, rec.payload, rec.len, rec.pad);
		BUG_ON(memcmp(hdr, data + off, ST_WAL_HDR_LEN) != 0);

		const uint8_t *p = rec.payload;
		size_t left = rec.len;
		while (left) {
			struct st_mut m;
			long k = st_mut_decode(p, left, ST_DB_COUNT, &m);
			if (k <= 0)
				break;
			BUG_ON((size_t)k > left);
			BUG_ON(m.key < p || m.key + m.klen + m.vlen > p + k);
			p += k;
			left -= (size_t)k;
		}
		off += (size_t)n;
	}
	/* Mutation decoding straight from the input too, without a valid CRC. */
	size_t left = size;
	const uint8_t *p = data;
	while (left) {
		struct st_mut m;
		long k = st_mut_decode(p, left, ST_DB_COUNT, &m);
		if (k <= 0)
			break;
		BUG_ON((size_t)k > left);
		uint8_t out[ST_MUT_HDR_LEN + ST_MUT_MAX_KEY + 64];
		if (m.vlen <= 64)
			BUG_ON(st_mut_encode(out, sizeof(out), &m) != k || memcmp(out, p, (size_t)k) != 0);
		p += k;
		left -= (size_t)k;
	}
	return 0;
}
