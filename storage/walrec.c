#include "storage/walrec.h"

#include <errno.h>
#include <string.h>

#include "storage/crc32c.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t rec_crc(const uint8_t *hdr, const uint8_t *payload, uint32_t len)
{
	uint32_t c = st_crc32c(0, hdr + 8, ST_WAL_HDR_LEN - 8);
	c = st_crc32c(c, payload, len);
	return st_crc32c(c, hdr, 4);
}

void st_wal_hdr_encode(uint8_t hdr[ST_WAL_HDR_LEN], uint64_t seq, const uint8_t *payload,
		       uint32_t len, uint32_t pad)
{
	put32(hdr, len);
	put32(hdr + 8, ST_WAL_MAGIC);
	put32(hdr + 12, pad);
	put32(hdr + 16, (uint32_t)seq);
	put32(hdr + 20, (uint32_t)(seq >> 32));
	put32(hdr + 4, rec_crc(hdr, payload, len));
}

long st_wal_decode(const uint8_t *buf, size_t len, struct st_wal_rec *rec)
{
	uint32_t plen, pad;
	size_t total;

	if (len == 0)
		return 0;
	if (len < 12) {
		/* Cannot see the whole magic: zeros are the zero-filled space, anything else a torn header. */
		for (size_t i = 0; i < len; i++)
			if (buf[i])
				return -EAGAIN;
		return -EPROTO;
	}
	if (get32(buf + 8) != ST_WAL_MAGIC)
		return -EPROTO;
	if (len < ST_WAL_HDR_LEN)
		return -EAGAIN;
	plen = get32(buf);
	pad = get32(buf + 12);
	if (plen > ST_WAL_MAX_PAYLOAD || pad > ST_WAL_MAX_PAD)
		return -EMSGSIZE;
	total = (size_t)ST_WAL_HDR_LEN + plen + pad;
	if (len < total)
		return -EAGAIN;
	if (rec_crc(buf, buf + ST_WAL_HDR_LEN, plen) != get32(buf + 4))
		return -EBADMSG;
	for (uint32_t i = 0; i < pad; i++)
		if (buf[ST_WAL_HDR_LEN + plen + i])
			return -EBADMSG;
	rec->seq = get64(buf + 16);
	rec->payload = buf + ST_WAL_HDR_LEN;
	rec->len = plen;
	rec->pad = pad;
	return (long)total;
}

long st_mut_decode(const uint8_t *p, size_t len, unsigned ndb, struct st_mut *m)
{
	size_t total;

	if (len < ST_MUT_HDR_LEN)
		return -EAGAIN;
	m->op = p[0];
	m->dbi = p[1];
	m->klen = (uint16_t)(p[2] | p[3] << 8);
	m->vlen = get32(p + 4);
	if ((m->op != ST_MUT_PUT && m->op != ST_MUT_DEL) || m->dbi >= ndb)
		return -EINVAL;
	if (m->klen == 0 || m->klen > ST_MUT_MAX_KEY || m->vlen > ST_MUT_MAX_VAL ||
	    (m->op == ST_MUT_DEL && m->vlen))
		return -EMSGSIZE;
	total = (size_t)ST_MUT_HDR_LEN + m->klen + m->vlen;
	if (len < total)
		return -EAGAIN;
	m->key = p + ST_MUT_HDR_LEN;
	m->val = m->key + m->klen;
	return (long)total;
}

long st_mut_encode(uint8_t *p, size_t cap, const struct st_mut *m)
{
	size_t total = (size_t)ST_MUT_HDR_LEN + m->klen + m->vlen;

	if (cap < total)
		return -ENOBUFS;
	p[0] = m->op;
	p[1] = m->dbi;
	p[2] = (uint8_t)m->klen;
	p[3] = (uint8_t)(m->klen >> 8);
	put32(p + 4, m->vlen);
	memcpy(p + ST_MUT_HDR_LEN, m->key, m->klen);
	if (m->vlen)
		memcpy(p + ST_MUT_HDR_LEN + m->klen, m->val, m->vlen);
	return (long)total;
}
