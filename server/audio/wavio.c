/*
 * wavio.c - decode, convert and write looper audio (see wavio.h).
 */
#include "server/audio/wavio.h"

#include <errno.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/audio/chunks.h"
#include "server/audio/resample.h"

#define READ_BLOCK 4096		/* frames per sf_readf_float */

/* --- reading --- */

/* libsndfile virtual I/O over a byte buffer (an upload body). */
struct membuf {
	const unsigned char *data;
	sf_count_t len, pos;
};

static sf_count_t mem_len(void *u)
{
	return ((struct membuf *)u)->len;
}

static sf_count_t mem_seek(sf_count_t off, int whence, void *u)
{
	struct membuf *m = u;
	sf_count_t p = whence == SEEK_CUR ? m->pos + off :
		       whence == SEEK_END ? m->len + off : off;

	if (p < 0 || p > m->len)
		return -1;
	m->pos = p;
	return p;
}

static sf_count_t mem_read(void *dst, sf_count_t n, void *u)
{
	struct membuf *m = u;

	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(dst, m->data + m->pos, (size_t)n);
	m->pos += n;
	return n;
}

static sf_count_t mem_write(const void *src, sf_count_t n, void *u)
{
	(void)src;
	(void)n;
	(void)u;
	return 0;	/* read only */
}

static sf_count_t mem_tell(void *u)
{
	return ((struct membuf *)u)->pos;
}

static int check_info(const SF_INFO *in, uint32_t rate, uint64_t max,
		      char *err, size_t errlen)
{
	uint64_t after;

	if (in->channels < 1 || in->samplerate < 1) {
		snprintf(err, errlen, "not a readable audio file: %d channels "
			 "at %d Hz", in->channels, in->samplerate);
		return -EINVAL;
	}
	if (in->frames <= 0) {
		snprintf(err, errlen, "audio file has no frames");
		return -EINVAL;
	}
	after = resample_out_len((uint64_t)in->frames,
				 (uint32_t)in->samplerate, rate);
	if (max && after > max) {
		snprintf(err, errlen, "audio too long: %llu frames at %u Hz, "
			 "at most %llu", (unsigned long long)after, rate,
			 (unsigned long long)max);
		return -EFBIG;
	}
	return 0;
}

/* Every frame of sf as stereo at the file's rate; *n gets the count. */
static float *read_stereo(SNDFILE *sf, const SF_INFO *in, uint64_t *n)
{
	uint32_t ch = (uint32_t)in->channels;
	float *lr = malloc((size_t)in->frames * 2 * sizeof(*lr));
	float *blk = malloc((size_t)READ_BLOCK * ch * sizeof(*blk));
	uint64_t got = 0;
	sf_count_t k;

	while (lr && blk && got < (uint64_t)in->frames &&
	       (k = sf_readf_float(sf, blk, READ_BLOCK)) > 0) {
		if (got + (uint64_t)k > (uint64_t)in->frames)
			k = (sf_count_t)((uint64_t)in->frames - got);
		for (sf_count_t i = 0; i < k; i++) {
			lr[2 * (got + i)] = blk[i * ch];
			lr[2 * (got + i) + 1] = blk[i * ch + (ch > 1)];
		}
		got += (uint64_t)k;
	}
	free(blk);
	if (lr && !got) {
		free(lr);
		lr = NULL;
	}
	*n = got;
	return lr;
}

/* Decode an open file into out (converted to rate); closes sf. */
static int decode(SNDFILE *sf, const SF_INFO *in, uint32_t rate,
		  uint64_t max, struct wavio_audio *out, char *err,
		  size_t errlen)
{
	uint64_t n = 0, m;
	float *lr, *conv;
	int rc = check_info(in, rate, max, err, errlen);

	memset(out, 0, sizeof(*out));
	if (rc)
		goto out_close;
	lr = read_stereo(sf, in, &n);
	if (!lr) {
		snprintf(err, errlen, "not a readable audio file: %s",
			 n ? "out of memory" : sf_strerror(sf));
		rc = -EINVAL;
		goto out_close;
	}
	out->src_rate = (uint32_t)in->samplerate;
	out->src_channels = (uint32_t)in->channels;
	out->rate = rate;
	out->lr = lr;
	out->frames = n;
	if ((uint32_t)in->samplerate == rate)
		goto out_close;
	m = resample_out_len(n, (uint32_t)in->samplerate, rate);
	conv = malloc((size_t)(m ? m : 1) * 2 * sizeof(*conv));
	rc = conv ? resample(lr, n, 2, (uint32_t)in->samplerate, rate, conv)
		  : -ENOMEM;
	free(lr);
	out->lr = conv;
	out->frames = m;
	if (rc) {
		snprintf(err, errlen, "cannot convert %d Hz to %u Hz: %s",
			 in->samplerate, rate, strerror(-rc));
		wavio_free(out);
	}
out_close:
	sf_close(sf);
	return rc;
}

