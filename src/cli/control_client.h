/* The CLI's side of the control socket: connect, send one JSON request, read
 * JSON lines back. */
#ifndef VG_CLI_CONTROL_CLIENT_H
#define VG_CLI_CONTROL_CLIENT_H

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

#endif
