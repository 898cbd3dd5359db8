/* vigilante record: a command's syscall trace, from the kernel, in the
 * ADFA-LD text format (whitespace-separated x86_64 syscall numbers), so that
 * models can be trained and checked on this host's own behaviour. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli/commands.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "sense/record.h"
/* The skeleton names struct vg_record_batch: sense/record.h comes first. */
#include "record.skel.h"

struct recording {
	FILE *out;
	uint64_t syscalls;
	bool done;
	bool write_failed;
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigilante record -o FILE -- COMMAND [ARGS...]\n"
		     "\n"
		     "Runs COMMAND and records, from the kernel (a tp_btf/sys_enter program),\n"
		     "every system call its process makes from the moment it executes COMMAND\n"
		     "until it exits. The trace is written to FILE in the ADFA-LD text format:\n"
		     "x86_64 syscall numbers separated by spaces, one trace per file. Train or\n"
		     "evaluate on it with `vigilante model ... --abi x86_64`.\n"
		     "\n"
		     "Only the process's main thread is recorded (the model scores each task on\n"
		     "its own); children it starts are not. The file is written atomically\n"
		     "(temporary file, then rename) and only if the trace is complete.\n"
		     "\n"
		     "Options:\n"
		     "  -o, --output FILE   where to write the trace (required)\n"
		     "  -h, --help          this text\n"
		     "\n"
		     "Exit status: 0 recorded (whatever COMMAND's own status, printed on stderr),\n"
		     "1 the trace could not be recorded completely, 2 usage. Needs root.\n");
}

static int on_batch(void *ctx, void *data, size_t size)
{
	struct recording *rec = ctx;
	const struct vg_record_batch *batch = data;

	if (size < sizeof(*batch) || batch->count > VG_RECORD_BATCH)
		return 0;
	for (uint32_t i = 0; i < batch->count; i++)
		if (fprintf(rec->out, "%s%u", rec->syscalls++ ? " " : "", batch->nr[i]) < 0)
			rec->write_failed = true;
	if (batch->done)
		rec->done = true;
	return 0;
}

static pid_t start_paused(char **cmd, int *go_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char go;

		close(fds[1]);
		if (read(fds[0], &go, 1) != 1)
			_exit(127);
		execvp(cmd[0], cmd);
		fprintf(stderr, "vigilante: record: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

static int record(const char *path, char **cmd)
{
	struct recording rec = {0};
	struct record_bpf *skel = NULL;
	struct ring_buffer *ring = NULL;
	char tmp[4096];
	int go_fd = -1, status = 0, rc = VG_EXIT_FAIL;
	pid_t child;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid());
	rec.out = fopen(tmp, "we");
	if (!rec.out) {
		vg_err("record: %s: %s", tmp, strerror(errno));
		return VG_EXIT_FAIL;
	}
	child = start_paused(cmd, &go_fd);
	if (child < 0) {
		vg_err("record: starting %s: %s", cmd[0], strerror(errno));
		goto out;
	}
	skel = record_bpf__open();
	if (!skel) {
		vg_err("record: opening the BPF object: %s", strerror(errno));
		goto out;
	}
	skel->rodata->target_tgid = (uint32_t)child;
	if (record_bpf__load(skel) || record_bpf__attach(skel)) {
		vg_err("record: loading the BPF programs: %s (needs root)", strerror(errno));
		goto out;
	}
	ring = ring_buffer__new(bpf_map__fd(skel->maps.syscalls), on_batch, &rec, NULL);
	if (!ring || write(go_fd, "g", 1) != 1) {
		vg_err("record: %s", strerror(errno));
		goto out;
	}
	close(go_fd);
	go_fd = -1;
	while (!rec.done) {
		if (ring_buffer__poll(ring, 100) < 0 && errno != EINTR)
			break;
		if (waitpid(child, &status, WNOHANG) == child) {
			ring_buffer__consume(ring);
			child = -1;
			break;
		}
	}
	if (skel->bss->lost_batches) {
		vg_err("record: the ring buffer dropped %llu batches: the trace is incomplete",
		       (unsigned long long)skel->bss->lost_batches);
		goto out;
	}
	if (!rec.done) {
		vg_err("record: %s ended before its exec was seen: nothing recorded", cmd[0]);
		goto out;
	}
	if (fputc('\n', rec.out) == EOF || fflush(rec.out) || fsync(fileno(rec.out)) ||
	    rec.write_failed) {
		vg_err("record: writing %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path)) {
		vg_err("record: renaming %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	fprintf(stderr, "vigilante: recorded %llu syscalls of %s to %s\n",
		(unsigned long long)rec.syscalls, cmd[0], path);
	rc = VG_EXIT_OK;
out:
	if (go_fd >= 0)
		close(go_fd);
	if (child > 0) {
		if (rc != VG_EXIT_OK)
			kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	if (rc == VG_EXIT_OK && WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "vigilante: %s exited with status %d\n", cmd[0],
			WEXITSTATUS(status));
	ring_buffer__free(ring);
	record_bpf__destroy(skel);
	fclose(rec.out);
	if (rc != VG_EXIT_OK)
		unlink(tmp);
	return rc;
}

int cmd_record(int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "+:o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "record", argv, usage);
		}
	}
	if (!out || optind >= argc) {
		return cli_usage_error("record", "%s",
				       !out ? "-o FILE is required" : "no command given");
	}
	return record(out, argv + optind);
}
