/* Input that ends exactly at a PROT_NONE page (STYLE.md: a parser that
 * reads one byte too far crashes here instead of passing). */
#ifndef COLUMBA_TESTS_CLIENT_GUARD_H
#define COLUMBA_TESTS_CLIENT_GUARD_H

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Copy @n bytes of @src so that they end at a guard page; returns the copy
 * (release with guard_free()), or NULL. @n must be at most one page. */
static inline char *guard_copy(const void *src, size_t n, void **map)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *m;

	if (n > page)
		return NULL;
	m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + page, page, PROT_NONE) != 0)
		return NULL;
	*map = m;
	memcpy(m + page - n, src, n);
	return m + page - n;
}

static inline void guard_free(void *map)
{
	munmap(map, 2 * (size_t)sysconf(_SC_PAGESIZE));
}

#endif
