#include "act/decoy_service.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "act/decoy_resp.h"
#include "common/clock.h"
#include "common/cleanup.h"
#include "common/log.h"

#define DECOY_SERVICE_MAX_SESSIONS 32
#define DECOY_SERVICE_IDLE_S	   5
#define SESSION_LIFETIME_S	   60
#define SESSION_MAX_BYTES	   (64 * 1024) /* received; the rest is not worth serving */
#define REDIS_INPUT		   4096	       /* the longest command the decoy Redis takes */
#define REPLY_BYTES		   2048
#define LISTEN_BACKLOG		   16
#define MAX_LISTENERS		   (VG_SERVICE_KINDS * VG_POLICY_MAX_PORTS)
#define REPORT_SOCKET_BYTES	   (1024 * 1024)
#define NS_PER_S		   1000000000ull

/* What an epoll event is about: the kind in the high half, an index below. */
enum slot_kind { SLOT_WAKE = 1, SLOT_LISTENER, SLOT_SESSION };

struct listener {
	int fd;
	enum vg_service_kind kind;
	uint16_t port;
};

struct session {
	int fd; /* -1: the slot is free */
	uint32_t id;
	enum vg_service_kind kind;
	uint16_t port, peer_port;
	uint32_t tgid, uid;
	int32_t flag_error;
	uint64_t started_ns, last_ns;
	uint64_t bytes_received, bytes_sent;
	size_t captured_len;
	char captured[VG_DECOY_SERVICE_CAPTURE];
	size_t input_len; /* Redis: bytes of a command not complete yet */
	char input[REDIS_INPUT];
};

struct vg_decoy_services {
	struct vg_sensor *sensor;
	pid_t daemon_tgid;
	struct vg_port_list ports[VG_SERVICE_KINDS]; /* as asked, bound or not */
	struct listener listeners[MAX_LISTENERS];
	size_t listener_count;
	struct session sessions[DECOY_SERVICE_MAX_SESSIONS];
	size_t active;
	bool accepting; /* false while every session slot is taken */
	uint32_t last_session;
	int epoll_fd, wake_fd, report_tx, report_rx;
	pthread_t thread;
	bool running;
	struct vg_decoy_service_stats stats; /* atomics */
};

const char *decoy_service_end_name(enum vg_decoy_service_end end)
{
	static const char *const names[] = {
	    [VG_DECOY_SERVICE_END_CLOSED] = "closed",
	    [VG_DECOY_SERVICE_END_IDLE] = "idle",
	    [VG_DECOY_SERVICE_END_LIMIT] = "limit",
	    [VG_DECOY_SERVICE_END_QUIT] = "quit",
	    [VG_DECOY_SERVICE_END_PROTOCOL] = "protocol",
	    [VG_DECOY_SERVICE_END_STOPPED] = "stopped",
	};

	return (unsigned)end < sizeof(names) / sizeof(names[0]) ? names[end] : "unknown";
}

static void count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

static void close_fd(int *fd)
{
	vg_closep(fd);
	*fd = -1;
}

static uint64_t slot_data(enum slot_kind kind, size_t index)
{
	return (uint64_t)kind << 32 | (uint32_t)index;
}

static void send_report(struct vg_decoy_services *s, const struct vg_decoy_service_report *r)
{
	/* Only the bytes captured are sent: the datagram ends there. */
	size_t len = offsetof(struct vg_decoy_service_report, captured) + r->captured_len;

	if (send(s->report_tx, r, len, MSG_DONTWAIT) != (ssize_t)len)
		count(&s->stats.reports_dropped);
}

/* The client socket of a loopback connection, from the kernel's socket
 * table (sock_diag): its inode and owner. Returns 0, or -1 with errno. */
