#include "sense/proctable.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "sense/sensor.h"

#define BUCKETS 4096 /* power of two */

struct vg_proctable {
	struct vg_proc *buckets[BUCKETS];
	size_t count;
	uint64_t tick_ns; /* /proc start-time resolution */
};

struct vg_proctable *proctable_new(void)
{
	struct vg_proctable *t = calloc(1, sizeof(*t));
	long hz = sysconf(_SC_CLK_TCK);

	if (t)
		t->tick_ns = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
	return t;
}

static void proc_free(struct vg_proc *p)
{
	free(p->exe);
	free(p);
}

void proctable_free(struct vg_proctable *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct vg_proc *p = t->buckets[i], *next; p; p = next) {
			next = p->next;
			proc_free(p);
		}
	free(t);
}

static bool same_process(const struct vg_proctable *t, const struct vg_proc *p, uint64_t start_ns)
{
	if (p->start_ns == start_ns)
		return true;
	/* A seeded entry's start is rounded down to a tick. */
	return p->start_approx && start_ns >= p->start_ns && start_ns - p->start_ns < t->tick_ns;
}

struct vg_proc *proctable_find(struct vg_proctable *t, uint32_t tgid, uint64_t start_ns)
{
	for (struct vg_proc *p = t->buckets[tgid & (BUCKETS - 1)]; p; p = p->next)
		if (p->tgid == tgid && same_process(t, p, start_ns))
			return p;
	return NULL;
}

struct vg_proc *proctable_find_alive(struct vg_proctable *t, uint32_t tgid)
{
	for (struct vg_proc *p = t->buckets[tgid & (BUCKETS - 1)]; p; p = p->next)
		if (p->tgid == tgid && p->exit_ns == 0)
			return p;
	return NULL;
}

struct vg_proc *proctable_upsert(struct vg_proctable *t, uint32_t tgid, uint64_t start_ns)
{
	struct vg_proc *p = proctable_find(t, tgid, start_ns);

	if (p) {
		if (p->start_approx) {
			p->start_ns = start_ns;
			p->start_approx = false;
		}
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	p->start_ns = start_ns;
	p->next = t->buckets[tgid & (BUCKETS - 1)];
	t->buckets[tgid & (BUCKETS - 1)] = p;
	t->count++;
	return p;
}

int proctable_set_exe(struct vg_proc *p, const char *exe)
{
	char *copy = strdup(exe);

	if (!copy)
		return -1;
	free(p->exe);
	p->exe = copy;
	return 0;
}

void proctable_expire(struct vg_proctable *t, uint64_t now_ns, uint64_t retain_ns)
{
	for (size_t i = 0; i < BUCKETS; i++) {
		struct vg_proc **link = &t->buckets[i];

		while (*link) {
			struct vg_proc *p = *link;

			if (p->exit_ns && now_ns - p->exit_ns > retain_ns) {
				*link = p->next;
				proc_free(p);
				t->count--;
			} else {
				link = &p->next;
			}
		}
	}
}

size_t proctable_lineage(struct vg_proctable *t, const struct vg_proc *p,
			 const struct vg_proc **out, size_t max)
{
	size_t n = 0;

	while (n < max && p && p->ppid) {
		p = proctable_find(t, p->ppid, p->parent_start_ns);
		if (p)
			out[n++] = p;
	}
	return n;
}

size_t proctable_count(const struct vg_proctable *t)
{
	return t->count;
}

/* Fields of /proc/PID/stat after the comm, which may hold spaces and ')'. */
static int read_stat(pid_t pid, uint32_t *ppid, uint64_t *start_ticks, char comm[16])
{
	char path[64], buf[1024];
	_cleanup_fclose_ FILE *f = NULL;
	char *open_paren, *close_paren;
	unsigned long long start;
	int parent;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -1;
	snprintf(comm, 16, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice threads itrealvalue starttime */
	if (sscanf(
		close_paren + 2,
		"%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		&parent, &start) != 2)
		return -1;
	*ppid = (uint32_t)parent;
	*start_ticks = start;
	return 0;
}

static uint64_t parent_start(struct vg_proctable *t, uint32_t ppid)
{
	uint32_t grandparent;
	uint64_t ticks;
	char comm[16];

	if (ppid == 0 || read_stat((pid_t)ppid, &grandparent, &ticks, comm))
		return 0;
	return ticks * t->tick_ns;
}

int proctable_seed(struct vg_proctable *t)
{
	DIR *dir = opendir("/proc");
	struct dirent *d;

	if (!dir) {
		vg_warn("process table: opening /proc: %s", strerror(errno));
		return -1;
	}
	while ((d = readdir(dir))) {
		char exe_link[64], exe[4096];
		uint64_t ticks;
		uint32_t ppid;
		char comm[16];
		struct vg_proc *p;
		ssize_t n;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid_t pid = (pid_t)strtol(d->d_name, NULL, 10);
		if (read_stat(pid, &ppid, &ticks, comm))
			continue; /* exited meanwhile */
		p = proctable_upsert(t, (uint32_t)pid, ticks * t->tick_ns);
		if (!p)
			break;
		p->start_approx = true;
		p->ppid = ppid;
		p->parent_start_ns = parent_start(t, ppid);
		memcpy(p->comm, comm, sizeof(p->comm));
		snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", pid);
		n = readlink(exe_link, exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = '\0';
			proctable_set_exe(p, exe);
		}
	}
	closedir(dir);
	return 0;
}

void proctable_apply_event(struct vg_proctable *t, const void *event)
{
	const struct vg_event_header *hdr = event;
	struct vg_proc *p;

	if (hdr->type == VG_EVENT_FORK) {
		const struct vg_fork_event *fork = event;
		struct vg_proc *parent = proctable_find(t, hdr->tgid, hdr->start_ns);

		p = proctable_upsert(t, fork->child_tgid, fork->child_start_ns);
		if (!p)
			return;
		p->ppid = hdr->tgid;
		p->parent_start_ns = hdr->start_ns;
		p->uid = hdr->uid;
		memcpy(p->comm, hdr->comm, sizeof(p->comm));
		if (parent && parent->exe && !p->exe)
			proctable_set_exe(p, parent->exe);
		return;
	}
	p = proctable_upsert(t, hdr->tgid, hdr->start_ns);
	if (!p)
		return;
	/* The parent is the one that forked it: by exec or exit time the
	 * process may have been reparented to init or a subreaper. */
	if (!p->ppid) {
		p->ppid = hdr->ppid;
		p->parent_start_ns = hdr->parent_start_ns;
	}
	p->uid = hdr->uid;
	memcpy(p->comm, hdr->comm, sizeof(p->comm));
	if (hdr->type == VG_EVENT_EXEC) {
		const struct vg_exec_event *exec = event;

		proctable_set_exe(p, exec->path);
	} else if (hdr->type == VG_EVENT_EXIT) {
		p->exit_ns = hdr->ts_ns;
	}
}
