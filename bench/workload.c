/* workload KIND N: runs one benchmark loop and prints its wall time in
 * nanoseconds per iteration.
 *   getppid N   N getppid() calls (the cheapest syscall: sensor overhead)
 *   open N      N open/read/close of a small file
 *   exec N [PROGRAM]  N fork + exec of PROGRAM (default /bin/true), waiting
 *                     for each */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int run_getppid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}

static int run_open(long n)
{
	char buf[256];

	for (long i = 0; i < n; i++) {
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0) {
			fprintf(stderr, "workload: /etc/hostname: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
	}
	return 0;
}

static int run_exec(long n, char *program)
{
	char *argv[] = {program, NULL};

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0)
			return 1;
		if (pid == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n;
	double start;
	int rc;

	if (argc < 3 || argc > 4 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: workload getppid|open N, workload exec N [PROGRAM]\n");
		return 2;
	}
	start = now_ns();
	if (!strcmp(argv[1], "getppid"))
		rc = run_getppid(n);
	else if (!strcmp(argv[1], "open"))
		rc = run_open(n);
	else if (!strcmp(argv[1], "exec"))
		rc = run_exec(n, argc == 4 ? argv[3] : "/bin/true");
	else
		rc = 2;
	if (rc)
		return rc;
	printf("%.1f\n", (now_ns() - start) / (double)n);
	return 0;
}
