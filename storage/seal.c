/* AES-256-GCM sealing, HMAC tags and HKDF key derivation with wolfCrypt. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "storage/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/compiler.h"

static const char seal_salt[] = "columba-seal-v1";

struct st_key {
	uint16_t id;
	Aes aes;                    /* GCM key schedule of the record key */
	uint8_t tag_key[32];
};

struct st_keyring {
	struct st_key keys[ST_KEYRING_MAX];
	unsigned n;
	unsigned current;
	WC_RNG rng;
	uint64_t nonce_ctr;
	uint8_t nonce_salt[4];
};

void st_wipe(void *p, size_t len)
{
	/*
	 * wolfSSL's ForceZero is WOLFSSL_LOCAL (not exported by libwolfssl.so);
	 * glibc's explicit_bzero gives the same guarantee.
	 */
	explicit_bzero(p, len);
}

bool st_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

int st_sha256(const void *in, size_t len, uint8_t out[32])
{
	return wc_Sha256Hash(in, (word32)len, out) == 0 ? 0 : -EIO;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Make a new directory entry durable: losing the key file loses every record. */
static int fsync_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 1;
	int fd, err = 0;

	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	if (!slash)
		memcpy(dir, ".", 2);
	else if (n == 0)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		err = -errno;
	close(fd);
	return err;
}

int st_seal_keygen(const char *path)
{
	uint8_t key[ST_MASTER_KEY_LEN];
	WC_RNG rng;
	int fd, err = 0;

	if (wc_InitRng(&rng) != 0)
		return -EIO;
	if (wc_RNG_GenerateBlock(&rng, key, sizeof(key)) != 0) {
		wc_FreeRng(&rng);
		return -EIO;
	}
	wc_FreeRng(&rng);

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) ||
	    fsync(fd) != 0) {
		err = errno ? -errno : -EIO;
		close(fd);
		unlink(path);
		goto out;
	}
	if (close(fd) != 0) {
		err = -errno;
		unlink(path);
		goto out;
	}
	err = fsync_parent(path);
out:
	st_wipe(key, sizeof(key));
	return err;
}

struct st_keyring *st_keyring_new(void)
{
	struct st_keyring *kr = calloc(1, sizeof(*kr));
	struct timespec ts;

