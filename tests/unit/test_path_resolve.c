/* Path resolution as the kernel would do it for a process (this test's own):
 * '..', symbolic links (relative, absolute, chains, loops), /proc/self, a
 * directory fd, a missing last component, hostile lengths. Each answer is
 * checked against the file's identity from stat(2). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "act/path_resolve.h"
#include "temp_name.h"

struct fixture {
	char dir[PATH_MAX];
	struct stat secret;
};

static int setup(void **state)
{
	static struct fixture f;
	char path[PATH_MAX + 64];
	FILE *file;

	temp_name(f.dir, sizeof(f.dir), "/tmp/vg-resolve-");
	if (!mkdtemp(f.dir))
		return -1;
	snprintf(path, sizeof(path), "%s/etc", f.dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/etc/shadow", f.dir);
	file = fopen(path, "w");
	if (!file)
		return -1;
	fputs("secret\n", file);
	fclose(file);
	if (stat(path, &f.secret))
		return -1;
	snprintf(path, sizeof(path), "%s/relative-link", f.dir);
	if (symlink("etc/shadow", path))
		return -1;
	snprintf(path, sizeof(path), "%s/etc/shadow", f.dir);
	{
		char link[PATH_MAX + 64];

		snprintf(link, sizeof(link), "%s/absolute-link", f.dir);
		if (symlink(path, link))
			return -1;
		snprintf(link, sizeof(link), "%s/chain-link", f.dir);
		if (symlink("absolute-link", link))
			return -1;
		snprintf(link, sizeof(link), "%s/loop-a", f.dir);
		if (symlink("loop-b", link))
			return -1;
		snprintf(link, sizeof(link), "%s/loop-b", f.dir);
		if (symlink("loop-a", link))
			return -1;
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int resolve(const char *path, bool follow, struct resolved_path *out)
{
	return path_resolve(getpid(), getpid(), AT_FDCWD, path, follow, out);
}

static void assert_secret(const struct fixture *f, const char *fmt, ...)
{
	struct resolved_path r;
	char path[3 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	assert_int_equal(resolve(path, true, &r), 0);
	assert_true(r.found);
	assert_int_equal(r.dev, f->secret.st_dev);
	assert_int_equal(r.ino, f->secret.st_ino);
}

static void test_dotdot_and_dots(void **state)
{
	const struct fixture *f = *state;

	assert_secret(f, "%s/etc/shadow", f->dir);
	assert_secret(f, "%s/etc/../etc/./shadow", f->dir);
	assert_secret(f, "%s//etc///shadow", f->dir);
	/* '..' above the root stays at the root, as in the kernel. */
	assert_secret(f, "/../../..%s/etc/shadow", f->dir);
}

static void test_symlinks(void **state)
{
	const struct fixture *f = *state;
	struct resolved_path r;
	char path[PATH_MAX + 64];
	struct stat link;

	assert_secret(f, "%s/relative-link", f->dir);
	assert_secret(f, "%s/absolute-link", f->dir);
	assert_secret(f, "%s/chain-link", f->dir);
	/* Not following the last link: the link itself (lstat, O_NOFOLLOW). */
	snprintf(path, sizeof(path), "%s/absolute-link", f->dir);
	assert_int_equal(lstat(path, &link), 0);
	assert_int_equal(resolve(path, false, &r), 0);
	assert_true(r.found);
	assert_int_equal(r.ino, link.st_ino);
	snprintf(path, sizeof(path), "%s/loop-a", f->dir);
	assert_int_equal(resolve(path, true, &r), -ELOOP);
}

static void test_proc_self(void **state)
{
	const struct fixture *f = *state;

	assert_secret(f, "/proc/self/root%s/etc/shadow", f->dir);
	assert_secret(f, "/proc/thread-self/root%s/etc/shadow", f->dir);
	assert_secret(f, "/proc/%d/root%s/etc/../etc/shadow", getpid(), f->dir);
}

static void test_relative_and_dirfd(void **state)
{
	const struct fixture *f = *state;
	struct resolved_path r;
	char cwd[PATH_MAX], etc[PATH_MAX + 8];
	int dirfd;

	snprintf(etc, sizeof(etc), "%s/etc", f->dir);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(etc), 0);
	assert_secret(f, "shadow");
	assert_secret(f, "../etc/shadow");
	assert_secret(f, "../relative-link");
	assert_int_equal(chdir(cwd), 0);
	dirfd = open(etc, O_RDONLY | O_DIRECTORY);
	assert_true(dirfd >= 0);
	assert_int_equal(path_resolve(getpid(), getpid(), dirfd, "./shadow", true, &r), 0);
	assert_true(r.found);
	assert_int_equal(r.ino, f->secret.st_ino);
	close(dirfd);
	/* A dirfd the process does not have. */
	assert_int_equal(path_resolve(getpid(), getpid(), 9999, "shadow", true, &r), -EBADF);
}

