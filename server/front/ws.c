/*
 * ws.c - the WebSocket transport: libwebsockets on its own service thread.
 *
 * Only the service thread touches lws objects.  Other threads hand work to
 * it through one mutex-protected list (replies for one connection, events
 * for all) plus the latest status text, then wake it with
 * lws_cancel_service(); the service thread moves the work onto its
 * connections on LWS_CALLBACK_EVENT_WAIT_CANCELLED.  Replies name their
 * connection by a 64-bit id, never by pointer: the connection may have
 * closed while the control thread was busy.
 *
 * Outgoing messages are refcounted blobs with LWS_PRE headroom, so one
 * event or status text is shared by every connection.  Each connection
 * keeps a bounded queue (oldest dropped and counted on overflow) and the
 * sequence number of the status it sent last: a slow client skips stale
 * statuses instead of queueing them.
 *
 * The handshake passes the front door (door.c: Host, Origin, token) in
 * the filter callback.  Each connection remembers the token generation it
 * was let in under; when the token is rotated (the auth.rotated event
 * wakes this thread) every older connection is closed, except the one
 * that asked for the rotation while its answer is on the way, which then
 * takes the new generation.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <libwebsockets.h>

#include "server/cmd/cmd.h"
#include "server/front/auth.h"
#include "server/front/door.h"
#include "server/front/hosts.h"
#include "server/front/scrub.h"
#include "server/front/ws.h"
#include "server/core/bus.h"

#define WS_QUEUE_MAX 256	/* messages waiting per connection */
#define WS_MSG_MAX 1048576	/* largest incoming message, as REST bodies */
#define WS_RX_KEEP 16384	/* rx buffer kept between messages */

struct ws_blob {
	atomic_int refs;
	size_t len;
	unsigned char buf[];	/* LWS_PRE bytes of headroom, then len */
};

/* A hand-over from any thread to the service thread. */
struct ws_item {
	STAILQ_ENTRY(ws_item) link;
	uint64_t conn;		/* 0: every connection */
	struct ws_blob *blob;
	int rotate;		/* the answer to this connection's auth.rotate */
	unsigned gen;		/* rotate: the new generation, 0 = failed */
};

STAILQ_HEAD(item_list, ws_item);

/* lws per-session data of an established connection: service thread only. */
struct ws_conn {
	struct ws_conn *prev, *next;
	struct lws *wsi;
	uint64_t id;		/* 0 until established */
	uint64_t status_sent;	/* seq of the last status written */
	int last_was_queue;	/* alternate queue and status writes */
	unsigned q_head, q_len;
	uint64_t dropped;	/* queue overflows: a client not reading */
	struct ws_blob *q[WS_QUEUE_MAX];
	char *rx;		/* fragments of the message being received */
	size_t rx_len, rx_cap;
	int rx_skip;		/* message too big: drop until its end */
	unsigned gen;		/* token generation it was let in under */
	int rotating;		/* its auth.rotate requests in flight */
	int kill;		/* close once the queue is written */
};

/* What a request carries to its done callback (control thread). */
struct ws_req {
	uint64_t conn;
	json_t *id;
	int rotate;		/* this is auth.rotate */
	char name[];
};

static struct {
	pthread_mutex_t lock;
	/* under lock */
	struct lws_context *wake;	/* NULL: nobody to wake */
	int woken;			/* a wake-up is on its way */
	struct item_list items;
	struct ws_blob *status;
	/* any thread */
	atomic_uint_fast64_t status_seq;	/* written under lock */
	atomic_int clients;
	atomic_int stop;
	/* main thread */
	pthread_t thread;
	int running;
	/* service thread */
	struct ws_conn *conns;
	uint64_t next_id;
} g = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.items = STAILQ_HEAD_INITIALIZER(g.items),
};

/* --- blobs: any thread --- */

static struct ws_blob *blob_alloc(size_t len)
{
	struct ws_blob *b = malloc(sizeof(*b) + LWS_PRE + len + 1);

	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->len = len;
	return b;
}

static struct ws_blob *blob_new(const char *text, size_t len)
{
	struct ws_blob *b = blob_alloc(len);

	if (b)
		memcpy(b->buf + LWS_PRE, text, len);
	return b;
}

/* The same after the path scrubber: no absolute path leaves the box. */
static struct ws_blob *blob_clean(const char *text, size_t len)
{
	struct ws_blob *b;
	char *clean;
	int rc = scrub_text(text, len, &clean, &len);

