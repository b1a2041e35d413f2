/*
 * Linear probing in power-of-two tables: deletion by backward shift, so a
 * table never fills with tombstones however many keys come and go. The
 * slot layout is the caller's; probe_remove() needs to know whether a
 * slot is in use, where a slot's key hashes to, and how to empty a slot.
 */
#ifndef COLUMBA_BASE_PROBE_H
#define COLUMBA_BASE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probe_table {
	void *slots;
	size_t slot_size;
	uint32_t mask;                          /* slots - 1, a power of two minus one */
	bool (*used)(const void *slot);
	uint32_t (*home)(const void *slot);     /* the key's hash (masked here) */
	void (*clear)(void *slot);
};

/*
 * probe_remove - empty slot @hole and move later entries of its probe run
 * back into the gap (each one whose home does not lie cyclically in
 * (hole, i]). Entries move with memcpy; pointers to moved slots go stale.
 */
void probe_remove(const struct probe_table *t, uint32_t hole);

#endif
