/* client/store.c on a real LMDB environment in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/store.h"

struct fx {
	char dir[64];
	struct cl_store s;
	uint8_t master[CL_MASTER_LEN];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/cl-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	memset(f->master, 0x33, sizeof(f->master));
	if (cl_store_open(&f->s, f->dir, f->master) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	cl_store_close(&f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void new_out(struct cl_msg *m, uint64_t t, const char *text)
{
	memset(m, 0, sizeof(*m));
	assert_int_equal(cl_store_new_key(t, m->key), 0);
	m->dir = CL_OUT;
	m->status = CL_ST_SENDING;
	m->created_ms = t;
	memcpy(m->peer, "bob", 4);
	m->text_len = strlen(text);
	memcpy(m->text, text, m->text_len + 1);
}

static int count(struct cl_msg *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

/* Does the file hold @needle anywhere? */
static bool file_has(const char *dir, const char *name, const void *needle, size_t n)
{
	char path[128], *buf;
	bool found;
	FILE *fp;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	found = memmem(buf, (size_t)len, needle, n) != NULL;
	free(buf);
	return found;
}

static void test_outbox_and_status(void **state)
{
	struct fx *f = *state;
	struct cl_msg a, b, got;
	int n = 0;

	new_out(&a, 1000, "first text");
	new_out(&b, 2000, "second text");
	assert_int_equal(cl_store_add(&f->s, &a), 0);
	assert_int_equal(cl_store_add(&f->s, &b), 0);
	assert_int_not_equal(a.slot, b.slot);
	assert_int_equal(cl_store_list(&f->s, true, count, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cl_store_get(&f->s, a.key, &got), 0);
	assert_string_equal(got.text, "first text");
	assert_false(file_has(f->dir, "data.mdb", "first text", 10));
	/* 202: out of the outbox, findable by its server id */
	a.status = CL_ST_ENQUEUED;
	memcpy(a.server_id, "01M8ET0W45GWTYWQD3PYJKAFBG", 27);
	assert_int_equal(cl_store_update(&f->s, &a), 0);
	n = 0;
	assert_int_equal(cl_store_list(&f->s, true, count, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cl_store_find(&f->s, CL_OUT, "01M8ET0W45GWTYWQD3PYJKAFBG", &got), 0);
	assert_memory_equal(got.key, a.key, CL_KEY_LEN);
	assert_int_equal(cl_store_find(&f->s, CL_IN, "01M8ET0W45GWTYWQD3PYJKAFBG", &got), -ENOENT);
	/* a notification */
	assert_int_equal(cl_store_apply_remote(&f->s, "01M8ET0W45GWTYWQD3PYJKAFBG", CL_ST_DELIVERED,
					       "", &got), 1);
	assert_int_equal(got.status, CL_ST_DELIVERED);
	assert_string_equal(got.text, "first text");
	assert_int_equal(cl_store_apply_remote(&f->s, "01M8ET0W45GWTYWQD3PYJKAFBG", CL_ST_ERROR,
					       "failed", &got), 0); /* Delivered stays */
	n = 0;
	assert_int_equal(cl_store_list(&f->s, false, count, &n), 0);
	assert_int_equal(n, 2);
}

static void test_notification_before_202(void **state)
{
	struct fx *f = *state;
	struct cl_msg a, got;

	new_out(&a, 3000, "raced");
	assert_int_equal(cl_store_add(&f->s, &a), 0);
	assert_int_equal(cl_store_apply_remote(&f->s, "01M8ET0W4JSFGBX4DFFSA0KE6Z", CL_ST_ERROR,
					       "expired", &got), -ENOENT);
	a.status = CL_ST_ENQUEUED;
	memcpy(a.server_id, "01M8ET0W4JSFGBX4DFFSA0KE6Z", 27);
	assert_int_equal(cl_store_update(&f->s, &a), 1);
	assert_int_equal(a.status, CL_ST_ERROR);
	assert_string_equal(a.error, "expired");
	assert_int_equal(cl_store_get(&f->s, a.key, &got), 0);
	assert_int_equal(got.status, CL_ST_ERROR);
	/* applied once */
	assert_int_equal(cl_store_update(&f->s, &a), 0);
}

static void test_incoming_dedupe_and_erase(void **state)
{
	struct fx *f = *state;
	struct cl_msg m, again, got;
	uint8_t slots[4096];
	ssize_t n;
	int fd;
	char path[128];

	memset(&m, 0, sizeof(m));
	assert_int_equal(cl_store_new_key(5000, m.key), 0);
	m.dir = CL_IN;
	m.status = CL_ST_RECEIVED;
	memcpy(m.peer, "alice", 6);
	memcpy(m.server_id, "01M8ET0W45GWTYWQD3PYJKAFBG", 27); /* same id as ours: other dir */
	memcpy(m.text, "secret words", 13);
	m.text_len = 12;
	assert_int_equal(cl_store_add(&f->s, &m), 0);
	again = m;
	assert_int_equal(cl_store_new_key(5001, again.key), 0);
	assert_int_equal(cl_store_add(&f->s, &again), -EEXIST);
	assert_int_equal(cl_store_get(&f->s, again.key, &got), -ENOENT);
	/* erase: the slot is zeroed, the record has no text, reads say so */
	m.flags |= CL_F_READ;
	assert_int_equal(cl_store_erase_text(&f->s, &m), 0);
	assert_int_equal(cl_store_get(&f->s, m.key, &got), 0);
	assert_true(got.flags & CL_F_ERASED);
	assert_int_equal(got.text_len, 0);
	assert_string_equal(got.text, "");
	snprintf(path, sizeof(path), "%s/slots", f->dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = pread(fd, slots, 32, (off_t)(m.slot * 32));
	close(fd);
	assert_int_equal(n, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(slots[i], 0);
	assert_false(file_has(f->dir, "data.mdb", "secret words", 12));
}

static void test_wrong_master_key(void **state)
{
	struct fx *f = *state;
	struct cl_msg m, got;
	uint8_t other[CL_MASTER_LEN];

	new_out(&m, 9000, "for the right key only");
	assert_int_equal(cl_store_add(&f->s, &m), 0);
	cl_store_close(&f->s);
	memset(other, 0x44, sizeof(other));
	assert_int_equal(cl_store_open(&f->s, f->dir, other), 0);
	assert_int_equal(cl_store_get(&f->s, m.key, &got), -EKEYREJECTED);
	cl_store_close(&f->s);
	assert_int_equal(cl_store_open(&f->s, f->dir, f->master), 0);
	assert_int_equal(cl_store_get(&f->s, m.key, &got), 0);
	assert_string_equal(got.text, "for the right key only");
}

static void test_stale_write_never_regresses(void **state)
{
	struct fx *f = *state;
	struct cl_msg m, stale, got;

	new_out(&m, 7000, "two writers");
	assert_int_equal(cl_store_add(&f->s, &m), 0);
	stale = m; /* another process read it now, Sending */
	m.status = CL_ST_ENQUEUED;
	memcpy(m.server_id, "01M8ET0W4JSFGBX4DFFSA0KE6Z", 27);
	assert_int_equal(cl_store_update(&f->s, &m), 0);
	assert_int_equal(cl_store_apply_remote(&f->s, m.server_id, CL_ST_DELIVERED, "", &got), 1);
	got.flags |= CL_F_READ;
	assert_int_equal(cl_store_erase_text(&f->s, &got), 0);
	/* the stale copy comes back with its 202 */
	stale.status = CL_ST_ENQUEUED;
	memcpy(stale.server_id, "01M8ET0W4JSFGBX4DFFSA0KE6Z", 27);
	assert_int_equal(cl_store_update(&f->s, &stale), 0);
	assert_int_equal(cl_store_get(&f->s, m.key, &got), 0);
	assert_int_equal(got.status, CL_ST_DELIVERED);
	assert_true(got.flags & CL_F_ERASED);
	assert_true(got.flags & CL_F_READ);
	assert_int_equal(got.text_len, 0);
	/* and it is out of the outbox */
	int n = 0;
	assert_int_equal(cl_store_list(&f->s, true, count, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outbox_and_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notification_before_202, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incoming_dedupe_and_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_master_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_write_never_regresses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
