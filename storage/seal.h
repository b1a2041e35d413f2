/*
 * Sealing: the keys, the AEAD and the index tags of the store.
 *
 * Key handling. A master key is a file of exactly 32 random bytes, mode 0600
 * (st_seal_keygen makes one; loading refuses a file any group or other bit is
 * set on). Each master key carries a 16-bit key id. From it HKDF-SHA-256
 * derives two independent keys:
 *   record key = HKDF(master, salt "columba-seal-v1", info "record" || id_be16)
 *   tag key    = HKDF(master, salt "columba-seal-v1", info "index-tag" || id_be16)
 * The master bytes are wiped as soon as both are derived. A keyring holds the
 * current key (new records) and older ones (still readable, so records sealed
 * before a rotation stay readable until they expire).
 *
 * Sealed record layout (all integers little-endian):
 *   0  u8  version (1)         | header, 36 bytes, authenticated as
 *   1  u8  flags (record kind) | GCM associated data: moving a record to
 *   2  u16 key id              | another LMDB key, or editing its expiry,
 *   4  u64 created_ms          | makes it fail to open
 *   12 u64 expires_ms          |
 *   20 u8[16] id (the LMDB key of the record)
 *   36 u8[12] nonce
 *   48 ciphertext (same length as the plaintext)
 *   .. u8[16] GCM tag
 *
 * Nonces are 8-byte counter || 4-byte random salt (both drawn at keyring
 * init). The counter starts at the wall clock in nanoseconds and increments
 * per seal, so it never repeats within a process and a later process starts
 * above every value an earlier one could have reached (sealing is far slower
 * than 1 ns); the random salt covers a wall clock that went backwards. Unlike
 * fully random 96-bit nonces this has no 2^32-messages-per-key birthday limit
 * (NIST SP 800-38D 8.3).
 *
 * Index tags are HMAC-SHA-256(tag key, domain || input) truncated to 16
 * bytes: the LMDB keys that would otherwise hold a user name, a token or an
 * idempotency key hold these instead.
 *
 * A keyring is used by one thread at a time (the store thread, or the admin
 * command); nothing here locks.
 */
#ifndef COLUMBA_STORAGE_SEAL_H
#define COLUMBA_STORAGE_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ST_MASTER_KEY_LEN 32
#define ST_TAG_LEN	  16
#define ST_SEAL_ID_LEN	  16
#define ST_SEAL_HDR_LEN	  36
#define ST_SEAL_NONCE_LEN 12
#define ST_SEAL_MAC_LEN	  16
#define ST_SEAL_OVERHEAD  (ST_SEAL_HDR_LEN + ST_SEAL_NONCE_LEN + ST_SEAL_MAC_LEN)
#define ST_SEAL_VERSION	  1
#define ST_KEYRING_MAX	  8

/* Tag domains: the same input tagged for two uses gives unrelated tags. */
enum st_tag_domain {
	ST_TAG_NAME = 1,  /* a user name (user db key, recipient index) */
	ST_TAG_TOKEN = 2, /* sha256(token) */
	ST_TAG_IDEM = 3,  /* sender || idempotency key */
};

struct st_seal_hdr {
	uint8_t version;
	uint8_t flags;
	uint16_t key_id;
	uint64_t created_ms;
	uint64_t expires_ms;
	uint8_t id[ST_SEAL_ID_LEN];
};

struct st_keyring; /* opaque; allocated by st_keyring_new */

/*
 * st_seal_keygen - create a master key file of 32 random bytes, mode 0600.
 * Never overwrites: the file is created with O_EXCL and fsynced, and so is
 * its directory.
 * Returns 0, -EEXIST if the path exists, -EIO if the RNG failed, or another
 * -errno from open/write/fsync (the partial file is removed).
 */
int st_seal_keygen(const char *path);

/*
 * st_keyring_new - allocate an empty keyring with its own wolfCrypt DRBG.
 * Returns the keyring or NULL (out of memory or the DRBG failed to seed).
 */