	if (!kr)
		return NULL;
	if (wc_InitRng(&kr->rng) != 0) {
		free(kr);
		return NULL;
	}
	if (wc_RNG_GenerateBlock(&kr->rng, kr->nonce_salt, sizeof(kr->nonce_salt)) != 0) {
		wc_FreeRng(&kr->rng);
		free(kr);
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	kr->nonce_ctr = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return kr;
}

void st_keyring_free(struct st_keyring *kr)
{
	if (!kr)
		return;
	for (unsigned i = 0; i < kr->n; i++)
		wc_AesFree(&kr->keys[i].aes);
	wc_FreeRng(&kr->rng);
	st_wipe(kr, sizeof(*kr));
	free(kr);
}

static struct st_key *key_find(struct st_keyring *kr, uint16_t id)
{
	for (unsigned i = 0; i < kr->n; i++)
		if (kr->keys[i].id == id)
			return &kr->keys[i];
	return NULL;
}

int st_keyring_add(struct st_keyring *kr, uint16_t id, const uint8_t master[ST_MASTER_KEY_LEN])
{
	uint8_t info[16], rec_key[32];
	struct st_key *k;
	int err = -EIO;

	if (key_find(kr, id))
		return -EEXIST;
	if (kr->n == ST_KEYRING_MAX)
		return -ENOSPC;
	k = &kr->keys[kr->n];
	memset(k, 0, sizeof(*k));
	k->id = id;

	memcpy(info, "record", 6);
	info[6] = (uint8_t)(id >> 8);
	info[7] = (uint8_t)id;
	if (wc_HKDF(WC_SHA256, master, ST_MASTER_KEY_LEN, (const byte *)seal_salt,
		    sizeof(seal_salt) - 1, info, 8, rec_key, sizeof(rec_key)) != 0)
		goto fail;
	memcpy(info, "index-tag", 9);
	info[9] = (uint8_t)(id >> 8);
	info[10] = (uint8_t)id;
	if (wc_HKDF(WC_SHA256, master, ST_MASTER_KEY_LEN, (const byte *)seal_salt,
		    sizeof(seal_salt) - 1, info, 11, k->tag_key, sizeof(k->tag_key)) != 0)
		goto fail;
	if (wc_AesInit(&k->aes, NULL, INVALID_DEVID) != 0)
		goto fail;
	if (wc_AesGcmSetKey(&k->aes, rec_key, sizeof(rec_key)) != 0) {
		wc_AesFree(&k->aes);
		goto fail;
	}
	st_wipe(rec_key, sizeof(rec_key));
	kr->n++;
	return 0;
fail:
	st_wipe(rec_key, sizeof(rec_key));
	st_wipe(k, sizeof(*k));
	return err;
}

int st_keyring_add_file(struct st_keyring *kr, uint16_t id, const char *path)
{
	uint8_t key[ST_MASTER_KEY_LEN + 1];
	struct stat st;
	ssize_t got;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size != ST_MASTER_KEY_LEN) {
		err = -EINVAL;
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		err = -EPERM;
		goto out;
	}
	got = read(fd, key, sizeof(key));
	if (got < 0) {
		err = -errno;
		goto out;
	}
	if (got != ST_MASTER_KEY_LEN) {
		err = -EINVAL;
		goto out;
	}
	err = st_keyring_add(kr, id, key);
out:
	st_wipe(key, sizeof(key));
	close(fd);
	return err;
}

int st_keyring_set_current(struct st_keyring *kr, uint16_t id)
{
	struct st_key *k = key_find(kr, id);

	if (!k)
		return -ENOENT;
	kr->current = (unsigned)(k - kr->keys);
	return 0;
}

unsigned st_keyring_count(const struct st_keyring *kr)
{
	return kr->n;
}

uint16_t st_keyring_id_at(const struct st_keyring *kr, unsigned i)
{
	BUG_ON(i >= kr->n);
	/* Index 0 is the current key, the others follow in insertion order. */
	if (i == 0)
		return kr->keys[kr->current].id;
	return kr->keys[i <= kr->current ? i - 1 : i].id;
}

int st_tag(struct st_keyring *kr, uint16_t key_id, enum st_tag_domain domain, const void *a,
	   size_t alen, const void *b, size_t blen, uint8_t out[ST_TAG_LEN])
{
	struct st_key *k = key_find(kr, key_id);
	uint8_t pre[5], mac[WC_SHA256_DIGEST_SIZE];
	size_t npre = 1;
	Hmac h;
	int err = -EIO;

	if (!k)
		return -ENOENT;
	pre[0] = (uint8_t)domain;
	if (b) {
		/* Length-prefix the first part so the split point is bound. */
		pre[1] = (uint8_t)(alen >> 24);
		pre[2] = (uint8_t)(alen >> 16);
		pre[3] = (uint8_t)(alen >> 8);
		pre[4] = (uint8_t)alen;
		npre = 5;
	}
	if (wc_HmacInit(&h, NULL, INVALID_DEVID) != 0)
		return -EIO;
	if (wc_HmacSetKey(&h, WC_SHA256, k->tag_key, sizeof(k->tag_key)) != 0 ||
	    wc_HmacUpdate(&h, pre, (word32)npre) != 0 ||
	    wc_HmacUpdate(&h, a, (word32)alen) != 0 ||
	    (b && wc_HmacUpdate(&h, b, (word32)blen) != 0) || wc_HmacFinal(&h, mac) != 0)
		goto out;
	memcpy(out, mac, ST_TAG_LEN);
	err = 0;
out:
	wc_HmacFree(&h);
	st_wipe(&h, sizeof(h));
	st_wipe(mac, sizeof(mac));
	return err;
}

