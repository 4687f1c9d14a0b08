/*
 * patch_lex.h - tokens of the patch language, each with its line and
 * column, and the one error type every patch stage reports through.
 *
 * Lines and columns count from 1; a column counts bytes, so a tab is one
 * column.  Newlines are tokens (a statement ends at the end of its line)
 * except where the parser says otherwise (inside parentheses).
 */
#ifndef SB_PATCH_LEX_H
#define SB_PATCH_LEX_H

#include <stddef.h>

struct patch_pos {
	int line, col;
};

/* Every patch error: msg is the whole text, "line L, column C: ...". */
struct patch_err {
	int line, col;
	char msg[320];
};

enum plex_kind {
	PLEX_EOF,
	PLEX_NL,
	PLEX_IDENT,	/* also note names: c3, eb4, f#2 */
	PLEX_NUM,	/* 1, -2.5, 1e3 */
	PLEX_STR,	/* "..." (text points past the quote, escapes kept) */
	PLEX_LPAREN,
	PLEX_RPAREN,
	PLEX_LBRACK,
	PLEX_RBRACK,
	PLEX_COMMA,
	PLEX_COLON,
	PLEX_DOT,
	PLEX_EQ,
	PLEX_STAR,
	PLEX_ARROW,
};

struct plex_token {
	enum plex_kind kind;
	struct patch_pos pos;
	const char *text;	/* into the source; not terminated */
	size_t len;
	double num;		/* PLEX_NUM */
};

struct plex {
	const char *src;
	size_t len, at;
	int line, col;
};

/* Start lexing src[0..len). */
/* thread: any */
void plex_init(struct plex *lx, const char *src, size_t len);

/*
 * The next token into *t; 0, or -EINVAL with *e set (an unterminated
 * string, a bad number, a character the language has no use for).
 */
/* thread: any */
int plex_next(struct plex *lx, struct plex_token *t, struct patch_err *e);

/* Human name of a token kind, for "expected ..." errors. */
/* thread: any */
const char *plex_kind_name(enum plex_kind k);

/* Set *e to "line L, column C: <fmt>"; returns -EINVAL. */
/* thread: any */
int patch_errf(struct patch_err *e, struct patch_pos at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