static void test_missing_last_component(void **state)
{
	const struct fixture *f = *state;
	struct resolved_path a, b;
	char path[PATH_MAX + 64];
	struct stat etc;

	snprintf(path, sizeof(path), "%s/etc", f->dir);
	assert_int_equal(stat(path, &etc), 0);
	snprintf(path, sizeof(path), "%s/etc/not-yet", f->dir);
	assert_int_equal(resolve(path, true, &a), 0);
	assert_false(a.found);
	assert_int_equal(a.ino, etc.st_ino);
	assert_string_equal(a.missing_name, "not-yet");
	snprintf(path, sizeof(path), "%s/etc/../etc/not-yet", f->dir);
	assert_int_equal(resolve(path, true, &b), 0);
	assert_true(resolved_path_equal(&a, &b));
	snprintf(path, sizeof(path), "%s/etc/other", f->dir);
	assert_int_equal(resolve(path, true, &b), 0);
	assert_false(resolved_path_equal(&a, &b));
	/* A missing directory on the way is an error, not a missing file. */
	snprintf(path, sizeof(path), "%s/nodir/file", f->dir);
	assert_int_equal(resolve(path, true, &b), -ENOENT);
	/* A file used as a directory. */
	snprintf(path, sizeof(path), "%s/etc/shadow/x", f->dir);
	assert_int_equal(resolve(path, true, &b), -ENOTDIR);
}

static void test_hostile_lengths(void **state)
{
	struct resolved_path r;
	char *path = malloc(PATH_MAX + 2);
	char name[NAME_MAX + 3];

	(void)state;
	assert_non_null(path);
	memset(path, 'a', PATH_MAX + 1);
	path[0] = '/';
	path[PATH_MAX + 1] = '\0';
	assert_int_equal(resolve(path, true, &r), -ENAMETOOLONG);
	free(path);
	memset(name, 'b', sizeof(name) - 1);
	name[0] = '/';
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(resolve(name, true, &r), -ENAMETOOLONG);
	assert_int_equal(resolve("", true, &r), -ENOENT);
	/* Newlines and non-UTF-8 bytes are just bytes of a name. */
	assert_int_equal(resolve("/tmp/no\nsuch\xff", true, &r), 0);
	assert_false(r.found);
	assert_string_equal(r.missing_name, "no\nsuch\xff");
}

/* Where the kernel refuses, so must the resolver, or a decoy would be
 * served for an open that fails, and give the honeypot away. Each of these
 * was found by fuzz/fuzz_path_resolve. */
static void test_agrees_with_the_kernel(void **state)
{
	const struct fixture *f = *state;
	struct resolved_path r;
	char path[PATH_MAX + 256];
	struct stat st;
	int fd = open(f->dir, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	/* A trailing slash asks for a directory, through a link too, and even
	 * when the last link is not to be followed (lstat("link/") follows). */
	snprintf(path, sizeof(path), "%s/etc/shadow/", f->dir);
	assert_int_equal(resolve(path, true, &r), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/relative-link/", f->dir);
	assert_int_equal(resolve(path, true, &r), -ENOTDIR);
	assert_int_equal(resolve(path, false, &r), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/etc/", f->dir);
	assert_int_equal(resolve(path, false, &r), 0);
	assert_true(r.found);
	/* ... and so does a /proc magic link to a file, or "." after one. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/", fd);
	assert_int_equal(resolve(path, true, &r), 0); /* fd is a directory */
	snprintf(path, sizeof(path), "/proc/self/exe/");
	assert_int_equal(resolve(path, true, &r), -ENOTDIR);
	snprintf(path, sizeof(path), "/proc/self/exe/.");
	assert_int_equal(resolve(path, true, &r), -ENOTDIR);
	/* Not following the last link: /proc/self is the link itself. */
	assert_int_equal(lstat("/proc/self", &st), 0);
	assert_int_equal(resolve("/proc/self", false, &r), 0);
	assert_true(r.found);
	assert_int_equal(r.ino, st.st_ino);
	/* /proc/self counts as a link towards the limit of 40: 21 times
	 * self and cwd are 42 links. */
	path[0] = '\0';
	for (int i = 0; i < 21; i++)
		strcat(path, "/proc/self/cwd");
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(resolve(path, true, &r), -ELOOP);
	close(fd);
}

static void test_gone_process(void **state)
{
	struct resolved_path r;

	(void)state;
	assert_int_equal(path_resolve(4194303, 4194303, AT_FDCWD, "/etc", true, &r), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dotdot_and_dots),
	    cmocka_unit_test(test_symlinks),
	    cmocka_unit_test(test_proc_self),
	    cmocka_unit_test(test_relative_and_dirfd),
	    cmocka_unit_test(test_missing_last_component),
	    cmocka_unit_test(test_hostile_lengths),
	    cmocka_unit_test(test_agrees_with_the_kernel),
	    cmocka_unit_test(test_gone_process),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
