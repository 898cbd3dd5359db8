#include "act/socket_destroy.h"

#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"

#define MAX_SOCKETS 4096

struct inodes {
	uint64_t ino[MAX_SOCKETS];
	size_t count;
};

/* The inodes of the sockets process tgid holds ("socket:[INODE]" links). */
static int socket_inodes(pid_t tgid, struct inodes *out, char *err, size_t errlen)
{
	char dir[64], link[80], target[64];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)tgid);
	d = opendir(dir);
	if (!d && errno == ENOENT)
		return 0; /* gone: it holds nothing any more */
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) && out->count < MAX_SOCKETS) {
		unsigned long long ino;
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (sscanf(target, "socket:[%llu]", &ino) == 1)
			out->ino[out->count++] = ino;
	}
	return 0;
}

static bool holds(const struct inodes *set, uint64_t ino)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->ino[i] == ino)
			return true;
	return false;
}

struct diag_request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
};

/* Sends one SOCK_DESTROY for the socket id names and reads its answer:
 * 0, or a negative errno (-ENOENT: it is gone already). */
static int destroy(int nl, uint8_t family, uint8_t protocol, const struct inet_diag_sockid *id)
{
	struct diag_request msg = {
	    .nlh = {.nlmsg_len = sizeof(msg),
		    .nlmsg_type = SOCK_DESTROY,
		    .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK},
	    .req = {.sdiag_family = family,
		    .sdiag_protocol = protocol,
		    .idiag_states = ~0u,
		    .id = *id},
	};
	char buf[512] __attribute__((aligned(__alignof__(struct nlmsghdr))));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t n;

	if (send(nl, &msg, sizeof(msg), 0) != sizeof(msg))
		return -errno;
	n = recv(nl, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
}

/* Dumps the sockets of one family and protocol and destroys those whose
 * inode the process holds. The ids are gathered first: the dump must not be
 * interleaved with requests on the same socket. */
static int destroy_held(int nl, uint8_t family, uint8_t protocol, const struct inodes *held,
			unsigned *closed, char *err, size_t errlen)
{
	struct diag_request msg = {
	    .nlh = {.nlmsg_len = sizeof(msg),
		    .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .req = {.sdiag_family = family, .sdiag_protocol = protocol, .idiag_states = ~0u},
	};
	char buf[16384] __attribute__((aligned(__alignof__(struct nlmsghdr))));
	_cleanup_free_ struct inet_diag_sockid *ids = calloc(held->count, sizeof(*ids));
	size_t found = 0;
	bool done = false;

	if (!ids || send(nl, &msg, sizeof(msg), 0) != sizeof(msg)) {
		snprintf(err, errlen, "sock_diag dump: %s",
			 ids ? strerror(errno) : "out of memory");
		return -1;
	}
	while (!done) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);

		if (n < 0) {
			snprintf(err, errlen, "sock_diag dump: %s", strerror(errno));
			return -1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				snprintf(err, errlen, "sock_diag dump: %s",
					 strerror(-((const struct nlmsgerr *)m)->error));
				return -1;
			}
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*m)) &&
			    holds(held, m->idiag_inode) && found < held->count)
				ids[found++] = m->id;
		}
	}
	for (size_t i = 0; i < found; i++) {
		int rc = destroy(nl, family, protocol, &ids[i]);

		if (rc == 0)
			(*closed)++;
		else if (rc != -ENOENT) {
			snprintf(err, errlen, "SOCK_DESTROY: %s", strerror(-rc));
			return -1;
		}
	}
	return 0;
}

int socket_destroy_process(pid_t tgid, unsigned *closed, char *err, size_t errlen)
{
	static const uint8_t families[] = {AF_INET, AF_INET6};
	static const uint8_t protocols[] = {IPPROTO_TCP, IPPROTO_UDP};
	_cleanup_free_ struct inodes *held = calloc(1, sizeof(*held));
	_cleanup_close_ int nl = -1;

	*closed = 0;
	if (!held) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (socket_inodes(tgid, held, err, errlen))
		return -1;
	if (held->count == 0)
		return 0;
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0) {
		snprintf(err, errlen, "sock_diag: %s", strerror(errno));
		return -1;
	}
	for (size_t f = 0; f < sizeof(families); f++)
		for (size_t p = 0; p < sizeof(protocols); p++)
			if (destroy_held(nl, families[f], protocols[p], held, closed, err, errlen))
				return -1;
	return 0;
}
