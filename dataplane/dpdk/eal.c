#include "dataplane/dpdk/eal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "base/compiler.h" /* before DPDK: see port.h */

#include <rte_alarm.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_version.h>

#include "base/log.h"

/* The EAL may keep pointers into argv: the vector lives as long as the process. */
static struct dpdk_argv eal_argv;
static bool eal_tried;
static bool eal_up;
static const char *skip_cleanup_why; /* set: dpdk_eal_fini() leaves rte_eal_cleanup() out */

/*
 * DPDK's own messages ("EAL: ...", driver complaints) become logfmt lines
 * of base/log.h, at their level: rte_log_cur_msg_loglevel() is the level
 * of the message being written on this thread. The stream is line
 * buffered and its FILE lock serialises writers, so one line is assembled
 * at a time; double quotes become single ones to keep msg="..." intact.
 */
static FILE *rte_stream;
static char rte_line[480];
static size_t rte_line_len;

static void rte_line_emit(void)
{
	int lvl = rte_log_cur_msg_loglevel();
	enum log_level l = lvl <= (int)RTE_LOG_ERR ? LOG_ERROR :
			   lvl == (int)RTE_LOG_WARNING ? LOG_WARN :
			   lvl >= (int)RTE_LOG_DEBUG ? LOG_DEBUG : LOG_INFO;

	while (rte_line_len && rte_line[rte_line_len - 1] == ' ')
		rte_line_len--;
	if (rte_line_len)
		log_write(l, "dpdk", "rte_log msg=\"%.*s\"", (int)rte_line_len, rte_line);
	rte_line_len = 0;
}

static ssize_t rte_stream_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	for (size_t i = 0; i < size; i++) {
		char c = buf[i];

		if (c == '\n') {
			rte_line_emit();
			continue;
		}
		if (c == '"')
			c = '\'';
		else if ((unsigned char)c < 0x20)
			c = ' ';
		if (rte_line_len < sizeof(rte_line))
			rte_line[rte_line_len++] = c;
	}
	return (ssize_t)size;
}

static void rte_stream_open(void)
{
	cookie_io_functions_t io = { .write = rte_stream_write };

	rte_stream = fopencookie(NULL, "w", io);
	if (!rte_stream)
		return; /* DPDK keeps writing to stderr: ugly, not fatal */
	setvbuf(rte_stream, NULL, _IOLBF, 0);
	rte_openlog_stream(rte_stream);
}

static void rte_stream_close(void)
{
	if (!rte_stream)
		return;
	rte_openlog_stream(NULL);
	fclose(rte_stream);
	rte_stream = NULL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int dpdk__split_args(const char *prog, const char *args, struct dpdk_argv *out)
{
	size_t plen = strlen(prog), used;
	const char *p = args;

	out->argc = 0;
	if (plen + 1 > sizeof(out->buf))
		return -E2BIG;
	memcpy(out->buf, prog, plen + 1);
	out->argv[0] = out->buf;
	used = plen + 1;

	int argc = 1;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		if (argc > DPDK_EAL_MAX_ARGS)
			goto too_big;
		char *arg = out->buf + used;
		char quote = 0;

		/* One argument: up to an unquoted blank; quotes group and vanish. */
		while (*p && (quote || !is_blank(*p))) {
			if (!quote && (*p == '"' || *p == '\'')) {
				quote = *p++;
				continue;
			}
			if (quote && *p == quote) {
				quote = 0;
				p++;
				continue;
			}
			if (used + 1 >= sizeof(out->buf))
				goto too_big;
			out->buf[used++] = *p++;
		}
		if (quote) {
			out->argc = 0;
			return -EINVAL;
		}
		out->buf[used++] = '\0';
		out->argv[argc++] = arg;
	}
	out->argv[argc] = NULL;
	out->argc = argc;
	return 0;
too_big:
	out->argc = 0;
	return -E2BIG;
}

static void barrier_cb(void *arg)
{
	atomic_store((_Atomic bool *)arg, true);
}

/* Alarms run on the interrupt thread, one callback at a time, between its
 * other callbacks: an alarm that fired is a barrier. */
