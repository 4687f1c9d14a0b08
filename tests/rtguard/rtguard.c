/*
 * rtguard.c - test-only LD_PRELOAD guard for JACK process callbacks.
 *
 * The guard wraps jack_set_process_callback so every real callback runs with
 * a thread-local "in process" mark.  Each function that may block, allocate
 * or do I/O is interposed here: while the mark is set on the calling thread
 * the call is counted as a violation (one _Atomic counter per function, so
 * counting never blocks) and then proceeds normally.  A reporter thread
 * rewrites $RTGUARD_REPORT every 50 ms and once at exit, atomically (tmp file
 * + rename); without RTGUARD_REPORT a process that registered a callback
 * prints a summary to stderr at exit.
 *
 * The allocator family forwards to glibc's __libc_* entry points so that
 * resolving them never needs dlsym (which itself may call calloc).  All other
 * real functions are resolved with dlsym(RTLD_NEXT) eagerly in the
 * constructor and lazily if something calls them earlier.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jack/jack.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define REPORT_PERIOD_NS 50000000L
#define MAX_CLIENTS 64

/*
 * Every guarded symbol: X(symbol, name in the report).  Aliases (64-bit and
 * fortified variants) report under the name a reader will recognise.
 */
#define GUARDED(X)                                                            \
	X(malloc, "malloc") X(calloc, "calloc") X(realloc, "realloc")         \
	X(reallocarray, "realloc") X(free, "free")                            \
	X(posix_memalign, "posix_memalign") X(aligned_alloc, "aligned_alloc") \
	X(memalign, "memalign") X(valloc, "valloc") X(pvalloc, "pvalloc")     \
	X(pthread_mutex_lock, "pthread_mutex_lock")                           \
	X(pthread_mutex_trylock, "pthread_mutex_trylock")                     \
	X(pthread_cond_wait, "pthread_cond_wait")                             \
	X(pthread_cond_timedwait, "pthread_cond_timedwait")                   \
	X(pthread_rwlock_rdlock, "pthread_rwlock_rdlock")                     \
	X(pthread_rwlock_wrlock, "pthread_rwlock_wrlock")                     \
	X(sem_wait, "sem_wait") X(sem_timedwait, "sem_timedwait")             \
	X(sleep, "sleep") X(usleep, "usleep") X(nanosleep, "nanosleep")       \
	X(clock_nanosleep, "clock_nanosleep")                                 \
	X(open, "open") X(open64, "open") X(openat, "openat")                 \
	X(openat64, "openat") X(creat, "creat") X(creat64, "creat")           \
	X(fopen, "fopen") X(fopen64, "fopen") X(fclose, "fclose")             \
	X(close, "close")                                                     \
	X(read, "read") X(__read_chk, "read") X(write, "write")               \
	X(pread, "pread") X(pread64, "pread") X(pwrite, "pwrite")             \
	X(pwrite64, "pwrite") X(readv, "readv") X(writev, "writev")           \
	X(fread, "fread") X(fwrite, "fwrite") X(fflush, "fflush")             \
	X(printf, "printf") X(__printf_chk, "printf")                         \
	X(fprintf, "fprintf") X(__fprintf_chk, "fprintf")                     \
	X(vfprintf, "vfprintf") X(__vfprintf_chk, "vfprintf")                 \
	X(puts, "puts") X(fputs, "fputs") X(putchar, "putchar")               \
	X(fputc, "fputc") X(putc, "putc") X(syslog, "syslog")                 \
	X(__syslog_chk, "syslog")                                             \
	X(socket, "socket") X(connect, "connect") X(accept, "accept")         \
	X(accept4, "accept") X(send, "send") X(sendto, "sendto")              \
	X(sendmsg, "sendmsg") X(recv, "recv") X(recvfrom, "recvfrom")         \
	X(recvmsg, "recvmsg") X(poll, "poll") X(ppoll, "poll")                \
	X(select, "select") X(pselect, "select")                              \
	X(epoll_wait, "epoll_wait") X(epoll_pwait, "epoll_wait")

