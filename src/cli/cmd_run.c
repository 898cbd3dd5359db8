/* `vigilante run`: starts a workload under the honeypot's supervision (see
 * src/act/supervise.h). The child installs the seccomp filter and hands its
 * listener to this process; the daemon takes a copy and moves the child into
 * a cgroup of its own; only then does the child exec the command: no call of
 * the workload goes unwatched. This process stays the workload's parent,
 * stands in for the daemon while it restarts, and exits with its status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "act/supervise.h"
#include "act/vaccine.h"
#include "act/vaccine_seccomp.h"
#include "cli/commands.h"
#include "cli/control_client.h"
#include "common/cleanup.h"
#include "common/fd_passing.h"
#include "common/file_hash.h"
#include "common/log.h"
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
	    "Vaccines of the kind syscall against CMD's program (by content) are\n"
	    "compiled into a seccomp filter installed before CMD runs (`vigilante\n"
	    "vaccine show ID --seccomp` prints it): those calls fail with EPERM for the\n"
	    "whole workload.\n"
	    "\n"
	    "Every decoy served is a forensic record; `vigilante honeypot log` prints\n"
	    "them. This process stays the workload's parent and keeps a copy of its\n"
	    "listener: if the daemon stops, it lets the workload's calls go on\n"
	    "(unwatched, as the gates fail open; it says so on stderr) and hands the\n"
	    "workload back to the daemon once it is up again.\n"
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

/* The syscall vaccines against the command's program (by content): fetched
 * from the daemon before the fork, compiled and installed by the child
 * before it execs (see act/vaccine_seccomp.h). */
struct program_vaccines {
	unsigned char sha256[32];
	bool hashed; /* the program was found and read */
	struct vg_vaccine *list;
	size_t count;
};

static void keep_syscall_vaccines(struct json_object *reply, void *ctx)
{
	struct program_vaccines *pv = ctx;
	struct json_object *list;
	char err[256];

	if (!json_object_object_get_ex(reply, "vaccines", &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	pv->list = calloc(json_object_array_length(list) + 1, sizeof(*pv->list));
	for (size_t i = 0; pv->list && i < json_object_array_length(list); i++) {
		struct vg_vaccine *v = &pv->list[pv->count];

		if (vaccine_from_json(json_object_array_get_idx(list, i), true, v, err,
				      sizeof(err)) == 0 &&
		    v->kind == VG_VACCINE_SYSCALL)
			pv->count++;
	}
}

/* The file execvp() would run for name (searching $PATH when it has no '/'). */
static int find_program(const char *name, char out[PATH_MAX])
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *dirs = NULL;
	char *dir, *save = NULL;

	if (strchr(name, '/')) {
		snprintf(out, PATH_MAX, "%s", name);
		return 0;
	}
	dirs = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = dirs ? strtok_r(dirs, ":", &save) : NULL; dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, PATH_MAX, "%s/%s", *dir ? dir : ".", name);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

static void fetch_vaccines(const char *socket_path, const char *name, struct program_vaccines *pv)
{
	char program[PATH_MAX];
	_cleanup_close_ int fd = -1;
	struct json_object *req;

	if (find_program(name, program) || (fd = open(program, O_RDONLY | O_CLOEXEC)) < 0 ||
	    sha256_fd(fd, pv->sha256))
		return; /* exec will say why */
	pv->hashed = true;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("vaccine"));
	json_object_object_add(req, "op", json_object_new_string("list"));
	control_call(socket_path, req, false, keep_syscall_vaccines, pv);
}

/* The child: vaccines, filter, hand the listener over, wait for the go,
 * exec. Never returns. */
