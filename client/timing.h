/*
 * The client's durations (DESIGN.md §1 "client", "read expiry"), each
 * overridable through the environment so tests can shrink them:
 *
 *   COLUMBA_TEST_SEND_TIMEOUT_MS     12000     one try: connect + TLS + answer
 *   COLUMBA_TEST_SEND_TRIES          5         tries of a new message
 *   COLUMBA_TEST_RETRY_PAUSE_MS      1000      pause between two tries
 *   COLUMBA_TEST_OUTBOX_EXPIRY_MS    12 h      Sending -> Send error
 *   COLUMBA_TEST_READ_EXPIRY_MS      15 min    first display -> text erased
 *   COLUMBA_TEST_KEEPALIVE_MS        90000     CRLFCRLF ping and outbox flush
 *   COLUMBA_TEST_REGISTER_EXPIRES_S  600       asked REGISTER lifetime
 */
#ifndef COLUMBA_CLIENT_TIMING_H
#define COLUMBA_CLIENT_TIMING_H

#include <stdint.h>

struct cl_timing {
	uint64_t send_timeout_ms;
	unsigned send_tries;
	uint64_t retry_pause_ms;
	uint64_t outbox_expiry_ms;
	uint64_t read_expiry_ms;
	uint64_t keepalive_ms;
	unsigned register_expires_s;
};

/*
 * cl_timing_load - the defaults above, overridden by each variable that is
 * set to a positive decimal number (others are ignored). Never fails.
 */
void cl_timing_load(struct cl_timing *t);

#endif
