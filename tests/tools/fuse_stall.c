/* SPDX-License-Identifier: MIT */
/* Test helper for ljmm-maps: a process that maps a file named libljmm_preload.so from a
 * FUSE file system whose daemon never answers a read (ctest tools_fleet_fuse). A read
 * of such a page through /proc/PID/mem waits for the daemon, so before the bound
 * ljmm-maps hung there; now it must not read the object at all.
 *
 * It mounts a FUSE file system of type fuse.ljmmstall at MOUNTPOINT (root, /dev/fuse;
 * the kernel's protocol spoken directly, no libfuse) with one file, libljmm_preload.so,
 * of three pages. A child opens it and maps it as the library would be (page 0
 * read-only at offset 0, pages 1-2 private and writable), touches nothing (so nothing
 * is read), prints "ready PID" and waits. The parent serves the file system: lookups,
 * attributes, opens, but every READ is left unanswered and reported on stdout as
 * "READ request". On SIGTERM (or after 120 s) it kills the child and unmounts.
 * Exit 77 when a FUSE mount cannot be made here, or when the compiler has no
 * <linux/fuse.h> (musl-gcc comes without the kernel's headers).
 * Usage: fuse_stall MOUNTPOINT */
#include <stdio.h>

#if !__has_include(<linux/fuse.h>)
int main(void)
{
	printf("SKIP: built without <linux/fuse.h> (musl-gcc has no kernel headers)\n");
	return 77;
}
#else
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME "libljmm_preload.so"
#define FILE_NODE 2
#define FILE_SIZE (3 * 4096)
#define BUF_SIZE (FUSE_MIN_READ_BUFFER + (1 << 20))

static const char *mnt;
static pid_t child = -1;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void cleanup(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	umount2(mnt, MNT_DETACH);
}

static void reply(int fd, uint64_t unique, int error, const void *body, size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 256];
	struct fuse_out_header h = {.len = (uint32_t)(sizeof h + len), .error = -error, .unique = unique};
	memcpy(buf, &h, sizeof h);
	if (len)
		memcpy(buf + sizeof h, body, len);
	if (write(fd, buf, sizeof h + len) < 0 && errno != ENOENT) /* ENOENT: the request was interrupted */
		perror("fuse_stall: write /dev/fuse");
}

static void attr(struct fuse_attr *a, uint64_t node)
{
	memset(a, 0, sizeof *a);
	a->ino = node;
	a->nlink = 1;
	if (node == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0644;
		a->size = FILE_SIZE;
		a->blocks = FILE_SIZE / 512;
	}
	a->blksize = 4096;
}

static int target(void)
{
	char path[4096];
	char *map;
	int fd;
	snprintf(path, sizeof path, "%s/%s", mnt, NAME);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	map = mmap(NULL, FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED || mprotect(map + 4096, 2 * 4096, PROT_READ | PROT_WRITE)) {
		perror("fuse_stall: mmap");
		return 1;
	}
	close(fd);
	printf("ready %ld\n", (long)getpid());
	fflush(stdout);
	alarm(120);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	static char buf[BUF_SIZE];
	char opts[128];
	struct sigaction sa;
	int fd;
	if (argc != 2) {
		fprintf(stderr, "usage: fuse_stall MOUNTPOINT\n");
		return 2;
	}
	mnt = argv[1];
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("SKIP: cannot open /dev/fuse: %s\n", strerror(errno));
		return 77;
	}
	snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=%u,group_id=%u", fd, (unsigned)getuid(),
		 (unsigned)getgid());
	if (mount("ljmmstall", mnt, "fuse.ljmmstall", MS_NOSUID | MS_NODEV, opts)) {
		printf("SKIP: cannot mount a FUSE file system: %s\n", strerror(errno));
		return 77;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	alarm(120);
	fflush(stdout);
	child = fork();
	if (child < 0) {
		perror("fuse_stall: fork");
		cleanup();
		return 1;
	}
	if (!child) {
		close(fd);
		signal(SIGTERM, SIG_DFL);
		_exit(target());
	}
	while (!stop) {
		struct fuse_in_header in;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN))
			continue;
		if (n < (ssize_t)sizeof in)
			break;
		memcpy(&in, buf, sizeof in);
		switch (in.opcode) {
		case FUSE_INIT: {
			struct fuse_init_in ii;
			struct fuse_init_out io;
			memcpy(&ii, buf + sizeof in, sizeof ii < (size_t)n - sizeof in ? sizeof ii : (size_t)n - sizeof in);
			memset(&io, 0, sizeof io);
			io.major = FUSE_KERNEL_VERSION;
			io.minor = ii.minor < FUSE_KERNEL_MINOR_VERSION ? ii.minor : FUSE_KERNEL_MINOR_VERSION;
			io.max_readahead = ii.max_readahead;
			io.max_write = 4096;
			io.max_background = 16;
			io.congestion_threshold = 12;
			io.time_gran = 1;
			reply(fd, in.unique, 0, &io, sizeof io);
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out e;
			if (in.nodeid != FUSE_ROOT_ID || strcmp(buf + sizeof in, NAME)) {
				reply(fd, in.unique, ENOENT, NULL, 0);
				break;
			}
			memset(&e, 0, sizeof e);
			e.nodeid = FILE_NODE;
			e.entry_valid = e.attr_valid = 3600;
			attr(&e.attr, FILE_NODE);
			reply(fd, in.unique, 0, &e, sizeof e);
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out a;
			memset(&a, 0, sizeof a);
			a.attr_valid = 3600;
			attr(&a.attr, in.nodeid);
			reply(fd, in.unique, 0, &a, sizeof a);
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out o;
			memset(&o, 0, sizeof o);
			o.fh = 1;
			reply(fd, in.unique, 0, &o, sizeof o);
			break;
		}
		case FUSE_READ:
			/* Never answered: whoever faults this file's pages in waits. */
			printf("READ request from pid %u\n", in.pid);
			fflush(stdout);
			break;
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			reply(fd, in.unique, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;
		default:
			reply(fd, in.unique, ENOSYS, NULL, 0);
			break;
		}
	}
	cleanup();
	return 0;
}
#endif
