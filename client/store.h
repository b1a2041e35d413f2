/*
 * The client's local store: an LMDB environment in the data directory
 * ($XDG_DATA_HOME/columba) holding the history of both directions and the
 * outbox, plus the "slots" file of per-message text keys (msgrec.h).
 *
 * Named databases:
 *   msg     message key (16 bytes, time-ordered) -> record (msgrec.h)
 *   outbox  message key -> "" for every outgoing message still Sending
 *   srv     dir byte ‖ server id -> message key (incoming dedupe by Call-ID,
 *           delivery notifications, `columba status <id>`); and
 *           3 ‖ server id -> status ‖ error: a delivery notification that
 *           arrived (in `listen`) before the 202 was stored (by `send`),
 *           applied when it is
 *   meta    "next_slot" -> u64
 *
 * Several processes may use the store at once (listen, send, history): each
 * call is one LMDB transaction; LMDB serialises the writers.
 *
 * Return contract: 0 / negative errno: -ENOENT (no such message), -EEXIST
 * (cl_store_add of a known server id), -EIO (LMDB or file errors), and the
 * msgrec.h codes for records that do not open.
 */
#ifndef COLUMBA_CLIENT_STORE_H
#define COLUMBA_CLIENT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "client/msgrec.h"

struct cl_store {
	void *env;  /* MDB_env * */
	unsigned dbi_msg, dbi_outbox, dbi_srv, dbi_meta;
	int slots_fd;
	uint8_t master[CL_MASTER_LEN];
};

/* Called for each message of a listing, in key (time) order; return
 * non-zero to stop. */
typedef int (*cl_store_visit_fn)(struct cl_msg *m, void *arg);

/*
 * cl_store_open - open (creating if needed, mode 0700/0600) the store in
 * @data_dir with the text master key @master (copied).
 * Returns 0, -EIO or -ENOMEM.
 */
int cl_store_open(struct cl_store *s, const char *data_dir, const uint8_t master[CL_MASTER_LEN]);

/* cl_store_close - close and wipe the key; safe on a zeroed or closed store. */
void cl_store_close(struct cl_store *s);

/*
 * cl_store_new_key - a fresh time-ordered message key for @now_ms.
 * Returns 0 or -EIO (no randomness).
 */
int cl_store_new_key(uint64_t now_ms, uint8_t key[CL_KEY_LEN]);

/*
 * cl_store_add - insert the new message @m (m->key set): allocates its text
 * slot, seals the text, indexes its server id (if any) and, for an
 * outgoing Sending message, puts it in the outbox. For an incoming message
 * whose server id is already known, returns -EEXIST and stores nothing
 * (a redelivery). Returns 0 or a code above.
 */
int cl_store_add(struct cl_store *s, struct cl_msg *m);

/*
 * cl_store_update - rewrite the stored @m (metadata and, unless erased, its
 * text), keeping the indexes in step: the outbox holds it iff it is an
 * outgoing Sending message; a server id set since the last write is indexed.
 * An outgoing Enqueued message whose notification came first takes its
 * status now. The stored record wins where @m is older (another process
 * wrote it since @m was read): a status never moves back (Sending <
 * Enqueued < Delivered/Error), a read or erased text stays so, a known
 * server id is kept. @m is updated to what was written.
 * Returns 0, 1 (a pending notification was applied) or a code above.
 */
int cl_store_update(struct cl_store *s, struct cl_msg *m);

/*
 * cl_store_apply_remote - in one transaction: set the status (and error
 * reason) of our outgoing message with @server_id, or, if it is not known
 * yet, keep the status for cl_store_update() to apply. A message already
 * Delivered or Error keeps its status.
 * Returns 1 (changed; @m holds the message), 0 (no change), -ENOENT (kept
 * for later) or a code above.
 */
int cl_store_apply_remote(struct cl_store *s, const char *server_id, enum cl_status status,
			  const char *error, struct cl_msg *m);

/*
 * cl_store_get - read message @key into @m, text included (empty if
 * erased). Returns 0 or a code above.
 */
int cl_store_get(struct cl_store *s, const uint8_t key[CL_KEY_LEN], struct cl_msg *m);

/*
 * cl_store_find - the message whose server id is @server_id in direction
 * @dir. Returns 0 with @m filled, or a code above.
 */
int cl_store_find(struct cl_store *s, enum cl_dir dir, const char *server_id, struct cl_msg *m);

/*
 * cl_store_erase_text - crypto-erase the text of @m: zero its slot key in
 * the slots file (fdatasync), then store it with CL_F_ERASED and no text.
 * Returns 0 or a code above.
 */
int cl_store_erase_text(struct cl_store *s, struct cl_msg *m);

/*
 * cl_store_list - call @fn for every message (@outbox_only: only those in
 * the outbox) in time order, each read with its text. A message that fails
 * to open is skipped. Returns 0, @fn's non-zero value, or a code above.
 */
int cl_store_list(struct cl_store *s, bool outbox_only, cl_store_visit_fn fn, void *arg);

#endif
