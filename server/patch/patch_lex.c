/*
 * patch_lex.c - the patch language's tokens.
 */
#include "server/patch/patch_lex.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/patch/patch_limits.h"

/*
 * A message cut at the buffer's end may end inside a UTF-8 sequence (a
 * string value quoted in it); drop the partial character, or the JSON
 * error body could not carry the message.
 */
static void trim_utf8(char *s, size_t len)
{
	size_t i = len, k = 0;

	while (i > 0 && k < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if (i == 0 || (unsigned char)s[i - 1] < 0xc0)
		return;		/* ASCII, or no lead byte: leave it */
	i--;		/* the lead byte: is its sequence complete? */
	if (len - i < (size_t)((unsigned char)s[i] >= 0xf0 ? 4 :
			       (unsigned char)s[i] >= 0xe0 ? 3 : 2))
		s[i] = '\0';
}

/* any thread */
int patch_errf(struct patch_err *e, struct patch_pos at, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	e->line = at.line;
	e->col = at.col;
	n = snprintf(e->msg, sizeof(e->msg), "line %d, column %d: ", at.line,
		     at.col);
	va_start(ap, fmt);
	m = vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if ((size_t)n + (size_t)m >= sizeof(e->msg))
		trim_utf8(e->msg, strlen(e->msg));
	return -EINVAL;
}

/* any thread */
void plex_init(struct plex *lx, const char *src, size_t len)
{
	lx->src = src;
	lx->len = len;
	lx->at = 0;
	lx->line = 1;
	lx->col = 1;
}

/* any thread */
const char *plex_kind_name(enum plex_kind k)
{
	static const char *const names[] = {
		[PLEX_EOF] = "end of text", [PLEX_NL] = "end of line",
		[PLEX_IDENT] = "a name", [PLEX_NUM] = "a number",
		[PLEX_STR] = "a string", [PLEX_LPAREN] = "'('",
		[PLEX_RPAREN] = "')'", [PLEX_LBRACK] = "'['",
		[PLEX_RBRACK] = "']'", [PLEX_COMMA] = "','",
		[PLEX_COLON] = "':'", [PLEX_DOT] = "'.'", [PLEX_EQ] = "'='",
		[PLEX_STAR] = "'*'", [PLEX_ARROW] = "'->'",
	};
	return names[k];
}

static int peek(const struct plex *lx, size_t ahead)
{
	size_t i = lx->at + ahead;

	return i < lx->len ? (unsigned char)lx->src[i] : -1;
}

static void advance(struct plex *lx, size_t n)
{
	lx->at += n;
	lx->col += (int)n;
}

/* Blanks and comments up to (not including) the next newline or token. */
static void skip_blank(struct plex *lx)
{
	for (;;) {
		int c = peek(lx, 0);

		if (c == ' ' || c == '\t' || c == '\r') {
			advance(lx, 1);
		} else if (c == '#') {
			while (peek(lx, 0) != -1 && peek(lx, 0) != '\n')
				advance(lx, 1);
		} else {
			return;
		}
	}
}

static int is_ident_char(int c)
{
	return c != -1 && (isalnum(c) || c == '_');
}

/* A name; "f#2" stays one token: a '#' right after a note letter. */
static void lex_ident(struct plex *lx, struct plex_token *t)
{
	int c0 = tolower(peek(lx, 0));
	size_t n = 1;

	if (c0 >= 'a' && c0 <= 'g' && peek(lx, 1) == '#')
		n = 2;
	while (is_ident_char(peek(lx, n)))
		n++;
	t->kind = PLEX_IDENT;
	t->len = n;
	advance(lx, n);
}

/* Length of the number text at the cursor: -?digits[.digits][e[+-]digits] */
static size_t number_span(const struct plex *lx)
{
	size_t n = peek(lx, 0) == '-' ? 1 : 0;

	while (isdigit(peek(lx, n)) || peek(lx, n) == '.')
		n++;
	if (tolower(peek(lx, n)) == 'e') {
		size_t m = n + 1;

		if (peek(lx, m) == '+' || peek(lx, m) == '-')
			m++;
		if (isdigit(peek(lx, m))) {
			while (isdigit(peek(lx, m)))
				m++;
			n = m;
		}
	}
	return n;
}

static int lex_number(struct plex *lx, struct plex_token *t,
		      struct patch_err *e)
{
	size_t n = number_span(lx);
	char buf[64], *end;

	if (n >= sizeof(buf))
		return patch_errf(e, t->pos, "number too long");
	memcpy(buf, lx->src + lx->at, n);
	buf[n] = '\0';
	errno = 0;
	t->num = strtod(buf, &end);
	if (end != buf + n || errno == ERANGE || is_ident_char(peek(lx, n))) {
		while (is_ident_char(peek(lx, n)))
			n++;
		return patch_errf(e, t->pos, "bad number '%.*s'", (int)n,
				  lx->src + lx->at);
	}
	t->kind = PLEX_NUM;
	t->len = n;
	advance(lx, n);
	return 0;
}

/* "..." on one line; \" and \\ escape.  The token text is the inside. */
static int lex_string(struct plex *lx, struct plex_token *t,
		      struct patch_err *e)
{
	size_t n = 1;

	for (;;) {
		int c = peek(lx, n);

		if (c == -1 || c == '\n')
			return patch_errf(e, t->pos, "unterminated string");
		if (c == '"')
			break;
		if (n > PATCH_STRING_MAX)	/* n - 1 bytes in, one more */
			return patch_errf(e, t->pos, "string longer than %u "
					  "bytes", PATCH_STRING_MAX);
		/* an escaped newline would hide a line from the count */
		n += (c == '\\' && peek(lx, n + 1) != -1 &&
		      peek(lx, n + 1) != '\n') ? 2 : 1;
	}
	t->kind = PLEX_STR;
	t->text = lx->src + lx->at + 1;
	t->len = n - 1;
	advance(lx, n + 1);
	return 0;
}

static int lex_punct(struct plex *lx, struct plex_token *t,
		     struct patch_err *e)
{
	static const char chars[] = "()[],:.=*";
	static const enum plex_kind kinds[] = {
		PLEX_LPAREN, PLEX_RPAREN, PLEX_LBRACK, PLEX_RBRACK,
		PLEX_COMMA, PLEX_COLON, PLEX_DOT, PLEX_EQ, PLEX_STAR,
	};
	int c = peek(lx, 0);
	const char *p = c > 0 ? strchr(chars, c) : NULL;

	if (c == '-' && peek(lx, 1) == '>') {
		t->kind = PLEX_ARROW;
		t->len = 2;
		advance(lx, 2);
		return 0;
	}
	if (!p)
		return patch_errf(e, t->pos, "unexpected character '%c'",
				  isprint(c) ? c : '?');
	t->kind = kinds[p - chars];
	t->len = 1;
	advance(lx, 1);
	return 0;
}

/* any thread */
int plex_next(struct plex *lx, struct plex_token *t, struct patch_err *e)
{
	int c, c1;

	skip_blank(lx);
	memset(t, 0, sizeof(*t));
	t->pos = (struct patch_pos){ lx->line, lx->col };
	t->text = lx->src + lx->at;
	c = peek(lx, 0);
	c1 = peek(lx, 1);
	if (c == -1) {
		t->kind = PLEX_EOF;
		return 0;
	}
	if (lx->at >= PATCH_TEXT_MAX)
		return patch_errf(e, t->pos, "the patch is longer than %u bytes",
				  PATCH_TEXT_MAX);
	if (c == '\n') {
		t->kind = PLEX_NL;
		t->len = 1;
		lx->at++;
		lx->line++;
		lx->col = 1;
		return 0;
	}
	if (isalpha(c) || c == '_') {
		lex_ident(lx, t);
		return 0;
	}
	/* no leading '.': "in.1" is a port, not "in" and 0.1 */
	if (isdigit(c) || (c == '-' && isdigit(c1)))
		return lex_number(lx, t, e);
	if (c == '"')
		return lex_string(lx, t, e);
	return lex_punct(lx, t, e);
}
