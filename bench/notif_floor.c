/* notif_floor PATH N: the floor under the honeypot's supervisor. A child
 * with a seccomp filter that notifies openat makes N open+close of PATH,
 * each timed; this process answers every notification "continue" at once
 * (epoll, then receive, then send, with synchronous wake-ups, as the
 * supervisor does) and does nothing else. Prints the child's median ns per
 * open: what a seccomp user-notification round trip costs on this machine,
 * before any decision is made. */
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* The child: filter, hand the listener over, wait, time the opens. */
static void child(int sock, const char *path, long n)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	unsigned long long *ns = calloc((size_t)n, sizeof(*ns));
	char go;
	int listener;

	if (!ctx || !ns || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 0) ||
	    seccomp_load(ctx) || (listener = seccomp_notify_fd(ctx)) < 0 ||
	    write(sock, &listener, sizeof(listener)) != sizeof(listener) || read(sock, &go, 1) != 1)
		_exit(1);
	for (long i = 0; i < n; i++) {
		unsigned long long start = now_ns();
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			_exit(1);
		close(fd);
		ns[i] = now_ns() - start;
	}
	qsort(ns, (size_t)n, sizeof(*ns), compare);
	printf("%llu\n", ns[n / 2]);
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	struct epoll_event ev = {.events = EPOLLIN};
	int sock[2], remote_fd, pidfd, listener, epfd, status;
	long n = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
	pid_t pid;

	if (n <= 0) {
		fprintf(stderr, "usage: notif_floor PATH N\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock) ||
	    syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes))
		return 1;
	pid = fork();
	if (pid == 0)
		child(sock[1], argv[1], n);
	if (pid < 0 || read(sock[0], &remote_fd, sizeof(remote_fd)) != sizeof(remote_fd) ||
	    (pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0 ||
	    (listener = (int)syscall(SYS_pidfd_getfd, pidfd, remote_fd, 0)) < 0 ||
	    (epfd = epoll_create1(0)) < 0)
		return 1;
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 1UL); /* synchronous wake-ups */
	ev.data.fd = listener;
	req = calloc(1, sizes.seccomp_notif);
	resp = calloc(1, sizes.seccomp_notif_resp);
	if (!req || !resp || epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev) ||
	    write(sock[0], "g", 1) != 1)
		return 1;
	for (;;) {
		if (epoll_wait(epfd, &ev, 1, -1) < 1)
			continue;
		if (!(ev.events & EPOLLIN))
			break; /* the child is gone */
		memset(req, 0, sizes.seccomp_notif);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req))
			continue;
		memset(resp, 0, sizes.seccomp_notif_resp);
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