static int client_socket(const struct sockaddr_in *client, const struct sockaddr_in *server,
			 uint64_t *inode, uint32_t *uid)
{
	_cleanup_close_ int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
	    .nlh = {.nlmsg_len = sizeof(msg),
		    .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		    .nlmsg_flags = NLM_F_REQUEST},
	    /* Without NLM_F_DUMP: the one socket whose local end is the
	     * client's address and port and whose remote end is ours. */
	    .req = {.sdiag_family = AF_INET,
		    .sdiag_protocol = IPPROTO_TCP,
		    .idiag_states = ~0u,
		    .id = {.idiag_sport = client->sin_port,
			   .idiag_dport = server->sin_port,
			   .idiag_src = {client->sin_addr.s_addr},
			   .idiag_dst = {server->sin_addr.s_addr},
			   .idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
	};
	char buf[8192] __attribute__((aligned(__alignof__(struct nlmsghdr))));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t n;

	if (nl < 0 || send(nl, &msg, sizeof(msg), 0) != sizeof(msg))
		return -1;
	n = recv(nl, buf, sizeof(buf), 0);
	if (n < 0)
		return -1;
	if (!NLMSG_OK(h, (size_t)n)) {
		errno = EPROTO;
		return -1;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		errno = e->error ? -e->error : ENOENT;
		return -1;
	}
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
		errno = EPROTO;
		return -1;
	}
	*inode = ((const struct inet_diag_msg *)NLMSG_DATA(h))->idiag_inode;
	*uid = ((const struct inet_diag_msg *)NLMSG_DATA(h))->idiag_uid;
	return 0;
}

static bool holds_link(int pid_dirfd, const char *want)
{
	_cleanup_close_ int fd_dirfd = openat(pid_dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char link[64];
	struct dirent *ent;
	bool found = false;
	DIR *dir;

	if (fd_dirfd < 0 || !(dir = fdopendir(fd_dirfd)))
		return false; /* gone, or a kernel thread */
	steal_fd(&fd_dirfd);
	while (!found && (ent = readdir(dir))) {
		ssize_t n = readlinkat(dirfd(dir), ent->d_name, link, sizeof(link) - 1);

		if (n > 0) {
			link[n] = '\0';
			found = !strcmp(link, want);
		}
	}
	closedir(dir);
	return found;
}

/* The process holding the socket inode (the first in pid order when a fork
 * shares it); 0 if none. */
static uint32_t process_holding_socket(uint64_t inode, pid_t self)
{
	DIR *proc = opendir("/proc");
	struct dirent *ent;
	uint32_t found = 0;
	char want[64];

	if (!proc)
		return 0;
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)inode);
	while (!found && (ent = readdir(proc))) {
		char *end;
		unsigned long pid = strtoul(ent->d_name, &end, 10);
		_cleanup_close_ int pid_dirfd = -1;

		if (*end || pid == 0 || pid == (unsigned long)self)
			continue;
		pid_dirfd = openat(dirfd(proc), ent->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pid_dirfd >= 0 && holds_link(pid_dirfd, want))
			found = (uint32_t)pid;
	}
	closedir(proc);
	return found;
}

/* Finds and flags the client process of a new session. */
static void attribute(struct vg_decoy_services *s, struct session *sess,
		      const struct sockaddr_in *client)
{
	struct sockaddr_in server;
	socklen_t len = sizeof(server);
	uint64_t inode;

	sess->uid = UINT32_MAX;
	if (getsockname(sess->fd, (struct sockaddr *)&server, &len) ||
	    client_socket(client, &server, &inode, &sess->uid)) {
		sess->flag_error = errno;
	} else if (!(sess->tgid = process_holding_socket(inode, s->daemon_tgid))) {
		sess->flag_error = ESRCH; /* it closed the socket already, or is in another netns */
	} else if (sess->tgid <= 1) {
		sess->flag_error = EPERM;
	} else if (sensor_mark_flagged(s->sensor, sess->tgid)) {
		sess->flag_error = errno;
	}
	if (!sess->tgid)
		count(&s->stats.unattributed);
}

/* A report about a session: who, where, since when. */
static void describe(const struct session *sess, enum vg_decoy_service_event event,
		     struct vg_decoy_service_report *r)
{
	memset(r, 0, offsetof(struct vg_decoy_service_report, captured));
	r->event = event;
	r->session = sess->id;
	r->kind = sess->kind;
	r->port = sess->port;
	r->peer_port = sess->peer_port;
	r->tgid = sess->tgid;
	r->uid = sess->uid;
	r->flag_error = sess->flag_error;
	r->ts_ns = event == VG_DECOY_SERVICE_CONNECT ? sess->started_ns : clock_boot_ns();
}

