/* SPDX-License-Identifier: MIT */
/* The library's log lines and their destination: the log file kept open from start-up,
 * checked before every line, or standard error (see log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"
#include "sys.h"

/* The log file is opened once, at start-up, and kept (close-on-exec, never on 0-2). nginx,
 * OpenResty and php-fpm start as root and fork workers that drop privileges: a worker
 * could not open a root-owned file itself, but inherits the master's descriptor.
 *
 * A kept descriptor is only written after it is checked to still hold the file we opened
 * (same device and inode, opened for appending): a daemon that closes every descriptor
 * and opens its own data file under the same number must not receive our lines. One
 * that fails the check is forgotten, never closed (it is not ours); the path is reopened.
 *
 * Rotation: before each line the path is looked up; when it names another file (logrotate's
 * "create" renamed ours and made a new one) that file is opened, without O_CREAT, and
 * dup3'ed onto our number. Where it cannot be opened (not made yet, or not ours to open),
 * the lines go on into the renamed file: nothing is lost. "copytruncate" needs nothing.
 *
 * "%p" in the path: each process its own file; a forked child that cannot open its own
 * (a worker without rights to the directory) writes on into the one it inherited.
 *
 * O_NONBLOCK: a FIFO without a reader fails with ENXIO, a full one with EAGAIN; nothing
 * blocks. Created 0600: the lines hold addresses. The path is copied and made absolute
 * when the options are read (nginx and postgres write their process title over the
 * environment; a relative path would follow a chdir), into .lbss (pool.c says why), and
 * published by a flag: a line logged while it is written goes to stderr instead. */
__attribute__((section(".lbss"))) static char log_path[LJMM_LOG_PATH_MAX];
__attribute__((section(".lbss"))) static char expanded[LJMM_LOG_PATH_MAX]; /* "%p" replaced; under the lock */
static int log_path_err; /* why the path could not be taken (-errno), or 0 */
static int log_ready;    /* atomic: log_path (and log_path_err) are complete; 0: stderr */
static int has_pattern;  /* log_path holds "%p" */
int ljmm_log_debug_on;

static long kept_fd = -1;     /* the kept descriptor, or -1 */
static ljmm_fileid_t kept_id; /* the file it holds */
static long kept_pid;         /* whose path ("%p") that file is */
static int kept_once;         /* a file was kept: later opens do not follow symlinks */
static long own_tried;        /* the PID that last tried to open a "%p" file of its own */
static int reopen_said;       /* the line saying a rotated path could not be opened */
static int lock_owner;        /* atomic: the thread in the kept descriptor's section, or 0 */

static ljmm_fileid_t err_id; /* standard error as it was when the options were read */
static int err_known;

static int still_ours(long fd);

void ljmm_log_configure(const char *path, int debug)
{
	size_t n = path ? strlen(path) : 0, at = 0;
	ljmm_log_debug_on = debug;
	__atomic_store_n(&log_ready, 0, __ATOMIC_RELEASE);
	err_known = ljmm_sys_fstat(2, &err_id) == 0;
	/* A new path (tests; the options are read once) starts afresh. */
	if (kept_fd >= 0 && still_ours(kept_fd))
		ljmm_sys_close((int)kept_fd);
	kept_fd = -1;
	own_tried = kept_once = 0;
	log_path[0] = '\0';
	log_path_err = 0;
	if (!n)
		return;
	if (path[0] != '/') {
		long r = ljmm_sys_getcwd(log_path, sizeof log_path);
		/* Linux 2.6.36+: "(unreachable)/..." when the directory is outside the
		 * process's root; such a prefix cannot be opened either. */
		if (r < 0 || log_path[0] != '/') {
			log_path_err = r < 0 ? (int)r : -ENOENT;
			at = 0;
		} else {
			at = strlen(log_path);
			if (at > 1)
				log_path[at++] = '/';
		}
	}
	if (!log_path_err && at + n >= sizeof log_path)
		log_path_err = -ENAMETOOLONG;
	if (log_path_err) {
		/* Kept for the error line, cut if need be; nothing is opened. */
		at = 0;
		if (n >= sizeof log_path)
			n = sizeof log_path - 1;
	}
	LJMM_TEST_POINT("log: path half written");
	memcpy(log_path + at, path, n);
	log_path[at + n] = '\0';
	for (size_t i = has_pattern = 0; log_path[i]; i++) /* not strstr: an import (library_symbols) */
		has_pattern |= log_path[i] == '%' && log_path[i + 1] == 'p';
	__atomic_store_n(&log_ready, 1, __ATOMIC_RELEASE);
}