#define AS_ENUM(sym, rep) G_##sym,
#define AS_SYM(sym, rep) #sym,
#define AS_REP(sym, rep) rep,

enum guarded { GUARDED(AS_ENUM) G_COUNT };

static const char *const g_sym[G_COUNT] = { GUARDED(AS_SYM) };
static const char *const g_rep[G_COUNT] = { GUARDED(AS_REP) };

/* glibc entry points that bypass interposition (no dlsym needed). */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t nmemb, size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

/* Fortified variants are only declared by glibc under _FORTIFY_SOURCE. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
int __printf_chk(int flag, const char *fmt, ...);
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);
int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap);
void __syslog_chk(int prio, int flag, const char *fmt, ...);
void __vsyslog_chk(int prio, int flag, const char *fmt, va_list ap);

static _Atomic unsigned long g_viol[G_COUNT];
static _Atomic unsigned long g_cycles;
static atomic_bool g_wrapped;
static void *_Atomic g_real[G_COUNT];

/* initial-exec: reading the mark must never allocate (it runs in malloc). */
static __thread int t_in_process __attribute__((tls_model("initial-exec")));

/* Slots pair a client's real callback with the wrapper JACK calls. */
struct slot {
	jack_client_t *_Atomic client;
	JackProcessCallback cb;
	void *arg;
};

static struct slot g_slots[MAX_CLIENTS];

static struct {
	char path[PATH_MAX];
	char tmp[PATH_MAX + 8];
	pid_t pid;
	int running;
	int stop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
} g_rep_state = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* any thread: the counting step of every wrapper */
static inline void note_call(enum guarded g)
{
	if (t_in_process)
		atomic_fetch_add_explicit(&g_viol[g], 1, memory_order_relaxed);
}

/*
 * Resolve a real symbol.  The mark is cleared around dlsym so that whatever
 * dlsym does internally is not blamed on the caller.  pthread_cond_* exist in
 * two versions; plain dlsym may pick the old one, so ask for the current.
 */
static void *resolve(enum guarded g)
{
	void *p = atomic_load_explicit(&g_real[g], memory_order_acquire);
	int saved;

	if (p)
		return p;
	saved = t_in_process;
	t_in_process = 0;
	if (g == G_pthread_cond_wait || g == G_pthread_cond_timedwait)
		p = dlvsym(RTLD_NEXT, g_sym[g], "GLIBC_2.3.2");
	if (!p)
		p = dlsym(RTLD_NEXT, g_sym[g]);
	t_in_process = saved;
	if (!p)
		abort();
	atomic_store_explicit(&g_real[g], p, memory_order_release);
	return p;
}

#define REAL(fn) ((__typeof__(fn) *)resolve(G_##fn))

/*
 * Every wrapper below may be called from any thread: it counts the call if
 * that thread is inside a process callback, then forwards it.
 */

/* ---- allocator family ---- */

void *malloc(size_t n)
{
	note_call(G_malloc);
	return __libc_malloc(n);
}

void *calloc(size_t nmemb, size_t n)
{
	note_call(G_calloc);
	return __libc_calloc(nmemb, n);
}

void *realloc(void *p, size_t n)
{
	note_call(G_realloc);
	return __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t nmemb, size_t n)
{
	size_t total;

	note_call(G_reallocarray);
	if (__builtin_mul_overflow(nmemb, n, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, total);
}

void free(void *p)
{
	note_call(G_free);
	__libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	note_call(G_posix_memalign);
	if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0)
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
	note_call(G_aligned_alloc);
	return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
	note_call(G_memalign);
	return __libc_memalign(align, n);
}

void *valloc(size_t n)
{
	note_call(G_valloc);
	return __libc_valloc(n);
}

