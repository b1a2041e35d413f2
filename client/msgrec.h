/*
 * One message of the local store (outgoing or incoming) and its on-disk
 * record: metadata in clear, the text sealed with AES-256-GCM.
 *
 * The text key of a message is HMAC-SHA-256(master key, slot key ‖ msg key):
 * the master key is the 0600 key file of the config directory, the slot key
 * 32 random bytes kept outside LMDB in the data directory's "slots" file
 * (store.h). Erasing a text zeroes its slot in place, so any copy of the
 * sealed bytes that LMDB's copy-on-write pages keep in the file can no
 * longer be opened (crypto-erasure).
 *
 * Record layout (little-endian, version 1):
 *   u8 version, dir, status, flags, tries, peer_len, error_len, has_text
 *   u64 created_ms, updated_ms, read_ms, sent_ms, slot
 *   26 bytes server id (zeros when none)
 *   peer, error
 *   has_text: 12-byte nonce, 16-byte tag, u16 length, ciphertext
 *
 * Return contract: 0 / negative errno; decode returns -EBADMSG for a record
 * that does not parse and -EKEYREJECTED when the text fails to open.
 */
#ifndef COLUMBA_CLIENT_MSGREC_H
#define COLUMBA_CLIENT_MSGREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CL_KEY_LEN     16   /* local message key: 8-byte ms time ‖ 8 random bytes */
#define CL_KEY_HEX     (2 * CL_KEY_LEN)
#define CL_TEXT_MAX    640  /* 160 code points of at most 4 bytes */
#define CL_TEXT_CHARS  160
#define CL_PEER_MAX    64
#define CL_SRVID_LEN   26
#define CL_MERR_MAX    47
#define CL_MASTER_LEN  32
#define CL_SLOT_LEN    32
#define CL_REC_MAX     (64 + 8 * 5 + CL_SRVID_LEN + CL_PEER_MAX + CL_MERR_MAX + 30 + CL_TEXT_MAX)

enum cl_dir {
	CL_OUT = 1,
	CL_IN = 2,
};

enum cl_status {
	CL_ST_SENDING = 1,  /* outgoing, in the outbox */
	CL_ST_ENQUEUED,     /* outgoing, the server answered 202 */
	CL_ST_DELIVERED,    /* outgoing, delivered to the recipient */
	CL_ST_ERROR,        /* outgoing: refused, failed, expired, or Send error */
	CL_ST_RECEIVED,     /* incoming */
};

enum {
	CL_F_READ = 1,      /* displayed once: the read-expiry clock runs */
	CL_F_ERASED = 2,    /* text erased ("Message received" / "Message sent") */
};

struct cl_msg {
	uint8_t key[CL_KEY_LEN];
	uint8_t dir, status, flags, tries;
	uint64_t created_ms;   /* wall clock: written (outgoing) or received */
	uint64_t updated_ms;   /* last status change */
	uint64_t read_ms;      /* first display, 0 before */
	uint64_t sent_ms;      /* outgoing: 202 time; incoming: the sender's Date */
	uint64_t slot;         /* text-key slot */
	char server_id[CL_SRVID_LEN + 1];  /* "" until known */
	char peer[CL_PEER_MAX + 1];        /* the other user */
	char error[CL_MERR_MAX + 1];       /* why Error ("" otherwise) */
	size_t text_len;
	char text[CL_TEXT_MAX + 1];        /* NUL-terminated; empty once erased */
};

/*
 * cl_text_key - the AES-256 key of a message's text from @master, @slot_key
 * and the message key (see above). Returns 0 or -EIO.
 */
int cl_text_key(const uint8_t master[CL_MASTER_LEN], const uint8_t slot_key[CL_SLOT_LEN],
		const uint8_t key[CL_KEY_LEN], uint8_t out[32]);

/*
 * cl_msgrec_encode - serialise @m into @out (@cap >= CL_REC_MAX), sealing
 * the text (when not erased and non-empty) with @text_key and the 12-byte
 * @nonce. Returns the record length or -EINVAL (fields too long) / -EIO.
 */
ssize_t cl_msgrec_encode(const struct cl_msg *m, const uint8_t text_key[32],
			 const uint8_t nonce[12], uint8_t *out, size_t cap);

/*
 * cl_msgrec_decode - parse @len bytes of @rec into @m (key set by the
 * caller beforehand is kept). @text_key may be NULL: then only the metadata
 * is read and the text is left empty. Returns 0, -EBADMSG or -EKEYREJECTED.
 */
int cl_msgrec_decode(const uint8_t *rec, size_t len, const uint8_t *text_key,
		     struct cl_msg *m);

/* cl_msgrec_slot - the slot number stored in a record (0 if it does not parse). */
uint64_t cl_msgrec_slot(const uint8_t *rec, size_t len);

/*
 * cl_key_hex / cl_key_unhex - a message key as 32 lowercase hex digits
 * (NUL-terminated in 33 bytes) and back. unhex returns 0 or -EINVAL.
 */
void cl_key_hex(const uint8_t key[CL_KEY_LEN], char out[CL_KEY_HEX + 1]);
int cl_key_unhex(const char *s, uint8_t key[CL_KEY_LEN]);

/*
 * cl_text_check - is @text valid UTF-8 of 1..160 code points without
 * control characters other than LF (the server's rule, checked before
 * sending)? Returns the code point count, -EMSGSIZE (over 160; *@chars set
 * to the count), -ENODATA (empty) or -EILSEQ (bad UTF-8 or control char).
 */
int cl_text_check(const char *text, size_t len, size_t *chars);

#endif
