/* Closing a process's network connections from outside it, for a process
 * precognition blocks: the gates refuse its new connects, datagrams and
 * packet sockets, but a connection it opened before it crossed the line
 * would go on carrying data. Its TCP and UDP sockets (IPv4 and IPv6, every
 * state, listeners included) are found by inode through /proc/PID/fd and the
 * kernel's socket table (sock_diag), and destroyed with SOCK_DESTROY
 * (CONFIG_INET_DIAG_DESTROY): a connected peer gets a reset, the process
 * ECONNABORTED on its next call. */
#ifndef VG_ACT_SOCKET_DESTROY_H
#define VG_ACT_SOCKET_DESTROY_H

#include <stddef.h>
#include <sys/types.h>

/* Destroys process tgid's inet sockets; *closed gets how many. Returns 0,
 * or -1 with err naming what failed (the sockets destroyed before it are
 * counted). */
int socket_destroy_process(pid_t tgid, unsigned *closed, char *err, size_t errlen);

#endif
