/*
 * auth.h - the front door's access token.
 *
 * One random token (AUTH_TOKEN_BYTES from getrandom, written as hex) lives
 * in DATA/token, mode 0600, and survives restarts.  A request is let in
 * when it carries it as "Authorization: Bearer <token>" (scripts, bridges,
 * tests) or as the session cookie AUTH_COOKIE that POST /api/v1/login sets
 * (browsers).  The cookie holds the token itself, so rotating the token
 * logs every cookie and every bearer out at once; the generation counter
 * tells the WebSocket front end which open connections were let in under
 * an older token.  With server.auth "off" every request is let in.
 */
#ifndef SB_AUTH_H
#define SB_AUTH_H

#include <stddef.h>
#include <stdio.h>

#define AUTH_TOKEN_BYTES 32	/* 256 random bits */
#define AUTH_TOKEN_MIN 32	/* a token file may hold 32..128 of */
#define AUTH_TOKEN_MAX 128	/* A-Z a-z 0-9 - _ (a hand-made token) */
#define AUTH_COOKIE "stagebox_session"
#define AUTH_ROTATE_CMD "auth.rotate"
/* Long enough for a Set-Cookie value with a token of AUTH_TOKEN_MAX. */
#define AUTH_SET_COOKIE_MAX 256

enum auth_via {
	AUTH_NONE,	/* no valid credential */
	AUTH_BEARER,	/* Authorization: Bearer */
	AUTH_SESSION,	/* the session cookie */
	AUTH_OPEN,	/* server.auth is off */
};

/*
 * Read DATA/token, or create it (0600) when there is none, into tok
 * (AUTH_TOKEN_MAX + 1 bytes).  A file readable by others is narrowed to
 * 0600.  0 or -errno with a message.  --print-token uses this alone.
 */
/* thread: main */
int auth_load(const char *data_dir, char *tok, size_t len, char *err,
	      size_t errlen);

/* Load the token (auth_load) and switch checking on, or leave it off. */
/* thread: main */
int auth_init(const char *data_dir, int enabled, char *err, size_t errlen);

/* 1 when requests need the token (server.auth "token"). */
/* thread: any */
int auth_enabled(void);

/*
 * Who the request is, from its Authorization and Cookie header values
 * (either may be NULL).  Compares in constant time.
 */
/* thread: any */
enum auth_via auth_check(const char *authorization, const char *cookie);

/* 1 when token (len bytes, not NUL-terminated) is the current token. */
/* thread: any */
int auth_token_ok(const char *token, size_t len);

/* The token's generation: bumped by every rotation. */
/* thread: any */
unsigned auth_generation(void);

/*
 * A new random token replaces the file and the one in memory; tok gets
 * a copy (AUTH_TOKEN_MAX + 1 bytes).  0 or -errno with a message (the
 * old token stays).
 */
/* thread: control */
int auth_rotate(char *tok, size_t len, char *err, size_t errlen);

/*
 * The Set-Cookie value that logs this browser in with the current token,
 * or (clear) logs it out.  Always HttpOnly, SameSite=Strict, Path=/; never
 * Secure: the box speaks plain HTTP.
 */
/* thread: any */
void auth_set_cookie(char *out, size_t len, int clear);

#endif
