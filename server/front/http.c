/*
 * http.c - the REST front end (libmicrohttpd) and the static files.
 *
 * MHD runs one internal polling thread.  An /api/v1 request collects its
 * body (at most BODY_MAX bytes), is submitted to the control thread and
 * its connection is suspended; the done callback (control thread) stores
 * the answer and resumes the connection, and MHD calls the access handler
 * once more to send it.  So no thread ever blocks waiting on the engine.
 *
 * Every request first passes the front door (door.c: Host, Content-Type,
 * Origin, token); a refused one is answered after its body was read and
 * dropped, and nothing runs.  Every response carries the guard headers
 * (nosniff, CSP, no referrer), and JSON leaves through scrub.c, so no
 * absolute path reaches a client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "server/cmd/cmd.h"
#include "server/looper/session.h"
#include "server/looper/track_io.h"
#include "server/front/auth.h"
#include "server/front/door.h"
#include "server/front/hosts.h"
#include "server/front/http.h"
#include "server/front/scrub.h"

#define BODY_MAX (1024 * 1024)
#define JSON_TYPE "application/json"
#define WAV_TYPE "audio/wav"

/* One /api request in flight: MHD's per-request context. */
struct hreq {
	struct MHD_Connection *conn;
	const struct route *route;
	const char *url;	/* MHD's copy, valid for the request */
	char *body;
	size_t len;
	int too_big;
	int fd;			/* streamed body's temp file, -1 none */
	unsigned long long streamed;	/* bytes written to fd */
	char token[TRACK_IO_TOKEN_LEN + 1];	/* names the temp file */
	int column, track;	/* path parameters */
	unsigned refused;	/* the door's status, 0 = let in */
	char why[256];		/* its message */
	atomic_int answered;	/* set by the done callback before resume */
	int status;
	char *answer;		/* JSON text, malloc'd */
};

typedef enum MHD_Result (*route_fn)(struct hreq *h);

struct route {
	const char *method;
	const char *path;
	int prefix;		/* path is a prefix ("/api/v1/cmd/") */
	route_fn run;		/* the body is complete: submit */
	route_fn answer;	/* send the control thread's answer; NULL: JSON */
	/* the rest of the url after a prefix: 0, or -1 = no such route */
	int (*params)(struct hreq *h, const char *rest);
	unsigned long long stream_max;	/* >0: body streamed to a file */
	const char *const *types;	/* body media types; NULL: JSON */
	int open;		/* let in without the token */
};

static struct {
	struct MHD_Daemon *d;
	char root[PATH_MAX];	/* realpath of the static dir, "" if none */
	int ws_port;		/* for the CSP's connect-src */
} H;

/* --- responses --- */

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Every response: the guard headers (and a cookie), then queue it. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *r, const char *allow,
			     const char *cookie)
{
	char csp[512];
	enum MHD_Result ret;

	door_csp(header(c, MHD_HTTP_HEADER_HOST), H.ws_port, csp, sizeof(csp));
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, MHD_HTTP_HEADER_X_CONTENT_TYPE_OPTIONS,
				"nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY,
				csp);
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_X_FRAME_OPTIONS, "DENY");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (cookie)
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Send text (stolen); JSON goes through the path scrubber first. */
static enum MHD_Result send_full(struct MHD_Connection *c, unsigned status,
				 char *text, const char *type,
				 const char *allow, const char *cookie)
{
	struct MHD_Response *r;
	size_t len = strlen(text);
	char *clean;
	int rc = !strcmp(type, JSON_TYPE) ?
		 scrub_text(text, len, &clean, &len) : 0;

	if (rc < 0) {
		free(text);
		return MHD_NO;
	}
	if (rc) {
		free(text);
		text = clean;
	}
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return queue(c, status, r, allow, cookie);
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status,
				 char *text, const char *type,
				 const char *allow)
{
	return send_full(c, status, text, type, allow, NULL);
}

static char *error_json(const char *msg)
{
	json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	char *s = json_dumps(o, SB_JSON_FLAGS);

	json_decref(o);
	return s;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
				  const char *allow, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
				  const char *allow, const char *fmt, ...)
{
	char msg[512], *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s = error_json(msg);
	if (!s)
		return MHD_NO;
	return send_text(c, status, s, JSON_TYPE, allow);
}

