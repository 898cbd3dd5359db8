/* `vigilante run`: starts a workload under the honeypot's supervision (see
 * src/act/supervise.h). The child installs the seccomp filter, the daemon
 * takes its listener and moves it into a cgroup of its own, and only then
 * does the child exec the command: no call of the workload goes unwatched.
 * This process stays as the workload's parent and exits with its status. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "act/supervise.h"
#include "cli/commands.h"
#include "cli/control_client.h"
#include "common/cleanup.h"
#include "decide/policy.h"

#define EXIT_RUN_FAILED	    125 /* vigilante run itself failed */
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND	    127

static pid_t workload_pid;

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: vigilante run [--name NAME] [--policy FILE | --socket PATH] -- CMD [ARG...]\n"
	    "\n"
	    "Runs CMD as a supervised workload: in a cgroup of its own\n"
	    "(ROOT/vigilante-run/NAME-PID, always in the sensor's scope) and with a\n"
	    "seccomp filter that hands its open, openat, openat2, creat and stat-family\n"
	    "calls to the daemon. For a process the kernel has not flagged, the call\n"
	    "goes on unchanged. A flagged process (by its precognition score, a\n"
	    "honeytoken, a decoy service, or `vigilante flag PID`) that opens or stats\n"
	    "a path of the policy's honeypot.decoys is handed the decoy instead (in\n"
	    "honeypot.mode enforce; in monitor the real file, and the decoy it would\n"
	    "have had is logged). Paths are resolved as the kernel would: /etc/../etc/shadow,\n"
	    "a symbolic or hard link to it and /proc/self/root/etc/shadow are the\n"
	    "same file. io_uring and open_by_handle_at are refused to the workload:\n"
	    "they would open files without passing through the filter.\n"
	    "\n"
	    "Every decoy served is a forensic record; `vigilante honeypot log` prints\n"
	    "them. If the daemon stops, the workload's intercepted calls fail (ENOSYS):\n"
	    "it never runs unwatched.\n"
	    "\n"
	    "Options:\n"
	    "  -n, --name NAME   the workload's name (letters, digits, '.', '_', '-';\n"
	    "                    default: CMD's base name)\n"
	    "  --policy FILE     the daemon's policy: its control socket is used\n"
	    "  --socket PATH     control socket (default $VIGILANTE_SOCKET or\n"
	    "                    /run/vigilante/control.sock)\n"
	    "  -h, --help        this text\n"
	    "\n"
	    "Needs root or the policy's control group. Signals INT, TERM, HUP and QUIT\n"
	    "are passed on to the workload.\n"
	    "\n"
	    "Exit status: CMD's own (128+N if killed by signal N); 125 if vigilante run\n"
	    "itself failed (daemon unreachable, refused, bad usage); 126 CMD could not\n"
	    "be executed; 127 CMD was not found.\n");
}

static void forward_signal(int sig)
{
	if (workload_pid > 0)
		kill(workload_pid, sig);
}

/* The child: filter, hand the listener's number over, wait for the go,
 * exec. Never returns. */
static void run_child(int sync_fd, char **cmd)
{
	char err[256], go;
	int listener = supervise_filter_install(err, sizeof(err));

	if (listener < 0) {
		fprintf(stderr, "vigilante run: %s\n", err);
		_exit(EXIT_RUN_FAILED);
	}
	if (write(sync_fd, &listener, sizeof(listener)) != sizeof(listener) ||
	    read(sync_fd, &go, 1) != 1)
		_exit(EXIT_RUN_FAILED); /* the parent gave up: it said why */
	/* The workload must not hold its own listener: it could answer its
	 * own calls. */
	close(listener);
	close(sync_fd);
	execvp(cmd[0], cmd);
	fprintf(stderr, "vigilante run: %s: %s\n", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE);
}

static int socket_from_policy(const char *file, char **out)
{
	struct vg_policy policy;
	struct vg_policy_error perr;

	if (policy_load_file(file, &policy, &perr)) {
		fprintf(stderr, "vigilante run: %s\n", perr.message);
		return -1;
	}
	*out = strdup(policy.control.socket);
	policy_free(&policy);
	return *out ? 0 : -1;
}

static int wait_workload(void)
{
	int status;

	while (waitpid(workload_pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_RUN_FAILED;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int start_supervised(const char *socket_path, const char *name, char **cmd)
{
	struct sigaction sa = {.sa_handler = forward_signal};
	struct json_object *req;
	int sync[2], listener, rc;
	char go = 1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync)) {
		perror("vigilante run: socketpair");
		return EXIT_RUN_FAILED;
	}
	workload_pid = fork();
	if (workload_pid < 0) {
		perror("vigilante run: fork");
		return EXIT_RUN_FAILED;
	}
	if (workload_pid == 0) {
		close(sync[0]);
		run_child(sync[1], cmd);
	}
	close(sync[1]);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	if (read(sync[0], &listener, sizeof(listener)) != sizeof(listener)) {
		close(sync[0]); /* the child said why it failed */
		wait_workload();
		return EXIT_RUN_FAILED;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("supervise"));
	json_object_object_add(req, "pid", json_object_new_int(workload_pid));
	json_object_object_add(req, "fd", json_object_new_int(listener));
	json_object_object_add(req, "name", json_object_new_string(name));
	rc = control_call(socket_path, req, false, NULL, NULL);
	if (rc != VG_EXIT_OK) {
		kill(workload_pid, SIGKILL);
		close(sync[0]);
		wait_workload();
		return EXIT_RUN_FAILED;
	}
	if (write(sync[0], &go, 1) != 1) {
		close(sync[0]);
		wait_workload();
		return EXIT_RUN_FAILED;
	}
	close(sync[0]);
	return wait_workload();
}

int cmd_run(int argc, char **argv)
{
	static const struct option options[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"policy", required_argument, NULL, 'p'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *policy_socket = NULL, *default_name = NULL;
	const char *socket_option = NULL, *policy_file = NULL, *name = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "+n:h", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			break;
		case 'p':
			policy_file = optarg;
			break;
		case 's':
			socket_option = optarg;
			break;
		default:
			return cli_help_or_usage(opt, usage) == VG_EXIT_OK ? VG_EXIT_OK
									   : EXIT_RUN_FAILED;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vigilante run: no command given\n");
		usage(stderr);
		return EXIT_RUN_FAILED;
	}
	if (policy_file && socket_option) {
		fprintf(stderr, "vigilante run: --policy and --socket both name the socket; "
				"give one\n");
		return EXIT_RUN_FAILED;
	}
	if (policy_file) {
		if (socket_from_policy(policy_file, &policy_socket))
			return EXIT_RUN_FAILED;
		socket_option = policy_socket;
	}
	if (!name) {
		default_name = strdup(argv[optind]);
		if (!default_name)
			return EXIT_RUN_FAILED;
		name = basename(default_name);
		/* A cgroup name: anything else becomes '_'. */
		for (char *ch = (char *)name; *ch; ch++)
			if (!strchr(
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
				*ch))
				*ch = '_';
		if (name[0] == '.')
			*(char *)name = '_';
	}
	return start_supervised(socket_option, name, argv + optind);
}
