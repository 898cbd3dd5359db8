/* The control socket: a Unix stream socket speaking JSON lines. Anyone may
 * connect and read the status; anything else (processes and their scores,
 * events, changes) requires root or the policy's control group, decided
 * from SO_PEERCRED, never from what the client says about itself. A slow
 * client never blocks the daemon: its output is buffered up to a cap, and
 * lines past the cap are counted and reported to it as dropped. No one can
 * starve the daemon through it: unprivileged clients are capped in number,
 * per uid and together, below a total that leaves room for root, and each
 * client is served a few requests per turn of the event loop. */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "common/log.h"
#include "record/json_text.h"

#define CLIENT_OUT_CAP (4u << 20)

/* Each client costs a descriptor (which the fanotify gate needs too: an
 * event whose fd cannot be made is denied) and up to CLIENT_OUT_CAP of
 * buffered output. */
#define CLIENTS_MAX	     128
#define CLIENTS_UNPRIVILEGED 64 /* all the unprivileged ones together */
#define CLIENTS_PER_UID	     8	/* one unprivileged uid */

/* Requests served from one client per turn of the event loop. */
#define REQUESTS_PER_TURN 8

static int mkdir_parents(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

int control_open(struct daemon *d, char *err, size_t errlen)
{
	const char *path = d->policy.control.socket;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "control socket path %s is longer than %zu bytes", path,
			 sizeof(addr.sun_path) - 1);
		return -1;
	}
	if (mkdir_parents(path, 0755)) {
		snprintf(err, errlen, "control socket %s: creating its directory: %s", path,
			 strerror(errno));
		return -1;
	}
	/* We hold the instance lock, so a socket left here is stale. */
	if (unlink(path) && errno != ENOENT) {
		snprintf(err, errlen, "control socket %s: removing the stale one: %s", path,
			 strerror(errno));
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 64)) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	/* Everyone may connect; SO_PEERCRED decides what they may do. */
	if (chmod(path, 0666)) {
		snprintf(err, errlen, "control socket %s: chmod: %s", path, strerror(errno));
		return -1;
	}
	d->control_fd = steal_fd(&fd);
	return 0;
}

static bool peer_privileged(const struct daemon *d, uid_t uid, gid_t gid)
{
	struct passwd pw, *found = NULL;
	gid_t groups[256];
	int ngroups = 256;
	char buf[4096];

	if (uid == 0)
		return true;
	if (!d->policy.control.has_group)
		return false;
	if (gid == d->policy.control.group)
		return true;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) || !found)
		return false;
	if (getgrouplist(pw.pw_name, gid, groups, &ngroups) < 0)
		return false;
	for (int i = 0; i < ngroups; i++)
		if (groups[i] == d->policy.control.group)
			return true;
	return false;
}

