/*
 * auth.c - the access token: made, kept, checked and rotated (auth.h).
 *
 * The token is copied out under a mutex and compared outside it, byte by
 * byte over a fixed length, so the time a check takes says nothing about
 * how much of a guess was right.  The file is written to a temporary name
 * (0600 from the start) and renamed over DATA/token, so a crash never
 * leaves a half-written token behind.
 */
#include "server/front/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt/common/config.h"

#define TOKEN_FILE "token"

static struct {
	pthread_mutex_t lock;
	char token[AUTH_TOKEN_MAX + 1];		/* under lock */
	char path[SB_PATH_MAX + 16];		/* DATA/token: main, control */
	int enabled;				/* set once at start */
	atomic_uint generation;
} A = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* --- the token file --- */

static int token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* 0 when s (trailing blanks cut off) is a token we accept. */
static int token_parse(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	if (n < AUTH_TOKEN_MIN || n > AUTH_TOKEN_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!token_char(s[i]))
			return -EINVAL;
	return 0;
}

static int token_make(char *tok, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[AUTH_TOKEN_BYTES];
	size_t got = 0;
	ssize_t n;

	if (len < 2 * AUTH_TOKEN_BYTES + 1)
		return -ENOSPC;
	while (got < sizeof(raw)) {
		n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		tok[2 * i] = hex[raw[i] >> 4];
		tok[2 * i + 1] = hex[raw[i] & 15];
	}
	tok[2 * AUTH_TOKEN_BYTES] = '\0';
	return 0;
}

/* Read an existing token file; narrow its mode to 0600 on the way. */
static int token_read(const char *path, char *tok, size_t len, char *err,
		      size_t errlen)
{
	char buf[AUTH_TOKEN_MAX + 8];
	struct stat st;
	ssize_t n;
	int rc = 0, fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;	/* -ENOENT: the caller makes one */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto bad;
	}
	if ((st.st_mode & 077) && fchmod(fd, 0600) == 0)
		fprintf(stderr, "stagebox-server: %s was readable by others; "
			"now mode 0600\n", path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		rc = -errno;
		goto bad;
	}
	buf[n] = '\0';
	if (token_parse(buf) || strlen(buf) >= len) {
		rc = -EINVAL;
		goto bad;
	}
	memcpy(tok, buf, strlen(buf) + 1);
	close(fd);
	return 0;
bad:
	close(fd);
	snprintf(err, errlen, "%s: not a token (want %d..%d of A-Z a-z 0-9 - "
		 "_; delete the file to get a new one)%s%s", path,
		 AUTH_TOKEN_MIN, AUTH_TOKEN_MAX, rc == -EINVAL ? "" : ": ",
		 rc == -EINVAL ? "" : strerror(-rc));
	return rc;
}

/*
 * Write tok to a fresh 0600 file next to path, then put it in place:
 * rename over an old token (replace), or link (keep a token another
 * process made meanwhile: -EEXIST).
 */
static int token_write(const char *path, const char *tok, int replace)
{
	char tmp[SB_PATH_MAX + 48];
	size_t n = strlen(tok);
	int rc = 0, fd;

	snprintf(tmp, sizeof(tmp), "%s.new-%d", path, (int)getpid());
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, tok, n) != (ssize_t)n || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (!rc && replace && rename(tmp, path) < 0)
		rc = -errno;
	if (!rc && !replace && link(tmp, path) < 0)
		rc = -errno;
	unlink(tmp);
	return rc;
}

/* Main thread. */
int auth_load(const char *data_dir, char *tok, size_t len, char *err,
	      size_t errlen)
{
	char path[sizeof(A.path)];
	int rc;

	if (snprintf(path, sizeof(path), "%s/" TOKEN_FILE, data_dir) >=
	    (int)sizeof(path)) {
		snprintf(err, errlen, "data directory name too long");
		return -ENAMETOOLONG;
	}
	rc = token_read(path, tok, len, err, errlen);
	if (rc != -ENOENT)
		return rc;
	rc = token_make(tok, len);
	if (!rc)
		rc = token_write(path, tok, 0);
	if (rc == -EEXIST)	/* someone else made it first: use theirs */
		return token_read(path, tok, len, err, errlen);
	if (rc)
		snprintf(err, errlen, "cannot create %s: %s", path,
			 strerror(-rc));
	return rc;
}

