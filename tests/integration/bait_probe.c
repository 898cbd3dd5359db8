/* bait_probe: a test and benchmark process for honeytokens and decoy
 * services.
 *
 *   bait_probe --listen PORT          holds 127.0.0.1:PORT (prints "ready",
 *                                     then waits to be killed)
 *   bait_probe --open PATH [-n N]     opens and closes PATH N times
 *   bait_probe --connect PORT [-n N]  connects to 127.0.0.1:PORT N times,
 *                                     reading the first reply line each time
 *
 * --open and --connect print the mean wall time of one round in ns. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port)
{
	return (struct sockaddr_in){.sin_family = AF_INET,
				    .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
}

static int hold(int port)
{
	struct sockaddr_in addr = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 1)) {
		fprintf(stderr, "bait_probe: 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int open_once(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "bait_probe: %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Connects and reads until the first newline (the SSH banner), or, when
 * the service waits for the client to speak first, sends a PING. */
static int connect_once(int port, const char *greeting)
{
	struct sockaddr_in addr = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char c;

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "bait_probe: connect 127.0.0.1:%d: %s\n", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (greeting && write(fd, greeting, strlen(greeting)) != (ssize_t)strlen(greeting)) {
		fprintf(stderr, "bait_probe: write: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	while (read(fd, &c, 1) == 1 && c != '\n')
		;
	close(fd);
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"open", required_argument, NULL, 'o'},
	    {"connect", required_argument, NULL, 'c'},
	    {"greeting", required_argument, NULL, 'g'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *greeting = NULL;
	int opt, port = 0, listen_port = 0;
	long rounds = 1;
	double start;

	while ((opt = getopt_long(argc, argv, "n:", options, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_port = atoi(optarg);
			break;
		case 'o':
			path = optarg;
			break;
		case 'c':
			port = atoi(optarg);
			break;
		case 'g':
			greeting = optarg;
			break;
		case 'n':
			rounds = atol(optarg);
			break;
		default:
			return 2;
		}
	}
	if (listen_port)
		return hold(listen_port);
	if ((!path == !port) || rounds < 1) {
		fprintf(stderr, "usage: bait_probe --listen PORT | --open PATH [-n N] | "
				"--connect PORT [--greeting TEXT] [-n N]\n");
		return 2;
	}
	start = now_ns();
	for (long i = 0; i < rounds; i++)
		if (path ? open_once(path) : connect_once(port, greeting))
			return 1;
	printf("%.0f\n", (now_ns() - start) / (double)rounds);
	return 0;
}