/* --- control-thread answers --- */

/* Control thread: keep the answer, wake the suspended connection. */
static void on_done(void *ctx, int status, json_t *body)
{
	struct hreq *h = ctx;

	h->status = status;
	h->answer = json_dumps(body, SB_JSON_FLAGS);
	json_decref(body);
	atomic_store(&h->answered, 1);
	MHD_resume_connection(h->conn);
}

/* Suspend first: the answer may come back before cmd_submit returns. */
static enum MHD_Result submit(struct hreq *h, const char *name, json_t *args)
{
	int rc;

	MHD_suspend_connection(h->conn);
	rc = cmd_submit(name, args, on_done, h);
	if (rc) {
		h->status = 503;
		h->answer = error_json(rc == -ESHUTDOWN ? "server shutting down"
						       : "out of memory");
		atomic_store(&h->answered, 1);
		MHD_resume_connection(h->conn);
	}
	return MHD_YES;
}

/* --- routes --- */

static enum MHD_Result route_status(struct hreq *h)
{
	return submit(h, "engine.status", NULL);
}

static enum MHD_Result route_commands(struct hreq *h)
{
	json_t *o = json_pack("{s:b, s:o}", "ok", 1, "result",
			      cmd_table_json());
	char *s = json_dumps(o, SB_JSON_FLAGS);

	json_decref(o);
	if (!s)
		return MHD_NO;
	return send_text(h->conn, MHD_HTTP_OK, s, JSON_TYPE, NULL);
}

static enum MHD_Result route_cmd(struct hreq *h)
{
	json_error_t e;
	json_t *args = NULL;

	if (h->len) {
		args = json_loadb(h->body, h->len, JSON_DECODE_ANY, &e);
		if (!args)
			return send_error(h->conn, MHD_HTTP_BAD_REQUEST, NULL,
					  "malformed JSON at line %d, column "
					  "%d: %s", e.line, e.column, e.text);
	}
	return submit(h, h->url + strlen(h->route->path), args);
}

static enum MHD_Result route_looper(struct hreq *h)
{
	return submit(h, "looper.state", NULL);
}

/* "{column}/{track}.wav" after the prefix. */
static int track_params(struct hreq *h, const char *rest)
{
	char *end;
	long c, t;

	errno = 0;
	c = strtol(rest, &end, 10);
	if (errno || end == rest || *end != '/' || c < 0 || c > INT_MAX)
		return -1;
	rest = end + 1;
	t = strtol(rest, &end, 10);
	if (errno || end == rest || strcmp(end, ".wav") || t < 0 ||
	    t > INT_MAX)
		return -1;
	h->column = (int)c;
	h->track = (int)t;
	return 0;
}

static json_t *track_args_json(const struct hreq *h)
{
	return json_pack("{s:i, s:i}", "column", h->column, "track",
			 h->track);
}

static enum MHD_Result route_track_get(struct hreq *h)
{
	return submit(h, "looper.track_info", track_args_json(h));
}

/* The take file a looper.track_info answer names; -1 when none. */
static int open_take(const char *answer)
{
	json_t *o = json_loads(answer, 0, NULL);
	const char *take = json_string_value(json_object_get(
		json_object_get(o, "result"), "take"));
	int fd = take ? open(take, O_RDONLY | O_CLOEXEC) : -1;

	json_decref(o);
	return fd;
}

/* Send the track's take file as audio/wav (only on a 200 answer). */
static enum MHD_Result answer_track_get(struct hreq *h)
{
	struct MHD_Response *r;
	struct stat st;
	int fd = open_take(h->answer);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return send_error(h->conn, MHD_HTTP_NOT_FOUND, NULL,
				  "the track's audio is not on disk yet");
	}
	r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, WAV_TYPE);
	return queue(h->conn, MHD_HTTP_OK, r, NULL, NULL);
}

static enum MHD_Result route_track_put(struct hreq *h)
{
	json_t *args = track_args_json(h);

	if (!h->token[0])
		return send_error(h->conn, MHD_HTTP_BAD_REQUEST, NULL,
				  "not a readable audio file: empty body");
	json_object_set_new(args, "upload", json_string(h->token));
	return submit(h, "looper.put_track", args);
}

