/*
 * patch_heap.h - the server's first-fit allocator over the DSP heap.
 *
 * The heap region lives in the arena (or the renderer's memory) and the
 * engine reads it; its bookkeeping lives here, in server memory, so the
 * engine never sees allocator metadata.  Blocks are named by their byte
 * offset from the region base and are multiples of 64 bytes (the region
 * itself starts 64-byte aligned), so every block is cache-line aligned.
 *
 * After a server restart the bookkeeping is gone but the running plan is
 * not: ph_reset() then ph_mark_used() for every block the plan uses
 * (patch_compile.h: pc_heap_mark_plan) restores it.
 *
 * Every call that takes a heap runs on the heap's owner thread - one
 * thread at a time, no locking.  The server hands its heap between the
 * control thread and the worker that compiles (patch.c: the worker owns
 * it while a compile runs, the control thread otherwise); the offline
 * renderer has one thread.  The tags name the threads that call each.
 */
#ifndef SB_PATCH_HEAP_H
#define SB_PATCH_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define PH_ALIGN 64u

struct ph_block {
	uint64_t off, size;
	int used;
};

/* Blocks sorted by offset, tiling [0, size); no two free ones adjacent. */
struct ph_heap {
	uint8_t *base;		/* may be NULL: bookkeeping only */
	uint64_t size;		/* rounded down to PH_ALIGN */
	struct ph_block *b;
	uint32_t n, cap;
};

/* All free.  0 or -ENOMEM. */
/* thread: control, main */
int ph_init(struct ph_heap *h, uint8_t *base, uint64_t size);
/* thread: control, main */
void ph_destroy(struct ph_heap *h);

/* Everything free again. */
/* thread: control */
void ph_reset(struct ph_heap *h);

/*
 * First fit.  0 with *off set; -ENOMEM with "DSP heap full (...)" in err;
 * -EINVAL for a zero size.
 */
/* thread: worker, main */
int ph_alloc(struct ph_heap *h, uint64_t size, uint64_t *off, char *err,
	     size_t errlen);

/* Free the block starting at off.  0, or -EINVAL (not a used block). */
/* thread: control, worker, main */
int ph_free(struct ph_heap *h, uint64_t off);

/*
 * Mark [off, off + size) used (rounded out to PH_ALIGN), carving it from
 * the free block that holds it.  0; -EEXIST if the same block is already
 * used (a repeat: fine to ignore); -EINVAL if it overlaps anything else or
 * lies outside the heap; -ENOMEM.
 */
/* thread: control */
int ph_mark_used(struct ph_heap *h, uint64_t off, uint64_t size);

/* Bytes in use, and the largest free block. */
/* thread: control, worker, main */
uint64_t ph_used_bytes(const struct ph_heap *h);
/* thread: control, worker, main */
uint64_t ph_largest_free(const struct ph_heap *h);

/* Block size of what ph_alloc(size) hands out. */
/* thread: any */
uint64_t ph_round(uint64_t size);

#endif
