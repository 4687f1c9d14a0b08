/*
 * ring.h - lock-free single-producer/single-consumer ring of fixed-size
 * elements, placed in shared memory.
 *
 * The header holds two free-running 32-bit indices and the geometry; the
 * data area is found by an offset from the header itself, so the ring
 * works wherever each process maps the arena.  The producer copies data,
 * then publishes the new head with a release store; the consumer loads
 * head with acquire before it reads data, and publishes tail with a
 * release store after it has finished reading.  Capacity is a power of
 * two and the indices are masked on use, so fill = head - tail is exact
 * across the 2^32 wrap.
 *
 * Thread contract: exactly one producer thread and one consumer thread
 * (possibly in different processes).  Producer calls: *_push, *_write,
 * write_space.  Consumer calls: *_pop, *_peek, *_read, read_space, skip.
 * sb_ring_init is called once by whoever lays out the memory (the
 * engine's main thread, creating the arena), before either side runs.
 * None of these calls allocate, lock or block, so all of them may be used
 * on the JACK process thread: their tag is "any", and which side of a
 * given ring a thread is on decides which of them it may call.
 */
#ifndef SB_RING_H
#define SB_RING_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define SB_CACHELINE 64

struct sb_ring {
	_Atomic uint32_t head;	/* elements ever written; producer stores */
	uint8_t pad0[SB_CACHELINE - sizeof(uint32_t)];
	_Atomic uint32_t tail;	/* elements ever read; consumer stores */
	uint8_t pad1[SB_CACHELINE - sizeof(uint32_t)];
	uint32_t capacity;	/* elements, a power of two */
	uint32_t elem_size;	/* bytes per element */
	uint64_t data_off;	/* data area, in bytes from this header */
	uint8_t pad2[SB_CACHELINE - 16];
};

/* Bytes of data area a ring of this geometry needs. */
/* thread: any */
static inline uint64_t sb_ring_data_bytes(uint32_t capacity, uint32_t elem_size)
{
	return (uint64_t)capacity * elem_size;
}

/* 1 if v is a power of two. */
/* thread: any */
static inline int sb_is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Lay out an empty ring. Creator only, before any other user. */
/* thread: main */
static inline int sb_ring_init(struct sb_ring *r, uint32_t capacity,
			       uint32_t elem_size, uint64_t data_off)
{
	if (!sb_is_pow2(capacity) || capacity > (1u << 30) || !elem_size)
		return -EINVAL;
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	r->capacity = capacity;
	r->elem_size = elem_size;
	r->data_off = data_off;
	atomic_thread_fence(memory_order_release);
	return 0;
}

/* The ring's data area. */
/* thread: any */
static inline uint8_t *sb_ring_data(struct sb_ring *r)
{
	return (uint8_t *)r + r->data_off;
}

/* Elements the consumer can read now. Consumer side. */
/* thread: any */
static inline uint32_t sb_ring_read_space(struct sb_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	return head - tail;
}

/* Elements the producer can write now. Producer side. */
/* thread: any */
static inline uint32_t sb_ring_write_space(struct sb_ring *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	return r->capacity - (head - tail);
}

/* Copy n elements into the ring at free-running index idx, wrapping. */
/* thread: any */
static inline void sb_ring__copy_in(struct sb_ring *r, uint32_t idx,
				    const void *src, uint32_t n)
{
	uint32_t mask = r->capacity - 1, first = r->capacity - (idx & mask);
	size_t es = r->elem_size;

	if (first > n)
		first = n;
	memcpy(sb_ring_data(r) + (size_t)(idx & mask) * es, src, first * es);
	if (n > first)
		memcpy(sb_ring_data(r), (const uint8_t *)src + first * es,
		       (n - first) * es);
}

/* Copy n elements out of the ring from free-running index idx. */
/* thread: any */
static inline void sb_ring__copy_out(struct sb_ring *r, uint32_t idx,
				     void *dst, uint32_t n)
{
	uint32_t mask = r->capacity - 1, first = r->capacity - (idx & mask);
	size_t es = r->elem_size;

	if (first > n)
		first = n;
	memcpy(dst, sb_ring_data(r) + (size_t)(idx & mask) * es, first * es);
	if (n > first)
		memcpy((uint8_t *)dst + first * es, sb_ring_data(r),
		       (n - first) * es);
}

/*
 * Write up to n elements; returns how many were written (0 when full).
 * Producer side.
 */
/* thread: any */
static inline uint32_t sb_ring_write(struct sb_ring *r, const void *src,
				     uint32_t n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t space = sb_ring_write_space(r);

	if (n > space)
		n = space;
	if (!n)
		return 0;
	sb_ring__copy_in(r, head, src, n);
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

/* Read up to n elements; returns how many were read. Consumer side. */
/* thread: any */
static inline uint32_t sb_ring_read(struct sb_ring *r, void *dst, uint32_t n)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t avail = sb_ring_read_space(r);

	if (n > avail)
		n = avail;
	if (!n)
		return 0;
	sb_ring__copy_out(r, tail, dst, n);
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

/* One element in: 0, or -EAGAIN when full. Producer side. */
/* thread: any */
static inline int sb_ring_push(struct sb_ring *r, const void *elem)
{
	return sb_ring_write(r, elem, 1) ? 0 : -EAGAIN;
}

/* One element out: 0, or -EAGAIN when empty. Consumer side. */
/* thread: any */
static inline int sb_ring_pop(struct sb_ring *r, void *elem)
{
	return sb_ring_read(r, elem, 1) ? 0 : -EAGAIN;
}

/* Copy the oldest element without consuming it. Consumer side. */
/* thread: any */
static inline int sb_ring_peek(struct sb_ring *r, void *elem)
{
	if (!sb_ring_read_space(r))
		return -EAGAIN;
	sb_ring__copy_out(r, atomic_load_explicit(&r->tail,
						  memory_order_relaxed), elem, 1);
	return 0;
}

/* Drop everything readable, e.g. stale audio on attach. Consumer side. */
/* thread: any */
static inline uint32_t sb_ring_skip_all(struct sb_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, head, memory_order_release);
	return head - tail;
}

#endif