void dpdk__intr_barrier(void)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 1000 * 1000 };
	_Atomic bool done = false;

	if (!eal_up || rte_eal_alarm_set(1, barrier_cb, &done) < 0)
		return;
	for (int i = 0; i < 2000 && !atomic_load(&done); i++)
		nanosleep(&tick, NULL);
	/* Cancel waits for a callback in flight: done is never written late. */
	if (!atomic_load(&done))
		rte_eal_alarm_cancel(barrier_cb, &done);
}

int dpdk_eal_init(const char *args)
{
	cpu_set_t saved;
	bool have_saved;
	int rc;

	if (eal_tried) {
		log_error("dpdk", "eal_init_failed err=%d reason=\"the EAL starts once per process\"",
			  -EALREADY);
		return -EALREADY;
	}
	rc = dpdk__split_args("columbad", args, &eal_argv);
	if (rc < 0) {
		log_error("dpdk", "eal_init_failed err=%d reason=\"%s in [dpdk] eal_args\"", rc,
			  rc == -EINVAL ? "unbalanced quote" : "too many or too long arguments");
		return rc;
	}
	eal_tried = true;

	/* rte_eal_init() pins its caller to the main lcore; the gateway's
	 * other threads (store, signals) are created later by this thread and
	 * would inherit the pin, so the caller's affinity is put back. */
	have_saved = pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0;
	rte_stream_open();

	int argc = eal_argv.argc;
	rc = rte_eal_init(argc, eal_argv.argv);
	int err = rte_errno;

	if (have_saved)
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	if (rc < 0) {
		rte_stream_close();
		rc = err > 0 ? -err : -EINVAL;
		log_error("dpdk", "eal_init_failed err=%d reason=\"%s\" args=\"%s\"%s", rc,
			  rte_strerror(err), args,
			  err == EACCES ? " hint=\"run as root or grant hugepage/vfio access\"" :
			  err == ENOMEM ? " hint=\"raise -m, add --no-huge or reserve hugepages\"" : "");
		return rc;
	}
	if (rc != argc - 1) {
		/* The EAL stops at the first non-EAL argument ("--" or a stray word). */
		log_error("dpdk", "eal_init_failed err=%d reason=\"argument not for the EAL\" arg=\"%s\"",
			  -EINVAL, eal_argv.argv[rc + 1] ? eal_argv.argv[rc + 1] : "");
		rte_eal_cleanup();
		rte_stream_close();
		return -EINVAL;
	}
	eal_up = true;
	log_info("dpdk", "eal_up version=\"%s\" lcores=%u sockets=%u ports=%u iova=%s",
		 rte_version(), rte_lcore_count(), rte_socket_count(), rte_eth_dev_count_avail(),
		 rte_eal_iova_mode() == RTE_IOVA_VA ? "va" : "pa");
	return 0;
}

void dpdk_eal_fini(void)
{
	if (!eal_up)
		return;
	/* rte_eal_cleanup() (22.11) unmaps DPDK's memory while the interrupt
	 * thread still runs. A driver that left its last teardown step to
	 * that thread (memif unregisters a closed control channel "pending",
	 * then the thread rebuilds its wait list) must be done first, or
	 * the thread walks unmapped memory. Two barriers: the second runs
	 * after the loop turn that finished the first. */
	dpdk__intr_barrier();
	dpdk__intr_barrier();
	eal_up = false;
	if (skip_cleanup_why) {
		/* The process is about to exit: the kernel takes the memory back. */
		log_warn("dpdk", "eal_cleanup_skipped reason=\"%s\"", skip_cleanup_why);
		return;
	}
	rte_eal_cleanup();
	rte_stream_close();
	log_info("dpdk", "eal_down");
}

void dpdk__eal_skip_cleanup(const char *why)
{
	skip_cleanup_why = why;
}

int dpdk_thread_register(void)
{
	if (rte_lcore_id() != LCORE_ID_ANY)
		return 0;
	if (rte_thread_register() < 0) {
		int err = rte_errno > 0 ? rte_errno : EINVAL;

		log_warn("dpdk", "thread_register_failed err=%d reason=\"%s\" effect=\"no mempool cache on this thread\"",
			 -err, rte_strerror(err));
		return -err;
	}
	return 0;
}

void dpdk_thread_unregister(void)
{
	rte_thread_unregister();
}
