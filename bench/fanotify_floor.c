/* fanotify_floor PATH [exec]: the floor under the exec and open gates.
 * Marks PATH for FAN_OPEN_PERM (with "exec": PATH's whole filesystem for
 * FAN_OPEN_EXEC_PERM, as the armed exec gate does) and answers every
 * permission event FAN_ALLOW at once (poll, read, write the answer, close
 * the event's fd, as the gate thread does) and does nothing else, until
 * SIGTERM. Prints "ready" once marked. Timing opens of PATH meanwhile
 * (decoy_opens latency) gives what one fanotify permission round trip costs
 * on this machine before any decision is made; timing fork+exec under the
 * "exec" mark, what any fanotify exec gate adds to an exec. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct pollfd pfd = {.events = POLLIN};

	bool exec = argc == 3 && !strcmp(argv[2], "exec");

	if (argc != 2 && !exec) {
		fprintf(stderr, "usage: fanotify_floor PATH [exec]\n");
		return 2;
	}
	pfd.fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (pfd.fd < 0) {
		fprintf(stderr, "fanotify_floor: fanotify_init: %s\n", strerror(errno));
		return 1;
	}
	if (fanotify_mark(pfd.fd, FAN_MARK_ADD | (exec ? FAN_MARK_FILESYSTEM : 0),
			  exec ? FAN_OPEN_EXEC_PERM : FAN_OPEN_PERM, AT_FDCWD, argv[1])) {
		fprintf(stderr, "fanotify_floor: marking %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t len;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "fanotify_floor: poll: %s\n", strerror(errno));
			return 1;
		}
		len = read(pfd.fd, buf, sizeof(buf));
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (len <= 0) {
			fprintf(stderr, "fanotify_floor: read: %s\n",
				len ? strerror(errno) : "EOF");
			return 1;
		}
		for (struct fanotify_event_metadata *ev = (void *)buf; FAN_EVENT_OK(ev, len);
		     ev = FAN_EVENT_NEXT(ev, len)) {
			struct fanotify_response answer = {.fd = ev->fd, .response = FAN_ALLOW};

			if (ev->fd < 0)
				continue;
			if (write(pfd.fd, &answer, sizeof(answer)) != sizeof(answer)) {
				fprintf(stderr, "fanotify_floor: answering: %s\n", strerror(errno));
				return 1;
			}
			close(ev->fd);
		}
	}
}