static void set_accepting(struct vg_decoy_services *s, bool on)
{
	for (size_t i = 0; i < s->listener_count; i++) {
		struct epoll_event ev = {.events = on ? EPOLLIN : 0,
					 .data.u64 = slot_data(SLOT_LISTENER, i)};

		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listeners[i].fd, &ev))
			vg_warn("decoy services: %s port %u: %s", on ? "resuming" : "pausing",
				s->listeners[i].port, strerror(errno));
	}
	s->accepting = on;
}

static void end_session(struct vg_decoy_services *s, struct session *sess,
			enum vg_decoy_service_end end)
{
	struct vg_decoy_service_report r;

	describe(sess, VG_DECOY_SERVICE_SESSION, &r);
	r.end = end;
	r.duration_ns = r.ts_ns - sess->started_ns;
	r.bytes_received = sess->bytes_received;
	r.bytes_sent = sess->bytes_sent;
	r.captured_len = (uint32_t)sess->captured_len;
	memcpy(r.captured, sess->captured, sess->captured_len);
	send_report(s, &r);
	close_fd(&sess->fd); /* also leaves the epoll set */
	s->active--;
	if (!s->accepting)
		set_accepting(s, true);
}

/* Sends all of data at once or ends the session: a client that does not
 * read its replies is not worth a buffer. Returns 0, or -1 once ended. */
static int send_to_client(struct vg_decoy_services *s, struct session *sess, const char *data,
			  size_t len)
{
	ssize_t n = send(sess->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n > 0)
		sess->bytes_sent += (uint64_t)n;
	if (n == (ssize_t)len)
		return 0;
	end_session(s, sess,
		    n < 0 && errno != EAGAIN ? VG_DECOY_SERVICE_END_CLOSED
					     : VG_DECOY_SERVICE_END_LIMIT);
	return -1;
}

static void open_session(struct vg_decoy_services *s, const struct listener *l, int fd,
			 const struct sockaddr_in *client)
{
	struct vg_decoy_service_report r;
	struct session *sess = NULL;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};

	for (size_t i = 0; i < DECOY_SERVICE_MAX_SESSIONS && !sess; i++)
		if (s->sessions[i].fd < 0) {
			sess = &s->sessions[i];
			ev.data.u64 = slot_data(SLOT_SESSION, i);
		}
	memset(sess, 0, sizeof(*sess));
	sess->fd = fd;
	sess->id = ++s->last_session;
	sess->kind = l->kind;
	sess->port = l->port;
	sess->peer_port = ntohs(client->sin_port);
	sess->started_ns = sess->last_ns = clock_boot_ns();
	s->active++;
	count(&s->stats.sessions);
	/* Flagged before it reads a byte from us. */
	attribute(s, sess, client);
	describe(sess, VG_DECOY_SERVICE_CONNECT, &r);
	send_report(s, &r);
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		vg_warn("decoy services: watching a session on port %u: %s", l->port,
			strerror(errno));
		end_session(s, sess, VG_DECOY_SERVICE_END_CLOSED);
		return;
	}
	if (sess->kind == VG_SERVICE_SSH)
		send_to_client(s, sess, VG_DECOY_SSH_BANNER, strlen(VG_DECOY_SSH_BANNER));
}

static void accept_clients(struct vg_decoy_services *s, const struct listener *l)
{
	while (s->active < DECOY_SERVICE_MAX_SESSIONS) {
		struct sockaddr_in client;
		socklen_t len = sizeof(client);
		int fd =
		    accept4(l->fd, (struct sockaddr *)&client, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				vg_warn("decoy services: accepting on port %u: %s", l->port,
					strerror(errno));
			return;
		}
		open_session(s, l, fd, &client);
	}
	/* Full: the next clients wait in the backlog until a session ends. */
	set_accepting(s, false);
}

/* Answers every complete Redis command in the session's input. Returns 0,
 * or -1 once the session ended. */
