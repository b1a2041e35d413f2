/*
 * WAL record and mutation codecs: pure functions over byte buffers (no I/O),
 * so they can be fuzzed and unit-tested alone.
 *
 * A WAL record (integers little-endian):
 *   0  u32 len      payload bytes
 *   4  u32 crc      CRC-32C of bytes 8 .. 24+len, then of bytes 0..3 (len)
 *   8  u32 magic    0x4C415743 ("CWAL")
 *   12 u32 pad      zero bytes after the payload (O_DIRECT alignment), < 4096
 *   16 u64 seq      sequence number, +1 per record
 *   24 payload, then pad zero bytes
 *
 * The payload of a record is one store batch: a list of LMDB mutations,
 * applied in order, each idempotent (a put of the same value, a delete that
 * may find nothing), so replaying a record twice is harmless:
 *   u8 op (1 put, 2 del) · u8 db index · u16 key len · u32 value len · key · value
 * Sealed values and tags only: the WAL holds no clear identity or text.
 */
#ifndef COLUMBA_STORAGE_WALREC_H
#define COLUMBA_STORAGE_WALREC_H

#include <stddef.h>
#include <stdint.h>

#define ST_WAL_HDR_LEN	    24
#define ST_WAL_MAGIC	    0x4C415743u
#define ST_WAL_MAX_PAYLOAD  (64u << 20)
#define ST_WAL_MAX_PAD	    4095u
#define ST_MUT_HDR_LEN	    8
#define ST_MUT_MAX_KEY	    511 /* LMDB's default maximum key size */
#define ST_MUT_MAX_VAL	    (1u << 20)

enum st_mut_op {
	ST_MUT_PUT = 1,
	ST_MUT_DEL = 2,
};

struct st_wal_rec {
	uint64_t seq;
	const uint8_t *payload;
	uint32_t len;
	uint32_t pad;
};

struct st_mut {
	uint8_t op;
	uint8_t dbi;
	uint16_t klen;
	uint32_t vlen;
	const uint8_t *key;
	const uint8_t *val;
};

/*
 * st_wal_hdr_encode - fill the 24-byte header of a record whose payload is
 * @payload (@len bytes) followed by @pad zero bytes.
 */
void st_wal_hdr_encode(uint8_t hdr[ST_WAL_HDR_LEN], uint64_t seq, const uint8_t *payload,
		       uint32_t len, uint32_t pad);

/*
 * st_wal_decode - decode the record at the start of @buf (zero-copy: the
 * payload points into @buf).
 * Returns the bytes it occupies (header + payload + pad), 0 if @len is 0
 * (clean end), -EAGAIN if @buf ends inside the record (torn tail), -EPROTO
 * for a bad magic (includes zeroed space, also fewer than 12 bytes that are
 * all zero), -EMSGSIZE for a length or pad out
 * of range, -EBADMSG for a checksum mismatch or non-zero padding.
 */
long st_wal_decode(const uint8_t *buf, size_t len, struct st_wal_rec *rec);

/*
 * st_mut_decode - decode the mutation at the start of @p.
 * @ndb: number of valid db indexes.
 * Returns bytes consumed, -EAGAIN if @p ends inside it, -EINVAL for an
 * unknown op or db index, -EMSGSIZE for a zero or oversize key, an oversize
 * value or a delete carrying a value.
 */
long st_mut_decode(const uint8_t *p, size_t len, unsigned ndb, struct st_mut *m);

/*
 * st_mut_encode - write a mutation at @p, which has @cap bytes.
 * Returns bytes written or -ENOBUFS.
 */
long st_mut_encode(uint8_t *p, size_t cap, const struct st_mut *m);

#endif
