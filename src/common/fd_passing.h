/* Passing a file descriptor over a unix socket (SCM_RIGHTS) with a message:
 * the supervisor hands the daemon the decoy fds it served, `vigilante run`'s
 * child hands its parent the seccomp listener. */
#ifndef VG_COMMON_FD_PASSING_H
#define VG_COMMON_FD_PASSING_H

#include <stddef.h>
#include <sys/types.h>

/* Sends buf[0..len) with fd attached (none when fd < 0); flags as for
 * sendmsg(2). Returns the bytes sent, or -1 with errno. */
ssize_t fd_send(int sock, const void *buf, size_t len, int fd, int flags);
/* Receives a message into buf and the fd attached to it, if any, into *fd
 * (-1 if none; close-on-exec). Returns the bytes received, or -1 with errno. */
ssize_t fd_recv(int sock, void *buf, size_t len, int *fd, int flags);

#endif
