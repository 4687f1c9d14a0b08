/*
 * test_front.c - the front door's pure parts: the token file and checks
 * (auth.c), the names that are the box (hosts.c), the rules in their order
 * (door.c) and the path scrubber (scrub.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/front/auth.h"
#include "server/front/door.h"
#include "server/front/hosts.h"
#include "server/front/scrub.h"

static char dir[64];
static char tok[AUTH_TOKEN_MAX + 1];

static int setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sbt-front-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (auth_init(dir, 1, err, sizeof(err)) ||
	    auth_load(dir, tok, sizeof(tok), err, sizeof(err)))
		return -1;
	return hosts_init("stage.lan other.lan", 8080, err, sizeof(err));
}

static int teardown(void **state)
{
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/token", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static void test_token_file(void **state)
{
	char p[128], again[AUTH_TOKEN_MAX + 1], err[256];
	struct stat st;

	(void)state;
	assert_int_equal(strlen(tok), 64);
	assert_int_equal(strspn(tok, "0123456789abcdef"), 64);
	snprintf(p, sizeof(p), "%s/token", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(auth_load(dir, again, sizeof(again), err,
				   sizeof(err)), 0);
	assert_string_equal(again, tok);
}

static void test_bad_token_file(void **state)
{
	char d[64] = "/tmp/sbt-front-XXXXXX", p[128], t[AUTH_TOKEN_MAX + 1];
	char err[256];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(d));
	snprintf(p, sizeof(p), "%s/token", d);
	f = fopen(p, "w");
	fputs("short\n", f);
	fclose(f);
	assert_int_equal(auth_load(d, t, sizeof(t), err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a token"));
	unlink(p);
	rmdir(d);
}

static void test_check(void **state)
{
	char h[256], wrong[AUTH_TOKEN_MAX + 1];

	(void)state;
	snprintf(h, sizeof(h), "Bearer %s", tok);
	assert_int_equal(auth_check(h, NULL), AUTH_BEARER);
	snprintf(h, sizeof(h), "bearer   %s  ", tok);
	assert_int_equal(auth_check(h, NULL), AUTH_BEARER);
	snprintf(h, sizeof(h), "Bearer %s x", tok);
	assert_int_equal(auth_check(h, NULL), AUTH_NONE);
	snprintf(h, sizeof(h), "Basic %s", tok);
	assert_int_equal(auth_check(h, NULL), AUTH_NONE);
	snprintf(h, sizeof(h), "Bearer %.63s", tok);
	assert_int_equal(auth_check(h, NULL), AUTH_NONE);
	assert_int_equal(auth_check(NULL, NULL), AUTH_NONE);

	snprintf(h, sizeof(h), "a=1; " AUTH_COOKIE "=%s; b=2", tok);
	assert_int_equal(auth_check(NULL, h), AUTH_SESSION);
	snprintf(h, sizeof(h), AUTH_COOKIE "=%s", tok);
	assert_int_equal(auth_check("Bearer nope", h), AUTH_SESSION);
	snprintf(h, sizeof(h), "x" AUTH_COOKIE "=%s", tok);
	assert_int_equal(auth_check(NULL, h), AUTH_NONE);
	snprintf(h, sizeof(h), AUTH_COOKIE "=%sx", tok);
	assert_int_equal(auth_check(NULL, h), AUTH_NONE);

	memcpy(wrong, tok, sizeof(wrong));
	wrong[63] = wrong[63] == '0' ? '1' : '0';
	assert_int_equal(auth_token_ok(wrong, 64), 0);
	assert_int_equal(auth_token_ok(tok, 64), 1);
	assert_int_equal(auth_token_ok(tok, 63), 0);
}

static void test_rotate(void **state)
{
	char fresh[AUTH_TOKEN_MAX + 1], err[256], h[256], cookie[256];
	char old[AUTH_TOKEN_MAX + 1];
	unsigned gen = auth_generation();

	(void)state;
	memcpy(old, tok, sizeof(old));
	assert_int_equal(auth_rotate(fresh, sizeof(fresh), err, sizeof(err)),
			 0);
	assert_string_not_equal(fresh, old);
	assert_int_equal(auth_generation(), gen + 1);
	snprintf(h, sizeof(h), "Bearer %s", old);
	assert_int_equal(auth_check(h, NULL), AUTH_NONE);
	snprintf(h, sizeof(h), "Bearer %s", fresh);
	assert_int_equal(auth_check(h, NULL), AUTH_BEARER);
	assert_int_equal(auth_load(dir, tok, sizeof(tok), err, sizeof(err)),
			 0);
	assert_string_equal(tok, fresh);

	auth_set_cookie(cookie, sizeof(cookie), 0);
	snprintf(h, sizeof(h), AUTH_COOKIE "=%s; Max-Age=31536000; Path=/; "
		 "HttpOnly; SameSite=Strict", fresh);
	assert_string_equal(cookie, h);
	auth_set_cookie(cookie, sizeof(cookie), 1);
	assert_string_equal(cookie, AUTH_COOKIE "=; Max-Age=0; Path=/; "
			    "HttpOnly; SameSite=Strict");
}

static void test_hosts(void **state)
{
	char name[300];
	static const char *const yes[] = { "localhost", "LOCALHOST:8080",
		"localhost.", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:8081",
		"stage.lan", "Other.LAN:80", NULL };
	static const char *const no[] = { "evil.example", "127.0.0.1.evil",
		"", "[::1", "localhost:", "localhost:0", "localhost:99999",
		"::1", "127.1", "2130706433", "127.0.0.2", "stage.lan.evil",
		"localhost:80:80", "[::1]x", NULL };

	(void)state;
	for (int i = 0; yes[i]; i++)
		assert_true(hosts_host_ok(yes[i]));
	for (int i = 0; no[i]; i++)
		assert_false(hosts_host_ok(no[i]));
	assert_false(hosts_host_ok(NULL));
	gethostname(name, sizeof(name) - 8);
	assert_true(hosts_host_ok(name));
	strcat(name, ".local");
	assert_true(hosts_host_ok(name));

	assert_true(hosts_origin_ok("http://localhost:8080"));
	assert_true(hosts_origin_ok("HTTP://stage.lan:8080"));
	assert_true(hosts_origin_ok("http://[::1]:8080"));
	assert_false(hosts_origin_ok("http://localhost"));
	assert_false(hosts_origin_ok("http://localhost:8081"));
	assert_false(hosts_origin_ok("https://localhost:8080"));
	assert_false(hosts_origin_ok("http://evil.example:8080"));
	assert_false(hosts_origin_ok("null"));
	assert_false(hosts_origin_ok("http://localhost:8080/x"));
}

static unsigned check(const char *method, const char *host,
		      const char *origin, const char *type, int bearer)
{
	char authz[256], why[256];
	struct door_req q = { .method = method, .host = host,
			      .origin = origin, .content_type = type,
			      .has_route = 1 };
	enum auth_via via;

	snprintf(authz, sizeof(authz), "Bearer %s", tok);
	q.authorization = bearer ? authz : NULL;
	return door_check(&q, &via, why, sizeof(why));
}

/* 421 before 415 before 403 before 401. */
static void test_door_order(void **state)
{
	(void)state;
	assert_int_equal(check("GET", "localhost", NULL, NULL, 1), 0);
	assert_int_equal(check("POST", "localhost", NULL,
			       "application/json; charset=utf-8", 1), 0);
	assert_int_equal(check("POST", "evil", "http://evil", "text/plain",
			       0), 421);
	assert_int_equal(check("POST", "localhost", "http://evil",
			       "text/plain", 0), 415);
	assert_int_equal(check("DELETE", "localhost", NULL, NULL, 1), 415);
	assert_int_equal(check("POST", "localhost", "http://evil",
			       "application/json", 1), 403);
	assert_int_equal(check("GET", "localhost", "http://evil", NULL, 1),
			 403);
	assert_int_equal(check("POST", "localhost", "http://localhost:8080",
			       "application/json", 0), 401);
	assert_int_equal(check("GET", NULL, NULL, NULL, 1), 421);
}

