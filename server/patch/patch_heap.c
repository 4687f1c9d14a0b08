/*
 * patch_heap.c - first-fit over a sorted block array.  Patches hold at
 * most a few thousand blocks, so linear scans and memmove are plenty.
 */
#include "server/patch/patch_heap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* heap owner thread */
uint64_t ph_round(uint64_t size)
{
	return (size + PH_ALIGN - 1) & ~(uint64_t)(PH_ALIGN - 1);
}

/* heap owner thread */
int ph_init(struct ph_heap *h, uint8_t *base, uint64_t size)
{
	memset(h, 0, sizeof(*h));
	h->base = base;
	h->size = size & ~(uint64_t)(PH_ALIGN - 1);
	h->cap = 64;
	h->b = malloc(h->cap * sizeof(*h->b));
	if (!h->b)
		return -ENOMEM;
	ph_reset(h);
	return 0;
}

/* heap owner thread */
void ph_destroy(struct ph_heap *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}

/* heap owner thread */
void ph_reset(struct ph_heap *h)
{
	h->n = h->size ? 1 : 0;
	h->b[0] = (struct ph_block){ .off = 0, .size = h->size, .used = 0 };
}

/* Room for two more blocks, so a carve never fails half done. */
static int reserve2(struct ph_heap *h)
{
	struct ph_block *b;

	if (h->n + 2 <= h->cap)
		return 0;
	b = realloc(h->b, 2 * h->cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	h->b = b;
	h->cap *= 2;
	return 0;
}

/* Open a hole at index i (the caller fills it); room was reserved. */
static void insert_at(struct ph_heap *h, uint32_t i)
{
	memmove(&h->b[i + 1], &h->b[i], (h->n - i) * sizeof(*h->b));
	h->n++;
}

static void remove_at(struct ph_heap *h, uint32_t i)
{
	memmove(&h->b[i], &h->b[i + 1], (h->n - i - 1) * sizeof(*h->b));
	h->n--;
}

/* Split free block i so that [at, at + size) becomes block i' (used). */
static int carve(struct ph_heap *h, uint32_t i, uint64_t at, uint64_t size)
{
	struct ph_block fb = h->b[i];
	uint64_t tail = fb.off + fb.size - (at + size);

	if (reserve2(h) != 0)
		return -ENOMEM;
	if (at > fb.off) {
		insert_at(h, i);
		h->b[i++].size = at - fb.off;
	}
	h->b[i] = (struct ph_block){ .off = at, .size = size, .used = 1 };
	if (tail == 0)
		return 0;
	insert_at(h, i + 1);
	h->b[i + 1] = (struct ph_block){ .off = at + size, .size = tail };
	return 0;
}

/* heap owner thread */
int ph_alloc(struct ph_heap *h, uint64_t size, uint64_t *off, char *err,
	     size_t errlen)
{
	uint64_t need = ph_round(size);

	if (size == 0) {
		snprintf(err, errlen, "zero-size heap block");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < h->n; i++) {
		if (h->b[i].used || h->b[i].size < need)
			continue;
		*off = h->b[i].off;
		return carve(h, i, h->b[i].off, need);
	}
	snprintf(err, errlen, "DSP heap full (need %llu bytes, largest free "
		 "block %llu, %llu of %llu in use)", (unsigned long long)need,
		 (unsigned long long)ph_largest_free(h),
		 (unsigned long long)ph_used_bytes(h),
		 (unsigned long long)h->size);
	return -ENOMEM;
}

/* heap owner thread */
int ph_free(struct ph_heap *h, uint64_t off)
{
	uint32_t i = 0;

	while (i < h->n && h->b[i].off < off)
		i++;
	if (i == h->n || h->b[i].off != off || !h->b[i].used)
		return -EINVAL;
	h->b[i].used = 0;
	if (i + 1 < h->n && !h->b[i + 1].used) {
		h->b[i].size += h->b[i + 1].size;
		remove_at(h, i + 1);
	}
	if (i > 0 && !h->b[i - 1].used) {
		h->b[i - 1].size += h->b[i].size;
		remove_at(h, i);
	}
	return 0;
}

/* heap owner thread */
int ph_mark_used(struct ph_heap *h, uint64_t off, uint64_t size)
{
	uint64_t at = off & ~(uint64_t)(PH_ALIGN - 1);
	uint64_t len = ph_round(off + size) - at;

	if (size == 0 || off + size > h->size || off + size < off)
		return -EINVAL;
	for (uint32_t i = 0; i < h->n; i++) {
		const struct ph_block *b = &h->b[i];

		if (at >= b->off + b->size)
			continue;
		if (b->used)
			return b->off == at && b->size == len ? -EEXIST
							       : -EINVAL;
		if (at + len > b->off + b->size)
			return -EINVAL;
		return carve(h, i, at, len);
	}
	return -EINVAL;
}

/* heap owner thread */
uint64_t ph_used_bytes(const struct ph_heap *h)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < h->n; i++)
		sum += h->b[i].used ? h->b[i].size : 0;
	return sum;
}

/* heap owner thread */
uint64_t ph_largest_free(const struct ph_heap *h)
{
	uint64_t best = 0;

	for (uint32_t i = 0; i < h->n; i++)
		if (!h->b[i].used && h->b[i].size > best)
			best = h->b[i].size;
	return best;
}
