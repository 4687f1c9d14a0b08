/*
 * scrub.c - rewrite absolute directory names in outgoing text (scrub.h).
 *
 * The prefixes are set once at start and read-only afterwards, longest
 * first so that a directory inside another is matched as itself.
 */
#include "server/front/scrub.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PREFIXES 4

static struct {
	char dir[MAX_PREFIXES][PATH_MAX];
	size_t len[MAX_PREFIXES];
	int n;
} P;

static void add_prefix(const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;
	int i;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n < 2 || dir[0] != '/' || n >= PATH_MAX || P.n == MAX_PREFIXES)
		return;		/* relative or "/": nothing absolute to hide */
	for (i = 0; i < P.n; i++)
		if (P.len[i] == n && !memcmp(P.dir[i], dir, n))
			return;
	for (i = P.n; i > 0 && P.len[i - 1] < n; i--) {
		memcpy(P.dir[i], P.dir[i - 1], P.len[i - 1] + 1);
		P.len[i] = P.len[i - 1];
	}
	memcpy(P.dir[i], dir, n);
	P.dir[i][n] = '\0';
	P.len[i] = n;
	P.n++;
}

static void add_dir(const char *dir)
{
	char real[PATH_MAX];

	add_prefix(dir);
	if (dir && realpath(dir, real))
		add_prefix(real);
}

/* Main thread. */
void scrub_init(const char *data_dir, const char *static_dir)
{
	P.n = 0;
	add_dir(data_dir);
	add_dir(static_dir);
}

/* Where a directory name may end: a separator, a quote, the text's end. */
static int ends_name(const char *p, const char *end)
{
	return p == end || strchr("\"' :,;)]}\n", *p) != NULL;
}

/*
 * At text[i]: how many bytes a prefix covers (0: none) and what replaces
 * them ("" before a '/', which is dropped too, or ".").
 */
static size_t match_at(const char *t, const char *end, const char **repl)
{
	for (int k = 0; k < P.n; k++) {
		const char *after = t + P.len[k];

		if (P.len[k] > (size_t)(end - t) ||
		    memcmp(t, P.dir[k], P.len[k]))
			continue;
		if (after < end && *after == '/') {
			*repl = "";
			return P.len[k] + 1;
		}
		if (ends_name(after, end)) {
			*repl = ".";
			return P.len[k];
		}
	}
	return 0;
}

int scrub_text(const char *text, size_t len, char **out, size_t *out_len)
{
	const char *t = text, *end = text + len, *done = text, *repl;
	char *buf = NULL, *w = NULL;
	size_t m, r;

	if (!P.n || !memchr(text, '/', len))
		return 0;
	while (t < end) {
		if (*t != '/' || !(m = match_at(t, end, &repl))) {
			t++;
			continue;
		}
		if (!buf && !(w = buf = malloc(len + 1)))
			return -ENOMEM;	/* the text only shrinks */
		memcpy(w, done, (size_t)(t - done));
		w += t - done;
		r = strlen(repl);
		memcpy(w, repl, r);
		w += r;
		t += m;
		done = t;
	}
	if (!buf)
		return 0;
	memcpy(w, done, (size_t)(end - done));
	w += end - done;
	*w = '\0';
	*out = buf;
	*out_len = (size_t)(w - buf);
	return 1;
}