/* Whether c would be one client too many; if so, tells it why. */
static bool refuse_over_limit(const struct daemon *d, const struct control_client *c)
{
	unsigned all = 0, unprivileged = 0, same_uid = 0;
	char why[160];

	for (const struct control_client *o = d->clients; o; o = o->next) {
		all++;
		unprivileged += !o->privileged;
		same_uid += !o->privileged && o->uid == c->uid;
	}
	if (all >= CLIENTS_MAX)
		snprintf(why, sizeof(why), "%u clients are connected, the most there may be", all);
	else if (!c->privileged && unprivileged >= CLIENTS_UNPRIVILEGED)
		snprintf(why, sizeof(why), "%u unprivileged clients are connected", unprivileged);
	else if (!c->privileged && same_uid >= CLIENTS_PER_UID)
		snprintf(why, sizeof(why), "uid %u has %u clients connected, the most it may have",
			 (unsigned)c->uid, same_uid);
	else
		return false;

	/* Said in the log, at most every 10 s: a flood is worth knowing of. */
	static uint64_t last_said_ns;
	uint64_t now = clock_boot_ns();

	if (!last_said_ns || now - last_said_ns >= 10000000000ull) {
		vg_warn("control socket: refusing a client (uid %u, pid %d): %s", (unsigned)c->uid,
			(int)c->pid, why);
		last_said_ns = now;
	}

	/* Not a client yet: one line straight to its socket (why is ours:
	 * nothing in it needs escaping). */
	char line[sizeof(why) + 32];
	int len = snprintf(line, sizeof(line), "{\"ok\":false,\"error\":\"%s\"}\n", why);

	(void)!send(c->fd, line, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return true;
}

void control_accept(struct daemon *d)
{
	for (;;) {
		int fd = accept4(d->control_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN};
		struct control_client *c;
		struct ucred cred;
		socklen_t len = sizeof(cred);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				vg_warn("control socket: accept: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
			vg_warn("control socket: refusing a client: %s",
				c ? strerror(errno) : "out of memory");
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->uid = cred.uid;
		c->gid = cred.gid;
		c->pid = cred.pid;
		c->privileged = peer_privileged(d, cred.uid, cred.gid);
		if (refuse_over_limit(d, c)) {
			free(c);
			close(fd);
			continue;
		}
		ev.data.ptr = c;
		if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			vg_warn("control socket: epoll: %s", strerror(errno));
			free(c);
			close(fd);
			continue;
		}
		c->next = d->clients;
		d->clients = c;
	}
}

static void client_close(struct daemon *d, struct control_client *c)
{
	for (struct control_client **link = &d->clients; *link; link = &(*link)->next)
		if (*link == c) {
			*link = c->next;
			break;
		}
	epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
}

static void update_interest(struct daemon *d, struct control_client *c)
{
	struct epoll_event ev = {.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0), .data.ptr = c};

	epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what it can; returns -1 if the client is gone. */
static int client_flush(struct control_client *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	return 0;
}

static bool client_queue(struct control_client *c, const char *line, size_t len)
{
	if (c->out_len + len + 1 > CLIENT_OUT_CAP)
		return false;
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *grown;

		while (cap < c->out_len + len + 1)
			cap *= 2;
		grown = realloc(c->out, cap);
		if (!grown)
			return false;
		c->out = grown;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return true;
}

void control_send(struct daemon *d, struct control_client *c, const char *line)
{
	char note[96];

	if (c->dropped_lines && c->out_len < CLIENT_OUT_CAP / 2) {
		snprintf(note, sizeof(note), "{\"type\":\"dropped\",\"lines\":%llu}",
			 (unsigned long long)c->dropped_lines);
		if (client_queue(c, note, strlen(note)))
			c->dropped_lines = 0;
	}
	if (c->dead)
		return;
	if (!client_queue(c, line, strlen(line)))
		c->dropped_lines++;
	if (client_flush(c))
		c->dead = true;
	else
		update_interest(d, c);
}

void control_send_json(struct daemon *d, struct control_client *c, struct json_object *obj)
{
	control_send(d, c, json_text_line(obj));
	json_object_put(obj);
}

void control_broadcast(struct daemon *d, const char *line)
{
	for (struct control_client *c = d->clients; c; c = c->next)
		if (c->follow)
			control_send(d, c, line);
}

/* Handles up to REQUESTS_PER_TURN of the complete lines c has sent. */
static void serve_lines(struct daemon *d, struct control_client *c)
{
	char *newline;

	for (int served = 0;
	     served < REQUESTS_PER_TURN && !c->dead && (newline = memchr(c->in, '\n', c->in_len));
	     served++) {
		size_t used = (size_t)(newline - c->in) + 1;

		*newline = '\0';
		request_handle(d, c, c->in);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
	c->pending = !c->dead && memchr(c->in, '\n', c->in_len);
}

/* One read per readiness, and a bounded number of requests served: a
 * client that sends without pause must not keep the loop from the ring
 * buffer, the gate's reports and the other clients (level-triggered epoll
 * brings it back, and control_serve_pending() serves what it has queued). */
void control_on_ready(struct daemon *d, struct control_client *c, uint32_t epoll_events)
{
	size_t room = sizeof(c->in) - c->in_len - 1;

	if (epoll_events & EPOLLOUT) {
		if (client_flush(c)) {
			c->dead = true;
			return;
		}
		update_interest(d, c);
	}
	if (!(epoll_events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->dead)
		return;
	if (room == 0 && c->pending) {
		serve_lines(d, c); /* room first */
		return;
	}
	ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* A follower may half-close; others are done. */
		if (n < 0 || !c->follow || (epoll_events & (EPOLLHUP | EPOLLERR)))
			c->dead = true;
		else
			epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, c->fd,
				  &(struct epoll_event){.events = EPOLLRDHUP, .data.ptr = c});
		return;
	}
	if (n < 0)
		return;
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	serve_lines(d, c);
	if (c->in_len == sizeof(c->in) - 1 && !c->pending) {
		control_send(d, c, "{\"ok\":false,\"error\":\"request line too long\"}");
		c->dead = true;
	}
}

bool control_serve_pending(struct daemon *d)
{
	bool more = false;

	for (struct control_client *c = d->clients; c; c = c->next)
		if (c->pending && !c->dead) {
			serve_lines(d, c);
			more |= c->pending;
		}
	return more;
}

void control_reply_durable(struct daemon *d)
{
	uint64_t durable = wal_durable_seq(d->wal);

	for (struct control_client *c = d->clients; c; c = c->next) {
		struct json_object *reply;

		if (!c->await_seq || c->await_seq > durable)
			continue;
		reply = json_object_new_object();
		json_object_object_add(reply, "ok", json_object_new_boolean(1));
		json_object_object_add(reply, "seq", json_object_new_uint64(c->await_seq));
		json_object_object_add(reply, "durable", json_object_new_boolean(1));
		c->await_seq = 0;
		control_send_json(d, c, reply);
	}
}

void control_reap(struct daemon *d)
{
	for (struct control_client *c = d->clients, *next; c; c = next) {
		next = c->next;
		if (c->dead || (c->finished && !c->out_len))
			client_close(d, c);
	}
}

void control_close_all(struct daemon *d)
{
	while (d->clients)
		client_close(d, d->clients);
	if (d->control_fd >= 0) {
		close(d->control_fd);
		unlink(d->policy.control.socket);
		d->control_fd = -1;
	}
}

void control_answer(struct daemon *d, struct control_client *c, struct json_object *obj,
		    const char *error)
{
	if (!obj)
		obj = json_object_new_object();
	json_object_object_add(obj, "ok", json_object_new_boolean(!error));
	if (error)
		json_object_object_add(obj, "error", json_object_new_string(error));
	control_send_json(d, c, obj);
}