void *pvalloc(size_t n)
{
	note_call(G_pvalloc);
	return __libc_pvalloc(n);
}

/* ---- locks and waits ---- */

int pthread_mutex_lock(pthread_mutex_t *m)
{
	note_call(G_pthread_mutex_lock);
	return REAL(pthread_mutex_lock)(m);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	note_call(G_pthread_mutex_trylock);
	return REAL(pthread_mutex_trylock)(m);
}

int pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m)
{
	note_call(G_pthread_cond_wait);
	return REAL(pthread_cond_wait)(c, m);
}

int pthread_cond_timedwait(pthread_cond_t *restrict c,
			   pthread_mutex_t *restrict m,
			   const struct timespec *restrict ts)
{
	note_call(G_pthread_cond_timedwait);
	return REAL(pthread_cond_timedwait)(c, m, ts);
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	note_call(G_pthread_rwlock_rdlock);
	return REAL(pthread_rwlock_rdlock)(l);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	note_call(G_pthread_rwlock_wrlock);
	return REAL(pthread_rwlock_wrlock)(l);
}

int sem_wait(sem_t *s)
{
	note_call(G_sem_wait);
	return REAL(sem_wait)(s);
}

int sem_timedwait(sem_t *restrict s, const struct timespec *restrict ts)
{
	note_call(G_sem_timedwait);
	return REAL(sem_timedwait)(s, ts);
}

/* ---- sleeping ---- */

unsigned int sleep(unsigned int s)
{
	note_call(G_sleep);
	return REAL(sleep)(s);
}

int usleep(useconds_t us)
{
	note_call(G_usleep);
	return REAL(usleep)(us);
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	note_call(G_nanosleep);
	return REAL(nanosleep)(req, rem);
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
		    struct timespec *rem)
{
	note_call(G_clock_nanosleep);
	return REAL(clock_nanosleep)(clk, flags, req, rem);
}

/* ---- files ---- */