/* Is there a log file to use (else: stderr)? */
static int have_log(void) { return __atomic_load_n(&log_ready, __ATOMIC_ACQUIRE); }

/* The path for process pid, in *out: log_path itself, or with "%p" and "%%" expanded
 * (into `expanded`, so under the lock). 0 or -errno. */
static int path_for(long pid, const char **out)
{
	ljmm_buf_t b;
	if (log_path_err)
		return log_path_err;
	*out = log_path;
	if (!has_pattern)
		return 0;
	ljmm_buf_init(&b, expanded, sizeof expanded - 1);
	for (const char *p = log_path; *p; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			ljmm_buf_i64(&b, pid);
			p++;
		} else {
			ljmm_buf_mem(&b, p, 1);
			p += p[0] == '%' && p[1] == '%';
		}
	}
	if (b.truncated || b.len == b.cap)
		return -ENAMETOOLONG;
	expanded[b.len] = '\0';
	*out = expanded;
	return 0;
}

/* After the first open, O_NOFOLLOW: whoever may write the log's directory could swap in a
 * symlink to a file of root's, and a root master's next reopen would append to it
 * (fs.protected_symlinks guards sticky directories only). The first open follows links,
 * as the operator's own path may be one. */
static long open_path(const char *path, int create)
{
	return ljmm_sys_open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (create ? O_CREAT : 0) |
					   (kept_once ? O_NOFOLLOW : 0),
			     0600);
}

static int same_file(const ljmm_fileid_t *a, const ljmm_fileid_t *b) { return a->dev == b->dev && a->ino == b->ino; }

/* Does fd still hold the file we opened, for appending? */
static int still_ours(long fd)
{
	ljmm_fileid_t id;
	long fl;
	if (ljmm_sys_fstat((int)fd, &id) != 0 || !same_file(&id, &kept_id))
		return 0;
	fl = ljmm_sys_fcntl((int)fd, F_GETFL, 0);
	return fl >= 0 && (fl & O_APPEND) && (fl & O_ACCMODE) != O_RDONLY;
}

/* Keep fd (a file opened for pid's path): in place of the kept descriptor if there is
 * one, else above 2 (with standard error closed, a descriptor 2 of ours would take the
 * program's own error output, and its dup2 onto 2 would close ours). The kept
 * descriptor, or -errno. */
static long keep(long fd, long pid)
{
	ljmm_fileid_t id;
	long r = ljmm_sys_fstat((int)fd, &id);
	if (r == 0 && kept_fd >= 0)
		r = ljmm_sys_dup3((int)fd, (int)kept_fd, O_CLOEXEC);
	else if (r == 0 && fd < 3)
		r = ljmm_sys_fcntl((int)fd, F_DUPFD_CLOEXEC, 3);
	else if (r == 0)
		r = fd;
	if (r != fd)
		ljmm_sys_close((int)fd);
	if (r < 0)
		return r;
	kept_fd = r;
	kept_id = id;
	kept_pid = pid;
	kept_once = 1;
	return r;
}

/* May a line go to descriptor 2? It must be open for writing and hold either the file
 * it held when the options were read (whatever that was: a terminal, `2>file`) or a
 * log-like one: a pipe, a socket, a character device or a file opened for appending
 * (nginx points 2 at its error.log so). Not a data file a program opened on a closed
 * descriptor 2: the line is dropped rather than written into it. */
