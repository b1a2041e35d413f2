#include "storage/id.h"

#include <errno.h>
#include <string.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void st_idgen_init(struct st_idgen *g, const struct st_id *floor)
{
	memset(g, 0, sizeof(*g));
	if (floor) {
		g->last = *floor;
		g->last_ms = st_id_ms(floor);
	}
}

uint64_t st_id_ms(const struct st_id *id)
{
	uint64_t ms = 0;
	for (int i = 0; i < 6; i++)
		ms = (ms << 8) | id->b[i];
	return ms;
}

int st_id_cmp(const struct st_id *a, const struct st_id *b)
{
	return memcmp(a->b, b->b, ST_ID_LEN);
}

static void id_inc(struct st_id *id)
{
	/* Carry through the whole 128 bits: an 80-bit overflow bumps the ms part. */
	for (int i = ST_ID_LEN - 1; i >= 0; i--)
		if (++id->b[i] != 0)
			break;
}

struct st_id st_id_next(struct st_idgen *g, uint64_t now_ms, const uint8_t rnd[10])
{
	struct st_id id;

	if (now_ms >= (1ull << 48))
		now_ms = (1ull << 48) - 1;
	if (now_ms <= g->last_ms) {
		id = g->last;
		id_inc(&id);
	} else {
		for (int i = 0; i < 6; i++)
			id.b[i] = (uint8_t)(now_ms >> (8 * (5 - i)));
		memcpy(id.b + 6, rnd, 10);
	}
	g->last = id;
	g->last_ms = st_id_ms(&id);
	return id;
}

void st_id_encode(const struct st_id *id, char out[ST_ID_TEXT_LEN + 1])
{
	/* 130 bits: two zero bits, then the 128 bits, 5 bits per character. */
	for (int c = 0; c < ST_ID_TEXT_LEN; c++) {
		int bit = c * 5 - 2; /* position of the first bit of this char */
		unsigned v = 0;
		for (int k = 0; k < 5; k++, bit++) {
			v <<= 1;
			if (bit >= 0)
				v |= (id->b[bit / 8] >> (7 - bit % 8)) & 1;
		}
		out[c] = crockford[v];
	}
	out[ST_ID_TEXT_LEN] = '\0';
}

static int b32_value(char ch)
{
	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	const char *p = memchr(crockford, ch, 32);
	return (p && ch) ? (int)(p - crockford) : -1;
}

int st_id_decode(const char *s, size_t len, struct st_id *out)
{
	struct st_id id;
	int v;

	if (len != ST_ID_TEXT_LEN)
		return -EINVAL;
	for (size_t c = 0; c < len; c++)
		if (b32_value(s[c]) < 0)
			return -EILSEQ;
	if (b32_value(s[0]) > 7)
		return -ERANGE;
	memset(&id, 0, sizeof(id));
	for (int c = 0; c < ST_ID_TEXT_LEN; c++) {
		v = b32_value(s[c]);
		for (int k = 4; k >= 0; k--) {
			int bit = c * 5 - 2 + (4 - k);
			if (bit >= 0 && ((v >> k) & 1))
				id.b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		}
	}
	*out = id;
	return 0;
}