/* open/openat only carry a mode argument when they may create a file. */
static int needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	note_call(G_open);
	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	note_call(G_open64);
	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return REAL(open64)(path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	note_call(G_openat);
	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return REAL(openat)(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	note_call(G_openat64);
	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return REAL(openat64)(dir, path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
	note_call(G_creat);
	return REAL(creat)(path, mode);
}

int creat64(const char *path, mode_t mode)
{
	note_call(G_creat64);
	return REAL(creat64)(path, mode);
}

FILE *fopen(const char *restrict path, const char *restrict mode)
{
	note_call(G_fopen);
	return REAL(fopen)(path, mode);
}

FILE *fopen64(const char *restrict path, const char *restrict mode)
{
	note_call(G_fopen64);
	return REAL(fopen64)(path, mode);
}

int fclose(FILE *f)
{
	note_call(G_fclose);
	return REAL(fclose)(f);
}

int close(int fd)
{
	note_call(G_close);
	return REAL(close)(fd);
}

ssize_t read(int fd, void *buf, size_t n)
{
	note_call(G_read);
	return REAL(read)(fd, buf, n);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	note_call(G___read_chk);
	return REAL(__read_chk)(fd, buf, n, buflen);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	note_call(G_write);
	return REAL(write)(fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	note_call(G_pread);
	return REAL(pread)(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	note_call(G_pread64);
	return REAL(pread64)(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	note_call(G_pwrite);
	return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	note_call(G_pwrite64);
	return REAL(pwrite64)(fd, buf, n, off);
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	note_call(G_readv);
	return REAL(readv)(fd, iov, cnt);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	note_call(G_writev);
	return REAL(writev)(fd, iov, cnt);
}

size_t fread(void *restrict buf, size_t size, size_t n, FILE *restrict f)
{
	note_call(G_fread);
	return REAL(fread)(buf, size, n, f);
}

size_t fwrite(const void *restrict buf, size_t size, size_t n,
	      FILE *restrict f)
{
	note_call(G_fwrite);
	return REAL(fwrite)(buf, size, n, f);
}

int fflush(FILE *f)
{
	note_call(G_fflush);
	return REAL(fflush)(f);
}

/* ---- formatted and character output ---- */

/* The printf family forwards to the real vfprintf, which is not re-counted. */
int printf(const char *restrict fmt, ...)
{
	va_list ap;
	int rc;

	note_call(G_printf);
	va_start(ap, fmt);
	rc = REAL(vfprintf)(stdout, fmt, ap);
	va_end(ap);
	return rc;
}

int __printf_chk(int flag, const char *fmt, ...)
{
	va_list ap;
	int rc;

	note_call(G___printf_chk);
	va_start(ap, fmt);
	rc = REAL(__vfprintf_chk)(stdout, flag, fmt, ap);
	va_end(ap);
	return rc;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
	va_list ap;
	int rc;

	note_call(G_fprintf);
	va_start(ap, fmt);
	rc = REAL(vfprintf)(f, fmt, ap);
	va_end(ap);
	return rc;
}

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int rc;

	note_call(G___fprintf_chk);
	va_start(ap, fmt);
	rc = REAL(__vfprintf_chk)(f, flag, fmt, ap);
	va_end(ap);
	return rc;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
	note_call(G_vfprintf);
	return REAL(vfprintf)(f, fmt, ap);
}

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	note_call(G___vfprintf_chk);
	return REAL(__vfprintf_chk)(f, flag, fmt, ap);
}

int puts(const char *s)
{
	note_call(G_puts);
	return REAL(puts)(s);
}

int fputs(const char *restrict s, FILE *restrict f)
{
	note_call(G_fputs);
	return REAL(fputs)(s, f);
}

/* The compiler may turn printf("x") into putchar('x'). */
int putchar(int c)
{
	note_call(G_putchar);
	return REAL(putchar)(c);
}

int fputc(int c, FILE *f)
{
	note_call(G_fputc);
	return REAL(fputc)(c, f);
}

int putc(int c, FILE *f)
{
	note_call(G_putc);
	return REAL(putc)(c, f);
}

void syslog(int prio, const char *fmt, ...)
{
	va_list ap;

	note_call(G_syslog);
	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

void __syslog_chk(int prio, int flag, const char *fmt, ...)
{
	va_list ap;

	note_call(G___syslog_chk);
	va_start(ap, fmt);
	__vsyslog_chk(prio, flag, fmt, ap);
	va_end(ap);
}

/* ---- sockets and polling ---- */

int socket(int domain, int type, int proto)
{
	note_call(G_socket);
	return REAL(socket)(domain, type, proto);
}

int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	note_call(G_connect);
	return REAL(connect)(fd, addr, len);
}

int accept(int fd, __SOCKADDR_ARG addr, socklen_t *restrict len)
{
	note_call(G_accept);
	return REAL(accept)(fd, addr, len);
}

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *restrict len, int flags)
{
	note_call(G_accept4);
	return REAL(accept4)(fd, addr, len, flags);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	note_call(G_send);
	return REAL(send)(fd, buf, n, flags);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags,
	       __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	note_call(G_sendto);
	return REAL(sendto)(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	note_call(G_sendmsg);
	return REAL(sendmsg)(fd, msg, flags);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	note_call(G_recv);
	return REAL(recv)(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void *restrict buf, size_t n, int flags,
		 __SOCKADDR_ARG addr, socklen_t *restrict len)
{
	note_call(G_recvfrom);
	return REAL(recvfrom)(fd, buf, n, flags, addr, len);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	note_call(G_recvmsg);
	return REAL(recvmsg)(fd, msg, flags);
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	note_call(G_poll);
	return REAL(poll)(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
	  const sigset_t *mask)
{
	note_call(G_ppoll);
	return REAL(ppoll)(fds, n, ts, mask);
}

int select(int n, fd_set *restrict r, fd_set *restrict w, fd_set *restrict e,
	   struct timeval *restrict tv)
{
	note_call(G_select);
	return REAL(select)(n, r, w, e, tv);
}

int pselect(int n, fd_set *restrict r, fd_set *restrict w, fd_set *restrict e,
	    const struct timespec *restrict ts, const sigset_t *restrict mask)
{
	note_call(G_pselect);
	return REAL(pselect)(n, r, w, e, ts, mask);
}

int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
	note_call(G_epoll_wait);
	return REAL(epoll_wait)(ep, ev, max, timeout);
}

int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout,
		const sigset_t *mask)
{
	note_call(G_epoll_pwait);
	return REAL(epoll_pwait)(ep, ev, max, timeout, mask);
}

/* ---- the JACK side ---- */

/* RT: JACK process thread - the only place the mark is ever set */
static int process_wrapper(jack_nframes_t nframes, void *arg)
{
	struct slot *s = arg;
	int rc;

	atomic_fetch_add_explicit(&g_cycles, 1, memory_order_relaxed);
	t_in_process = 1;
	rc = s->cb(nframes, s->arg);
	t_in_process = 0;
	return rc;
}

/* Find the client's slot, or claim a free one; NULL when all are taken. */
static struct slot *slot_for(jack_client_t *client)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		if (atomic_load(&g_slots[i].client) == client)
			return &g_slots[i];
	}
	for (i = 0; i < MAX_CLIENTS; i++) {
		jack_client_t *expect = NULL;

		if (atomic_compare_exchange_strong(&g_slots[i].client, &expect,
						   client))
			return &g_slots[i];
	}
	return NULL;
}

typedef int (*set_process_fn)(jack_client_t *, JackProcessCallback, void *);
typedef int (*client_close_fn)(jack_client_t *);

/* any non-RT thread (JACK requires the client to be inactive here) */
int jack_set_process_callback(jack_client_t *client, JackProcessCallback cb,
			      void *arg)
{
	set_process_fn real = (set_process_fn)dlsym(
		RTLD_NEXT, "jack_set_process_callback");
	struct slot *s;

	if (!real)
		return -1;
	s = cb ? slot_for(client) : NULL;
	if (!s)
		return real(client, cb, arg);
	s->cb = cb;
	s->arg = arg;
	atomic_store(&g_wrapped, true);
	return real(client, process_wrapper, s);
}

/* any non-RT thread: once closed, the client's callback can no longer run */
int jack_client_close(jack_client_t *client)
{
	client_close_fn real = (client_close_fn)dlsym(RTLD_NEXT,
						      "jack_client_close");
	int rc, i;

	if (!real)
		return -1;
	rc = real(client);
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (atomic_load(&g_slots[i].client) == client)
			atomic_store(&g_slots[i].client, NULL);
	}
	return rc;
}