static int serve_redis(struct vg_decoy_services *s, struct session *sess, const char *data,
		       size_t len)
{
	while (len) {
		size_t take = sizeof(sess->input) - sess->input_len;
		struct vg_resp_command cmd;
		char reply[REPLY_BYTES];
		ssize_t used;

		take = take < len ? take : len;
		memcpy(sess->input + sess->input_len, data, take);
		sess->input_len += take;
		data += take;
		len -= take;
		while ((used = resp_parse_command(sess->input, sess->input_len, sizeof(sess->input),
						  &cmd)) > 0) {
			bool quit;
			size_t n = resp_reply(&cmd, reply, sizeof(reply), &quit);

			if (n && send_to_client(s, sess, reply, n))
				return -1;
			/* The reply is built: the arguments it pointed into may go. */
			sess->input_len -= (size_t)used;
			memmove(sess->input, sess->input + used, sess->input_len);
			if (quit) {
				end_session(s, sess, VG_DECOY_SERVICE_END_QUIT);
				return -1;
			}
		}
		if (used < 0 || sess->input_len == sizeof(sess->input)) {
			static const char protocol_error[] = "-ERR Protocol error\r\n";

			if (!send_to_client(s, sess, protocol_error, sizeof(protocol_error) - 1))
				end_session(s, sess, VG_DECOY_SERVICE_END_PROTOCOL);
			return -1;
		}
	}
	return 0;
}

static void on_readable(struct vg_decoy_services *s, struct session *sess)
{
	char buf[4096];

	while (sess->fd >= 0) {
		ssize_t n = recv(sess->fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t keep;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			end_session(s, sess, VG_DECOY_SERVICE_END_CLOSED);
			return;
		}
		sess->last_ns = clock_boot_ns();
		sess->bytes_received += (uint64_t)n;
		keep = sizeof(sess->captured) - sess->captured_len;
		keep = keep < (size_t)n ? keep : (size_t)n;
		memcpy(sess->captured + sess->captured_len, buf, keep);
		sess->captured_len += keep;
		/* The fake SSH never answers the key exchange: the client
		 * waits, and the session ends idle. */
		if (sess->kind == VG_SERVICE_REDIS && serve_redis(s, sess, buf, (size_t)n))
			return;
		if (sess->bytes_received > SESSION_MAX_BYTES) {
			end_session(s, sess, VG_DECOY_SERVICE_END_LIMIT);
			return;
		}
	}
}

static uint64_t deadline_of(const struct session *sess)
{
	uint64_t idle = sess->last_ns + DECOY_SERVICE_IDLE_S * NS_PER_S;
	uint64_t lifetime = sess->started_ns + SESSION_LIFETIME_S * NS_PER_S;

	return idle < lifetime ? idle : lifetime;
}

/* Ends the sessions past their deadline; returns the ms until the next
 * deadline, -1 if no session runs. */
static int expire_sessions(struct vg_decoy_services *s)
{
	uint64_t now = clock_boot_ns(), next = UINT64_MAX;

	for (size_t i = 0; i < DECOY_SERVICE_MAX_SESSIONS; i++) {
		struct session *sess = &s->sessions[i];
		uint64_t deadline;

		if (sess->fd < 0)
			continue;
		deadline = deadline_of(sess);
		if (deadline <= now)
			end_session(s, sess,
				    deadline == sess->last_ns + DECOY_SERVICE_IDLE_S * NS_PER_S
					? VG_DECOY_SERVICE_END_IDLE
					: VG_DECOY_SERVICE_END_LIMIT);
		else if (deadline < next)
			next = deadline;
	}
	return next == UINT64_MAX ? -1 : (int)((next - now) / 1000000 + 1);
}

static void *decoy_service_thread(void *arg)
{
	struct vg_decoy_services *s = arg;
	struct epoll_event events[64];
	int timeout_ms = -1;

	for (;;) {
		int n = epoll_wait(s->epoll_fd, events, 64, timeout_ms);

		if (n < 0 && errno != EINTR) {
			vg_err("decoy services: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			uint32_t index = (uint32_t)events[i].data.u64;

			switch ((enum slot_kind)(events[i].data.u64 >> 32)) {
			case SLOT_WAKE:
				goto stop;
			case SLOT_LISTENER:
				accept_clients(s, &s->listeners[index]);
				break;
			case SLOT_SESSION:
				if (s->sessions[index].fd >= 0)
					on_readable(s, &s->sessions[index]);
				break;
			}
		}
		timeout_ms = expire_sessions(s);
	}
stop:
	for (size_t i = 0; i < DECOY_SERVICE_MAX_SESSIONS; i++)
		if (s->sessions[i].fd >= 0)
			end_session(s, &s->sessions[i], VG_DECOY_SERVICE_END_STOPPED);
	return NULL;
}

/* Listens on 127.0.0.1:port. A port that cannot be had is a warning. */
static void listen_on(struct vg_decoy_services *s, enum vg_service_kind kind, uint16_t port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = slot_data(SLOT_LISTENER, s->listener_count)};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	/* SO_REUSEADDR: a restarted daemon rebinds despite old sessions in
	 * TIME_WAIT; it does not let two listeners share the port. */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, LISTEN_BACKLOG) ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		vg_warn("decoy %s service: 127.0.0.1:%u: %s; not served",
			policy_service_kind_name(kind), port, strerror(errno));
		return;
	}
	s->listeners[s->listener_count++] = (struct listener){steal_fd(&fd), kind, port};
}

