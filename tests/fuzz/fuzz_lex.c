/*
 * fuzz_lex.c - libFuzzer target: the patch lexer over any bytes.
 *
 * Every call must either fail with a positioned error or hand out a
 * token that lies inside the text and moves the cursor forward, and the
 * stream must end in PLEX_EOF: a token that stands still would hang the
 * parser.  The input is copied into a buffer of exactly its size, so
 * AddressSanitizer sees any read past the end (the lexer gets no
 * terminating NUL from the server either).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/patch/patch_lex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct plex *lx, const struct plex_token *t,
		  const char *text, size_t size, size_t before)
{
	if (t->kind == PLEX_EOF)
		return;
	if (lx->at <= before || lx->at > size)
		abort();	/* no progress, or past the end */
	if (t->pos.line < 1 || t->pos.col < 1)
		abort();
	if (t->text < text || t->text + t->len > text + size)
		abort();
	if (plex_kind_name(t->kind) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	struct plex lx;
	struct plex_token t;
	struct patch_err e;

	if (!text)
		return 0;
	memcpy(text, data, size);
	plex_init(&lx, text, size);
	for (;;) {
		size_t before = lx.at;

		if (plex_next(&lx, &t, &e)) {
			if (e.line < 1 || e.col < 1 || !e.msg[0])
				abort();	/* errors carry a position */
			break;
		}
		check(&lx, &t, text, size, before);
		if (t.kind == PLEX_EOF)
			break;
	}
	free(text);
	return 0;
}
