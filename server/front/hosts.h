/*
 * hosts.h - the names this box answers to, for the Host and Origin checks
 * that stop DNS rebinding and cross-site requests at the front door.
 *
 * A name is the box's when it is one of its interface addresses
 * (getifaddrs, looked up again when an address is not known yet),
 * localhost, 127.0.0.1, [::1], its hostname, <hostname>.local, or one of
 * the names in server.hosts.  Names compare without case and with or
 * without a port.
 */
#ifndef SB_HOSTS_H
#define SB_HOSTS_H

#include <stddef.h>

/* extra: server.hosts (' '-joined); http_port: the one Origin port. */
/* thread: main */
int hosts_init(const char *extra, int http_port, char *err, size_t errlen);

/* 1 when a Host header value names the box. */
/* thread: any */
int hosts_host_ok(const char *host);

/* 1 when an Origin header value is the box's own: http, its name, port. */
/* thread: any */
int hosts_origin_ok(const char *origin);

/*
 * The box's non-loopback IPv4 addresses as text, one per row of out
 * (n rows of 64 bytes); returns how many.  For join URLs.
 */
/* thread: any */
int hosts_lan_addresses(char (*out)[64], int n);

#endif