/* ---- reporting ---- */

/* Sum the counters of every symbol reported under g_rep[g]. */
static unsigned long count_for_name(enum guarded g)
{
	unsigned long sum = 0;
	int k;

	for (k = 0; k < G_COUNT; k++) {
		if (strcmp(g_rep[k], g_rep[g]) == 0)
			sum += atomic_load_explicit(&g_viol[k],
						    memory_order_relaxed);
	}
	return sum;
}

/* Is g the first symbol in the table that reports under its name? */
static int first_of_name(enum guarded g)
{
	int k;

	for (k = 0; k < (int)g; k++) {
		if (strcmp(g_rep[k], g_rep[g]) == 0)
			return 0;
	}
	return 1;
}

/* any thread: JSON report into buf; returns its length */
static size_t format_report(char *buf, size_t len)
{
	size_t n;
	int g, first = 1;

	n = (size_t)snprintf(buf, len,
			     "{\"pid\":%ld,\"wrapped\":%s,\"cycles\":%lu,"
			     "\"violations\":{",
			     (long)getpid(),
			     atomic_load(&g_wrapped) ? "true" : "false",
			     atomic_load(&g_cycles));
	for (g = 0; g < G_COUNT && n < len; g++) {
		unsigned long c;

		if (!first_of_name(g))
			continue;
		c = count_for_name(g);
		if (c == 0)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s\"%s\":%lu",
				      first ? "" : ",", g_rep[g], c);
		first = 0;
	}
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, "}}\n");
	return n < len ? n : len - 1;
}

