/* The Redis protocol (RESP) as the decoy Redis speaks it: commands parsed
 * from what a client sends (arrays of bulk strings, or inline commands as
 * typed into telnet), and replies that look like an unprotected Redis 7
 * server's, so an intruder goes on and shows what it came for (the classic
 * CONFIG SET dir /root/.ssh + SAVE). Nothing is stored: no reply depends on
 * an earlier command. Pure functions, no I/O. */
#ifndef VG_ACT_DECOY_RESP_H
#define VG_ACT_DECOY_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define VG_RESP_MAX_ARGS 16 /* arguments kept; later ones are counted only */

struct vg_resp_arg {
	const char *ptr; /* into the parsed buffer; not NUL-terminated */
	size_t len;
};

struct vg_resp_command {
	size_t argc; /* all of them, even beyond VG_RESP_MAX_ARGS */
	struct vg_resp_arg argv[VG_RESP_MAX_ARGS];
};

/* Parses the first command of buf[0..len). Returns the bytes it took (> 0)
 * and fills cmd; 0 when the command is not complete yet; -1 when the bytes
 * are not RESP (the connection should end, as Redis ends it). Bulk strings
 * longer than len_limit are refused as a protocol error. */
ssize_t resp_parse_command(const char *buf, size_t len, size_t len_limit,
			   struct vg_resp_command *cmd);

/* The decoy's reply to cmd, into out (at most outlen bytes, not
 * NUL-terminated); returns its length, 0 for no reply (an empty inline
 * line). *quit is set when the client asked to end the connection. */
size_t resp_reply(const struct vg_resp_command *cmd, char *out, size_t outlen, bool *quit);

#endif