static enum MHD_Result route_patch_get(struct hreq *h)
{
	return submit(h, "patch.get", NULL);
}

/* The body is the patch text itself (text/plain): patch.load, now. */
static enum MHD_Result route_patch_put(struct hreq *h)
{
	json_t *text = json_stringn(h->body ? h->body : "", h->len);

	if (!text)
		return send_error(h->conn, MHD_HTTP_BAD_REQUEST, NULL,
				  "the patch text is not valid UTF-8");
	return submit(h, "patch.load", json_pack("{s:o, s:s}", "text", text,
						 "quantize", "now"));
}

static enum MHD_Result route_modules(struct hreq *h)
{
	return submit(h, "modules.list", NULL);
}

static enum MHD_Result route_jack_ports(struct hreq *h)
{
	return submit(h, "jack.ports", NULL);
}

/* {"ok":true,"result":{}} with a Set-Cookie: log in or out. */
static enum MHD_Result send_cookie(struct hreq *h, int clear)
{
	char cookie[AUTH_SET_COOKIE_MAX];
	char *s = strdup("{\"ok\":true,\"result\":{}}");

	if (!s)
		return MHD_NO;
	auth_set_cookie(cookie, sizeof(cookie), clear);
	return send_full(h->conn, MHD_HTTP_OK, s, JSON_TYPE, NULL, cookie);
}

/* {"token": "..."}: the token buys a session cookie. */
static enum MHD_Result route_login(struct hreq *h)
{
	json_t *o = json_loadb(h->body ? h->body : "", h->len, 0, NULL);
	json_t *t = json_object_get(o, "token");
	int is_str = json_is_string(t);
	int ok = is_str &&
		 auth_token_ok(json_string_value(t), json_string_length(t));

	json_decref(o);
	if (!is_str)
		return send_error(h->conn, MHD_HTTP_BAD_REQUEST, NULL,
				  "want a JSON object with a string 'token'");
	if (!ok && auth_enabled())
		return send_error(h->conn, MHD_HTTP_UNAUTHORIZED, NULL,
				  "wrong token");
	return send_cookie(h, 0);
}

static enum MHD_Result route_logout(struct hreq *h)
{
	return send_cookie(h, 1);
}

static const char *const wav_types[] = { "audio/wav", "audio/x-wav",
	"audio/wave", "application/octet-stream", NULL };
static const char *const text_types[] = { "text/plain", NULL };

