/* control_flood SOCKET N HOLD_S: opens N connections to the control socket
 * at SOCKET, as whoever runs it, and sends each a status request; prints
 * "answered A refused R failed F" (answered: a status reply; refused: an
 * error reply, then the end of the connection; failed: no connection or
 * no reply within 2 s), then keeps the connections open for HOLD_S seconds,
 * so that the caller can check the daemon meanwhile. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	unsigned answered = 0, refused = 0, failed = 0;
	char line[65536];
	int n;

	if (argc != 4) {
		fprintf(stderr, "usage: control_flood SOCKET N HOLD_S\n");
		return 2;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", argv[1]);
	n = atoi(argv[2]);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			fprintf(stderr, "control_flood: socket %d: %s\n", i, strerror(errno));
			return 1;
		}
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
			failed++;
			close(fd);
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
	sleep((unsigned)atoi(argv[3]));
	return 0;
}