/* Main thread. */
int auth_init(const char *data_dir, int enabled, char *err, size_t errlen)
{
	int rc = auth_load(data_dir, A.token, sizeof(A.token), err, errlen);

	if (rc)
		return rc;
	snprintf(A.path, sizeof(A.path), "%s/" TOKEN_FILE, data_dir);
	A.enabled = enabled;
	return 0;
}

int auth_enabled(void)
{
	return A.enabled;
}

unsigned auth_generation(void)
{
	return atomic_load(&A.generation);
}

/* --- checks: any thread --- */

/* Equal in time that depends on neither content nor the common prefix. */
static int same(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned diff = alen != blen;

	for (size_t i = 0; i < AUTH_TOKEN_MAX; i++) {
		unsigned char x = i < alen ? (unsigned char)a[i] : 0;
		unsigned char y = i < blen ? (unsigned char)b[i] : 0;

		diff |= (unsigned)(x ^ y);
	}
	return diff == 0;
}

int auth_token_ok(const char *token, size_t len)
{
	char cur[AUTH_TOKEN_MAX + 1];

	if (!token || len > AUTH_TOKEN_MAX)
		return 0;
	pthread_mutex_lock(&A.lock);
	memcpy(cur, A.token, sizeof(cur));
	pthread_mutex_unlock(&A.lock);
	return same(token, len, cur, strlen(cur));
}

/* "Bearer <token>", the scheme in any case, blanks around the token. */
static int bearer_ok(const char *h)
{
	size_t n;

	if (!h || strncasecmp(h, "Bearer ", 7))
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	n = strcspn(h, " ");
	return h[n + strspn(h + n, " ")] == '\0' && auth_token_ok(h, n);
}

/* Any AUTH_COOKIE=<value> pair of a Cookie header holding the token. */
static int cookie_ok(const char *h)
{
	size_t name = strlen(AUTH_COOKIE), n;
	int ok = 0;

	while (h && *h) {
		h += strspn(h, " ;");
		n = strcspn(h, ";");
		if (n > name && !strncmp(h, AUTH_COOKIE, name) &&
		    h[name] == '=')
			ok |= auth_token_ok(h + name + 1, n - name - 1);
		h += n;
	}
	return ok;
}

enum auth_via auth_check(const char *authorization, const char *cookie)
{
	if (!A.enabled)
		return AUTH_OPEN;
	if (bearer_ok(authorization))
		return AUTH_BEARER;
	if (cookie_ok(cookie))
		return AUTH_SESSION;
	return AUTH_NONE;
}

void auth_set_cookie(char *out, size_t len, int clear)
{
	char cur[AUTH_TOKEN_MAX + 1] = "";

	if (!clear) {
		pthread_mutex_lock(&A.lock);
		memcpy(cur, A.token, sizeof(cur));
		pthread_mutex_unlock(&A.lock);
	}
	/* a year: the browser asks for the token once, not every visit */
	snprintf(out, len, AUTH_COOKIE "=%s; Max-Age=%d; Path=/; HttpOnly; "
		 "SameSite=Strict", cur, clear ? 0 : 31536000);
}

/* --- rotation: control thread --- */

int auth_rotate(char *tok, size_t len, char *err, size_t errlen)
{
	char fresh[AUTH_TOKEN_MAX + 1];
	int rc;

	if (!A.enabled) {
		snprintf(err, errlen, "authentication is off (server.auth)");
		return -EPERM;
	}
	rc = token_make(fresh, sizeof(fresh));
	if (!rc)
		rc = token_write(A.path, fresh, 1);
	if (rc) {
		snprintf(err, errlen, "cannot write the new token: %s",
			 strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&A.lock);
	memcpy(A.token, fresh, sizeof(fresh));
	pthread_mutex_unlock(&A.lock);
	atomic_fetch_add(&A.generation, 1);
	snprintf(tok, len, "%s", fresh);
	return 0;
}
