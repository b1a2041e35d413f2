/*
 * Message ids: 128 bits, time-ordered, so LMDB inserts append.
 *
 *   bytes 0..5   milliseconds since the Unix epoch, big-endian (48 bits)
 *   bytes 6..15  80 random bits, big-endian
 *
 * Byte order = time order. Within one millisecond the generator increments
 * the previous id's random part by one (ULID's monotonic rule), so ids from
 * one generator strictly increase even when the clock stands still or steps
 * back. The text form is 26 characters of Crockford base32 (the 128 bits,
 * left-padded with two zero bits to 130): the first character is 0..7.
 */
#ifndef COLUMBA_STORAGE_ID_H
#define COLUMBA_STORAGE_ID_H

#include <stddef.h>
#include <stdint.h>

#define ST_ID_LEN     16
#define ST_ID_TEXT_LEN 26

struct st_id {
	uint8_t b[ST_ID_LEN];
};

struct st_idgen {
	struct st_id last;
	uint64_t last_ms;
};

/* st_idgen_init - a generator whose next id is above every id of @floor (may be NULL). */
void st_idgen_init(struct st_idgen *g, const struct st_id *floor);

/*
 * st_id_next - the next id at wall time @now_ms with fresh random bits @rnd.
 * If @now_ms is not after the previous id's time, the previous id plus one is
 * returned instead (if the 80-bit part overflows, the time part is bumped).
 * Always returns an id greater than every earlier one from @g.
 */
struct st_id st_id_next(struct st_idgen *g, uint64_t now_ms, const uint8_t rnd[10]);

/* st_id_ms - the millisecond timestamp of @id. */
uint64_t st_id_ms(const struct st_id *id);

/* st_id_cmp - memcmp order (= time order). */
int st_id_cmp(const struct st_id *a, const struct st_id *b);

/*
 * st_id_encode - write the 26-character Crockford base32 form (upper case)
 * into @out, which must hold 27 bytes; it is NUL-terminated.
 */
void st_id_encode(const struct st_id *id, char out[ST_ID_TEXT_LEN + 1]);

/*
 * st_id_decode - parse exactly @len characters. Strict: the length must be
 * 26, characters are 0-9 and A-Z minus I, L, O, U (lower case accepted, the
 * aliases O/I/L are rejected, not mapped), and the first character must be
 * 0..7 (the value fits in 128 bits).
 * Returns 0, -EINVAL for a wrong length, -EILSEQ for a character outside the
 * alphabet, -ERANGE for a value above 2^128-1.
 */
int st_id_decode(const char *s, size_t len, struct st_id *out);

#endif