int decoy_services_start(struct vg_sensor *sensor, pid_t daemon_tgid,
			 const struct vg_port_list *ports, struct vg_decoy_services **out,
			 int *report_fd, char *err, size_t errlen)
{
	struct vg_decoy_services *s = calloc(1, sizeof(*s));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = slot_data(SLOT_WAKE, 0)};
	int pair[2], bytes = REPORT_SOCKET_BYTES;

	if (!s) {
		snprintf(err, errlen, "decoy services: out of memory");
		return -1;
	}
	s->sensor = sensor;
	s->daemon_tgid = daemon_tgid;
	s->accepting = true;
	s->epoll_fd = s->wake_fd = s->report_tx = s->report_rx = -1;
	for (size_t i = 0; i < DECOY_SERVICE_MAX_SESSIONS; i++)
		s->sessions[i].fd = -1;
	memcpy(s->ports, ports, sizeof(s->ports));
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->epoll_fd < 0 || s->wake_fd < 0 ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->wake_fd, &ev) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair)) {
		snprintf(err, errlen, "decoy services: epoll/eventfd/socketpair: %s",
			 strerror(errno));
		goto fail;
	}
	s->report_rx = pair[0];
	s->report_tx = pair[1];
	if (setsockopt(s->report_tx, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)))
		vg_warn("decoy services: report socket buffer: %s", strerror(errno));
	for (unsigned k = 0; k < VG_SERVICE_KINDS; k++)
		for (unsigned i = 0; i < ports[k].count; i++)
			listen_on(s, (enum vg_service_kind)k, ports[k].ports[i]);
	errno = pthread_create(&s->thread, NULL, decoy_service_thread, s);
	if (errno) {
		snprintf(err, errlen, "decoy services: starting their thread: %s", strerror(errno));
		goto fail;
	}
	s->running = true;
	*report_fd = s->report_rx;
	*out = s;
	return 0;
fail:
	decoy_services_stop(s);
	decoy_services_free(s);
	return -1;
}

bool decoy_services_serve(const struct vg_decoy_services *s, const struct vg_port_list *ports)
{
	for (unsigned k = 0; k < VG_SERVICE_KINDS; k++)
		if (s->ports[k].count != ports[k].count ||
		    memcmp(s->ports[k].ports, ports[k].ports,
			   ports[k].count * sizeof(ports[k].ports[0])))
			return false;
	return true;
}

void decoy_services_stats(struct vg_decoy_services *s, struct vg_decoy_service_stats *out)
{
	out->sessions = __atomic_load_n(&s->stats.sessions, __ATOMIC_RELAXED);
	out->unattributed = __atomic_load_n(&s->stats.unattributed, __ATOMIC_RELAXED);
	out->reports_dropped = __atomic_load_n(&s->stats.reports_dropped, __ATOMIC_RELAXED);
}

void decoy_services_stop(struct vg_decoy_services *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (s->running) {
		if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one))
			vg_warn("decoy services: signalling their thread: %s", strerror(errno));
		else
			pthread_join(s->thread, NULL);
		s->running = false;
	}
	for (size_t i = 0; i < s->listener_count; i++)
		close_fd(&s->listeners[i].fd);
	s->listener_count = 0;
	close_fd(&s->epoll_fd);
	close_fd(&s->wake_fd);
	close_fd(&s->report_tx);
}

void decoy_services_free(struct vg_decoy_services *s)
{
	if (!s)
		return;
	vg_closep(&s->report_rx);
	free(s);
}