static int stderr_takes_lines(void)
{
	ljmm_fileid_t id;
	long fl = ljmm_sys_fcntl(2, F_GETFL, 0);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || ljmm_sys_fstat(2, &id) != 0)
		return 0;
	return (err_known && same_file(&id, &err_id)) || S_ISFIFO(id.mode) || S_ISSOCK(id.mode) || S_ISCHR(id.mode) ||
	       (S_ISREG(id.mode) && (fl & O_APPEND));
}

static int to_stderr(const ljmm_buf_t *b) { return stderr_takes_lines() ? ljmm_buf_flush_guarded(b, 2) : -EBADF; }

/* Say once (flag), on fd (2: stderr), that LJMM_LOG_FILE cannot be used. */
static void say_once(int *flag, int fd, const char *what, const char *path, int err, const char *then)
{
	char storage[512];
	ljmm_buf_t b;
	size_t n;
	if (__atomic_exchange_n(flag, 1, __ATOMIC_RELAXED))
		return;
	ljmm_log_begin(&b, storage, sizeof storage - 1, LJMM_LOG_ERROR);
	ljmm_buf_str(&b, "cannot ");
	ljmm_buf_str(&b, what);
	ljmm_buf_str(&b, " LJMM_LOG_FILE='");
	/* Long paths are shortened in the middle so that the line keeps its end. */
	n = strlen(path);
	if (n > 300) {
		ljmm_buf_mem(&b, path, 140);
		ljmm_buf_str(&b, "...");
		ljmm_buf_str(&b, path + n - 140);
	} else {
		ljmm_buf_str(&b, path);
	}
	ljmm_buf_str(&b, "': ");
	ljmm_buf_errno(&b, err);
	if (err == ENXIO)
		ljmm_buf_str(&b, " (a FIFO with no reader)");
	else if (err == EFBIG)
		ljmm_buf_str(&b, " (RLIMIT_FSIZE)");
	else if (err == EAGAIN)
		ljmm_buf_str(&b, " (a full FIFO)");
	ljmm_buf_str(&b, then);
	if (b.len == b.cap)
		b.len--;
	ljmm_buf_mem(&b, "\n", 1);
	(void)(fd == 2 ? to_stderr(&b) : ljmm_buf_flush_guarded(&b, fd));
}

/* The kept descriptor, checked, followed through a rotation, opened if need be; or
 * -errno. Under the lock. */
static long kept(void)
{
	long pid = ljmm_sys_getpid(), fd, r;
	const char *path;
	ljmm_fileid_t now;
	if (kept_fd >= 0 && !still_ours(kept_fd))
		kept_fd = -1; /* closed behind our back, perhaps reused: neither written nor closed */
	if (has_pattern && kept_pid != pid && own_tried != pid) {
		own_tried = pid;
		if (path_for(pid, &path) == 0 && (fd = open_path(path, 1)) >= 0)
			return keep(fd, pid);
	}
	if (kept_fd < 0) {
		if ((r = path_for(pid, &path)) != 0)
			return r;
		fd = open_path(path, 1);
		return fd < 0 ? fd : keep(fd, pid);
	}
	if (path_for(kept_pid, &path) == 0 && ljmm_sys_stat(path, &now) == 0 && !same_file(&now, &kept_id)) {
		fd = open_path(path, 0);
		if (fd >= 0)
			return keep(fd, kept_pid);
		say_once(&reopen_said, (int)kept_fd, "reopen", path, (int)-fd,
			 " after a rotation; writing on to the rotated file");
	}
	return kept_fd;
}

/* The kept descriptor's section, one thread at a time. Its holder makes a few system
 * calls, so others wait: up to 100 ms of one holder not letting go (only timed-out waits
 * count; losing the word to another thread is progress). A handler that interrupted the
 * holder on its own thread opens the path for its line alone. A holder that is gone (a
 * fork copied the word, a thread ended inside) is taken over. */