static void run_child(int sync_fd, char **cmd, const struct program_vaccines *pv)
{
	char err[256], go;
	int listener, denied;

	if (pv->hashed && pv->count) {
		denied = vaccine_seccomp_load(pv->list, pv->count, pv->sha256, err, sizeof(err));
		if (denied < 0) {
			fprintf(stderr, "vigilante run: %s\n", err);
			_exit(EXIT_RUN_FAILED);
		}
		if (denied > 0)
			fprintf(stderr, "vigilante run: %s: %d syscalls refused by vaccines\n",
				cmd[0], denied);
	}
	listener = supervise_filter_install(err, sizeof(err));

	if (listener < 0) {
		fprintf(stderr, "vigilante run: %s\n", err);
		_exit(EXIT_RUN_FAILED);
	}
	if (fd_send(sync_fd, "", 1, listener, 0) != 1 || read(sync_fd, &go, 1) != 1)
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

struct supervision {
	const char *socket_path, *name;
	int listener; /* the workload's seccomp listener; the daemon has a copy */
	FILE *daemon; /* the registration's connection: EOF when the daemon is gone */
};

/* Hands the listener to the daemon (again, after a restart: resume). The
 * connection stays open: its end says the daemon is gone. */
static int register_workload(struct supervision *s, bool resume)
{
	struct json_object *req = json_object_new_object(), *reply;
	int rc;

	json_object_object_add(req, "cmd", json_object_new_string("supervise"));
	json_object_object_add(req, "pid", json_object_new_int(workload_pid));
	json_object_object_add(req, "fd", json_object_new_int(s->listener));
	json_object_object_add(req, "name", json_object_new_string(s->name));
	json_object_object_add(req, "resume", json_object_new_boolean(resume));
	s->daemon = control_request(s->socket_path, req, &rc);
	if (!s->daemon)
		return rc;
	reply = control_read_reply(s->daemon);
	rc = reply ? control_reply_status(reply) : VG_EXIT_NO_DAEMON;
	json_object_put(reply);
	if (rc != VG_EXIT_OK) {
		fclose(s->daemon);
		s->daemon = NULL;
	}
	return rc;
}

/* Until the workload exits: watches the daemon, answers for it while it is
 * gone, registers again once it is back. */
static int watch(struct supervision *s)
{
	int pidfd = (int)syscall(SYS_pidfd_open, workload_pid, 0);
	time_t last_try = 0;

	if (pidfd < 0)
		return wait_workload();
	for (;;) {
		struct pollfd p[3] = {
		    {.fd = pidfd, .events = POLLIN},
		    {.fd = s->daemon ? fileno(s->daemon) : -1, .events = POLLIN},
		    {.fd = s->daemon ? -1 : s->listener, .events = POLLIN},
		};
		int n = poll(p, 3, s->daemon ? -1 : 1000);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && p[0].revents)
			break;
		if (n > 0 && p[1].revents) {
			fclose(s->daemon);
			s->daemon = NULL;
			fprintf(stderr,
				"vigilante run: the daemon is gone; %s runs unwatched "
				"until it is back\n",
				s->name);
		}
		/* While the daemon is away, the workload's calls go on unwatched
		 * (as the gates fail open) rather than hang or fail. */
		if (n > 0 && (p[2].revents & POLLIN))
			supervise_filter_continue(s->listener);
		if (!s->daemon && time(NULL) != last_try) {
			/* Once a second, quietly: why it is unwatched was said. */
			enum vg_log_level level = vg_log_set_level(VG_LOG_SILENT);

			last_try = time(NULL);
			if (register_workload(s, true) == VG_EXIT_OK)
				fprintf(stderr, "vigilante run: %s is supervised again\n", s->name);
			vg_log_set_level(level);
		}
	}
	close(pidfd);
	return wait_workload();
}

static int start_supervised(struct supervision *s, char **cmd)
{
	struct sigaction sa = {.sa_handler = forward_signal};
	struct program_vaccines vaccines = {0};
	int sync[2], rc;
	char go = 1, byte;

	fetch_vaccines(s->socket_path, cmd[0], &vaccines);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync)) {
		perror("vigilante run: socketpair");
		return EXIT_RUN_FAILED;
	}
	/* The workload (same user) must not take the listener from us through
	 * ptrace or pidfd_getfd: an undumpable process refuses both. */
	prctl(PR_SET_DUMPABLE, 0);
	workload_pid = fork();
	if (workload_pid < 0) {
		perror("vigilante run: fork");
		return EXIT_RUN_FAILED;
	}
	if (workload_pid == 0) {
		close(sync[0]);
		run_child(sync[1], cmd, &vaccines);
	}
	close(sync[1]);
	free(vaccines.list);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	if (fd_recv(sync[0], &byte, 1, &s->listener, 0) != 1 || s->listener < 0) {
		close(sync[0]); /* the child said why it failed */
		wait_workload();
		return EXIT_RUN_FAILED;
	}
	rc = register_workload(s, false);
	if (rc != VG_EXIT_OK || write(sync[0], &go, 1) != 1) {
		kill(workload_pid, SIGKILL);
		close(sync[0]);
		wait_workload();
		return EXIT_RUN_FAILED;
	}
	close(sync[0]);
	rc = watch(s);
	if (s->daemon)
		fclose(s->daemon);
	close(s->listener);
	return rc;
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

	while ((opt = getopt_long(argc, argv, "+:n:h", options, NULL)) != -1) {
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
			return cli_help_or_usage(opt, "run", argv, usage) == VG_EXIT_OK
				   ? VG_EXIT_OK
				   : EXIT_RUN_FAILED;
		}
	}
	if (optind >= argc) {
		cli_usage_error("run", "no command given");
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
	{
		struct supervision s = {.socket_path = control_socket_path(socket_option),
					.name = name};

		return start_supervised(&s, argv + optind);
	}
}
