/* Compiler helpers shared by every layer: branch hints, invariants, sizes. */
#ifndef COLUMBA_BASE_COMPILER_H
#define COLUMBA_BASE_COMPILER_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* DPDK's rte_common.h defines the same macro: whichever comes first wins. */
#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#define CACHE_LINE 64
#define __cache_aligned __attribute__((aligned(CACHE_LINE)))
#define __unused __attribute__((unused))

/*
 * BUG_ON: an invariant whose violation means memory is no longer trustworthy.
 * It stays on in release builds (HAProxy's rule): crashing loudly beats
 * delivering a message to the wrong person.
 */
#define BUG_ON(cond)                                                         \
	do {                                                                 \
		if (unlikely(cond)) {                                        \
			fprintf(stderr, "BUG at %s:%d: %s\n", __FILE__,      \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

/* DEBUG_BUG_ON: expensive invariant checks, only in debug builds. */
#ifndef NDEBUG
#define DEBUG_BUG_ON(cond) BUG_ON(cond)
#else
#define DEBUG_BUG_ON(cond) ((void)0)
#endif

/* Banned functions (STYLE.md: strcpy, strcat, sprintf, gets, VLAs): VLAs are
 * a compile error (-Wvla -Werror); the functions are caught by the
 * "banned-calls" test (tests/lint/banned-calls), which greps the tree. */

#endif
