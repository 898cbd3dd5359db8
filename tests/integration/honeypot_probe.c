/* honeypot_probe: hostile behaviour for the honeypot's supervisor, run by a
 * flagged process of a supervised workload.
 *
 *   honeypot_probe READY_FILE GO_FIFO PATH MARKER
 *
 * Writes its pid to READY_FILE, waits for a line on GO_FIFO (the test flags
 * it meanwhile), then, against PATH (a decoyed path) and MARKER (a string
 * only the real file holds), prints one line per trial:
 *   longpath ERRNO             an open of a path longer than PATH_MAX
 *   unmap leaks=N              opens whose path is unmapped during the call
 *   thread leaks=N             opens by a thread that is not the leader
 *   die ok                     children killed while their open is pending
 *   fork children=N leaks=N failed=N
 *                              a thousand children each opening PATH
 *   swap leaks=N               opens of a path another thread flips, all
 *                              the time, between PATH and PATH with its last
 *                              byte changed (the call is decided on one, the
 *                              kernel may read the other)
 *   openat2 in_root=R beneath=R short=R
 *                              openat2 from PATH's directory with
 *                              RESOLVE_IN_ROOT ("/NAME"), RESOLVE_BENEATH
 *                              ("NAME"), and with a struct open_how shorter
 *                              than the kernel takes; R: "decoy", "REAL" or
 *                              the errno's name
 * "leaks" counts opens that returned the real content. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS	 200
#define CHILDREN 1000

static const char *marker;

/* 1 if fd's content holds the marker (the real file), 0 if not. */
static int is_real(int fd)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, marker) != NULL;
}

static void long_path(void)
{
	size_t len = 3 * 4096;
	char *path = malloc(len + 1);
	int fd;

	if (!path)
		exit(1);
	for (size_t i = 0; i < len; i += 2)
		memcpy(path + i, "a/", 2);
	path[0] = '/';
	path[len] = '\0';
	fd = open(path, O_RDONLY);
	printf("longpath %s\n", fd < 0 ? strerrorname_np(errno) : "opened");
	free(path);
}

static void *unmap_page(void *page)
{
	munmap(page, 4096);
	return NULL;
}

static void unmapped_path(const char *path)
{
	int leaks = 0;

	for (int i = 0; i < ROUNDS; i++) {
		char *page =
		    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pthread_t thread;
		int fd;

		if (page == MAP_FAILED)
			exit(1);
		strcpy(page, path);
		if (pthread_create(&thread, NULL, unmap_page, page))
			exit(1);
		fd = open(page, O_RDONLY);
		pthread_join(thread, NULL);
		if (fd >= 0) {
			leaks += is_real(fd);
			close(fd);
		}
	}
	printf("unmap leaks=%d\n", leaks);
}

static void *open_in_thread(void *path)
{
	int fd = open(path, O_RDONLY), leaked = fd >= 0 && is_real(fd);

	if (fd >= 0)
		close(fd);
	return (void *)(intptr_t)leaked;
}

static void thread_opens(const char *path)
{
	int leaks = 0;

	for (int i = 0; i < ROUNDS / 10; i++) {
		pthread_t thread;
		void *leaked;

		if (pthread_create(&thread, NULL, open_in_thread, (void *)path) ||
		    pthread_join(thread, &leaked))
			exit(1);
		leaks += (int)(intptr_t)leaked;
	}
	printf("thread leaks=%d\n", leaks);
}

static void die_pending(const char *path)
{
	for (int i = 0; i < ROUNDS; i++) {
		pid_t child = fork();

		if (child == 0) {
			int fd = open(path, O_RDONLY);

			_exit(fd >= 0 && is_real(fd));
		}
		if (i % 2)
			usleep((useconds_t)(i % 7) * 50);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	printf("die ok\n");
}

static void many_children(const char *path)
{
	int leaks = 0, failed = 0, status;

	for (int i = 0; i < CHILDREN; i++) {
		pid_t child = fork();

		if (child < 0) {
			failed++;
			continue;
		}
		if (child == 0) {
			int fd = open(path, O_RDONLY);

			_exit(fd < 0 ? 2 : is_real(fd));
		}
	}
	while (wait(&status) > 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
			failed++;
		else
			leaks += WEXITSTATUS(status);
	}
	printf("fork children=%d leaks=%d failed=%d\n", CHILDREN, leaks, failed);
}

static char flipped_path[4096];
static volatile int flipping;

static void *flip(void *arg)
{
	size_t last = strlen(flipped_path) - 1;
	char a = flipped_path[last], b = (char)(a ^ 1);

	(void)arg;
	while (flipping) {
		__atomic_store_n(&flipped_path[last], b, __ATOMIC_RELAXED);
		__atomic_store_n(&flipped_path[last], a, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void swapped_path(const char *path)
{
	pthread_t thread;
	int leaks = 0;

	snprintf(flipped_path, sizeof(flipped_path), "%s", path);
	flipping = 1;
	if (pthread_create(&thread, NULL, flip, NULL))
		exit(1);
	for (int i = 0; i < 20 * ROUNDS; i++) {
		int fd = open(flipped_path, O_RDONLY);

		if (fd >= 0) {
			leaks += is_real(fd);
			close(fd);
		}
	}
	flipping = 0;
	pthread_join(thread, NULL);
	printf("swap leaks=%d\n", leaks);
}

/* What an openat2 call opened: "decoy", "REAL" or the errno's name. */
static const char *opened(int dirfd, const char *path, __u64 resolve, size_t size)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = resolve};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, size);
	const char *what;

	if (fd < 0)
		return strerrorname_np(errno);
	what = is_real(fd) ? "REAL" : "decoy";
	close(fd);
	return what;
}

static void scoped_opens(const char *path)
{
	const char *name = strrchr(path, '/') + 1;
	char dir[4096], rooted[4096];
	int dirfd;

	snprintf(dir, sizeof(dir), "%.*s", (int)(name - path), path);
	snprintf(rooted, sizeof(rooted), "/%s", name);
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		exit(1);
	printf("openat2 in_root=%s",
	       opened(dirfd, rooted, RESOLVE_IN_ROOT, sizeof(struct open_how)));
	printf(" beneath=%s", opened(dirfd, name, RESOLVE_BENEATH, sizeof(struct open_how)));
	printf(" short=%s\n", opened(dirfd, name, 0, sizeof(__u64)));
	close(dirfd);
}

int main(int argc, char **argv)
{
	char line[16];
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: honeypot_probe READY_FILE GO_FIFO PATH MARKER\n");
		return 2;
	}
	marker = argv[4];
	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		return 1;
	f = fopen(argv[2], "r");
	if (!f || !fgets(line, sizeof(line), f))
		return 1;
	fclose(f);
	setvbuf(stdout, NULL, _IOLBF, 0);
	long_path();
	unmapped_path(argv[3]);
	thread_opens(argv[3]);
	die_pending(argv[3]);
	many_children(argv[3]);
	swapped_path(argv[3]);
	scoped_opens(argv[3]);
	return 0;
}
