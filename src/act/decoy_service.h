/* Decoy TCP services on loopback (127.0.0.1): a fake OpenSSH that sends its
 * banner and listens, and a fake Redis that answers (decoy_resp.h). No
 * legitimate local program connects to them, so a connection is a
 * high-confidence sign of an intruder looking around: a thread of its own
 * (epoll, non-blocking sockets, so the daemon's main loop never waits on a
 * client) accepts it, finds the local process that made it (the kernel's
 * socket table through sock_diag gives the client socket's inode, and
 * /proc/PID/fd the process holding it), flags that process in the kernel's
 * verdicts map, and serves the session within limits: what the client sends
 * is recorded up to VG_DECOY_SERVICE_CAPTURE bytes, a session ends after
 * DECOY_SERVICE_IDLE_S of silence or a minute in all, and at most
 * DECOY_SERVICE_MAX_SESSIONS run at once (further clients wait in the
 * listen backlog). Each connection and each session's end are reported to
 * the daemon's main loop as struct vg_decoy_service_report datagrams.
 *
 * A port that cannot be bound (in use, say) is a warning naming it; the
 * other services run. */
#ifndef VG_ACT_DECOY_SERVICE_H
#define VG_ACT_DECOY_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "decide/policy.h"
#include "sense/sensor_loader.h"

#define VG_DECOY_SERVICE_CAPTURE 4096 /* bytes of a session recorded */

#define VG_DECOY_SSH_BANNER "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"

enum vg_decoy_service_event {
	VG_DECOY_SERVICE_CONNECT = 1, /* accepted; the client process flagged */
	VG_DECOY_SERVICE_SESSION = 2, /* ended; what the client sent */
};

/* Why a session ended. */
enum vg_decoy_service_end {
	VG_DECOY_SERVICE_END_CLOSED = 0, /* the client closed or reset it */
	VG_DECOY_SERVICE_END_IDLE,	 /* silent for too long */
	VG_DECOY_SERVICE_END_LIMIT,	 /* too long, or too many bytes */
	VG_DECOY_SERVICE_END_QUIT,	 /* the client said goodbye (Redis QUIT) */
	VG_DECOY_SERVICE_END_PROTOCOL,	 /* bytes the service could not parse */
	VG_DECOY_SERVICE_END_STOPPED,	 /* the daemon stopped the services */
};

struct vg_decoy_service_report {
	uint32_t event;	      /* enum vg_decoy_service_event */
	uint32_t session;     /* numbers the sessions since start: links the two events */
	uint32_t kind;	      /* enum vg_service_kind */
	uint16_t port;	      /* the decoy's */
	uint16_t peer_port;   /* the client's */
	uint32_t tgid;	      /* the client process; 0: not found */
	uint32_t uid;	      /* the client socket's owner; UINT32_MAX: not found */
	int32_t flag_error;   /* errno when the client was not flagged; 0: flagged */
	uint32_t end;	      /* SESSION: enum vg_decoy_service_end */
	uint64_t ts_ns;	      /* CLOCK_BOOTTIME, when it happened */
	uint64_t duration_ns; /* SESSION */
	uint64_t bytes_received, bytes_sent; /* SESSION */
	uint32_t captured_len;		     /* SESSION: the first bytes received */
	char captured[VG_DECOY_SERVICE_CAPTURE];
};

struct vg_decoy_service_stats {
	uint64_t sessions;	  /* connections accepted */
	uint64_t unattributed;	  /* ... whose client process was not found */
	uint64_t reports_dropped; /* reports not sent: the report socket was full */
};

struct vg_decoy_services;

/* Binds 127.0.0.1 on each port of ports[kind] (VG_SERVICE_KINDS lists)
 * and starts the thread. The
 * sensor must outlive the services. *report_fd: the read end of the report
 * socket (SOCK_SEQPACKET), for the caller's event loop; it stays open until
 * decoy_services_free(). Returns 0 (even if some ports could not be bound),
 * or -1 with err. */
int decoy_services_start(struct vg_sensor *sensor, pid_t daemon_tgid,
			 const struct vg_port_list *ports, struct vg_decoy_services **out,
			 int *report_fd, char *err, size_t errlen);
/* Whether the services serve exactly these ports (VG_SERVICE_KINDS lists). */
bool decoy_services_serve(const struct vg_decoy_services *s, const struct vg_port_list *ports);
void decoy_services_stats(struct vg_decoy_services *s, struct vg_decoy_service_stats *out);
/* Ends every session (each reported, VG_DECOY_SERVICE_END_STOPPED), stops
 * the thread and closes the listeners; the reports can still be read. */
void decoy_services_stop(struct vg_decoy_services *s);
/* Frees what decoy_services_stop() left, the report fd included. */
void decoy_services_free(struct vg_decoy_services *s);

const char *decoy_service_end_name(enum vg_decoy_service_end end);

#endif