/* Write all of buf to fd, riding out short writes and EINTR. */
static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * reporter thread, or main thread at exit (never both at once).  A process
 * that never registered a callback (say a helper the engine exec'd with the
 * same environment) only writes a report if none exists, so it cannot
 * clobber the real one.
 */
static void write_report(int final)
{
	char buf[4096];
	size_t n;
	int fd, rc;

	if (!atomic_load(&g_wrapped) &&
	    (!final || access(g_rep_state.path, F_OK) == 0))
		return;
	n = format_report(buf, sizeof(buf));
	fd = open(g_rep_state.tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return;
	rc = write_all(fd, buf, n);
	if (close(fd) == 0 && rc == 0)
		rename(g_rep_state.tmp, g_rep_state.path);
}

/* Next wake-up, REPORT_PERIOD_NS from now on CLOCK_MONOTONIC. */
static void next_tick(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_nsec += REPORT_PERIOD_NS;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_nsec -= 1000000000L;
		ts->tv_sec++;
	}
}

/* reporter thread */
static void *reporter_main(void *unused)
{
	struct timespec ts;

	(void)unused;
	pthread_mutex_lock(&g_rep_state.lock);
	while (!g_rep_state.stop) {
		pthread_mutex_unlock(&g_rep_state.lock);
		write_report(0);
		pthread_mutex_lock(&g_rep_state.lock);
		next_tick(&ts);
		while (!g_rep_state.stop &&
		       pthread_cond_timedwait(&g_rep_state.wake,
					      &g_rep_state.lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&g_rep_state.lock);
	return NULL;
}

/* constructor: start the reporter (CLOCK_MONOTONIC so clock jumps are harmless) */
static void start_reporter(const char *path)
{
	pthread_condattr_t attr;
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(g_rep_state.path))
		return;
	memcpy(g_rep_state.path, path, len + 1);
	snprintf(g_rep_state.tmp, sizeof(g_rep_state.tmp), "%s.tmp", path);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g_rep_state.wake, &attr);
	pthread_condattr_destroy(&attr);
	g_rep_state.pid = getpid();
	if (pthread_create(&g_rep_state.thread, NULL, reporter_main, NULL) == 0)
		g_rep_state.running = 1;
}

__attribute__((constructor)) static void rtguard_init(void)
{
	const char *path = getenv("RTGUARD_REPORT");
	int g;

	/* The allocator family (malloc .. pvalloc) never goes through dlsym. */
	for (g = G_pvalloc + 1; g < G_COUNT; g++)
		resolve(g);
	if (path)
		start_reporter(path);
}

/* Exit: stop the reporter, then write the final figures once. */
__attribute__((destructor)) static void rtguard_fini(void)
{
	char buf[4096];
	size_t n;

	if (g_rep_state.running && g_rep_state.pid == getpid()) {
		pthread_mutex_lock(&g_rep_state.lock);
		g_rep_state.stop = 1;
		pthread_cond_signal(&g_rep_state.wake);
		pthread_mutex_unlock(&g_rep_state.lock);
		pthread_join(g_rep_state.thread, NULL);
		g_rep_state.running = 0;
		write_report(1);
		return;
	}
	/* Without a report file, stay quiet in processes that are not clients. */
	if (g_rep_state.path[0] || !atomic_load(&g_wrapped))
		return;
	n = format_report(buf, sizeof(buf));
	write_all(STDERR_FILENO, "rtguard: ", 9);
	write_all(STDERR_FILENO, buf, n);
}
