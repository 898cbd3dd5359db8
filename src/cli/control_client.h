/* The CLI's side of the control socket: connect, send one JSON request, read
 * JSON lines back. */
#ifndef VG_CLI_CONTROL_CLIENT_H
#define VG_CLI_CONTROL_CLIENT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#define VG_DEFAULT_SOCKET "/run/vigilante/control.sock"

/* --socket if given, else $VIGILANTE_SOCKET, else the default. */
const char *control_socket_path(const char *option);
/* Connects and sends req (consumed). Returns a stream to read reply lines
 * from, or NULL with the reason printed (and *exit_code set). */
FILE *control_request(const char *socket_path, struct json_object *req, int *exit_code);
/* Reads one reply line as JSON; NULL at end of stream or on a bad line
 * (reported). */
struct json_object *control_read_reply(FILE *stream);
/* Prints an {"ok":false} reply's error; returns the exit code it means. */
int control_reply_status(struct json_object *reply);
/* One request, one reply: sends req (consumed) and, when the daemon says
 * ok, prints the reply as one JSON line (json) or through print(reply,
 * ctx). Returns the command's exit code. */
int control_call(const char *socket_option, struct json_object *req, bool json,
		 void (*print)(struct json_object *reply, void *ctx), void *ctx);

#endif
