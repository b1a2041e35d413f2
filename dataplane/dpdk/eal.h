/*
 * The DPDK Environment Abstraction Layer, once per process: start it from
 * the `[dpdk] eal_args` string of the configuration and tear it down at exit.
 *
 * The EAL can be initialised once per process and never again, not even
 * after a failure or after dpdk_eal_fini() (DPDK's own rule): a test that
 * needs two EAL set-ups (--no-huge and hugepages) runs two processes.
 *
 * Threads: Columba's workers are plain pthreads, not EAL lcores. A worker
 * calls dpdk_thread_register() on its own thread before its first burst, so
 * that DPDK gives it an lcore id and the mbuf pools can use their per-lcore
 * caches (without one every mbuf get/put goes to the pool's shared ring).
 */
#ifndef COLUMBA_DATAPLANE_DPDK_EAL_H
#define COLUMBA_DATAPLANE_DPDK_EAL_H

#define DPDK_EAL_MAX_ARGS 64
#define DPDK_EAL_ARGS_MAX 2048 /* bytes of the args string, NUL included */

/* An EAL argument vector split from one string (caller-owned storage). */
struct dpdk_argv {
	int argc;
	char *argv[DPDK_EAL_MAX_ARGS + 2]; /* argv[0], the args, NULL */
	char buf[DPDK_EAL_ARGS_MAX];
};

/*
 * dpdk_eal_init - start the EAL with @args, e.g.
 * "-l 0 --in-memory --no-huge -m 512 --vdev=net_tap0,iface=cb0".
 * Arguments are separated by blanks; single or double quotes group one
 * argument that contains blanks. The calling thread's CPU affinity is the
 * same after the call as before (the EAL pins its caller to the main lcore,
 * and every thread created afterwards would inherit that). DPDK's own log
 * messages become base/log.h lines (comp=dpdk event=rte_log msg="..."), at
 * their level, from the start of the call on.
 * Returns 0; -EALREADY if the EAL was already started (or a start failed:
 * it cannot be retried); -EINVAL for an unbalanced quote or a stray
 * argument the EAL does not consume; -E2BIG for more than DPDK_EAL_MAX_ARGS
 * arguments or a string longer than DPDK_EAL_ARGS_MAX - 1 bytes; otherwise
 * the EAL's own error as a negative errno (-EACCES: no permission for
 * hugepages or devices; -ENOMEM: memory; -EPROTO/-EFAULT ...). Every
 * failure is logged with the reason.
 */
int dpdk_eal_init(const char *args);

/*
 * dpdk_eal_fini - release the EAL's memory and threads (rte_eal_cleanup).
 * Close every port first. Harmless when the EAL was never started.
 * After a memif server port was open, rte_eal_cleanup() is left out (a
 * warning says so) and the caller should exit soon: DPDK 22.11's memif
 * leaves its listening socket registered with the interrupt thread after
 * freeing its handle, and rte_eal_cleanup() unmapping that memory under
 * the running thread crashed about 1 run in 80 in our tests.
 */
void dpdk_eal_fini(void);

/*
 * dpdk_thread_register - give the calling (non-EAL) thread an lcore id so
 * mempool caches work on it. Harmless on an EAL thread or twice.
 * Returns 0; -ENOMEM when DPDK has no lcore id left (RTE_MAX_LCORE); -EINVAL
 * before dpdk_eal_init() or while secondary processes are attached. On error
 * the thread still works, without mempool caches: the caller may go on.
 */
int dpdk_thread_register(void);

/* dpdk_thread_unregister - give the lcore id back (before the thread ends). */
void dpdk_thread_unregister(void);

/*
 * dpdk__intr_barrier - return once the EAL interrupt thread has finished
 * the callback it was running (drivers run their control path there), or
 * after 2 s. Does nothing while the EAL is not up.
 */
void dpdk__intr_barrier(void);

/* dpdk__eal_skip_cleanup - make dpdk_eal_fini() skip rte_eal_cleanup(); why
 * (a static string) is logged. */
void dpdk__eal_skip_cleanup(const char *why);

/*
 * dpdk__split_args - split @args into @out->argv after argv[0] = @prog.
 * Returns 0, -EINVAL (unbalanced quote) or -E2BIG (too many arguments or
 * too long a string); on error out->argc is 0.
 */
int dpdk__split_args(const char *prog, const char *args, struct dpdk_argv *out);

#endif
