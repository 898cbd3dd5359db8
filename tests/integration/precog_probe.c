/* precog_probe: a test process for the precognition gates.
 *
 *   precog_probe [--weird N] [--exec PATH] [--open PATH] [--connect PORT]
 *                [--send PORT] [--send6 PORT] [--socket raw|ping]
 *                [--unix PATH] [--unix-send PATH]
 *                [--hold tcp] [--send-held tcp] [--sleep SECONDS]
 *
 * With --weird, it first makes N harmless system calls in a run that the
 * tests' model (lib.sh: test_model) was trained to see as an attack, so the
 * score climbs to its maximum; then it tries each
 * gated operation and prints one line per attempt: "exec ok", "open
 * EACCES", "connect EPERM", ... Exec is tried in a forked child, which
 * reports its errno through a pipe (exec of PATH succeeding runs it);
 * "exec killed" when the exec went through and the program was killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void weird(long n)
{
	struct utsname uts;

	/* uname, over and over: the tests' model's attack trace, so every 4-gram
	 * costs the most and the score climbs to its maximum. */
	for (long i = 0; i < n; i++)
		uname(&uts);
}

static const char *result(int err)
{
	return err ? strerrorname_np(err) : "ok";
}

static void try_exec(const char *path)
{
	int fds[2], err = 0, status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) || (pid = fork()) < 0) {
		perror("precog_probe: exec attempt");
		exit(1);
	}
	if (pid == 0) {
		char *argv[] = {(char *)path, NULL};

		execv(path, argv);
		err = errno;
		if (write(fds[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(fds[1]);
	if (read(fds[0], &err, sizeof(err)) != sizeof(err))
		err = 0; /* the pipe closed on exec: it ran */
	close(fds[0]);
	waitpid(pid, &status, 0);
	/* Exec'd, then killed before it could exit on its own: the kernel's
	 * answer to an exec the exec gate could not see. */
	if (!err && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		printf("exec killed\n");
	else
		printf("exec %s\n", result(err));
}

static void try_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	printf("open %s\n", result(fd < 0 ? errno : 0));
	if (fd >= 0)
		close(fd);
}

static void try_connect(int port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	printf("connect %s\n", result(rc ? errno : 0));
	close(fd);
}

/* A UDP datagram to loopback PORT (127.0.0.1, or ::1 with ipv6) with
 * sendto, no connect. */
static void try_send(int port, bool ipv6)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct sockaddr_in6 addr6 = {.sin6_family = AF_INET6,
				     .sin6_port = htons((uint16_t)port),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = ipv6 ? sendto(fd, "x", 1, 0, (struct sockaddr *)&addr6, sizeof(addr6))
		 : sendto(fd, "x", 1, 0, (struct sockaddr *)&addr, sizeof(addr));
	printf("send %s\n", result(n < 0 ? errno : 0));
	close(fd);
}

/* A socket that sends without a connect or a UDP sendmsg: "raw" (IPv4 raw
 * ICMP, needs CAP_NET_RAW) or "ping" (an ICMP datagram socket, where
 * net.ipv4.ping_group_range lets the caller's group). */
static void try_socket(const char *kind)
{
	bool raw = !strcmp(kind, "raw");
	int fd = !strcmp(kind, "packet")
		     ? socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)
		     : socket(AF_INET, (raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_CLOEXEC, IPPROTO_ICMP);

	printf("socket %s\n", result(fd < 0 ? errno : 0));
	if (fd >= 0)
		close(fd);
}

/* --hold: a loopback TCP connection made now (listener, client and the
 * accepted end, all this process's), for --send-held to use later. */
static int held = -1;

static void hold_connection(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	held = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || held < 0 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listener, 1) || getsockname(listener, (struct sockaddr *)&addr, &len) ||
	    connect(held, (struct sockaddr *)&addr, sizeof(addr)) ||
	    accept4(listener, NULL, NULL, SOCK_CLOEXEC) < 0) {
		printf("hold %s\n", result(errno));
		exit(1);
	}
	printf("hold ok\n");
}

static void send_held(void)
{
	ssize_t n = send(held, "x", 1, MSG_NOSIGNAL);

	printf("held %s\n", result(n < 0 ? errno : 0));
}

/* A connect (or, with datagram, a datagram sent without one) to the Unix
 * socket at path. */
static void try_unix(const char *path, bool datagram)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, (datagram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	int rc;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	rc = datagram ? (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&addr, sizeof(addr))
		      : connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	printf("%s %s\n", datagram ? "unix-send" : "unix", result(rc < 0 ? errno : 0));
	close(fd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc) {
			fprintf(stderr, "precog_probe: %s needs a value\n", argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "--weird"))
			weird(strtol(argv[++i], NULL, 10));
		else if (!strcmp(argv[i], "--exec"))
			try_exec(argv[++i]);
		else if (!strcmp(argv[i], "--open"))
			try_open(argv[++i]);
		else if (!strcmp(argv[i], "--connect"))
			try_connect(atoi(argv[++i]));
		else if (!strcmp(argv[i], "--send"))
			try_send(atoi(argv[++i]), false);
		else if (!strcmp(argv[i], "--send6"))
			try_send(atoi(argv[++i]), true);
		else if (!strcmp(argv[i], "--unix"))
			try_unix(argv[++i], false);
		else if (!strcmp(argv[i], "--unix-send"))
			try_unix(argv[++i], true);
		else if (!strcmp(argv[i], "--socket"))
			try_socket(argv[++i]);
		else if (!strcmp(argv[i], "--hold") && !strcmp(argv[++i], "tcp"))
			hold_connection();
		else if (!strcmp(argv[i], "--send-held") && !strcmp(argv[++i], "tcp"))
			send_held();
		else if (!strcmp(argv[i], "--sleep"))
			sleep((unsigned)atoi(argv[++i]));
		else {
			fprintf(stderr, "precog_probe: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	return 0;
}
