/* decoy_opens: the honeypot's benchmark workload, run under `vigilante run`.
 *
 *   decoy_opens latency PATH N [WEIRD]
 *       WEIRD uname() calls first (enough of them flag the process: the
 *       model has never seen that sequence), then N open+close of PATH,
 *       each timed; prints the median and 99th percentile in ns.
 *   decoy_opens race PATH N MARKER
 *       N rounds of i/4 uname() calls (round i) then one open+read of PATH; prints
 *       "pid PID", then a line per open: its CLOCK_BOOTTIME start and whether it read the
 *       real file (MARKER in it) or not. The score climbs with the rounds:
 *       the flag lands between two opens, and every open after it must
 *       already be a decoy. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void weird(long n)
{
	struct utsname uts;

	for (long i = 0; i < n; i++)
		uname(&uts);
}

static int compare(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static int latency(const char *path, long n, long weird_calls)
{
	unsigned long long *ns = calloc((size_t)n, sizeof(*ns));

	if (!ns)
		return 1;
	weird(weird_calls);
	for (long i = 0; i < n; i++) {
		unsigned long long start = now_ns(CLOCK_MONOTONIC);
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			perror(path);
			return 1;
		}
		close(fd);
		ns[i] = now_ns(CLOCK_MONOTONIC) - start;
	}
	qsort(ns, (size_t)n, sizeof(*ns), compare);
	printf("%llu %llu\n", ns[n / 2], ns[n * 99 / 100]);
	free(ns);
	return 0;
}

static int race(const char *path, long n, const char *marker)
{
	char buf[4096];

	printf("pid %d\n", getpid());
	for (long i = 0; i < n; i++) {
		unsigned long long start;
		ssize_t len;
		int fd;

		weird(i / 4);
		start = now_ns(CLOCK_BOOTTIME);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		buf[len > 0 ? len : 0] = '\0';
		printf("%llu %s\n", start, strstr(buf, marker) ? "real" : "decoy");
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc >= 4 ? strtol(argv[3], NULL, 10) : 0;

	if (argc >= 4 && !strcmp(argv[1], "latency") && n > 0)
		return latency(argv[2], n, argc == 5 ? strtol(argv[4], NULL, 10) : 0);
	if (argc == 5 && !strcmp(argv[1], "race") && n > 0)
		return race(argv[2], n, argv[4]);
	fprintf(stderr, "usage: decoy_opens latency PATH N [WEIRD] | race PATH N MARKER\n");
	return 2;
}
