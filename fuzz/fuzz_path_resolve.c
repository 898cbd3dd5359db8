/* The honeypot's path resolution against the kernel's own, on arbitrary
 * paths: a process picks the path it opens, and if the resolver and the
 * kernel disagree about which file it names, a decoyed file could be
 * reached without its decoy (or a decoy served where the kernel would
 * have refused, which gives the honeypot away). A child process, its
 * working directory a tree of files, subdirectories and symbolic links
 * (relative, absolute, climbing out, looping, dangling, through
 * /proc/self) made at start under /dev/shm, stats each path (following the
 * last link when the first byte is odd), and the resolver resolves it for
 * that child, as the honeypot does for a supervised process. Property:
 * when the kernel finds a file, the resolver finds the same one; when the
 * resolver finds one, the kernel finds it too. */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "act/path_resolve.h"

static char base[] = "/dev/shm/vg-fuzz-resolve-XXXXXX";
static int base_fd = -1;
static pid_t child;
static int to_child = -1, from_child = -1;

/* libFuzzer's timeout timer interrupts system calls (SIGALRM each second). */
#define retry(call)                                                                                \
	({                                                                                         \
		ssize_t r_;                                                                        \
		while ((r_ = (call)) < 0 && errno == EINTR)                                        \
			;                                                                          \
		r_;                                                                                \
	})

struct question {
	bool follow;
	char path[512];
};

struct answer {
	int err; /* 0 or -errno */
	uint64_t dev, ino;
};

/* The child: answers each question with fstatat from its working directory. */
static void serve(int in, int out)
{
	struct question q;
	struct answer a;
	struct stat st;

	while (retry(read(in, &q, sizeof(q))) == sizeof(q)) {
		memset(&a, 0, sizeof(a));
		a.err =
		    fstatat(AT_FDCWD, q.path, &st, q.follow ? 0 : AT_SYMLINK_NOFOLLOW) ? -errno : 0;
		a.dev = st.st_dev;
		a.ino = st.st_ino;
		if (retry(write(out, &a, sizeof(a))) != sizeof(a))
			break;
	}
	_exit(0);
}

static void start_child(void)
{
	int ask[2], tell[2];

	FUZZ_REQUIRE(pipe2(ask, O_CLOEXEC) == 0 && pipe2(tell, O_CLOEXEC) == 0, "pipe2");
	child = fork();
	FUZZ_REQUIRE(child >= 0, "fork");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (chdir(base))
			_exit(1);
		serve(ask[0], tell[1]);
	}
	close(ask[0]);
	close(tell[1]);
	to_child = ask[1];
	from_child = tell[0];
}

static void make_entry(const char *kind, const char *name, const char *target)
{
	int rc;

	if (!strcmp(kind, "dir")) {
		rc = mkdirat(base_fd, name, 0755);
	} else if (!strcmp(kind, "file")) {
		rc = openat(base_fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (rc >= 0)
			rc = close(rc);
	} else {
		rc = symlinkat(target, base_fd, name);
	}
	FUZZ_REQUIRE(rc == 0, "cannot make %s %s: %s", kind, name, strerror(errno));
}

static void remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", base);
	(void)!system(cmd);
}

static void make_tree(void)
{
	char abs_target[128];

	FUZZ_REQUIRE(mkdtemp(base), "mkdtemp");
	atexit(remove_tree);
	base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	FUZZ_REQUIRE(base_fd >= 0, "cannot open %s", base);
	make_entry("dir", "a", NULL);
	make_entry("file", "a/f", NULL);
	make_entry("dir", "a/b", NULL);
	make_entry("file", "a/b/g", NULL);
	make_entry("link", "rel", "a/f");
	make_entry("link", "a/b/up", "../f");
	make_entry("link", "dir", "a/b");
	make_entry("link", "out", "../..");
	snprintf(abs_target, sizeof(abs_target), "%s/a", base);
	make_entry("link", "abs", abs_target);
	make_entry("link", "loop1", "loop2");
	make_entry("link", "loop2", "loop1");
	make_entry("link", "dangling", "a/none/x");
	make_entry("link", "self", "/proc/self/cwd");
	make_entry("link", "root", "/");
	start_child();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct question q = {0};
	struct resolved_path resolved;
	struct answer kernel;
	int ours;

	if (base_fd < 0)
		make_tree();
	if (size < 2 || size - 1 >= sizeof(q.path))
		return 0;
	q.follow = data[0] & 1;
	memcpy(q.path, data + 1, size - 1);
	if (!q.path[0])
		return 0;
	FUZZ_REQUIRE(retry(write(to_child, &q, sizeof(q))) == sizeof(q) &&
			 retry(read(from_child, &kernel, sizeof(kernel))) == sizeof(kernel),
		     "the child is gone: %s", strerror(errno));
	ours = path_resolve(child, child, AT_FDCWD, q.path, q.follow, &resolved);
	if (kernel.err == 0)
		FUZZ_REQUIRE(ours == 0 && resolved.found && resolved.dev == kernel.dev &&
				 resolved.ino == kernel.ino,
			     "'%s' (follow %d): the kernel finds %llu:%llu, the resolver %d %s "
			     "%llu:%llu",
			     q.path, q.follow, (unsigned long long)kernel.dev,
			     (unsigned long long)kernel.ino, ours,
			     ours == 0 && resolved.found ? "found" : "missing",
			     (unsigned long long)resolved.dev, (unsigned long long)resolved.ino);
	if (ours == 0 && resolved.found)
		FUZZ_REQUIRE(kernel.err == 0,
			     "'%s' (follow %d): the resolver finds a file, the kernel %s", q.path,
			     q.follow, strerror(-kernel.err));
	return 0;
}
