/*
 * The uring backend: kernel TCP sockets driven through one io_uring per
 * worker. Per worker: a SO_REUSEPORT listener per address (the kernel
 * spreads connections across workers), multishot accept, multishot receive
 * into a ring of provided buffers (no buffer per idle connection), and one
 * send in flight per connection from a queue of pooled chunks (a connection
 * that has nothing to send holds no send memory either).
 */
#ifndef COLUMBA_DATAPLANE_URING_H
#define COLUMBA_DATAPLANE_URING_H

#include "dataplane/worker.h"

extern const struct dp_backend_ops dp_uring_ops;

/* Sizes, fixed at build time; measured choices, see docs/architecture.md. */
#define UR_RECV_BUF_SIZE   8192u  /* one provided receive buffer */
#define UR_RECV_BUF_COUNT  512u   /* per worker: 4 MiB */
#define UR_CHUNK_SIZE      16384u /* one send-queue chunk, header included */
#define UR_RING_ENTRIES    1024u

#endif