static void hdr_encode(const struct st_seal_hdr *hdr, uint8_t *p)
{
	p[0] = hdr->version;
	p[1] = hdr->flags;
	put_le16(p + 2, hdr->key_id);
	put_le64(p + 4, hdr->created_ms);
	put_le64(p + 12, hdr->expires_ms);
	memcpy(p + 20, hdr->id, ST_SEAL_ID_LEN);
}

int st_seal_parse_hdr(const uint8_t *in, size_t len, struct st_seal_hdr *hdr)
{
	if (len < ST_SEAL_OVERHEAD)
		return -EBADMSG;
	if (in[0] != ST_SEAL_VERSION)
		return -EPROTO;
	hdr->version = in[0];
	hdr->flags = in[1];
	hdr->key_id = (uint16_t)(in[2] | (in[3] << 8));
	hdr->created_ms = get_le64(in + 4);
	hdr->expires_ms = get_le64(in + 12);
	memcpy(hdr->id, in + 20, ST_SEAL_ID_LEN);
	return 0;
}

int st_seal(struct st_keyring *kr, struct st_seal_hdr *hdr, const void *pt, size_t pt_len,
	    uint8_t *out, size_t cap)
{
	struct st_key *k;
	uint8_t *nonce, *ct;

	BUG_ON(kr->n == 0);
	if (pt_len > cap || cap - pt_len < ST_SEAL_OVERHEAD || pt_len > UINT32_MAX / 2)
		return -ENOBUFS;
	k = &kr->keys[kr->current];
	hdr->version = ST_SEAL_VERSION;
	hdr->key_id = k->id;
	hdr_encode(hdr, out);
	nonce = out + ST_SEAL_HDR_LEN;
	put_le64(nonce, ++kr->nonce_ctr);
	memcpy(nonce + 8, kr->nonce_salt, 4);
	ct = nonce + ST_SEAL_NONCE_LEN;
	if (wc_AesGcmEncrypt(&k->aes, ct, pt, (word32)pt_len, nonce, ST_SEAL_NONCE_LEN,
			     ct + pt_len, ST_SEAL_MAC_LEN, out, ST_SEAL_HDR_LEN) != 0) {
		st_wipe(out, pt_len + ST_SEAL_OVERHEAD);
		return -EIO;
	}
	return (int)(pt_len + ST_SEAL_OVERHEAD);
}

int st_open(struct st_keyring *kr, const uint8_t *in, size_t len, struct st_seal_hdr *hdr,
	    uint8_t *pt, size_t cap)
{
	struct st_seal_hdr h;
	struct st_key *k;
	size_t pt_len;
	int rc;

	rc = st_seal_parse_hdr(in, len, &h);
	if (rc)
		return rc;
	k = key_find(kr, h.key_id);
	if (!k)
		return -ENOKEY;
	pt_len = len - ST_SEAL_OVERHEAD;
	if (pt_len > cap || pt_len > INT32_MAX)
		return -ENOBUFS;
	rc = wc_AesGcmDecrypt(&k->aes, pt, in + ST_SEAL_HDR_LEN + ST_SEAL_NONCE_LEN,
			      (word32)pt_len, in + ST_SEAL_HDR_LEN, ST_SEAL_NONCE_LEN,
			      in + len - ST_SEAL_MAC_LEN, ST_SEAL_MAC_LEN, in, ST_SEAL_HDR_LEN);
	if (rc != 0) {
		st_wipe(pt, pt_len);
		return rc == AES_GCM_AUTH_E ? -EBADMSG : -EIO;
	}
	*hdr = h;
	return (int)pt_len;
}

int st_random(struct st_keyring *kr, void *buf, size_t len)
{
	return wc_RNG_GenerateBlock(&kr->rng, buf, (word32)len) == 0 ? 0 : -EIO;
}
