/*
 * Fixed-size object pools for the hot path, one per worker (never shared
 * between threads). All memory is taken at pool_init(); pool_get() and
 * pool_put() are O(1) and never call malloc.
 *
 * Built with -Dpool_malloc=true (COLUMBA_POOL_MALLOC), every get is a
 * malloc and every put a free, so ASan and Valgrind see each use-after-free
 * and leak that a recycling pool would hide (openresty's no-pool build).
 * The capacity limit is enforced in both modes.
 */
#ifndef COLUMBA_BASE_POOL_H
#define COLUMBA_BASE_POOL_H

#include <stddef.h>
#include <stdint.h>

struct pool {
	size_t obj_size;
	uint32_t capacity;
	uint32_t in_use;
	uint32_t fresh; /* objects never handed out yet start at mem + fresh */
	void *free_list;
	void *mem;
	const char *name;
};

/*
 * pool_init - reserve capacity objects of obj_size bytes (rounded up to 16).
 * @name: shown in logs and metrics; must outlive the pool.
 * Returns 0, -EINVAL (zero size or capacity, or a total that overflows
 * size_t) or -ENOMEM.
 */
int pool_init(struct pool *p, const char *name, size_t obj_size, uint32_t capacity);

/* Release the pool's memory. Objects still in use are a bug in pool mode. */
void pool_fini(struct pool *p);

/* pool_get - an uninitialised object, or NULL when capacity is reached. */
void *pool_get(struct pool *p);

/* pool_get_zeroed - as pool_get, zero-filled. */
void *pool_get_zeroed(struct pool *p);

/* pool_put - give back an object from this pool; NULL is ignored. */
void pool_put(struct pool *p, void *obj);

static inline uint32_t pool_in_use(const struct pool *p)
{
	return p->in_use;
}

#endif
