#include "cli/control_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "record/json_text.h"

const char *control_socket_path(const char *option)
{
	const char *env = getenv("VIGILANTE_SOCKET");

	if (option)
		return option;
	return env && *env ? env : VG_DEFAULT_SOCKET;
}

/* line and a newline, all of it, without SIGPIPE; 0, or -1 with errno. */
static int send_line(int fd, const char *line)
{
	_cleanup_free_ char *buf = NULL;
	int len = asprintf(&buf, "%s\n", line);

	if (len < 0)
		return -1;
	for (size_t off = 0; off < (size_t)len;) {
		ssize_t n = send(fd, buf + off, (size_t)len - off, MSG_NOSIGNAL);

		if (n < 0 && errno != EINTR)
			return -1;
		off += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

FILE *control_request(const char *socket_path, struct json_object *req, int *exit_code)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	const char *line = json_text_line(req);
	FILE *stream;

	*exit_code = VG_EXIT_NO_DAEMON;
	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		vg_err("control socket path %s is too long", socket_path);
		json_object_put(req);
		return NULL;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		vg_err("cannot reach the daemon at %s: %s (is vigilanted running?)", socket_path,
		       strerror(errno));
		json_object_put(req);
		return NULL;
	}
	/* A daemon that refuses the connection (too many clients) says why and
	 * closes it, maybe before the request is sent: then its line is still
	 * there to read. */
	if (send_line(fd, line) && errno != EPIPE && errno != ECONNRESET) {
		vg_err("sending the request to %s: %s", socket_path, strerror(errno));
		json_object_put(req);
		return NULL;
	}
	json_object_put(req);
	stream = fdopen(fd, "r");
	if (!stream) {
		vg_err("reading from %s: %s", socket_path, strerror(errno));
		return NULL;
	}
	steal_fd(&fd);
	*exit_code = VG_EXIT_OK;
	return stream;
}

struct json_object *control_read_reply(FILE *stream)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	struct json_object *obj;

	if (getline(&line, &cap, stream) < 0)
		return NULL;
	obj = json_tokener_parse(line);
	if (!obj)
		vg_err("the daemon sent a line that is not JSON");
	return obj;
}

int control_reply_status(struct json_object *reply)
{
	struct json_object *ok, *error;

	if (json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok))
		return VG_EXIT_OK;
	if (!json_object_object_get_ex(reply, "error", &error)) {
		vg_err("the daemon refused the request");
		return VG_EXIT_FAIL;
	}
	vg_err("%s", json_object_get_string(error));
	return strstr(json_object_get_string(error), "permission denied") ? VG_EXIT_PERMISSION
									  : VG_EXIT_FAIL;
}

int control_call(const char *socket_option, struct json_object *req, bool json,
		 void (*print)(struct json_object *reply, void *ctx), void *ctx)
{
	_cleanup_fclose_ FILE *stream = NULL;
	struct json_object *reply;
	int rc;

	stream = control_request(control_socket_path(socket_option), req, &rc);
	if (!stream)
		return rc;
	reply = control_read_reply(stream);
	if (!reply) {
		vg_err("the daemon closed the connection without answering");
		return VG_EXIT_FAIL;
	}
	rc = control_reply_status(reply);
	if (rc == VG_EXIT_OK && json)
		printf("%s\n", json_text_line(reply));
	else if (rc == VG_EXIT_OK && print)
		print(reply, ctx);
	json_object_put(reply);
	return rc;
}
