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
#define OUT_BLOCK 65536		/* converted frames per piece */

/* --- reading --- */

/* An open file read front to back as stereo frames. */
struct src {
	SNDFILE *sf;
	uint32_t ch;
	uint64_t left;		/* frames the header promises, not yet read */
	float *blk;		/* READ_BLOCK * ch */
};

/* Up to want frames as stereo into lr (NULL: skip them); the count read. */
static uint64_t src_read(struct src *s, float *lr, uint64_t want)
{
	uint64_t got = 0;

	while (got < want && s->left) {
		uint64_t k = want - got < READ_BLOCK ? want - got : READ_BLOCK;
		sf_count_t r;

		if (k > s->left)
			k = s->left;
		r = sf_readf_float(s->sf, s->blk, (sf_count_t)k);
		if (r <= 0)
			break;
		for (sf_count_t i = 0; lr && i < r; i++) {
			lr[2 * (got + i)] = s->blk[i * s->ch];
			lr[2 * (got + i) + 1] = s->blk[i * s->ch + (s->ch > 1)];
		}
		got += (uint64_t)r;
		s->left -= (uint64_t)r;
	}
	return got;
}

static int rate_ok(int rate)
{
	return rate >= WAVIO_RATE_MIN && rate <= WAVIO_RATE_MAX;
}

/* The header alone decides: *m gets the frame count at `rate`. */
static int check_info(const SF_INFO *in, uint32_t rate,
		      const struct wavio_limits *lim, uint64_t *m, char *err,
		      size_t errlen)
{
	if (in->channels < 1) {
		snprintf(err, errlen, "not a readable audio file: %d channels",
			 in->channels);
		return -EINVAL;
	}
	if (!rate_ok(in->samplerate)) {
		snprintf(err, errlen, "sample rate %d Hz is outside %d..%d Hz",
			 in->samplerate, WAVIO_RATE_MIN, WAVIO_RATE_MAX);
		return -EINVAL;
	}
	if (in->frames <= 0) {
		snprintf(err, errlen, "audio file has no frames");
		return -EINVAL;
	}
	*m = resample_out_len((uint64_t)in->frames,
			      (uint32_t)in->samplerate, rate);
	if (!*m) {
		snprintf(err, errlen, "audio is shorter than one frame at "
			 "%u Hz (%lld frames at %d Hz)", rate,
			 (long long)in->frames, in->samplerate);
		return -EINVAL;
	}
	if (lim && lim->pool_frames && *m > lim->pool_frames) {
		snprintf(err, errlen, "audio too long: %llu frames at %u Hz, "
			 "the chunk pool holds %llu", (unsigned long long)*m,
			 rate, (unsigned long long)lim->pool_frames);
		return -EFBIG;
	}
	if (lim && *m > lim->free_frames) {
		snprintf(err, errlen, "not enough free chunk memory: %llu "
			 "frames at %u Hz, %llu free", (unsigned long long)*m,
			 rate, (unsigned long long)lim->free_frames);
		return -ENOSPC;
	}
	return 0;
}

/* Keep only input frames from lo on in the window (reading up to it). */
static int win_drop(struct src *s, float *win, int64_t *base,
		    uint64_t *have, int64_t lo)
{
	uint64_t drop = (uint64_t)(lo - *base), skip;

	if (drop <= *have) {
		memmove(win, win + 2 * drop, (*have - drop) * 2 * sizeof(*win));
		*have -= drop;
	} else {
		skip = drop - *have;
		*have = 0;
		if (src_read(s, NULL, skip) != skip)
			return -EIO;
	}
	*base = lo;
	return 0;
}

/* Make the window hold input frames [base, hi); it may grow. */
static int win_fill(struct src *s, float **win, uint64_t *cap, int64_t base,
		    uint64_t *have, int64_t hi)
{
	uint64_t need = (uint64_t)(hi - base);
	float *w;

	if (need <= *have)
		return 0;
	if (need > *cap) {
		w = realloc(*win, need * 2 * sizeof(*w));
		if (!w)
			return -ENOMEM;
		*win = w;
		*cap = need;
	}
	if (src_read(s, *win + 2 * *have, need - *have) != need - *have)
		return -EIO;
	*have = need;
	return 0;
}

