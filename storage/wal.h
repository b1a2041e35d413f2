/*
 * The write-ahead log: segment files <dir>/<first seq, 16 hex>.wal holding
 * the records of storage/walrec.h, appended with io_uring (a write linked to
 * an fdatasync with IOSQE_IO_LINK: one submission, one wait, durable when
 * both complete).
 *
 * Life cycle, driven by the store: st_wal_replay() feeds every intact record
 * after the last applied sequence to a callback; the store applies them to
 * LMDB and syncs it; st_wal_open() then deletes the old segments and starts a
 * fresh one. Checkpoints (st_wal_rotate, after mdb_env_sync) do the same
 * while running, so the WAL stays bounded.
 *
 * Segments are zero-filled 1 MiB ahead of the last record, so the per-batch
 * fdatasync never has to change the file size (replay treats the zeroed
 * space after the last record as the end, not as damage).
 *
 * With ST_WAL_DIRECT the segment is opened O_DIRECT and every record is
 * padded to 4096 bytes (the padding is part of the record, see walrec.h);
 * where O_DIRECT is refused (tmpfs) the WAL falls back to buffered writes and
 * says so in the log.
 */
#ifndef COLUMBA_STORAGE_WAL_H
#define COLUMBA_STORAGE_WAL_H

#include <stdbool.h>
#include <stdint.h>

#define ST_WAL_DIRECT 0x1u

struct st_wal;

/* Called for each replayed record; a non-zero return stops the replay and is returned. */
typedef int (*st_wal_apply_fn)(void *ctx, uint64_t seq, const uint8_t *payload, uint32_t len);

/*
 * st_wal_replay - read the segments of @dir in order and call @fn for each
 * record with seq > @after_seq. Stops at the first torn or corrupt record or
 * sequence gap (within a segment or across segments: each segment must start
 * where the previous one ended), logged with segment and offset. If nothing
 * intact follows, that was a torn tail (never acknowledged): the normal end.
 * If an intact record with a higher sequence (> @after_seq) follows anywhere
 * (rest of that segment, later segments), acknowledged records would be
 * lost: that is logged (wal_corrupt, segment and offset) and -EBADMSG
 * returned; the caller must then leave the files alone.
 * *@last_seq receives the highest intact sequence seen (>= @after_seq).
 * Returns 0, -EBADMSG (damage in the middle), the callback's error, or
 * -errno (a missing @dir is created and is not an error).
 */
int st_wal_replay(const char *dir, uint64_t after_seq, st_wal_apply_fn fn, void *ctx,
		  uint64_t *last_seq);

/*
 * st_wal_open - delete every segment in @dir and start a new one whose first
 * record will be @next_seq. Call only after what the old segments held is
 * applied and synced.
 * Returns 0 or -errno (-ENOMEM, io_uring set-up errors, open/fsync errors).
 */
int st_wal_open(struct st_wal **out, const char *dir, uint64_t next_seq, unsigned flags);

/*
 * st_wal_append - append one record and wait until it is durable.
 * *@seq receives its sequence number.
 * Returns 0; -ENOSPC, -EIO (or another -errno) if the write or the fdatasync
 * failed: the segment is then truncated back so the next append starts on a
 * clean tail, and the sequence number is not consumed. -EMSGSIZE for a
 * payload above ST_WAL_MAX_PAYLOAD. Signals (EINTR) are retried, and a
 * write cut short is finished with pwrite + fdatasync. -EIO if io_uring
 * itself failed (a submit or wait error other than EINTR): the WAL is then
 * broken and every later append fails with -EIO (the store stays
 * unavailable until it is restarted).
 */
int st_wal_append(struct st_wal *w, const uint8_t *payload, uint32_t len, uint64_t *seq);

/* st_wal_bytes - record bytes in the current segment (the checkpoint trigger). */
uint64_t st_wal_bytes(const struct st_wal *w);

/* st_wal_next_seq - the sequence number the next append will get. */
uint64_t st_wal_next_seq(const struct st_wal *w);

/* st_wal_is_direct - whether the segment is really open with O_DIRECT. */
bool st_wal_is_direct(const struct st_wal *w);

/*
 * st_wal_rotate - after a checkpoint: start a new segment and delete the
 * older ones. Returns 0 or -errno (the current segment stays in use).
 */
int st_wal_rotate(struct st_wal *w);

/* st_wal_close - close (does not delete) the current segment. NULL is a no-op. */
void st_wal_close(struct st_wal *w);

#endif
