#include "act/freeze.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"

#define CGROUP2_SUPER_MAGIC 0x63677270

const char *cgroup2_root(void)
{
	struct statfs fs;

	if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup";
	return "/sys/fs/cgroup/unified";
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return write(fd, text, len) == (ssize_t)len ? 0 : -1;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int freeze_create(const char *id, char out[PATH_MAX], char *err, size_t errlen)
{
	char parent[PATH_MAX];

	snprintf(parent, sizeof(parent), "%s/vigilante-quarantine", cgroup2_root());
	if (mkdir(parent, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "quarantine cgroup %s: %s", parent, strerror(errno));
		return -1;
	}
	snprintf(out, PATH_MAX, "%s/%s", parent, id);
	if (mkdir(out, 0755)) {
		snprintf(err, errlen, "quarantine cgroup %s: %s", out, strerror(errno));
		return -1;
	}
	return 0;
}

static bool contains(const pid_t *pids, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Appends the children of every thread of pid (the kernel's own lists,
 * /proc/PID/task/TID/children) that are not in pids yet. */
static int add_children(pid_t pid, pid_t *pids, int n, int max)
{
	char path[64];
	struct dirent *t;
	DIR *tasks;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	tasks = opendir(path);
	if (!tasks)
		return n;
	while ((t = readdir(tasks)) && n < max) {
		char children[96];
		_cleanup_fclose_ FILE *f = NULL;
		int child;

		if (t->d_name[0] == '.')
			continue;
		snprintf(children, sizeof(children), "/proc/%d/task/%s/children", pid, t->d_name);
		f = fopen(children, "re");
		while (f && n < max && fscanf(f, "%d", &child) == 1)
			if (!contains(pids, n, child))
				pids[n++] = child;
	}
	closedir(tasks);
	return n;
}

/* pid and all its descendants, breadth first. */
static int collect_tree(pid_t root, pid_t *pids, int max)
{
	int n = 1;

	pids[0] = root;
	for (int i = 0; i < n && n < max; i++)
		n = add_children(pids[i], pids, n, max);
	return n;
}

static bool is_frozen(const char *cgroup)
{
	char path[PATH_MAX], line[128];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/cgroup.events", cgroup);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strcmp(line, "frozen 1\n"))
			return true;
	return false;
}

int freeze_tree(const char *cgroup, pid_t pid, pid_t *pids, int max, int timeout_ms, char *err,
		size_t errlen)
{
	int n = 0, moved = 0;
	char text[32];

	/* Move, freeze, then move again whoever was forked meanwhile (born
	 * outside: their parent was not moved yet). */
	for (int pass = 0; pass < 2; pass++) {
		n = collect_tree(pid, pids, max);
		if (n < 0) {
			snprintf(err, errlen, "quarantine: reading /proc: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			snprintf(text, sizeof(text), "%d\n", pids[i]);
			if (write_file(cgroup, "cgroup.procs", text) == 0)
				moved++;
			else if (errno != ESRCH && i == 0) {
				snprintf(err, errlen, "quarantine: moving process %d into %s: %s",
					 pid, cgroup, strerror(errno));
				return -1;
			}
		}
		if (pass == 0 && write_file(cgroup, "cgroup.freeze", "1\n")) {
			snprintf(err, errlen, "quarantine: freezing %s: %s", cgroup,
				 strerror(errno));
			return -1;
		}
	}
	for (int waited_us = 0; !is_frozen(cgroup); waited_us += 50) {
		if (waited_us >= timeout_ms * 1000) {
			snprintf(err, errlen, "quarantine: %s not frozen after %d ms", cgroup,
				 timeout_ms);
			return -1;
		}
		usleep(50);
	}
	return moved ? cgroup_pids(cgroup, pids, max) : 0;
}

int cgroup_pids(const char *cgroup, pid_t *pids, int max)
{
	char path[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;
	int n = 0, pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (n < max && fscanf(f, "%d", &pid) == 1)
		pids[n++] = pid;
	return n;
}

int cgroup_of(pid_t pid, char out[PATH_MAX])
{
	char path[64], line[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, PATH_MAX, "%s%s", cgroup2_root(),
			 strcmp(line + 3, "/") ? line + 3 : "");
		return 0;
	}
	errno = f ? ENOENT : errno;
	return -1;
}

int freeze_release(const char *cgroup, const char *dest, char *err, size_t errlen)
{
	pid_t pids[VG_FREEZE_MAX_PIDS];
	int n = cgroup_pids(cgroup, pids, VG_FREEZE_MAX_PIDS);
	char text[32];

	if (n < 0 || write_file(cgroup, "cgroup.freeze", "0\n")) {
		snprintf(err, errlen, "quarantine: thawing %s: %s", cgroup, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%d\n", pids[i]);
		if (write_file(dest, "cgroup.procs", text) && errno != ESRCH) {
			snprintf(err, errlen, "quarantine: moving %d back to %s: %s", pids[i], dest,
				 strerror(errno));
			return -1;
		}
	}
	if (rmdir(cgroup)) {
		snprintf(err, errlen, "quarantine: removing %s: %s", cgroup, strerror(errno));
		return -1;
	}
	return 0;
}

int freeze_kill(const char *cgroup, int timeout_ms, char *err, size_t errlen)
{
	pid_t pids[1];

	if (write_file(cgroup, "cgroup.kill", "1\n")) {
		snprintf(err, errlen, "quarantine: killing %s: %s", cgroup, strerror(errno));
		return -1;
	}
	for (int waited = 0; cgroup_pids(cgroup, pids, 1) > 0; waited++) {
		if (waited * 2 >= timeout_ms) {
			snprintf(err, errlen, "quarantine: %s still has processes after %d ms",
				 cgroup, timeout_ms);
			return -1;
		}
		sleep_ms(2);
	}
	/* Killed processes leave the cgroup before they are reaped. */
	for (int tries = 0; rmdir(cgroup) && errno == EBUSY && tries < 500; tries++)
		sleep_ms(2);
	return 0;
}