static unsigned check_ws(const char *origin, const char *authz,
			 const char *cookie)
{
	char why[256];
	struct door_req q = { .host = "127.0.0.1:8081", .origin = origin,
			      .authorization = authz, .cookie = cookie };
	enum auth_via via;

	return door_check_ws(&q, &via, why, sizeof(why));
}

static void test_door_ws(void **state)
{
	char bearer[256], cookie[256];

	(void)state;
	snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	snprintf(cookie, sizeof(cookie), AUTH_COOKIE "=%s", tok);
	assert_int_equal(check_ws("http://localhost:8080", NULL, cookie), 0);
	assert_int_equal(check_ws(NULL, bearer, NULL), 0);
	assert_int_equal(check_ws(NULL, NULL, cookie), 403);
	assert_int_equal(check_ws("http://evil", bearer, NULL), 403);
	assert_int_equal(check_ws("http://localhost:8080", NULL, NULL), 401);
	assert_int_equal(check_ws(NULL, NULL, NULL), 401);
}

static void test_csp(void **state)
{
	char csp[512];

	(void)state;
	door_csp("127.0.0.1:8080", 8081, csp, sizeof(csp));
	assert_non_null(strstr(csp, "connect-src 'self' ws://127.0.0.1:8081;"));
	assert_non_null(strstr(csp, "frame-ancestors 'none'"));
	door_csp("[::1]:8080", 8081, csp, sizeof(csp));
	assert_non_null(strstr(csp, "connect-src 'self' ws:;"));
	door_csp("evil.example", 8081, csp, sizeof(csp));
	assert_null(strstr(csp, "evil"));
}

static void test_scrub(void **state)
{
	static const char in[] = "{\"take\":\"/srv/sb/data/takes/ab.wav\","
		"\"x\":\"/srv/sb/data2/y\",\"d\":\"/srv/sb/data\",\"e\":"
		"\"cannot write /srv/sb/data/sessions/a: full\",\"s\":"
		"\"/srv/sb/static/js/x.js\",\"u\":\"/api/v1/status\"}";
	static const char want[] = "{\"take\":\"takes/ab.wav\","
		"\"x\":\"/srv/sb/data2/y\",\"d\":\".\",\"e\":"
		"\"cannot write sessions/a: full\",\"s\":"
		"\"js/x.js\",\"u\":\"/api/v1/status\"}";
	char *out = NULL;
	size_t n;

	(void)state;
	scrub_init("/srv/sb/data/", "/srv/sb/static");
	assert_int_equal(scrub_text(in, strlen(in), &out, &n), 1);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	free(out);
	assert_int_equal(scrub_text("{\"a\":\"/api/v1\"}", 14, &out, &n), 0);
	scrub_init("data", "static");	/* relative: nothing absolute */
	assert_int_equal(scrub_text(in, strlen(in), &out, &n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_bad_token_file),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_door_order),
		cmocka_unit_test(test_door_ws),
		cmocka_unit_test(test_csp),
		cmocka_unit_test(test_scrub),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