static const struct route routes[] = {
	{ "GET", "/api/v1/status", 0, route_status, NULL, NULL, 0, NULL, 0 },
	{ "GET", "/api/v1/commands", 0, route_commands, NULL, NULL, 0, NULL,
	  0 },
	{ "POST", "/api/v1/cmd/", 1, route_cmd, NULL, NULL, 0, NULL, 0 },
	{ "GET", "/api/v1/looper", 0, route_looper, NULL, NULL, 0, NULL, 0 },
	{ "GET", "/api/v1/looper/tracks/", 1, route_track_get,
	  answer_track_get, track_params, 0, NULL, 0 },
	{ "PUT", "/api/v1/looper/tracks/", 1, route_track_put, NULL,
	  track_params, TRACK_IO_UPLOAD_MAX, wav_types, 0 },
	{ "GET", "/api/v1/patch", 0, route_patch_get, NULL, NULL, 0, NULL, 0 },
	{ "PUT", "/api/v1/patch", 0, route_patch_put, NULL, NULL, 0,
	  text_types, 0 },
	{ "GET", "/api/v1/modules", 0, route_modules, NULL, NULL, 0, NULL, 0 },
	{ "GET", "/api/v1/jack/ports", 0, route_jack_ports, NULL, NULL, 0,
	  NULL, 0 },
	{ "POST", "/api/v1/login", 0, route_login, NULL, NULL, 0, NULL, 1 },
	{ "POST", "/api/v1/logout", 0, route_logout, NULL, NULL, 0, NULL, 1 },
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static int path_matches(const struct route *r, const char *url)
{
	struct hreq probe;

	if (!r->prefix)
		return strcmp(url, r->path) == 0;
	if (strncmp(url, r->path, strlen(r->path)))
		return 0;
	return !r->params || r->params(&probe, url + strlen(r->path)) == 0;
}

/*
 * The route for method+url, or NULL with the methods the path does
 * accept in allow ("" when the path is unknown).
 */
static const struct route *route_find(const char *method, const char *url,
				      char *allow, size_t len)
{
	allow[0] = '\0';
	for (size_t i = 0; i < N_ROUTES; i++) {
		if (!path_matches(&routes[i], url))
			continue;
		if (strcmp(routes[i].method, method) == 0)
			return &routes[i];
		if (allow[0])
			strncat(allow, ", ", len - strlen(allow) - 1);
		strncat(allow, routes[i].method, len - strlen(allow) - 1);
	}
	return NULL;
}

/* --- /api requests --- */

/*
 * A client that announced a body over the limit is still sending it; if we
 * answered and closed at once, many clients (fetch, browsers) would see a
 * reset instead of the 413.  So bodies up to DISCARD_MAX are read and
 * dropped, and the 413 goes after them; only larger ones are cut short.
 */
#define DISCARD_MAX (64ull << 20)

/* The declared Content-Length, or 0 when absent or unreadable. */
static unsigned long long declared_length(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (!cl)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return !errno && end != cl ? n : 0;
}

static unsigned long long body_max(const struct route *r)
{
	return r && r->stream_max ? r->stream_max : BODY_MAX;
}

static enum MHD_Result too_big(struct MHD_Connection *c,
			       const struct route *r)
{
	return send_error(c, 413, NULL, "body over %llu bytes", body_max(r));
}

/* The front door's verdict on a request for r (NULL: no route). */
static unsigned door(struct MHD_Connection *c, const char *method,
		     const struct route *r, char *why, size_t len)
{
	struct door_req q = {
		.method = method,
		.host = header(c, MHD_HTTP_HEADER_HOST),
		.origin = header(c, MHD_HTTP_HEADER_ORIGIN),
		.content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE),
		.authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION),
		.cookie = header(c, MHD_HTTP_HEADER_COOKIE),
		.types = r ? r->types : NULL,
		.open = r && r->open,
		.has_route = r != NULL,
	};
	enum auth_via via;

	return door_check(&q, &via, why, len);
}

static struct hreq *hreq_new(struct MHD_Connection *c, const char *url,
			     const struct route *r)
{
	struct hreq *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->conn = c;
	h->route = r;
	h->url = url;
	h->fd = -1;
	return h;
}

/*
 * First call: headers only.  A request the door refuses is answered after
 * its body (read and dropped), like a 413: a client still sending would
 * see a reset instead of the answer.  Other hopeless ones answer at once.
 */
static enum MHD_Result api_begin(struct MHD_Connection *c, const char *url,
				 const char *method, void **con_cls)
{
	char allow[64], why[sizeof(((struct hreq *)0)->why)];
	const struct route *r = route_find(method, url, allow, sizeof(allow));
	unsigned refused = door(c, method, r, why, sizeof(why));
	struct hreq *h;

	if (refused && declared_length(c) > DISCARD_MAX)
		return send_error(c, refused, NULL, "%s", why);
	if (!refused && !r && allow[0])
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, allow,
				  "method %s not allowed on %s", method, url);
	if (!refused && !r)
		return send_error(c, MHD_HTTP_NOT_FOUND, NULL,
				  "no route %s %s", method, url);
	if (!refused && declared_length(c) > DISCARD_MAX + r->stream_max)
		return too_big(c, r);
	h = hreq_new(c, url, r);
	if (!h)
		return MHD_NO;
	*con_cls = h;
	h->refused = refused;
	memcpy(h->why, why, sizeof(why));
	if (refused)
		return MHD_YES;
	h->too_big = declared_length(c) > body_max(r);
	if (r->params)
		r->params(h, url + strlen(r->path));
	return MHD_YES;
}

