/* Floods the control socket at SOCKET, as whoever runs it.
 *
 * control_flood hold SOCKET N HOLD_S: opens N connections and sends each a
 * status request; prints "answered A refused R failed F" (answered: a
 * status reply; refused: an error reply, then the end of the connection;
 * failed: no connection or no reply within 2 s), then keeps the
 * connections open for HOLD_S seconds, so that the caller can check the
 * daemon meanwhile.
 *
 * control_flood pipeline SOCKET N SECONDS: opens N connections and, for
 * SECONDS, sends status requests on them as fast as the daemon takes them,
 * reading and dropping the replies; prints "sent R". */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char request[] = "{\"cmd\":\"status\"}\n";

/* The first line the daemon sends on fd, into line; -1 if none in 2 s. */
static int first_line(int fd, char *line, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 2000) != 1)
			return -1;
		n = recv(fd, line + len, cap - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		line[len] = '\0';
		if (strchr(line, '\n'))
			return 0;
	}
	return 0;
}

static int connect_to(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		fprintf(stderr, "control_flood: socket: %s\n", strerror(errno));
		exit(1);
	}
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int hold(const struct sockaddr_un *addr, int n, unsigned seconds)
{
	unsigned answered = 0, refused = 0, failed = 0;
	static char line[65536];

	for (int i = 0; i < n; i++) {
		int fd = connect_to(addr);

		if (fd < 0) {
			failed++;
			continue;
		}
		/* A refusal may close the connection before the request is sent;
		 * its line is still there to read. */
		(void)!send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL);
		if (first_line(fd, line, sizeof(line))) {
			failed++;
		} else if (strstr(line, "\"ok\":false")) {
			refused++;
			close(fd);
		} else {
			answered++;
		}
	}
	printf("answered %u refused %u failed %u\n", answered, refused, failed);
	fflush(stdout);
	sleep(seconds);
	return 0;
}

static int pipeline(const struct sockaddr_un *addr, int n, unsigned seconds)
{
	static char burst[500 * (sizeof(request) - 1)], sink[1 << 16];
	struct pollfd p[64];
	unsigned long long sent = 0;
	time_t end = time(NULL) + seconds;

	if (n < 1 || n > 64)
		return 2;
	for (size_t i = 0; i < sizeof(burst); i += sizeof(request) - 1)
		memcpy(burst + i, request, sizeof(request) - 1);
	for (int i = 0; i < n; i++) {
		p[i].fd = connect_to(addr);
		p[i].events = POLLIN | POLLOUT;
		if (p[i].fd < 0) {
			fprintf(stderr, "control_flood: connect: %s\n", strerror(errno));
			return 1;
		}
	}
	while (time(NULL) < end) {
		if (poll(p, (nfds_t)n, 100) < 0)
			break;
		for (int i = 0; i < n; i++) {
			ssize_t got;

			if (p[i].revents & POLLIN)
				while ((got = recv(p[i].fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
					;
			if (p[i].revents & POLLOUT) {
				got = send(p[i].fd, burst, sizeof(burst),
					   MSG_DONTWAIT | MSG_NOSIGNAL);
				sent +=
				    got > 0 ? (unsigned long long)got / (sizeof(request) - 1) : 0;
			}
		}
	}
	printf("sent %llu\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (argc != 5 || (strcmp(argv[1], "hold") && strcmp(argv[1], "pipeline"))) {
		fprintf(stderr, "usage: control_flood hold|pipeline SOCKET N SECONDS\n");
		return 2;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", argv[2]);
	if (!strcmp(argv[1], "hold"))
		return hold(&addr, atoi(argv[3]), (unsigned)atoi(argv[4]));
	return pipeline(&addr, atoi(argv[3]), (unsigned)atoi(argv[4]));
}