/* Convert n frames at src_rate into out->lr (m frames at out->rate). */
static int decode_conv(struct src *s, uint32_t src_rate, uint64_t n,
		       uint64_t m, struct wavio_audio *out)
{
	struct resampler *r;
	float *win = NULL;
	uint64_t have = 0, cap = 0;
	int64_t base = 0, lo, hi;
	int rc = resample_begin(&r, 2, src_rate, out->rate);

	for (uint64_t j0 = 0, j1; !rc && j0 < m; j0 = j1) {
		j1 = j0 + OUT_BLOCK < m ? j0 + OUT_BLOCK : m;
		resample_span(r, j0, j1, &lo, &hi);
		lo = lo < 0 ? 0 : lo > (int64_t)n ? (int64_t)n : lo;
		hi = hi < lo ? lo : hi > (int64_t)n ? (int64_t)n : hi;
		rc = win_drop(s, win, &base, &have, lo);
		if (!rc)
			rc = win_fill(s, &win, &cap, base, &have, hi);
		if (!rc)
			resample_run(r, win, base, n, j0, j1,
				     out->lr + 2 * j0);
	}
	resample_end(r);
	free(win);
	return rc;
}

static int decode(struct src *s, uint32_t src_rate, uint64_t n,
		  struct wavio_audio *out, char *err, size_t errlen)
{
	int rc;

	if (src_rate == out->rate)
		rc = src_read(s, out->lr, n) == n ? 0 : -EIO;
	else
		rc = decode_conv(s, src_rate, n, out->frames, out);
	if (rc == -EIO) {
		snprintf(err, errlen, "audio file is truncated: %s",
			 sf_strerror(s->sf));
		rc = -EINVAL;
	} else if (rc) {
		snprintf(err, errlen, "decoding: %s", strerror(-rc));
	}
	return rc;
}

int wavio_read(const char *path, uint32_t rate, const struct wavio_limits *lim,
	       struct wavio_audio *out, char *err, size_t errlen)
{
	SF_INFO in = { 0 };
	struct src s = { .sf = sf_open(path, SFM_READ, &in) };
	uint64_t m = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s.sf) {
		snprintf(err, errlen, "not a readable audio file: %s",
			 sf_strerror(NULL));
		return -EINVAL;
	}
	rc = check_info(&in, rate, lim, &m, err, errlen);
	if (rc)
		goto out_close;
	s.ch = (uint32_t)in.channels;
	s.left = (uint64_t)in.frames;
	s.blk = malloc((size_t)READ_BLOCK * s.ch * sizeof(*s.blk));
	*out = (struct wavio_audio){ .frames = m, .rate = rate,
		.src_rate = (uint32_t)in.samplerate, .src_channels = s.ch,
		.lr = malloc((size_t)m * 2 * sizeof(float)) };
	rc = s.blk && out->lr ? decode(&s, out->src_rate, (uint64_t)in.frames,
				      out, err, errlen) : -ENOMEM;
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory for %llu frames",
			 (unsigned long long)m);
	if (rc)
		wavio_free(out);
	free(s.blk);
out_close:
	sf_close(s.sf);
	return rc;
}

void wavio_free(struct wavio_audio *a)
{
	free(a->lr);
	memset(a, 0, sizeof(*a));
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
		c->index = idx[k];
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
	uint32_t cf = a ? a->hdr->geom.chunk_frames : 0;
	uint64_t n = cf ? (au->frames + cf - 1) / cf : 0;
	uint32_t *idx = NULL;
	int rc = !a ? -ENOTCONN : !n ? -EINVAL : 0;

	memset(out, 0, sizeof(*out));
	if (rc) {
		snprintf(err, errlen, a ? "audio has no frames" :
			 "no engine arena");
		goto out_unhold;
	}
	if (n <= a->hdr->geom.n_chunks)
		idx = malloc((size_t)n * sizeof(*idx));
	rc = n > a->hdr->geom.n_chunks ? -ENOSPC : !idx ? -ENOMEM :
	     chunks_take((uint32_t)n, idx, &out->epoch);
	if (rc) {
		rc = rc == -ENOMEM && idx ? -ENOSPC : rc;
		snprintf(err, errlen, "not enough free chunk memory: needs "
			 "%llu chunks, %u free", (unsigned long long)n,
			 chunks_takeable());
		goto out_unhold;
	}
	out->stream = stream ? stream : wavio_new_stream();
	fill_list(a, idx, (uint32_t)n, au, out->stream);
	out->head = idx[0];
	out->count = (uint32_t)n;
	out->frames = au->frames;
out_unhold:
	chunks_unhold();
	free(idx);
	return rc;
}