/* A big body goes to a temp file as it arrives, never into memory. */
static enum MHD_Result stream_upload(struct hreq *h, const char *data,
				     size_t n)
{
	if (n > h->route->stream_max - h->streamed) {
		h->too_big = 1;
		return MHD_YES;
	}
	if (h->fd < 0 && track_io_upload_open(h->token, sizeof(h->token),
					      &h->fd))
		return MHD_NO;
	while (n) {
		ssize_t w = write(h->fd, data, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return MHD_NO;
		data += w;
		n -= (size_t)w;
		h->streamed += (size_t)w;
	}
	return MHD_YES;
}

/* Body data: keep it while it fits, then only count it as refused. */
static enum MHD_Result api_upload(struct hreq *h, const char *data,
				  size_t *size)
{
	size_t n = *size;
	char *nb;

	*size = 0;
	if (h->too_big || h->refused)
		return MHD_YES;
	if (h->route->stream_max)
		return stream_upload(h, data, n);
	if (n > BODY_MAX - h->len) {
		h->too_big = 1;
		free(h->body);
		h->body = NULL;
		/* MHD 0.9.75 cannot reply mid-upload: 413 goes at the end. */
		return MHD_YES;
	}
	nb = realloc(h->body, h->len + n);
	if (!nb)
		return MHD_NO;
	memcpy(nb + h->len, data, n);
	h->body = nb;
	h->len += n;
	return MHD_YES;
}

/* A successful auth.rotate over REST logs its caller in again. */
static const char *rotate_cookie(const struct hreq *h, char *buf, size_t len)
{
	if (h->status != MHD_HTTP_OK || h->route->run != route_cmd ||
	    strcmp(h->url + strlen(h->route->path), AUTH_ROTATE_CMD))
		return NULL;
	auth_set_cookie(buf, len, 0);
	return buf;
}

/* Last call: the body is complete, or the control thread answered. */
static enum MHD_Result api_finish(struct hreq *h)
{
	char cookie[AUTH_SET_COOKIE_MAX];
	char *s;

	if (h->refused)
		return send_error(h->conn, h->refused, NULL, "%s", h->why);
	if (atomic_load(&h->answered)) {
		if (!h->answer)
			return MHD_NO;
		if (h->route->answer && h->status == MHD_HTTP_OK)
			return h->route->answer(h);
		s = h->answer;
		h->answer = NULL;
		return send_full(h->conn, h->status, s, JSON_TYPE, NULL,
				 rotate_cookie(h, cookie, sizeof(cookie)));
	}
	if (h->too_big)
		return too_big(h->conn, h->route);
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
	return h->route->run(h);
}

/* --- static files --- */

static const struct {
	const char *ext, *type;
} mime[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".wav", "audio/wav" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *mime_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(mime) / sizeof(mime[0]); i++) {
		if (strcasecmp(dot, mime[i].ext) == 0)
			return mime[i].type;
	}
	return "application/octet-stream";
}

static enum MHD_Result send_plain(struct MHD_Connection *c, unsigned status,
				  const char *msg, const char *allow)
{
	char *s = strdup(msg);

	if (!s)
		return MHD_NO;
	return send_text(c, status, s, "text/plain; charset=utf-8", allow);
}

/* 0 with real = realpath(path) inside the root, -ENOENT or -EACCES. */
static int real_inside(const char *path, char *real)
{
	size_t rl = strlen(H.root);

	if (!realpath(path, real))
		return -ENOENT;
	if (strncmp(real, H.root, rl) != 0 || (real[rl] && real[rl] != '/'))
		return -EACCES;
	return 0;
}

/*
 * Map url to a file under the static root; a directory means its
 * index.html.  -EACCES when it resolves (via .. or a symlink) outside.
 */