int wavio_read(const char *path, uint32_t rate, uint64_t max_frames,
	       struct wavio_audio *out, char *err, size_t errlen)
{
	SF_INFO in = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &in);

	memset(out, 0, sizeof(*out));
	if (!sf) {
		snprintf(err, errlen, "not a readable audio file: %s",
			 sf_strerror(NULL));
		return -EINVAL;
	}
	return decode(sf, &in, rate, max_frames, out, err, errlen);
}

int wavio_read_mem(const void *data, size_t len, uint32_t rate,
		   uint64_t max_frames, struct wavio_audio *out, char *err,
		   size_t errlen)
{
	SF_VIRTUAL_IO io = { .get_filelen = mem_len, .seek = mem_seek,
			     .read = mem_read, .write = mem_write,
			     .tell = mem_tell };
	struct membuf m = { .data = data, .len = (sf_count_t)len };
	SF_INFO in = { 0 };
	SNDFILE *sf = sf_open_virtual(&io, SFM_READ, &in, &m);

	memset(out, 0, sizeof(*out));
	if (!sf) {
		snprintf(err, errlen, "not a readable audio file: %s",
			 sf_strerror(NULL));
		return -EINVAL;
	}
	return decode(sf, &in, rate, max_frames, out, err, errlen);
}

void wavio_free(struct wavio_audio *a)
{
	free(a->lr);
	a->lr = NULL;
	a->frames = 0;
}

/* --- writing --- */

static int write_all(SNDFILE *sf, const float *lr, uint64_t frames)
{
	while (frames) {
		sf_count_t k = frames > (1u << 16) ? (1 << 16) :
			       (sf_count_t)frames;
		if (sf_writef_float(sf, lr, k) != k)
			return -EIO;
		lr += 2 * k;
		frames -= (uint64_t)k;
	}
	return 0;
}

int wavio_write(const char *path, const float *lr, uint64_t frames,
		uint32_t rate, char *err, size_t errlen)
{
	static atomic_uint counter;
	SF_INFO info = { .samplerate = (int)rate, .channels = 2,
			 .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	char tmp[4096];
	SNDFILE *sf;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp-%d-%u", path, (int)getpid(),
		 atomic_fetch_add(&counter, 1));
	sf = sf_open(tmp, SFM_WRITE, &info);
	if (!sf) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 sf_strerror(NULL));
		return -EIO;
	}
	rc = write_all(sf, lr, frames);
	if (rc)
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 sf_strerror(sf));
	if (sf_close(sf) && !rc) {
		snprintf(err, errlen, "cannot finish %s", tmp);
		rc = -EIO;
	}
	if (!rc && rename(tmp, path) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
			 strerror(errno));
	}
	if (rc)
		unlink(tmp);
	return rc;
}

/* Copy one chunk's frames as stereo to dst. */
static void chunk_to_lr(struct sb_chunk *c, uint32_t ch, uint32_t n,
			float *dst)
{
	const float *s = sb_chunk_samples(c);

	for (uint32_t i = 0; i < n; i++) {
		dst[2 * i] = s[(size_t)i * ch];
		dst[2 * i + 1] = s[(size_t)i * ch + (ch > 1)];
	}
}

/* Copy frames of the list at head into lr (zeroed beforehand). */
static int copy_list(uint32_t head, uint64_t frames, float *lr)
{
	const struct sb_arena *a = chunks_hold();
	uint64_t at = 0;
	uint32_t k = 0, cf, ch;
	struct sb_chunk *c;
	int rc = a ? 0 : -ENOTCONN;

	if (a) {
		cf = a->hdr->geom.chunk_frames;
		ch = a->hdr->geom.chunk_channels;
		for (uint32_t i = head; at < frames && (c = chunks_at(a, i)) &&
		     k < a->hdr->geom.n_chunks; i = c->next, k++) {
			uint64_t n = c->frames < cf ? c->frames : cf;
			if (n > frames - at)
				n = frames - at;
			chunk_to_lr(c, ch, (uint32_t)n, lr + 2 * at);
			at += cf;	/* chunk k starts at k * chunk_frames */
		}
	}
	chunks_unhold();
	return rc;
}

