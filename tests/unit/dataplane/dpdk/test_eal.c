/*
 * dataplane/dpdk/eal.c: splitting the `[dpdk] eal_args` string (no EAL,
 * runs anywhere), and, as root, the EAL start rules: an argument the EAL
 * does not take is refused by name, the EAL starts once per process, and
 * the caller's CPU affinity survives rte_eal_init() pinning it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "dataplane/dpdk/eal.h"

static struct dpdk_argv av;

static void test_split_blanks(void **state)
{
	(void)state;
	assert_int_equal(dpdk__split_args("prog", "", &av), 0);
	assert_int_equal(av.argc, 1);
	assert_string_equal(av.argv[0], "prog");
	assert_null(av.argv[1]);

	assert_int_equal(dpdk__split_args("prog", "  -l 0  --no-huge\t-m 512 \n", &av), 0);
	assert_int_equal(av.argc, 6);
	assert_string_equal(av.argv[1], "-l");
	assert_string_equal(av.argv[2], "0");
	assert_string_equal(av.argv[3], "--no-huge");
	assert_string_equal(av.argv[4], "-m");
	assert_string_equal(av.argv[5], "512");
	assert_null(av.argv[6]);
}

static void test_split_quotes(void **state)
{
	(void)state;
	assert_int_equal(dpdk__split_args("p", "--vdev=\"net_tap0,iface=a b\" 'x \"y' '' z", &av), 0);
	assert_int_equal(av.argc, 5);
	assert_string_equal(av.argv[1], "--vdev=net_tap0,iface=a b");
	assert_string_equal(av.argv[2], "x \"y");
	assert_string_equal(av.argv[3], "");
	assert_string_equal(av.argv[4], "z");
}

static void test_split_errors(void **state)
{
	char many[4 * (DPDK_EAL_MAX_ARGS + 1) + 1];
	char huge[DPDK_EAL_ARGS_MAX + 8];
	(void)state;

	assert_int_equal(dpdk__split_args("p", "--vdev=\"net_tap0", &av), -EINVAL);
	assert_int_equal(av.argc, 0);
	assert_int_equal(dpdk__split_args("p", "a 'b", &av), -EINVAL);

	/* Exactly DPDK_EAL_MAX_ARGS fit; one more does not. */
	memset(many, 0, sizeof(many));
	for (int i = 0; i < DPDK_EAL_MAX_ARGS; i++)
		memcpy(many + 2 * i, "a ", 2);
	assert_int_equal(dpdk__split_args("p", many, &av), 0);
	assert_int_equal(av.argc, DPDK_EAL_MAX_ARGS + 1);
	assert_null(av.argv[DPDK_EAL_MAX_ARGS + 1]);
	memcpy(many + 2 * DPDK_EAL_MAX_ARGS, "b", 1);
	assert_int_equal(dpdk__split_args("p", many, &av), -E2BIG);
	assert_int_equal(av.argc, 0);

	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(dpdk__split_args("p", huge, &av), -E2BIG);
	/* The longest string that fits: prog, NUL, the argument, NUL. */
	huge[DPDK_EAL_ARGS_MAX - 3] = '\0';
	assert_int_equal(dpdk__split_args("p", huge, &av), 0);
	assert_int_equal(strlen(av.argv[1]), DPDK_EAL_ARGS_MAX - 3);
}

static void test_eal_start_rules(void **state)
{
	cpu_set_t all, after;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char args[256];
	(void)state;

	if (geteuid() != 0)
		skip();
	assert_int_equal(dpdk_eal_init("--no-huge 'unbalanced"), -EINVAL);

	/* Pinned to the last CPU by the EAL (-l), put back to all by us. */
	CPU_ZERO(&all);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET((int)c, &all);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(all), &all), 0);
	snprintf(args, sizeof(args),
		 "-l %ld --no-huge --no-shconf -m 64 --no-pci --no-telemetry stray", ncpu - 1);
	/* Capture the log: DPDK's own lines must come out as ours. */
	char path[] = "/tmp/columba-dpdk-log-XXXXXX";
	int fd = mkstemp(path);
	char text[16384];
	ssize_t n;

	assert_true(fd >= 0);
	unlink(path);
	log_set_fd(fd);
	assert_int_equal(dpdk_eal_init(args), -EINVAL);
	log_set_fd(2);
	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(after), &after), 0);
	assert_true(CPU_EQUAL(&all, &after));
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	assert_true(n > 0);
	text[n] = '\0';
	assert_non_null(strstr(text, "level=info comp=dpdk event=rte_log msg=\"EAL: Detected CPU lcores: "));
	assert_non_null(strstr(text, "event=eal_init_failed err=-22 reason=\"argument not for the EAL\" arg=\"stray\""));

	assert_int_equal(dpdk_eal_init("--no-huge --no-shconf -m 64"), -EALREADY);
	dpdk_eal_fini(); /* harmless: the failed start already cleaned up */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_blanks),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_eal_start_rules),
	};

	if (geteuid() != 0)
		printf("note: not root, the EAL start test is skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