static int resolve(const char *url, char *real)
{
	char path[PATH_MAX];
	struct stat st;
	int rc, n;

	if (!H.root[0])
		return -ENOENT;
	n = snprintf(path, sizeof(path), "%s%s", H.root, url);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENOENT;
	rc = real_inside(path, real);
	if (rc || stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return rc;
	n = snprintf(path, sizeof(path), "%s/index.html", real);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENOENT;
	return real_inside(path, real);
}

static enum MHD_Result send_file(struct MHD_Connection *c, const char *real)
{
	struct MHD_Response *r;
	struct stat st;
	int fd = open(real, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return send_plain(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
	}
	r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime_of(real));
	return queue(c, MHD_HTTP_OK, r, NULL, NULL);
}

static enum MHD_Result serve_static(struct MHD_Connection *c,
				    const char *url, const char *method)
{
	char real[PATH_MAX];
	int rc;

	if (!hosts_host_ok(header(c, MHD_HTTP_HEADER_HOST)))
		return send_plain(c, MHD_HTTP_MISDIRECTED_REQUEST, "the Host "
				  "header does not name this box\n", NULL);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return send_plain(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed\n", "GET, HEAD");
	/* outside the root (.., a symlink) is not found, existing or not */
	rc = resolve(url, real);
	if (rc)
		return send_plain(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
	return send_file(c, real);
}

/* --- MHD callbacks --- */

static int is_api(const char *url)
{
	return strncmp(url, "/api", 4) == 0 && (!url[4] || url[4] == '/');
}

/*
 * Static requests answer on the last call, not the first: a reply queued
 * before MHD knows the request has no body makes it close the connection.
 */
static char static_req;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	struct hreq *h = *con_cls;

	(void)cls;
	(void)version;
	if (!h && !is_api(url)) {
		*con_cls = &static_req;
		return MHD_YES;
	}
	if (!h)
		return api_begin(c, url, method, con_cls);
	if ((void *)h == &static_req) {
		if (!*size)
			return serve_static(c, url, method);
		*size = 0;	/* a body on a static request means nothing */
		return MHD_YES;
	}
	if (*size)
		return api_upload(h, data, size);
	return api_finish(h);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct hreq *h = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	*con_cls = NULL;
	if (!h || (void *)h == &static_req)
		return;
	if (h->fd >= 0)
		close(h->fd);
	if (h->token[0])
		track_io_upload_drop(h->token);
	free(h->body);
	free(h->answer);
	free(h);
}

/* --- start / stop --- */

static int parse_bind(const char *bind, int port, struct sockaddr_storage *ss,
		      unsigned *flags, char *err, size_t errlen)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, bind, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, bind, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*flags |= MHD_USE_DUAL_STACK;	/* "::" takes IPv4 too */
		return 0;
	}
	snprintf(err, errlen, "bad bind address '%s' (want an IPv4 or IPv6 "
		 "address)", bind);
	return -EINVAL;
}

/*
 * Connection limits, so a flood of slow or idle connections (a partial
 * request trickling in) cannot starve everyone else: at most
 * HTTP_PER_IP_MAX from one address (a browser opens 6; wrk -c64 fits),
 * HTTP_CONN_MAX in all (or half the descriptor limit, whichever is less),
 * and a connection quiet for HTTP_IDLE_S is closed.
 */
#define HTTP_PER_IP_MAX 64u
#define HTTP_CONN_MAX 512u
#define HTTP_IDLE_S 30u

static unsigned conn_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
	    && rl.rlim_cur / 2 < HTTP_CONN_MAX)
		return rl.rlim_cur / 2 > 16 ? (unsigned)(rl.rlim_cur / 2) : 16;
	return HTTP_CONN_MAX;
}

/* Main thread. */
int http_start(const struct http_opts *o, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
	int rc = parse_bind(o->bind, o->port, &ss, &flags, err, errlen);

	if (rc)
		return rc;
	if (!o->static_dir || !realpath(o->static_dir, H.root)) {
		fprintf(stderr, "stagebox-server: no static dir '%s'; serving "
			"the API only\n", o->static_dir ? o->static_dir : "");
		H.root[0] = '\0';
	}
	H.ws_port = o->ws_port;
	H.d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL,
			       on_request, NULL,
			       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			       MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			       MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
			       MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_S,
			       MHD_OPTION_CONNECTION_LIMIT, conn_limit(),
			       MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			       HTTP_PER_IP_MAX,
			       MHD_OPTION_END);
	if (!H.d) {
		snprintf(err, errlen, "cannot listen on %s port %d (in use?)",
			 o->bind, o->port);
		return -EADDRINUSE;
	}
	return 0;
}

/* Main thread, after ctl_run returned (every request was answered). */
void http_stop(void)
{
	if (H.d)
		MHD_stop_daemon(H.d);
	H.d = NULL;
}