	if (rc <= 0)
		return rc ? NULL : blob_new(text, len);
	b = blob_new(clean, len);
	free(clean);
	return b;
}

/* Serialise j (borrowed) into a blob, scrubbed. */
static struct ws_blob *blob_json(const json_t *j)
{
	char *text = json_dumps(j, SB_JSON_FLAGS);
	struct ws_blob *b = text ? blob_clean(text, strlen(text)) : NULL;

	free(text);
	return b;
}

static struct ws_blob *blob_ref(struct ws_blob *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

static void blob_unref(struct ws_blob *b)
{
	if (b && atomic_fetch_sub_explicit(&b->refs, 1,
					   memory_order_acq_rel) == 1)
		free(b);
}

/* --- hand-over to the service thread: any thread --- */

/* Caller holds g.lock.  One pending wake-up is enough for any backlog. */
static void wake_locked(void)
{
	if (g.wake && !g.woken) {
		g.woken = 1;
		lws_cancel_service(g.wake);
	}
}

/*
 * Queue b (stolen) for connection conn, 0 = all, rotate/gen as in
 * struct ws_item; dropped when stopped.
 */
static void hand_over_full(uint64_t conn, struct ws_blob *b, int rotate,
			   unsigned gen)
{
	struct ws_item *it = malloc(sizeof(*it));

	if (!it)
		goto free_blob;
	it->conn = conn;
	it->blob = b;
	it->rotate = rotate;
	it->gen = gen;
	pthread_mutex_lock(&g.lock);
	if (!g.wake) {
		pthread_mutex_unlock(&g.lock);
		goto free_item;
	}
	STAILQ_INSERT_TAIL(&g.items, it, link);
	wake_locked();
	pthread_mutex_unlock(&g.lock);
	return;
free_item:
	free(it);
free_blob:
	blob_unref(b);
}

static void hand_over(uint64_t conn, struct ws_blob *b)
{
	hand_over_full(conn, b, 0, 0);
}

/* The current status and its seq (new reference or NULL).  Any thread. */
static struct ws_blob *status_take(uint64_t *seq)
{
	struct ws_blob *b;

	pthread_mutex_lock(&g.lock);
	b = g.status ? blob_ref(g.status) : NULL;
	*seq = atomic_load(&g.status_seq);
	pthread_mutex_unlock(&g.lock);
	return b;
}

/* --- replies --- */

/* {"type":"reply","id":..,"ok":..,"result"|"error",("status")}, new ref. */
static json_t *reply_json(json_t *id, int status, json_t *body)
{
	json_t *r = json_object(), *v;
	int ok = json_is_true(json_object_get(body, "ok"));

	if (!r)
		return NULL;
	json_object_set_new(r, "type", json_string("reply"));
	json_object_set(r, "id", id ? id : json_null());
	json_object_set_new(r, "ok", json_boolean(ok));
	if (ok) {
		v = json_object_get(body, "result");
		json_object_set(r, "result", v ? v : json_object());
		return r;
	}
	v = json_object_get(body, "error");
	json_object_set(r, "error", v ? v : json_string("internal error"));
	json_object_set_new(r, "status", json_integer(status));
	/* what an error body carries besides the message (cmd_fail_json) */
	if ((v = json_object_get(body, "line")))
		json_object_set(r, "line", v);
	if ((v = json_object_get(body, "column")))
		json_object_set(r, "column", v);
	return r;
}

/* {"type":"reply",..,"ok":false,"error":..} as a blob. */
static struct ws_blob *error_blob(json_t *id, int status, const char *fmt,
				  va_list ap)
{
	char msg[512];
	json_t *body, *r;
	struct ws_blob *b;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	body = json_pack("{s:b,s:s}", "ok", 0, "error", msg);
	r = reply_json(id, status, body);
	b = r ? blob_json(r) : NULL;
	json_decref(r);
	json_decref(body);
	return b;
}

/* cmd_done_fn: control thread.  Must not touch lws: hands the text over. */
static void req_done(void *ctx, int status, json_t *body)
{
	struct ws_req *rq = ctx;
	json_t *r = reply_json(rq->id, status, body);
	struct ws_blob *b = r ? blob_json(r) : NULL;

	/* rotations run on this thread: the generation now is the new one */
	if (b || rq->rotate)
		hand_over_full(rq->conn, b, rq->rotate,
			       rq->rotate && status == 200 ?
			       auth_generation() : 0);
	json_decref(r);
	json_decref(body);
	json_decref(rq->id);
	free(rq);
}

/* --- per-connection queue: service thread only --- */

static void q_push(struct ws_conn *c, struct ws_blob *b)
{
	if (c->q_len == WS_QUEUE_MAX) {
		blob_unref(c->q[c->q_head]);
		c->q_head = (c->q_head + 1) % WS_QUEUE_MAX;
		c->q_len--;
		c->dropped++;
	}
	c->q[(c->q_head + c->q_len) % WS_QUEUE_MAX] = b;
	c->q_len++;
}

static struct ws_blob *q_pop(struct ws_conn *c)
{
	struct ws_blob *b = c->q[c->q_head];

	c->q_head = (c->q_head + 1) % WS_QUEUE_MAX;
	c->q_len--;
	return b;
}

static int conn_has_output(const struct ws_conn *c)
{
	return c->q_len || c->status_sent != atomic_load(&g.status_seq);
}

/* Queue an error reply straight to c (we are on the service thread). */
__attribute__((format(printf, 4, 5)))
static void conn_error(struct ws_conn *c, json_t *id, int status,
		       const char *fmt, ...)
{
	struct ws_blob *b;
	va_list ap;

	va_start(ap, fmt);
	b = error_blob(id, status, fmt, ap);
	va_end(ap);
	if (!b)
		return;
	q_push(c, b);
	lws_callback_on_writable(c->wsi);
}

static struct ws_conn *conn_find(uint64_t id)
{
	struct ws_conn *c;

	for (c = g.conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* --- incoming messages: service thread only --- */

/* Check the envelope; 0 with *cmd and *args (borrowed) or -1 (answered). */
static int msg_envelope(struct ws_conn *c, json_t *m, json_t *id,
			const char **cmd, json_t **args)
{
	json_t *name;

	if (!json_is_object(m)) {
		conn_error(c, NULL, 400, "message must be a JSON object");
		return -1;
	}
	if (id && !json_is_integer(id) && !json_is_real(id) &&
	    !json_is_string(id) && !json_is_null(id)) {
		conn_error(c, NULL, 400, "'id' must be a number or a string");
		return -1;
	}
	name = json_object_get(m, "cmd");
	if (!json_is_string(name)) {
		conn_error(c, id, 400, "missing string 'cmd'");
		return -1;
	}
	*args = json_object_get(m, "args");
	if (*args && !json_is_object(*args)) {
		conn_error(c, id, 400, "arguments must be a JSON object");
		return -1;
	}
	*cmd = json_string_value(name);
	return 0;
}

/* Submit cmd for connection c; the name is copied, args borrowed. */
static void msg_submit(struct ws_conn *c, json_t *id, const char *cmd,
		       json_t *args)
{
	size_t n = strlen(cmd) + 1;
	struct ws_req *rq = malloc(sizeof(*rq) + n);
	int rc;

	if (!rq) {
		conn_error(c, id, 503, "out of memory");
		return;
	}
	rq->conn = c->id;
	rq->id = json_incref(id ? id : json_null());
	rq->rotate = !strcmp(cmd, AUTH_ROTATE_CMD);
	memcpy(rq->name, cmd, n);
	/* name is ours until done, whatever ctl does with the pointer */
	rc = cmd_submit(rq->name, args ? json_incref(args) : NULL, req_done,
			rq);
	if (rc == 0) {
		c->rotating += rq->rotate;
		return;
	}
	conn_error(c, id, 503, "command not queued: %s", strerror(-rc));
	json_decref(rq->id);
	free(rq);
}

static void msg_handle(struct ws_conn *c, const char *text, size_t len)
{
	json_error_t e;
	json_t *m = json_loadb(text, len, JSON_DECODE_ANY, &e), *args, *id;
	const char *cmd;

	if (!m) {
		conn_error(c, NULL, 400,
			   "malformed JSON at line %d, column %d: %s",
			   e.line, e.column, e.text);
		return;
	}
	id = json_is_object(m) ? json_object_get(m, "id") : NULL;
	if (msg_envelope(c, m, id, &cmd, &args) == 0)
		msg_submit(c, id, cmd, args);
	json_decref(m);
}

static void rx_reset(struct ws_conn *c)
{
	c->rx_len = 0;
	c->rx_skip = 0;
	if (c->rx_cap > WS_RX_KEEP) {
		free(c->rx);
		c->rx = NULL;
		c->rx_cap = 0;
	}
}

/* Append a fragment: 0, -EMSGSIZE (over WS_MSG_MAX) or -ENOMEM. */
static int rx_append(struct ws_conn *c, const void *in, size_t len)
{
	size_t cap = c->rx_cap ? c->rx_cap : 4096;
	char *p;

	if (c->rx_len + len > WS_MSG_MAX)
		return -EMSGSIZE;
	while (cap < c->rx_len + len)
		cap *= 2;
	if (cap != c->rx_cap) {
		p = realloc(c->rx, cap);
		if (!p)
			return -ENOMEM;
		c->rx = p;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	return 0;
}

/* Let in under a token that was rotated since (and not by itself). */
static int conn_stale(const struct ws_conn *c)
{
	return c->gen != auth_generation() && !c->rotating;
}

/* Answer the rest of the queue, then close (conn_writable). */
static void conn_kill(struct ws_conn *c)
{
	c->kill = 1;
	lws_callback_on_writable(c->wsi);
}

static void conn_receive(struct ws_conn *c, const void *in, size_t len)
{
	int last = lws_is_final_fragment(c->wsi) &&
		   !lws_remaining_packet_payload(c->wsi);
	int rc;

	if (c->kill)
		return;
	if (conn_stale(c)) {
		conn_error(c, NULL, 401, "the token was changed: log in again");
		conn_kill(c);
		return;
	}
	if (last && !c->rx_len && !c->rx_skip) {
		msg_handle(c, in, len);	/* the common case: no copy */
		return;
	}
	rc = c->rx_skip ? 0 : rx_append(c, in, len);
	if (rc == -EMSGSIZE)
		conn_error(c, NULL, 413, "message over %d bytes", WS_MSG_MAX);
	else if (rc)
		conn_error(c, NULL, 503, "out of memory for the message");
	if (rc) {
		c->rx_skip = 1;	/* answered once; ignore the rest */
		c->rx_len = 0;
	}
	if (!last)
		return;
	if (!c->rx_skip)
		msg_handle(c, c->rx, c->rx_len);
	rx_reset(c);
}

/* --- connection life and output: service thread only --- */

static void conn_open(struct ws_conn *c, struct lws *wsi)
{
	unsigned gen = c->gen;	/* set by the door in the filter callback */

	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->wsi = wsi;
	c->id = ++g.next_id;
	c->next = g.conns;
	if (g.conns)
		g.conns->prev = c;
	g.conns = c;
	atomic_fetch_add(&g.clients, 1);
	if (conn_has_output(c))
		lws_callback_on_writable(wsi);
}

static void conn_close(struct ws_conn *c)
{
	if (!c->id)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		g.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	while (c->q_len)
		blob_unref(q_pop(c));
	free(c->rx);
	c->rx = NULL;
	if (c->dropped)
		fprintf(stderr, "stagebox-server: ws: client %llu fell behind;"
			" %llu messages dropped\n", (unsigned long long)c->id,
			(unsigned long long)c->dropped);
	c->id = 0;
	atomic_fetch_sub(&g.clients, 1);
}

/* One message per writable callback; -1 closes the connection. */
static int conn_writable(struct ws_conn *c)
{
	struct ws_blob *b = NULL;
	uint64_t seq = atomic_load(&g.status_seq);
	int n, ok;

	/* closing: the queue (its last answers) out, then the close frame in
	 * a callback of its own, never after a frame in the same one */
	if (c->kill && !c->q_len) {
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				 (unsigned char *)"token changed", 13);
		return -1;
	}
	if (c->status_sent != seq && !c->kill &&
	    (!c->q_len || c->last_was_queue)) {
		b = status_take(&seq);
		c->status_sent = seq;
		c->last_was_queue = 0;
	} else if (c->q_len) {
		b = q_pop(c);
		c->last_was_queue = 1;
	}
	if (b) {
		n = lws_write(c->wsi, b->buf + LWS_PRE, b->len, LWS_WRITE_TEXT);
		ok = n >= (int)b->len;
		blob_unref(b);
		if (!ok)
			return -1;
	}
	if (conn_has_output(c) || c->kill)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* The answer to c's auth.rotate: c keeps its place under the new token. */
static void rotated(struct ws_conn *c, unsigned gen)
{
	c->rotating--;
	if (gen)
		c->gen = gen;
}

static void deliver(const struct ws_item *it)
{
	struct ws_conn *c;

	if (it->conn) {
		c = conn_find(it->conn);
		if (c && it->blob)
			q_push(c, blob_ref(it->blob));
		if (c && it->rotate)
			rotated(c, it->gen);
	} else {
		for (c = g.conns; c; c = c->next)
			q_push(c, blob_ref(it->blob));
	}
	blob_unref(it->blob);
}

/* Woken by lws_cancel_service: move handed-over work to connections. */
static void service_drain(void)
{
	struct item_list list = STAILQ_HEAD_INITIALIZER(list);
	struct ws_item *it;
	struct ws_conn *c;

	pthread_mutex_lock(&g.lock);
	STAILQ_CONCAT(&list, &g.items);
	g.woken = 0;
	pthread_mutex_unlock(&g.lock);
	while ((it = STAILQ_FIRST(&list))) {
		STAILQ_REMOVE_HEAD(&list, link);
		deliver(it);
		free(it);
	}
	for (c = g.conns; c; c = c->next) {
		if (conn_stale(c))
			c->kill = 1;	/* the auth.rotated event is its last */
		if (conn_has_output(c) || c->kill)
			lws_callback_on_writable(c->wsi);
	}
}

/*
 * A request header into buf: NULL when absent, "" when it does not fit
 * (present but unusable, so it fails its check instead of being skipped).
 */
static const char *hdr(struct lws *wsi, enum lws_token_indexes t, char *buf,
		       int len)
{
	int n = lws_hdr_total_length(wsi, t);

	if (n <= 0)
		return NULL;
	if (n >= len || lws_hdr_copy(wsi, buf, len, t) < 0)
		buf[0] = '\0';
	return buf;
}

/* The handshake at the front door: 0 lets it in, -1 refuses it. */
static int conn_filter(struct lws *wsi, struct ws_conn *c)
{
	char host[256], origin[256], authz[256], cookie[4096], why[160];
	unsigned gen = auth_generation(), status;
	enum auth_via via;
	struct door_req q = {
		.host = hdr(wsi, WSI_TOKEN_HOST, host, sizeof(host)),
		.origin = hdr(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin)),
		.authorization = hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, authz,
				     sizeof(authz)),
		.cookie = hdr(wsi, WSI_TOKEN_HTTP_COOKIE, cookie,
			      sizeof(cookie)),
	};

	status = door_check_ws(&q, &via, why, sizeof(why));
	if (!status) {
		if (c)
			c->gen = gen;	/* read before the check: never newer */
		return 0;
	}
	lws_return_http_status(wsi, status, why);
	return -1;
}

/* Plain HTTP on the ws port serves nothing, but a foreign Host gets 421. */
static int http_filter(struct lws *wsi)
{
	char host[256];

	if (hosts_host_ok(hdr(wsi, WSI_TOKEN_HOST, host, sizeof(host))))
		return 0;
	lws_return_http_status(wsi, 421, "the Host header does not name this "
			       "box");
	return -1;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
		       void *user, void *in, size_t len)
{
	struct ws_conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return conn_filter(wsi, c);
	case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
		return http_filter(wsi);
	case LWS_CALLBACK_ESTABLISHED:
		conn_open(c, wsi);
		return 0;
	case LWS_CALLBACK_CLOSED:
		conn_close(c);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		conn_receive(c, in, len);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return conn_writable(c);
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		service_drain();
		return 0;
	default:
		/* plain HTTP on the ws port gets lws's stock answers */
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

/*
 * The first protocol is the default, so clients that name no subprotocol
 * (or "stagebox") land here whatever the path.
 */
static const struct lws_protocols ws_protocols[] = {
	{ "stagebox", ws_callback, sizeof(struct ws_conn), 16384, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Ping a silent client after 10 s, drop it after 25 s without a pong. */
static const lws_retry_bo_t ws_keepalive = {
	.secs_since_valid_ping = 10,
	.secs_since_valid_hangup = 25,
};

static void *service_main(void *arg)
{
	struct lws_context *ctx = arg;

	while (!atomic_load(&g.stop))
		if (lws_service(ctx, 0) < 0)
			break;
	pthread_mutex_lock(&g.lock);
	g.wake = NULL;
	pthread_mutex_unlock(&g.lock);
	/* closes every connection: their CLOSED callbacks run here */
	lws_context_destroy(ctx);
	return NULL;
}

static void log_emit(int level, const char *line)
{
	(void)level;
	fprintf(stderr, "stagebox-server: ws: %s", line);
}

/* Fill info's address fields from bind: NULL iface = any address. */
static void bind_info(struct lws_context_creation_info *info,
		      const char *bind)
{
	struct in_addr a4;

	if (bind && inet_pton(AF_INET, bind, &a4) == 1) {
		/* an IPv4 literal: listen on IPv4 only, as the HTTP side */
		info->options |= LWS_SERVER_OPTION_DISABLE_IPV6;
		if (a4.s_addr != htonl(INADDR_ANY))
			info->iface = bind;
		return;
	}
	if (bind && *bind && strcmp(bind, "::"))
		info->iface = bind;	/* IPv6 literal or interface name */
}

/* Start the service thread with every signal blocked: they are main's. */
static int start_thread(struct lws_context *ctx)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&g.thread, NULL, service_main, ctx);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static const struct bus_sink ws_sink;

/* Main thread.  0 or -errno with a message. */
int ws_start(const struct ws_opts *o, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	int rc;

	memset(&info, 0, sizeof(info));
	info.port = o->port;
	info.protocols = ws_protocols;
	info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	info.retry_and_idle_policy = &ws_keepalive;
	info.gid = -1;
	info.uid = -1;
	bind_info(&info, o->bind);
	lws_set_log_level(LLL_ERR, log_emit);
	errno = 0;
	ctx = lws_create_context(&info);
	if (!ctx) {
		rc = errno ? errno : EADDRNOTAVAIL;
		snprintf(err, errlen, "cannot listen for WebSocket on %s:%d: %s",
			 o->bind ? o->bind : "*", o->port, strerror(rc));
		return -rc;
	}
	atomic_store(&g.stop, 0);
	pthread_mutex_lock(&g.lock);
	g.wake = ctx;
	g.woken = 0;
	pthread_mutex_unlock(&g.lock);
	rc = start_thread(ctx);
	if (rc) {
		pthread_mutex_lock(&g.lock);
		g.wake = NULL;
		pthread_mutex_unlock(&g.lock);
		lws_context_destroy(ctx);
		snprintf(err, errlen, "ws thread: %s", strerror(rc));
		return -rc;
	}
	g.running = 1;
	return bus_register(&ws_sink);
}

/* Main thread.  Late replies and pushes after this are dropped. */
void ws_stop(void)
{
	struct item_list list = STAILQ_HEAD_INITIALIZER(list);
	struct ws_item *it;

	if (!g.running)
		return;
	atomic_store(&g.stop, 1);
	pthread_mutex_lock(&g.lock);
	if (g.wake)
		lws_cancel_service(g.wake);
	pthread_mutex_unlock(&g.lock);
	pthread_join(g.thread, NULL);
	g.running = 0;
	pthread_mutex_lock(&g.lock);
	STAILQ_CONCAT(&list, &g.items);
	blob_unref(g.status);
	g.status = NULL;
	pthread_mutex_unlock(&g.lock);
	while ((it = STAILQ_FIRST(&list))) {
		STAILQ_REMOVE_HEAD(&list, link);
		blob_unref(it->blob);
		free(it);
	}
}

/* Any thread; copies.  Latest wins. */
static void ws_push_status(const char *json, size_t len)
{
	struct ws_blob *b = blob_new(json, len), *old;

	if (!b)
		return;
	pthread_mutex_lock(&g.lock);
	old = g.status;
	g.status = b;
	atomic_fetch_add(&g.status_seq, 1);
	wake_locked();
	pthread_mutex_unlock(&g.lock);
	blob_unref(old);
}

/* Any thread; copies. */
static void ws_broadcast(const char *json, size_t len)
{
	struct ws_blob *b = blob_clean(json, len);

	if (b)
		hand_over(0, b);
}

/* Any thread. */
static int ws_client_count(void)
{
	return atomic_load(&g.clients);
}

static const struct bus_sink ws_sink = {
	.name = "websocket",
	.event = ws_broadcast,
	.status = ws_push_status,
	.clients = ws_client_count,
};