struct st_keyring *st_keyring_new(void);

/* st_keyring_free - wipe every key and free the keyring. NULL is a no-op. */
void st_keyring_free(struct st_keyring *kr);

/*
 * st_keyring_add - derive the record and tag keys of master key @id.
 * The first key added becomes current. @master is not modified; the caller
 * wipes its copy.
 * Returns 0, -EEXIST (id already present), -ENOSPC (ST_KEYRING_MAX keys),
 * -EIO (wolfCrypt failure).
 */
int st_keyring_add(struct st_keyring *kr, uint16_t id, const uint8_t master[ST_MASTER_KEY_LEN]);

/*
 * st_keyring_add_file - st_keyring_add with the key read from @path.
 * Returns 0, -EPERM if the file is readable or writable by group or others,
 * -EINVAL if it is not a regular file of exactly 32 bytes, the errors of
 * st_keyring_add, or -errno from open/read.
 */
int st_keyring_add_file(struct st_keyring *kr, uint16_t id, const char *path);

/* st_keyring_set_current - seal new records with key @id. Returns 0 or -ENOENT. */
int st_keyring_set_current(struct st_keyring *kr, uint16_t id);

/* st_keyring_count - number of keys; index 0 of st_keyring_id_at is the current one. */
unsigned st_keyring_count(const struct st_keyring *kr);
uint16_t st_keyring_id_at(const struct st_keyring *kr, unsigned i);

/*
 * st_tag - HMAC-SHA-256 tag, truncated to 16 bytes, of domain || a || b under
 * the tag key of @key_id. @b may be NULL with blen 0. For two-part inputs, a
 * length prefix is added to @a so ("ab","c") and ("a","bc") differ.
 * Returns 0, -ENOENT (unknown key id) or -EIO.
 */
int st_tag(struct st_keyring *kr, uint16_t key_id, enum st_tag_domain domain, const void *a,
	   size_t alen, const void *b, size_t blen, uint8_t out[ST_TAG_LEN]);

/*
 * st_seal - encrypt @pt under the current key. hdr->version and hdr->key_id
 * are filled in by this call; the other header fields are the caller's.
 * @out receives pt_len + ST_SEAL_OVERHEAD bytes.
 * Returns the sealed length, -ENOBUFS if @cap is too small, -EIO.
 */
int st_seal(struct st_keyring *kr, struct st_seal_hdr *hdr, const void *pt, size_t pt_len,
	    uint8_t *out, size_t cap);

/*
 * st_seal_parse_hdr - decode the (not yet authenticated) header of a sealed record.
 * Returns 0, -EBADMSG if @len is shorter than the overhead, -EPROTO for an
 * unknown version.
 */
int st_seal_parse_hdr(const uint8_t *in, size_t len, struct st_seal_hdr *hdr);

/*
 * st_open - authenticate and decrypt a sealed record into @pt.
 * On success *hdr holds the authenticated header. On any failure @pt is wiped.
 * Returns the plaintext length, -EBADMSG (too short or authentication
 * failed: any changed byte), -EPROTO (unknown version), -ENOKEY (key id not in
 * the keyring), -ENOBUFS (@cap too small), -EIO.
 */
int st_open(struct st_keyring *kr, const uint8_t *in, size_t len, struct st_seal_hdr *hdr,
	    uint8_t *pt, size_t cap);

/* st_random - fill @buf from the keyring's DRBG. Returns 0 or -EIO. */
int st_random(struct st_keyring *kr, void *buf, size_t len);

/* st_wipe - zero memory in a way the compiler cannot elide. */
void st_wipe(void *p, size_t len);

/* st_ct_equal - constant-time comparison of two equal-length buffers. */
bool st_ct_equal(const void *a, const void *b, size_t len);

/* st_sha256 - SHA-256 of @in. Returns 0 or -EIO. */
int st_sha256(const void *in, size_t len, uint8_t out[32]);

#endif
