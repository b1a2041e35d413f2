#include "client/timing.h"

#include <errno.h>
#include <stdlib.h>

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		return dflt;
	return (uint64_t)v;
}

void cl_timing_load(struct cl_timing *t)
{
	t->send_timeout_ms = env_u64("COLUMBA_TEST_SEND_TIMEOUT_MS", 12000);
	t->send_tries = (unsigned)env_u64("COLUMBA_TEST_SEND_TRIES", 5);
	t->retry_pause_ms = env_u64("COLUMBA_TEST_RETRY_PAUSE_MS", 1000);
	t->outbox_expiry_ms = env_u64("COLUMBA_TEST_OUTBOX_EXPIRY_MS", 12ull * 3600 * 1000);
	t->read_expiry_ms = env_u64("COLUMBA_TEST_READ_EXPIRY_MS", 15ull * 60 * 1000);
	t->keepalive_ms = env_u64("COLUMBA_TEST_KEEPALIVE_MS", 90000);
	t->register_expires_s = (unsigned)env_u64("COLUMBA_TEST_REGISTER_EXPIRES_S", 600);
	if (t->send_tries > 100)
		t->send_tries = 100;
}