int wavio_write_chunks(const char *path, uint32_t head, uint64_t frames,
		       uint32_t rate, char *err, size_t errlen)
{
	float *lr = calloc((size_t)(frames ? frames : 1) * 2, sizeof(*lr));
	int rc;

	if (!lr) {
		snprintf(err, errlen, "out of memory for %llu frames",
			 (unsigned long long)frames);
		return -ENOMEM;
	}
	rc = copy_list(head, frames, lr);
	if (rc)
		snprintf(err, errlen, "no engine arena");
	else
		rc = wavio_write(path, lr, frames, rate, err, errlen);
	free(lr);
	return rc;
}

/* --- into chunks --- */

uint64_t wavio_new_stream(void)
{
	static atomic_uint counter;
	struct timespec ts;
	uint64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	return (1ull << 63) | ((ms & 0x7fffffffffffull) << 16) |
	       (atomic_fetch_add(&counter, 1) & 0xffffu);
}

/* Fill chunk c with frames [from, from + n) of au, silence after. */
static void fill_chunk(struct sb_chunk *c, const struct wavio_audio *au,
		       uint64_t from, uint32_t n, uint32_t cf, uint32_t ch)
{
	float *s = sb_chunk_samples(c);
	const float *lr = au->lr + 2 * from;

	memset(s, 0, (size_t)cf * ch * sizeof(*s));
	for (uint32_t i = 0; i < n; i++) {
		if (ch == 1) {
			s[i] = 0.5f * (lr[2 * i] + lr[2 * i + 1]);
			continue;
		}
		s[(size_t)i * ch] = lr[2 * i];
		s[(size_t)i * ch + 1] = lr[2 * i + 1];
	}
}

static void fill_list(const struct sb_arena *a, const uint32_t *idx,
		      uint32_t n, const struct wavio_audio *au,
		      uint64_t stream)
{
	uint32_t cf = a->hdr->geom.chunk_frames;
	uint32_t ch = a->hdr->geom.chunk_channels;

	for (uint32_t k = 0; k < n; k++) {
		struct sb_chunk *c = sb_arena_chunk(a, idx[k]);
		uint64_t from = (uint64_t)k * cf;
		uint64_t left = au->frames - from;

		c->next = k + 1 < n ? idx[k + 1] : SB_CHUNK_NONE;
		c->stream = stream;
		c->seq = k;
		c->frames = left < cf ? (uint32_t)left : cf;
		c->start_frame = 0;
		c->flags = (k == 0 ? SB_CHUNK_FIRST : 0) |
			   (k + 1 == n ? SB_CHUNK_LAST : 0);
		c->channels = ch;
		c->column = c->track = -1;
		fill_chunk(c, au, from, c->frames, cf, ch);
	}
}

int wavio_to_chunks(const struct wavio_audio *au, uint64_t stream,
		    struct chunk_list *out, char *err, size_t errlen)
{
	const struct sb_arena *a = chunks_hold();
	uint32_t cf = a ? a->hdr->geom.chunk_frames : 0, n = 0;
	uint32_t *idx = NULL;
	int rc = a ? 0 : -ENOTCONN;

	memset(out, 0, sizeof(*out));
	if (rc) {
		snprintf(err, errlen, "no engine arena");
		goto out_unhold;
	}
	n = (uint32_t)((au->frames + cf - 1) / cf);
	idx = n ? malloc((size_t)n * sizeof(*idx)) : NULL;
	rc = !n ? -EINVAL : !idx ? -ENOMEM : chunks_take(n, idx, &out->epoch);
	if (rc) {
		snprintf(err, errlen, !n ? "audio has no frames" :
			 "out of chunk memory: needs %u chunks, %u free", n,
			 chunks_free_count());
		goto out_unhold;
	}
	out->stream = stream ? stream : wavio_new_stream();
	fill_list(a, idx, n, au, out->stream);
	out->head = idx[0];
	out->count = n;
	out->frames = au->frames;
out_unhold:
	chunks_unhold();
	free(idx);
	return rc;
}

int wavio_load_chunks(const char *path, uint32_t rate, uint64_t stream,
		      const char *take_path, struct chunk_list *out,
		      char *err, size_t errlen)
{
	struct wavio_audio au;
	uint64_t max = (uint64_t)chunks_count() * chunks_frames();
	int rc;

	memset(out, 0, sizeof(*out));
	if (!max) {
		snprintf(err, errlen, "no engine arena");
		return -ENOTCONN;
	}
	rc = wavio_read(path, rate, max, &au, err, errlen);
	if (rc)
		return rc;
	if (take_path)
		rc = wavio_write(take_path, au.lr, au.frames, rate, err,
				 errlen);
	if (!rc)
		rc = wavio_to_chunks(&au, stream, out, err, errlen);
	wavio_free(&au);
	return rc;
}