static int lock_kept(void)
{
	const struct timespec ms = {0, 1000000};
	int self = (int)ljmm_sys_gettid(), owner, waited = 0;
	while (waited < 100) {
		owner = 0;
		if (__atomic_compare_exchange_n(&lock_owner, &owner, self, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
		if (owner == self)
			return 0;
		if (ljmm_sys_tgkill(ljmm_sys_getpid(), owner, 0) == -ESRCH) {
			if (__atomic_compare_exchange_n(&lock_owner, &owner, self, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return 1;
			continue;
		}
		waited += ljmm_sys_futex_wait(&lock_owner, owner, &ms) == -ETIMEDOUT;
	}
	return 0;
}

static void unlock_kept(void)
{
	__atomic_store_n(&lock_owner, 0, __ATOMIC_RELEASE);
	(void)ljmm_sys_futex_wake(&lock_owner, 1);
}

static int failed_once; /* the "cannot open/write" line was printed */

static void report_unusable(const char *what, int err)
{
	say_once(&failed_once, 2, what, log_path, err, "; logging to stderr");
}

int ljmm_log_check(void)
{
	long fd;
	if (!have_log())
		return 0;
	if (!lock_kept())
		return 0;
	fd = kept();
	unlock_kept();
	if (fd < 0) {
		report_unusable("open", (int)-fd);
		return (int)fd;
	}
	return 0;
}

static const char *const level_words[] = {"error", "warn", "notice", "debug"};

void ljmm_log_prefix(ljmm_buf_t *b, ljmm_log_level_t level)
{
	struct timespec ts;
	/* A clock a seccomp filter refuses still gives a line, with question marks. */
	if (ljmm_sys_clock_gettime(CLOCK_REALTIME, &ts) != 0)
		ts.tv_sec = -1, ts.tv_nsec = -1;
	ljmm_buf_utc(b, ts.tv_sec, ts.tv_nsec);
	ljmm_buf_str(b, " [");
	ljmm_buf_str(b, level_words[level]);
	ljmm_buf_str(b, "] ljmm[");
	ljmm_buf_i64(b, ljmm_sys_getpid());
	ljmm_buf_str(b, "]: ");
}

void ljmm_log_begin(ljmm_buf_t *b, char *storage, size_t cap, ljmm_log_level_t level)
{
	ljmm_buf_init(b, storage, cap);
	ljmm_log_prefix(b, level);
}

/* The line through a descriptor of its own, when the kept one is busy: the path opened
 * for it alone ("%p": the PID's file may not be ours to open; stderr). */
static long open_alone(void)
{
	return has_pattern || log_path_err ? -EBUSY : open_path(log_path, 1);
}

int ljmm_log_end(ljmm_buf_t *b)
{
	long fd;
	int r, locked;
	/* Keep room for the newline even when the text was cut. */
	if (b->len == b->cap && b->cap)
		b->len--;
	ljmm_buf_mem(b, "\n", 1);
	if (!have_log())
		return to_stderr(b);
	locked = lock_kept();
	fd = locked ? kept() : open_alone();
	if (fd < 0) {
		/* A full descriptor table, a FIFO gone: the line still goes somewhere. (Not
		 * said when only the line alone could not open it: the kept file is fine.) */
		if (locked) {
			unlock_kept();
			report_unusable("open", (int)-fd);
		}
		return to_stderr(b);
	}
	r = ljmm_buf_flush_guarded(b, (int)fd);
	if (locked)
		unlock_kept();
	else
		ljmm_sys_close((int)fd);
	if (r < 0) {
		report_unusable("write", -r);
		r = to_stderr(b);
	}
	return r;
}

void ljmm_log_debug(const char *msg, uintptr_t addr, const char *label, uint64_t n, int err)
{
	char storage[320];
	ljmm_buf_t b;
	ljmm_log_begin(&b, storage, sizeof storage, LJMM_LOG_DEBUG);
	ljmm_buf_str(&b, msg);
	if (addr) {
		ljmm_buf_str(&b, " addr=");
		ljmm_buf_hex(&b, addr);
	}
	if (label) {
		ljmm_buf_str(&b, " ");
		ljmm_buf_str(&b, label);
		ljmm_buf_str(&b, "=");
		ljmm_buf_u64(&b, n);
	}
	if (err) {
		ljmm_buf_str(&b, " error=");
		ljmm_buf_errno(&b, -err);
	}
	(void)ljmm_log_end(&b);
}
