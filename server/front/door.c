/*
 * door.c - the front door's rules (door.h).  Pure decisions over header
 * values: no library types, so the HTTP and the WebSocket front ends
 * share them word for word.
 */
#include "server/front/door.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/front/hosts.h"

static const char *const json_only[] = { "application/json", NULL };

static int changes_state(const char *method)
{
	return !strcmp(method, "POST") || !strcmp(method, "PUT") ||
	       !strcmp(method, "DELETE");
}

/* "text/plain; charset=utf-8" is text/plain: the media type decides. */
static int type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, want, n))
		return 0;
	ct += n;
	ct += strspn(ct, " ");
	return *ct == '\0' || *ct == ';';
}

static int type_ok(const char *ct, const char *const *types)
{
	for (; ct && *types; types++)
		if (type_is(ct, *types))
			return 1;
	return 0;
}

static void type_list(const char *const *types, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; types[i] && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 !i ? "" : types[i + 1] ? ", " : " or ",
					 types[i]);
}

unsigned door_check(const struct door_req *q, enum auth_via *via, char *why,
		    size_t len)
{
	const char *const *types = q->types ? q->types : json_only;
	char list[160];

	*via = AUTH_NONE;
	if (!hosts_host_ok(q->host)) {
		snprintf(why, len, "the Host header does not name this box "
			 "(use its address or a name in server.hosts)");
		return 421;
	}
	if (q->has_route && changes_state(q->method) &&
	    !type_ok(q->content_type, types)) {
		type_list(types, list, sizeof(list));
		snprintf(why, len, "Content-Type must be %s", list);
		return 415;
	}
	if (q->origin && !hosts_origin_ok(q->origin)) {
		snprintf(why, len, "cross-origin request refused: Origin is "
			 "not this box's own page");
		return 403;
	}
	*via = auth_check(q->authorization, q->cookie);
	if (*via == AUTH_NONE && !q->open) {
		snprintf(why, len, "missing or wrong token: log in, or send "
			 "'Authorization: Bearer <token>'");
		return 401;
	}
	return 0;
}

unsigned door_check_ws(const struct door_req *q, enum auth_via *via,
		       char *why, size_t len)
{
	if (!hosts_host_ok(q->host)) {
		snprintf(why, len, "the Host header does not name this box");
		return 421;
	}
	if (q->origin && !hosts_origin_ok(q->origin)) {
		snprintf(why, len, "cross-origin WebSocket refused");
		return 403;
	}
	*via = auth_check(q->authorization, q->cookie);
	if (*via == AUTH_NONE) {
		snprintf(why, len, "missing or wrong token");
		return 401;
	}
	/* a page always sends its Origin; only scripts may leave it out */
	if (!q->origin && *via == AUTH_SESSION) {
		snprintf(why, len, "a WebSocket without Origin needs "
			 "'Authorization: Bearer <token>'");
		return 403;
	}
	return 0;
}

/* The name part of a Host value, when CSP can say it (not IPv6). */
static int host_name(const char *host, char *out, size_t len)
{
	size_t n = host ? strcspn(host, ":") : 0;

	if (!n || host[0] == '[' || n >= len)
		return -1;
	memcpy(out, host, n);
	out[n] = '\0';
	return 0;
}

void door_csp(const char *host, int ws_port, char *out, size_t len)
{
	char name[256], ws[300] = "ws:";

	/* CSP has no IPv6 literals: "ws:" (any host) is the fallback */
	if (hosts_host_ok(host) && !host_name(host, name, sizeof(name)))
		snprintf(ws, sizeof(ws), "ws://%s:%d", name, ws_port);
	snprintf(out, len, "default-src 'self'; connect-src 'self' %s; "
		 "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
		 "form-action 'self'; frame-ancestors 'none'", ws);
}
