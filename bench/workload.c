/* workload KIND N: runs one benchmark loop and prints its wall time in
 * nanoseconds per iteration.
 *   getppid N   N getppid() calls (the cheapest syscall: sensor overhead)
 *   open N      N open/read/close of a small file
 *   exec N [PROGRAM]  N fork + exec of PROGRAM (default /bin/true), waiting
 *                     for each; prints the median iteration instead of the
 *                     mean (a fork+exec is milliseconds here, and the
 *                     host's hiccups would otherwise swamp tens of us)
 *   vaccinate N DIR   N `vaccine add` requests for DIR/1..DIR/N on the
 *                     control socket $VIGILANTE_SOCKET, one connection each,
 *                     each answered once its record is durable: the
 *                     daemon's request-to-durable time, without the CLI's
 *                     process start
 *   cross N           N uname() calls (no normal program makes them in a
 *                     row: the score climbs to the vaccinate threshold),
 *                     each preceded by its CLOCK_BOOTTIME start, printed
 *                     one per line after the loop instead of the mean */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
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

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int run_exec(long n, char *program)
{
	char *argv[] = {program, NULL};
	double *times = calloc((size_t)n, sizeof(*times));

	if (!times) {
		fprintf(stderr, "workload: out of memory\n");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		double start = now_ns();
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			fprintf(stderr, "workload: fork: %s\n", strerror(errno));
			free(times);
			return 1;
		}
		if (pid == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "workload: %s did not exit 0\n", program);
			free(times);
			return 1;
		}
		times[i] = now_ns() - start;
	}
	qsort(times, (size_t)n, sizeof(*times), compare_double);
	printf("%.1f\n", times[n / 2]);
	free(times);
	return 0;
}

static int run_vaccinate(long n, const char *dir)
{
	const char *path = getenv("VIGILANTE_SOCKET");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (!path || strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "workload: VIGILANTE_SOCKET names no usable socket\n");
		return 1;
	}
	strcpy(addr.sun_path, path);
	for (long i = 1; i <= n; i++) {
		char req[4096 + 128], reply[4096];
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), len;
		size_t got = 0;
		ssize_t r;

		len = snprintf(req, sizeof(req),
			       "{\"cmd\":\"vaccine\",\"op\":\"add\",\"vaccine\":{\"kind\":"
			       "\"exec_sha256\",\"path\":\"%s/%ld\"}}\n",
			       dir, i);
		if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
		    write(fd, req, (size_t)len) != len) {
			fprintf(stderr, "workload: %s: %s\n", path, strerror(errno));
			return 1;
		}
		while (got < sizeof(reply) - 1 && !memchr(reply, '\n', got) &&
		       (r = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
			got += (size_t)r;
		close(fd);
		reply[got] = '\0';
		if (!strstr(reply, "\"ok\":true")) {
			fprintf(stderr, "workload: vaccine add %s/%ld: %s\n", dir, i, reply);
			return 1;
		}
	}
	return 0;
}

static int run_cross(long n)
{
	unsigned long long *starts = calloc((size_t)n, sizeof(*starts));
	struct utsname uts;
	struct timespec ts;

	if (!starts)
		return 1;
	for (long i = 0; i < n; i++) {
		clock_gettime(CLOCK_BOOTTIME, &ts);
		starts[i] =
		    (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
		uname(&uts);
	}
	for (long i = 0; i < n; i++)
		printf("%llu\n", starts[i]);
	free(starts);
	return 0;
}

int main(int argc, char **argv)
{
	long n;
	double start;
	int rc;

	if (argc < 3 || argc > 4 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: workload getppid|open N, workload exec N [PROGRAM], "
				"workload vaccinate N DIR, workload cross N\n");
		return 2;
	}
	start = now_ns();
	if (!strcmp(argv[1], "getppid"))
		rc = run_getppid(n);
	else if (!strcmp(argv[1], "open"))
		rc = run_open(n);
	else if (!strcmp(argv[1], "exec"))
		return run_exec(n, argc == 4 ? argv[3] : "/bin/true");
	else if (!strcmp(argv[1], "vaccinate") && argc == 4)
		rc = run_vaccinate(n, argv[3]);
	else if (!strcmp(argv[1], "cross"))
		return run_cross(n);
	else
		rc = 2;
	if (rc)
		return rc;
	printf("%.1f\n", (now_ns() - start) / (double)n);
	return 0;
}
