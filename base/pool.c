#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"

int pool_init(struct pool *p, const char *name, size_t obj_size, uint32_t capacity)
{
	memset(p, 0, sizeof(*p));
	if (obj_size == 0 || capacity == 0 || obj_size > SIZE_MAX / 2)
		return -EINVAL;
	p->obj_size = (obj_size + 15) & ~(size_t)15;
	/* The total, rounded up to a cache line below, must not wrap size_t
	 * (checked in both modes so they accept the same sizes). */
	if (p->obj_size > (SIZE_MAX - CACHE_LINE) / capacity)
		return -EINVAL;
	p->capacity = capacity;
	p->name = name;
#ifndef COLUMBA_POOL_MALLOC
	p->mem = aligned_alloc(CACHE_LINE, (p->obj_size * capacity + CACHE_LINE - 1) &
					       ~(size_t)(CACHE_LINE - 1));
	if (!p->mem)
		return -ENOMEM;
	/*
	 * No free list is threaded through the objects here: writing into
	 * every object would fault in every page of the pool at start-up
	 * (108 MB per worker at the default limits, measured). Objects never
	 * used are taken from the untouched tail instead (pool_get).
	 */
#endif
	return 0;
}

void pool_fini(struct pool *p)
{
	free(p->mem);
	p->mem = NULL;
	p->free_list = NULL;
}

void *pool_get(struct pool *p)
{
	if (p->in_use >= p->capacity)
		return NULL;
#ifdef COLUMBA_POOL_MALLOC
	void *obj = malloc(p->obj_size);
	if (!obj)
		return NULL;
#else
	void **obj = p->free_list;
	if (obj) {
		p->free_list = *obj;
	} else {
		BUG_ON(p->fresh >= p->capacity);
		obj = (void **)((char *)p->mem + (size_t)p->fresh++ * p->obj_size);
	}
#endif
	p->in_use++;
	return obj;
}

void *pool_get_zeroed(struct pool *p)
{
	void *obj = pool_get(p);

	if (obj)
		memset(obj, 0, p->obj_size);
	return obj;
}

void pool_put(struct pool *p, void *obj)
{
	if (!obj)
		return;
	BUG_ON(p->in_use == 0);
#ifdef COLUMBA_POOL_MALLOC
	free(obj);
#else
	DEBUG_BUG_ON((char *)obj < (char *)p->mem ||
		     (char *)obj >= (char *)p->mem + p->obj_size * p->capacity);
	*(void **)obj = p->free_list;
	p->free_list = obj;
#endif
	p->in_use--;
}
