/*
 * hosts.c - which names are this box (hosts.h).
 *
 * Addresses are compared in binary (inet_pton), so "127.000.000.001" or
 * an IPv4 address written as one number never passes as the box.  The
 * interface list is cached; a miss re-reads it at most once a second, so
 * an address DHCP handed out after start is known at once while a flood
 * of foreign Host headers costs one netlink dump a second.
 */
#include "server/front/hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_ADDRS 64
#define MAX_NAME 256	/* a DNS name is at most 253 */
#define MAX_NAMES 16

struct addr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char a[16];
};

static struct {
	pthread_mutex_t lock;
	/* under lock */
	struct addr addrs[MAX_ADDRS];
	int n_addrs;
	struct timespec scanned;
	/* set once at start */
	char names[MAX_NAMES][MAX_NAME];
	int n_names;
	int http_port;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* --- interface addresses --- */

static void scan_locked(void)
{
	struct ifaddrs *list, *i;
	struct addr *d;

	S.n_addrs = 0;
	if (getifaddrs(&list) < 0)
		return;
	for (i = list; i && S.n_addrs < MAX_ADDRS; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		d = &S.addrs[S.n_addrs];
		if (i->ifa_addr->sa_family == AF_INET) {
			memcpy(d->a, &((struct sockaddr_in *)i->ifa_addr)->
			       sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			memcpy(d->a, &((struct sockaddr_in6 *)i->ifa_addr)->
			       sin6_addr, 16);
		} else {
			continue;
		}
		d->family = i->ifa_addr->sa_family;
		S.n_addrs++;
	}
	freeifaddrs(list);
}

static int known_locked(const struct addr *x)
{
	size_t n = x->family == AF_INET ? 4 : 16;

	for (int i = 0; i < S.n_addrs; i++)
		if (S.addrs[i].family == x->family &&
		    !memcmp(S.addrs[i].a, x->a, n))
			return 1;
	return 0;
}

static int addr_is_box(const struct addr *x)
{
	struct timespec now;
	int ok;

	pthread_mutex_lock(&S.lock);
	ok = known_locked(x);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!ok && now.tv_sec != S.scanned.tv_sec) {
		S.scanned = now;
		scan_locked();
		ok = known_locked(x);
	}
	pthread_mutex_unlock(&S.lock);
	return ok;
}

/* --- names --- */

static void add_name(const char *name, const char *suffix)
{
	if (S.n_names == MAX_NAMES || !*name)
		return;
	snprintf(S.names[S.n_names++], MAX_NAME, "%s%s", name, suffix);
}

/* Main thread. */
int hosts_init(const char *extra, int http_port, char *err, size_t errlen)
{
	char host[MAX_NAME] = "", *list, *tok, *save = NULL;

	S.n_names = 0;
	S.http_port = http_port;
	add_name("localhost", "");
	if (gethostname(host, sizeof(host) - 1) == 0 && host[0]) {
		add_name(host, "");
		add_name(host, ".local");
	}
	list = strdup(extra ? extra : "");
	if (!list) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(list, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		add_name(tok, "");
	free(list);
	pthread_mutex_lock(&S.lock);
	scan_locked();
	clock_gettime(CLOCK_MONOTONIC, &S.scanned);
	pthread_mutex_unlock(&S.lock);
	return 0;
}

/* 1 for an address of the box; -1 when name is no address literal. */
static int literal_is_box(const char *name, int bracketed)
{
	struct addr x = { 0 };

	if (bracketed && inet_pton(AF_INET6, name, x.a) == 1)
		x.family = AF_INET6;
	else if (!bracketed && inet_pton(AF_INET, name, x.a) == 1)
		x.family = AF_INET;
	else
		return -1;
	if (x.family == AF_INET6 && !memcmp(x.a, &in6addr_loopback, 16))
		return 1;
	if (x.family == AF_INET && x.a[0] == 127 && x.a[1] == 0 &&
	    x.a[2] == 0 && x.a[3] == 1)
		return 1;
	return addr_is_box(&x);
}

static int name_is_box(const char *name, int bracketed)
{
	char n[MAX_NAME];
	size_t len = strlen(name);
	int lit;

	if (!len || len >= sizeof(n))
		return 0;
	memcpy(n, name, len + 1);
	if (!bracketed && n[len - 1] == '.')	/* "localhost." */
		n[--len] = '\0';
	lit = literal_is_box(n, bracketed);
	if (lit >= 0 || bracketed)
		return lit == 1;
	for (int i = 0; i < S.n_names; i++)
		if (!strcasecmp(S.names[i], n))
			return 1;
	return 0;
}

/* "1".."65535" and nothing else; 0 when not a port. */
static int port_of(const char *s)
{
	long v = 0;

	if (!*s || strlen(s) > 5)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : 0;
}

/*
 * Split "name", "name:port", "[v6]" or "[v6]:port" into name (a copy)
 * and port (0 when absent).  -1 when malformed.
 */
static int split_host(const char *h, char *name, size_t len, int *port,
		      int *bracketed)
{
	const char *end, *colon;
	size_t n;

	*port = 0;
	*bracketed = h[0] == '[';
	if (*bracketed) {
		end = strchr(h, ']');
		if (!end)
			return -1;
		n = (size_t)(end - h - 1);
		colon = end[1] ? end + 1 : NULL;
		h++;
	} else {
		colon = strchr(h, ':');
		if (colon && strchr(colon + 1, ':'))
			return -1;	/* a bare IPv6 address */
		n = colon ? (size_t)(colon - h) : strlen(h);
	}
	if (colon && (*colon != ':' || !(*port = port_of(colon + 1))))
		return -1;
	if (!n || n >= len)
		return -1;
	memcpy(name, h, n);
	name[n] = '\0';
	return 0;
}

int hosts_host_ok(const char *host)
{
	char name[MAX_NAME];
	int port, br;

	if (!host || split_host(host, name, sizeof(name), &port, &br))
		return 0;
	return name_is_box(name, br);
}

int hosts_origin_ok(const char *origin)
{
	char name[MAX_NAME];
	int port, br;

	if (!origin || strncasecmp(origin, "http://", 7) ||
	    split_host(origin + 7, name, sizeof(name), &port, &br))
		return 0;
	return (port ? port : 80) == S.http_port && name_is_box(name, br);
}

int hosts_lan_addresses(char (*out)[64], int n)
{
	int k = 0;

	pthread_mutex_lock(&S.lock);
	for (int i = 0; i < S.n_addrs && k < n; i++) {
		if (S.addrs[i].family != AF_INET || S.addrs[i].a[0] == 127)
			continue;
		inet_ntop(AF_INET, S.addrs[i].a, out[k++], 64);
	}
	pthread_mutex_unlock(&S.lock);
	return k;
}
