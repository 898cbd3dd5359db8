#include "act/gate.h"

#include "act/gate_deadline.h"
#include "act/gate_marks.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/cleanup.h"
#include "common/file_hash.h"
#include "common/kernel_dev.h"
#include "common/log.h"

/* Files already hashed, by identity and change time, so that a program is
 * hashed once, not at every exec or open. What a file's content means (the
 * exec vaccine that covers it, the connect vaccines its identity was put
 * in the kernel for) is worked out again when the vaccines change
 * (generation). */
#define HASH_CACHE 4096 /* power of two */

struct hashed_file {
	struct vg_exe_key key;
	uint64_t ctime_ns;
	unsigned char sha256[VG_SHA256_LEN];
	uint64_t generation;   /* of the vaccines it was classified against; 0: empty */
	uint32_t exec_vaccine; /* the exec vaccine covering it; 0: none */
	uint64_t exec_expires_ns;
};

struct vg_gate {
	const struct vg_sensor *sensor;
	pthread_mutex_t lock; /* guards vaccines, argv_rules and hashed */
	struct vg_gate_vaccine *vaccines;
	size_t vaccine_count;
	size_t content_vaccines; /* EXEC and CONNECT: programs must be hashed at exec */
	size_t file_vaccines, argv_vaccines;
	struct vg_argv_rule *argv_rules;
	size_t argv_rule_count;
	uint64_t generation;
	enum vg_mode vaccine_mode;
	struct vg_exe_key *decoyed; /* real files the honeypot decoys (gate_set_decoyed) */
	size_t decoyed_count;
	struct hashed_file hashed[HASH_CACHE];
	/* Inodes with open-permission marks: the gate thread must never open
	 * one itself (it would wait for its own answer). */
	struct vg_gate_marks marks;
	const struct vg_path_list *exec_filesystems;
	int loader_fds[VG_EXEC_PASSED_MAX]; /* the loaders that pass (see gate.h) */
	size_t loader_count;
	pid_t daemon_tgid;
	int fanotify_fd;
	struct vg_gate_deadline *deadline;
	int stop_fd;
	int report_write_fd;
	pthread_t thread;
	bool running;
	enum vg_precog_mode mode;   /* atomic */
	struct vg_gate_stats stats; /* atomics */
};

static int mark(int fd, unsigned int flags, uint64_t mask, const char *path, char *err,
		size_t errlen)
{
	if (fanotify_mark(fd, flags, mask, AT_FDCWD, path) == 0)
		return 0;
	snprintf(err, errlen, "gate: fanotify mark on %s: %s", path, strerror(errno));
	return -1;
}

static uint64_t change_time_ns(const struct stat *st)
{
	return (uint64_t)st->st_ctim.tv_sec * 1000000000 + (uint64_t)st->st_ctim.tv_nsec;
}

int gate_marks_watch_fd(const struct vg_gate *g)
{
	return g->marks.inotify_fd;
}

/* A watched file was replaced: the FILE vaccines that named its old inode
 * name the new one (gate_marks_recheck() holds the lock). */
static void file_moved(const struct vg_exe_key *old, const struct vg_exe_key *now, void *ctx)
{
	struct vg_gate *g = ctx;

	for (size_t v = 0; v < g->vaccine_count; v++)
		if (g->vaccines[v].kind == VG_VACCINE_FILE &&
		    exe_key_equal(&g->vaccines[v].file, old))
			g->vaccines[v].file = *now;
	for (size_t i = 0; i < g->decoyed_count; i++)
		if (exe_key_equal(&g->decoyed[i], old))
			g->decoyed[i] = *now;
}

void gate_recheck_marks(struct vg_gate *g)
{
	gate_marks_recheck(&g->marks, file_moved, g);
}

/* Whether key is a real file the honeypot decoys. The caller holds the lock. */
static bool is_decoyed(const struct vg_gate *g, const struct vg_exe_key *key)
{
	for (size_t i = 0; i < g->decoyed_count; i++)
		if (exe_key_equal(&g->decoyed[i], key))
			return true;
	return false;
}

/* Whether a FILE vaccine of the set just given, or the honeypot, names key. */
static bool file_needed(const struct vg_exe_key *key, void *ctx)
{
	const struct vg_gate *g = ctx;

	for (size_t i = 0; i < g->vaccine_count; i++)
		if (g->vaccines[i].kind == VG_VACCINE_FILE &&
		    exe_key_equal(&g->vaccines[i].file, key))
			return true;
	return is_decoyed(g, key);
}

void gate_set_decoyed(struct vg_gate *g, const char *const *paths, size_t count, enum vg_mode mode)
{
	struct vg_exe_key *keys = count ? calloc(count, sizeof(*keys)) : NULL;
	size_t n = 0;
	char err[512];
	struct stat st;

	if (count && !keys) {
		vg_err("gate: out of memory guarding the decoyed files; the previous ones stay");
		return;
	}
	for (size_t i = 0; i < count && mode == VG_MODE_ENFORCE; i++) {
		if (stat(paths[i], &st) && errno == ENOENT)
			continue; /* no real file to keep from anyone */
		if (gate_marks_watch(&g->marks, paths[i], &keys[n], err, sizeof(err)))
			vg_warn("%s: flagged processes are not kept from it", err);
		else
			n++;
	}
	pthread_mutex_lock(&g->lock);
	free(g->decoyed);
	g->decoyed = keys;
	g->decoyed_count = n;
	pthread_mutex_unlock(&g->lock);
	gate_marks_unwatch(&g->marks, file_needed, g);
}

/* Whether the file an open event is for is one the honeypot decoys. */
static bool opens_decoyed(struct vg_gate *g, int fd)
{
	struct stat st;
	struct vg_exe_key key;
	bool found;

	if (fstat(fd, &st))
		return false;
	key = exe_key_of(&st);
	pthread_mutex_lock(&g->lock);
	found = is_decoyed(g, &key);
	pthread_mutex_unlock(&g->lock);
	return found;
}

int gate_watch_file(struct vg_gate *g, const char *path, struct vg_exe_key *key, char *err,
		    size_t errlen)
{
	return gate_marks_watch(&g->marks, path, key, err, errlen);
}

void gate_set_vaccines(struct vg_gate *g, const struct vg_gate_vaccine *vaccines, size_t count,
		       const struct vg_argv_rule *argv_rules, size_t argv_rule_count,
		       enum vg_mode mode)
{
	struct vg_gate_vaccine *copy = count ? malloc(count * sizeof(*copy)) : NULL;
	struct vg_argv_rule *rules =
	    argv_rule_count ? malloc(argv_rule_count * sizeof(*rules)) : NULL;
	size_t content = 0, files = 0, argvs = 0;

	if ((count && !copy) || (argv_rule_count && !rules)) {
		vg_err("gate: out of memory updating the vaccines; the previous ones stay");
		free(copy);
		free(rules);
		return;
	}
	if (count)
		memcpy(copy, vaccines, count * sizeof(*copy));
	if (argv_rule_count)
		memcpy(rules, argv_rules, argv_rule_count * sizeof(*rules));
	for (size_t i = 0; i < count; i++) {
		content += copy[i].kind == VG_VACCINE_EXEC || copy[i].kind == VG_VACCINE_CONNECT;
		files += copy[i].kind == VG_VACCINE_FILE;
		argvs += copy[i].kind == VG_VACCINE_ARGV && copy[i].argv_rule < argv_rule_count;
	}
	pthread_mutex_lock(&g->lock);
	free(g->vaccines);
	free(g->argv_rules);
	g->vaccines = copy;
	g->vaccine_count = count;
	g->argv_rules = rules;
	g->argv_rule_count = argv_rule_count;
	g->content_vaccines = content;
	g->file_vaccines = files;
	g->argv_vaccines = argvs;
	g->vaccine_mode = mode;
	/* What a hashed file means changes with the vaccines. */
	g->generation++;
	pthread_mutex_unlock(&g->lock);
	/* The main thread alone changes the set: it is read here unlocked. */
	gate_marks_unwatch(&g->marks, file_needed, g);
}

static uint32_t hash_slot(const struct vg_exe_key *key)
{
	return (uint32_t)((key->ino * 0x9e3779b97f4a7c15ull) >> 40 ^ key->dev) & (HASH_CACHE - 1);
}

/* Works out what a file's content means under the vaccines in force: the
 * exec vaccine covering it, and its identity in the kernel's connect map
 * for each connect vaccine naming it. Called with the lock held. */
static void classify(struct vg_gate *g, struct hashed_file *h)
{
	h->exec_vaccine = 0;
	h->exec_expires_ns = 0;
	for (size_t i = 0; i < g->vaccine_count; i++) {
		const struct vg_gate_vaccine *v = &g->vaccines[i];
		struct vg_connect_vaccine_key key;
		struct vg_vaccine_entry entry = {.expires_ns = v->expires_ns, .vaccine_id = v->id};

		if (memcmp(v->sha256, h->sha256, sizeof(h->sha256)))
			continue;
		if (v->kind == VG_VACCINE_EXEC && !h->exec_vaccine) {
			h->exec_vaccine = v->id;
			h->exec_expires_ns = v->expires_ns;
		} else if (v->kind == VG_VACCINE_CONNECT) {
			key = v->connect;
			key.exe = h->key;
			if (sensor_connect_vaccine_put(g->sensor, &key, &entry))
				vg_warn("gate: connect vaccine %u for a copy: %s", v->id,
					strerror(errno));
		}
	}
	h->generation = g->generation;
}

/* The hash of the file open at fd (st: its fstat) and what it means (see
 * classify()), from the cache when the file was hashed before. Returns 0,
 * or -1 if it cannot be read. */
static int hashed(struct vg_gate *g, int fd, const struct stat *st, struct hashed_file *out)
{
	struct hashed_file fresh = {0}, *slot;

	fresh.key = exe_key_of(st);
	fresh.ctime_ns = change_time_ns(st);
	pthread_mutex_lock(&g->lock);
	slot = &g->hashed[hash_slot(&fresh.key)];
	if (slot->generation && exe_key_equal(&slot->key, &fresh.key) &&
	    slot->ctime_ns == fresh.ctime_ns) {
		if (slot->generation != g->generation)
			classify(g, slot);
		*out = *slot;
		pthread_mutex_unlock(&g->lock);
		return 0;
	}
	pthread_mutex_unlock(&g->lock);
	if (sha256_fd(fd, fresh.sha256))
		return -1;
	pthread_mutex_lock(&g->lock);
	classify(g, &fresh);
	*slot = fresh;
	*out = fresh;
	pthread_mutex_unlock(&g->lock);
	return 0;
}

/* The exec vaccine that covers the file being executed, or 0. The common
 * case is a map lookup by identity; a file not seen before is hashed once. */
static uint32_t exec_vaccine_for(struct vg_gate *g, int fd)
{
	struct vg_vaccine_entry entry;
	struct hashed_file h;
	struct stat st;
	uint64_t now = clock_boot_ns();
	size_t content;

	/* No vaccine by content in force (the gate armed for precognition
	 * alone): no identity to look up, two syscalls saved per exec. */
	pthread_mutex_lock(&g->lock);
	content = g->content_vaccines;
	pthread_mutex_unlock(&g->lock);
	if (!content || fstat(fd, &st))
		return 0;
	h.key = exe_key_of(&st);
	if (sensor_vaccine_get(g->sensor, &h.key, &entry) == 0 && entry.expires_ns > now &&
	    (!entry.ctime_ns || entry.ctime_ns == change_time_ns(&st)))
		return entry.vaccine_id ? entry.vaccine_id : UINT32_MAX;
	if (hashed(g, fd, &st, &h) || !h.exec_vaccine || h.exec_expires_ns <= now)
		return 0;
	entry = (struct vg_vaccine_entry){
	    .expires_ns = h.exec_expires_ns, .ctime_ns = h.ctime_ns, .vaccine_id = h.exec_vaccine};
	sensor_vaccine_put(g->sensor, &h.key, &entry);
	return h.exec_vaccine;
}

/* Whether key is an inode with an open-permission mark of this gate. */
static bool marked(struct vg_gate *g, const struct vg_exe_key *key)
{
	bool found = false;

	pthread_mutex_lock(&g->lock);
	found = gate_marks_protects(&g->marks, key) || is_decoyed(g, key);
	for (size_t i = 0; i < g->vaccine_count && !found; i++)
		found = g->vaccines[i].kind == VG_VACCINE_FILE &&
			exe_key_equal(&g->vaccines[i].file, key);
	pthread_mutex_unlock(&g->lock);
	return found;
}

/* Whether the gate thread must not open the file st describes, at path
 * (its directory is looked at): a file with an open-permission mark of this
 * gate, or one in a marked directory. The thread would wait for its own
 * answer. */
static bool gate_would_wait(struct vg_gate *g, const struct stat *st, const char *path)
{
	struct vg_exe_key key = exe_key_of(st);
	char dir[PATH_MAX], *slash;
	struct stat dir_st;

	if (marked(g, &key))
		return true;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return false;
	if (slash == dir)
		slash[1] = '\0'; /* the root directory */
	else
		*slash = '\0';
	if (stat(dir, &dir_st))
		return false;
	key = exe_key_of(&dir_st);
	return marked(g, &key);
}

/* A script's first line, "#!INTERPRETER [ARG]", read as the process
 * tgid would (path relative to its root or working directory) into
 * interpreter and arg ("" when none). Returns false when path is no
 * script or cannot be read safely. */
static bool script_line(struct vg_gate *g, uint32_t tgid, const char *path, char *interpreter,
			char *arg, size_t len)
{
	char where[PATH_MAX], buf[256], *p, *end;
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;

	snprintf(where, sizeof(where), path[0] == '/' ? "/proc/%u/root%s" : "/proc/%u/cwd/%s", tgid,
		 path);
	if (stat(where, &st) || !S_ISREG(st.st_mode) || gate_would_wait(g, &st, where))
		return false;
	fd = open(where, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || (n = pread(fd, buf, sizeof(buf) - 1, 0)) < 2 || memcmp(buf, "#!", 2))
		return false;
	buf[n] = '\0';
	end = strchr(buf, '\n');
	if (end)
		*end = '\0';
	/* As binfmt_script: blanks around the interpreter, the rest is one
	 * argument without its trailing blanks. */
	for (end = buf + strlen(buf); end > buf + 2 && (end[-1] == ' ' || end[-1] == '\t');)
		*--end = '\0';
	for (p = buf + 2; *p == ' ' || *p == '\t'; p++)
		;
	n = (ssize_t)strcspn(p, " \t");
	if (!n || (size_t)n >= len)
		return false;
	snprintf(interpreter, len, "%.*s", (int)n, p);
	for (p += n; *p == ' ' || *p == '\t'; p++)
		;
	snprintf(arg, len, "%s", p);
	return true;
}

/* Reads up to len bytes at addr in process pid, a page at a time; returns
 * how many it read (it stops at an unmapped page). */
static size_t read_process(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t chunk = 4096 - ((addr + done) & 4095);
		struct iovec local = {.iov_base = (char *)buf + done};
		struct iovec remote = {.iov_base = (void *)(uintptr_t)(addr + done)};
		ssize_t n;

		chunk = chunk < len - done ? chunk : len - done;
		local.iov_len = remote.iov_len = chunk;
		n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			break;
		done += (size_t)n;
		if ((size_t)n < chunk)
			break;
	}
	return done;
}

/* Reads argv from the process's memory, which unlike BPF can fault pages
 * in, into c as the kernel's capture would have been. */
static void read_argv(uint32_t tgid, struct vg_exec_argv *c)
{
	uint32_t off = 0, flags = 0, i;

	for (i = 0; i < VG_EXEC_ARGS_MAX; i++) {
		size_t room = sizeof(c->argv) - off, got = 0, n;
		uint64_t arg;
		bool ended = false;

		if (read_process((pid_t)tgid, c->argv_ptr + 8ull * i, &arg, sizeof(arg)) !=
		    sizeof(arg)) {
			flags = VG_ARGV_TRUNCATED; /* unreadable: execve fails with EFAULT */
			break;
		}
		if (!arg)
			break;
		while (got < room && !ended) {
			n = read_process((pid_t)tgid, arg + got, c->argv + off + got,
					 room - got < 256 ? room - got : 256);
			if (!n)
				break;
			ended = memchr(c->argv + off + got, '\0', n) != NULL;
			got += n;
		}
		if (!ended) {
			flags = VG_ARGV_TRUNCATED;
			off = sizeof(c->argv);
			break;
		}
		off += (uint32_t)strlen(c->argv + off) + 1;
	}
	if (i == VG_EXEC_ARGS_MAX)
		flags = VG_ARGV_TRUNCATED;
	c->len = off;
	c->flags = (c->flags & ~VG_ARGV_FAULTED) | flags;
}

#define SCRIPT_DEPTH 5 /* the kernel's limit of interpreters that are scripts */

/* The argv an exec of a script runs with: the kernel replaces argv[0] with
 * INTERPRETER, ARG (if any) and the script's path as given, per level.
 * Built in out (room for the captured argv and SCRIPT_DEPTH levels);
 * returns its length, 0 when the exec was no script. */
static size_t script_argv(struct vg_gate *g, uint32_t tgid, const struct vg_exec_argv *captured,
			  char *out)
{
	char path[VG_FILENAME_MAX], interpreter[VG_FILENAME_MAX], arg[VG_FILENAME_MAX];
	size_t len =
	    captured->len < sizeof(captured->argv) ? captured->len : sizeof(captured->argv);
	int depth;

	memcpy(out, captured->argv, len);
	snprintf(path, sizeof(path), "%s", captured->filename);
	for (depth = 0; depth < SCRIPT_DEPTH &&
			script_line(g, tgid, path, interpreter, arg, sizeof(interpreter));
	     depth++) {
		size_t first = len ? strnlen(out, len) + 1 : 0, prefix;

		first = first < len ? first : len;
		prefix = strlen(interpreter) + 1 + (*arg ? strlen(arg) + 1 : 0) + strlen(path) + 1;
		memmove(out + prefix, out + first, len - first);
		len = len - first + prefix;
		memcpy(out, interpreter, strlen(interpreter) + 1);
		prefix = strlen(interpreter) + 1;
		if (*arg) {
			memcpy(out + prefix, arg, strlen(arg) + 1);
			prefix += strlen(arg) + 1;
		}
		memcpy(out + prefix, path, strlen(path) + 1);
		snprintf(path, sizeof(path), "%s", interpreter);
	}
	return depth ? len : 0;
}

/* The first argv vaccine in force whose rule argv[0..len) matches for the
 * exec of path, or 0; *is_program: whether path is some rule's program. */
static uint32_t argv_match(struct vg_gate *g, const char *path, const char *argv, size_t len,
			   bool fail_closed, const char *cwd, bool *is_program)
{
	uint64_t now = clock_boot_ns();
	uint32_t id = 0;

	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->vaccine_count && !id; i++) {
		const struct vg_gate_vaccine *v = &g->vaccines[i];

		if (v->kind != VG_VACCINE_ARGV || v->argv_rule >= g->argv_rule_count ||
		    v->expires_ns <= now)
			continue;
		*is_program |= argv_rule_program_is(&g->argv_rules[v->argv_rule], path, "");
		if (argv_rule_matches(&g->argv_rules[v->argv_rule], path, argv, len, fail_closed,
				      cwd))
			id = v->id;
	}
	pthread_mutex_unlock(&g->lock);
	return id;
}

/* The exec-by-argv vaccine the exec of path by process tgid matches, or 0;
 * decided on the argv the kernel captured when the process entered execve,
 * and, when path is a rule's program run as a script's interpreter, on the
 * argv the kernel makes from the script's "#!" line. */
static uint32_t argv_vaccine_for(struct vg_gate *g, uint32_t tgid, const char *path)
{
	_cleanup_free_ struct vg_exec_argv *captured = malloc(sizeof(*captured));
	_cleanup_free_ char *effective =
	    malloc(sizeof(captured->argv) + SCRIPT_DEPTH * 3 * VG_FILENAME_MAX);
	char link[64], cwd[PATH_MAX];
	bool is_program = false, fail_closed;
	uint32_t id;
	size_t len;
	ssize_t n;

	/* Not captured: the process is outside the sensor's scope. */
	if (!captured || !effective || sensor_exec_argv(g->sensor, tgid, captured))
		return 0;
	/* What the kernel could not read, read here; written back, so that the
	 * kernel checks the exec against what is decided on here. */
	if (captured->flags & VG_ARGV_FAULTED) {
		read_argv(tgid, captured);
		if (sensor_exec_argv_put(g->sensor, tgid, captured) && errno != ENOENT)
			vg_warn("gate: argv of process %u: %s", tgid, strerror(errno));
	}
	snprintf(link, sizeof(link), "/proc/%u/cwd", tgid);
	n = readlink(link, cwd, sizeof(cwd) - 1);
	cwd[n > 0 ? n : 0] = '\0';
	/* Two threads in execve at once: which argv this exec carries is
	 * unknown, so the rule's program fails closed, as when truncated. */
	fail_closed = captured->flags & (VG_ARGV_TRUNCATED | VG_ARGV_CONTENDED);
	len = captured->len < sizeof(captured->argv) ? captured->len : sizeof(captured->argv);
	id = argv_match(g, path, captured->argv, len, fail_closed, n > 0 ? cwd : NULL, &is_program);
	if (id || !is_program)
		return id;
	len = script_argv(g, tgid, captured, effective);
	return len ? argv_match(g, path, effective, len, fail_closed, n > 0 ? cwd : NULL,
				&is_program)
		   : 0;
}

/* The file-access vaccine that forbids process tgid to open the file at fd,
 * or 0. The opener's program is hashed through /proc/PID/exe (once: the
 * cache), unless the gate thread would wait on its own event opening it. */
static uint32_t file_vaccine_for(struct vg_gate *g, uint32_t tgid, int fd)
{
	_cleanup_close_ int exe_fd = -1;
	char exe[64], exe_path[PATH_MAX];
	struct stat st;
	struct hashed_file h;
	struct vg_exe_key key;
	bool named = false;
	uint64_t now = clock_boot_ns();
	uint32_t id = 0;
	ssize_t n;

	if (fstat(fd, &st))
		return 0;
	key = exe_key_of(&st);
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->vaccine_count && !named; i++)
		named = g->vaccines[i].kind == VG_VACCINE_FILE &&
			exe_key_equal(&g->vaccines[i].file, &key) &&
			g->vaccines[i].expires_ns > now;
	pthread_mutex_unlock(&g->lock);
	if (!named)
		return 0;
	snprintf(exe, sizeof(exe), "/proc/%u/exe", tgid);
	n = readlink(exe, exe_path, sizeof(exe_path) - 1);
	if (n <= 0 || stat(exe, &st))
		return 0;
	exe_path[n] = '\0';
	if (gate_would_wait(g, &st, exe_path)) {
		__atomic_add_fetch(&g->stats.fail_open, 1, __ATOMIC_RELAXED);
		return 0;
	}
	exe_fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (exe_fd < 0 || fstat(exe_fd, &st) || hashed(g, exe_fd, &st, &h))
		return 0;
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->vaccine_count && !id; i++) {
		const struct vg_gate_vaccine *v = &g->vaccines[i];

		if (v->kind == VG_VACCINE_FILE && exe_key_equal(&v->file, &key) &&
		    v->expires_ns > now && !memcmp(v->sha256, h.sha256, sizeof(h.sha256)))
			id = v->id;
	}
	pthread_mutex_unlock(&g->lock);
	return id;
}

/* The path of the file behind a fanotify event's fd ("" if unknown). */
static void event_path(const struct fanotify_event_metadata *ev, char *out, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", ev->fd);
	n = readlink(link, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

static void report(struct vg_gate *g, enum vg_gate_kind kind,
		   const struct fanotify_event_metadata *ev, const struct vg_verdict *verdict,
		   uint32_t vaccine_id, bool refused, bool late)
{
	struct vg_gate_decision d = {
	    .kind = kind,
	    .tgid = (uint32_t)ev->pid,
	    .start_ns = verdict ? verdict->start_ns : 0,
	    .score = verdict ? verdict->score : 0,
	    .verdict_flags = verdict ? verdict->flags : 0,
	    .refused = refused,
	    .late = late,
	    .vaccine_id = vaccine_id,
	};
	event_path(ev, d.path, sizeof(d.path));
	d.path_len = (uint32_t)strlen(d.path);
	if (write(g->report_write_fd, &d, sizeof(d)) != sizeof(d))
		__atomic_add_fetch(&g->stats.reports_dropped, 1, __ATOMIC_RELAXED);
}

/* The vaccine that refuses (or would refuse) this event, or 0. */
static uint32_t vaccine_for(struct vg_gate *g, const struct fanotify_event_metadata *ev,
			    enum vg_gate_kind kind)
{
	char path[PATH_MAX];
	size_t argvs, files;
	uint32_t id;

	pthread_mutex_lock(&g->lock);
	argvs = g->argv_vaccines;
	files = g->file_vaccines;
	pthread_mutex_unlock(&g->lock);
	if (kind == VG_GATE_OPEN)
		return files ? file_vaccine_for(g, (uint32_t)ev->pid, ev->fd) : 0;
	id = exec_vaccine_for(g, ev->fd);
	if (!id && argvs) {
		event_path(ev, path, sizeof(path));
		id = argv_vaccine_for(g, (uint32_t)ev->pid, path);
	}
	return id;
}

/* What a process's verdict alone refuses: anything to a blocked process
 * while precognition enforces, and to a flagged one the real files the
 * honeypot decoys. */
static bool verdict_refuses(struct vg_gate *g, const struct fanotify_event_metadata *ev,
			    const struct vg_verdict *verdict)
{
	enum vg_precog_mode mode = __atomic_load_n(&g->mode, __ATOMIC_RELAXED);

	return ((verdict->flags & VG_BLOCKED) && mode == VG_PRECOG_ENFORCE) ||
	       ((verdict->flags & (VG_FLAGGED | VG_BLOCKED | VG_QUARANTINED)) &&
		!(ev->mask & FAN_OPEN_EXEC_PERM) && opens_decoyed(g, ev->fd));
}

/* The watchdog's answer to an event the gate thread did not decide in time
 * (vg_late_fn): what the verdict refuses, without what takes time (a
 * program's hash, its argv). Holding the gate thread up, by execs of large
 * new programs while vaccines by content are in force, thus never lets a
 * blocked process through. */
static uint32_t late_answer(void *ctx, const struct fanotify_event_metadata *ev)
{
	struct vg_gate *g = ctx;
	struct vg_verdict verdict;

	if (ev->pid == g->daemon_tgid ||
	    !__atomic_load_n(sensor_verdicts_live(g->sensor), __ATOMIC_ACQUIRE) ||
	    sensor_verdict(g->sensor, (uint32_t)ev->pid, &verdict))
		return FAN_ALLOW;
	return verdict_refuses(g, ev, &verdict) ? FAN_DENY : FAN_ALLOW;
}

/* Decides and answers event INDEX of the batch the gate thread read
 * (vg_permission_fn). */
static void answer(void *ctx, const struct fanotify_event_metadata *ev, size_t index)
{
	struct vg_gate *g = ctx;
	enum vg_gate_kind kind = (ev->mask & FAN_OPEN_EXEC_PERM) ? VG_GATE_EXEC : VG_GATE_OPEN;
	struct vg_verdict verdict;
	bool flagged = false, refuse, late;
	uint32_t vaccine = 0, given;

	__atomic_add_fetch(&g->stats.events, 1, __ATOMIC_RELAXED);
	if (ev->pid != g->daemon_tgid) {
		/* Nobody has a verdict (the gate armed for vaccines alone): no
		 * lookup. */
		if (__atomic_load_n(sensor_verdicts_live(g->sensor), __ATOMIC_ACQUIRE)) {
			flagged = sensor_verdict(g->sensor, (uint32_t)ev->pid, &verdict) == 0;
			if (!flagged && errno != ENOENT)
				__atomic_add_fetch(&g->stats.fail_open, 1, __ATOMIC_RELAXED);
		}
		vaccine = vaccine_for(g, ev, kind);
	}
	refuse =
	    (flagged && verdict_refuses(g, ev, &verdict)) ||
	    (vaccine && __atomic_load_n(&g->vaccine_mode, __ATOMIC_RELAXED) == VG_MODE_ENFORCE);
	/* Answer first: the process is waiting in the kernel. Past the
	 * deadline the watchdog has answered already, from the verdict. */
	late = !gate_deadline_answer(g->deadline, index, refuse ? FAN_DENY : FAN_ALLOW, &given);
	refuse = given == FAN_DENY;
	if (refuse)
		__atomic_add_fetch(&g->stats.refused, 1, __ATOMIC_RELAXED);
	if (flagged || vaccine)
		report(g, kind, ev, flagged ? &verdict : NULL, vaccine, refuse, late);
}

static void *gate_thread(void *arg)
{
	struct vg_gate *g = arg;

	gate_deadline_serve(g->deadline, g->stop_fd, "gate", answer, g);
	return NULL;
}

int gate_start(const struct vg_gate_options *opts, struct vg_gate **out, int *report_fd, char *err,
	       size_t errlen)
{
	struct vg_gate *g = calloc(1, sizeof(*g));
	int pipe_fds[2] = {-1, -1};

	if (!g) {
		snprintf(err, errlen, "gate: out of memory");
		return -1;
	}
	g->sensor = opts->sensor;
	pthread_mutex_init(&g->lock, NULL);
	g->exec_filesystems = opts->exec_filesystems;
	g->daemon_tgid = opts->daemon_tgid;
	g->mode = opts->mode;
	g->report_write_fd = -1;
	g->marks.inotify_fd = -1;
	g->stop_fd = eventfd(0, EFD_CLOEXEC);
	g->fanotify_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
				       O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (g->fanotify_fd < 0 || g->stop_fd < 0) {
		snprintf(err, errlen, "gate: fanotify_init: %s", strerror(errno));
		goto fail;
	}
	if (gate_marks_init(&g->marks, g->fanotify_fd, &g->lock, opts->protected_paths, err,
			    errlen) ||
	    gate_deadline_start(g->fanotify_fd, opts->deadline_ms, late_answer, g, &g->deadline,
				err, errlen))
		goto fail;
	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "gate: pipe: %s", strerror(errno));
		goto fail;
	}
	g->report_write_fd = pipe_fds[1];
	errno = pthread_create(&g->thread, NULL, gate_thread, g);
	if (errno) {
		snprintf(err, errlen, "gate: starting its thread: %s", strerror(errno));
		close(pipe_fds[0]);
		goto fail;
	}
	g->running = true;
	*report_fd = pipe_fds[0];
	*out = g;
	return 0;
fail:
	gate_stop(g);
	return -1;
}

int gate_filesystem_dev(const char *path, uint32_t *dev, char *err, size_t errlen)
{
	_cleanup_fclose_ FILE *mountinfo = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	struct statx stx;

	/* Not st_dev: a btrfs subvolume reports another device than its
	 * superblock's; the mount's line names the superblock's. */
	if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &stx)) {
		snprintf(err, errlen, "exec gate: %s: %s", path, strerror(errno));
		return -1;
	}
	if (!(stx.stx_mask & STATX_MNT_ID)) {
		snprintf(err, errlen, "exec gate: %s: the kernel does not say which mount it is on",
			 path);
		return -1;
	}
	mountinfo = fopen("/proc/self/mountinfo", "re");
	if (!mountinfo) {
		snprintf(err, errlen, "exec gate: /proc/self/mountinfo: %s", strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, mountinfo) > 0) {
		unsigned long long id;
		unsigned int major_nr, minor_nr;

		if (sscanf(line, "%llu %*u %u:%u", &id, &major_nr, &minor_nr) == 3 &&
		    id == stx.stx_mnt_id) {
			*dev = kernel_dev_of(major_nr, minor_nr);
			return 0;
		}
	}
	snprintf(err, errlen, "exec gate: %s: mount %llu is not in /proc/self/mountinfo", path,
		 (unsigned long long)stx.stx_mnt_id);
	return -1;
}

int gate_arm_exec(struct vg_gate *g, char *err, size_t errlen)
{
	for (unsigned i = 0; g->exec_filesystems && i < g->exec_filesystems->count; i++)
		if (mark(g->fanotify_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM,
			 g->exec_filesystems->paths[i], err, errlen)) {
			gate_disarm_exec(g);
			return -1;
		}
	return 0;
}

void gate_disarm_exec(struct vg_gate *g)
{
	char err[256];

	for (unsigned i = 0; g->exec_filesystems && i < g->exec_filesystems->count; i++)
		if (mark(g->fanotify_fd, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM,
			 g->exec_filesystems->paths[i], err, sizeof(err)) &&
		    errno != ENOENT)
			vg_warn("%s", err);
}

size_t gate_loaders_open(struct vg_gate *g, const struct vg_path_list *paths,
			 struct vg_exe_key keys[VG_EXEC_PASSED_MAX])
{
	gate_loaders_close(g);
	for (unsigned i = 0; i < paths->count && g->loader_count < VG_EXEC_PASSED_MAX; i++) {
		int fd = open(paths->paths[i], O_RDONLY | O_CLOEXEC);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
			if (fd >= 0)
				close(fd);
			continue; /* not on this system: nothing to let pass */
		}
		keys[g->loader_count] = exe_key_of(&st);
		g->loader_fds[g->loader_count++] = fd;
	}
	return g->loader_count;
}

int gate_loaders_pass(struct vg_gate *g, char *err, size_t errlen)
{
	/* An ignore mask on the loader's inode overrides the filesystem's exec
	 * mark for it; it survives writes to the file. */
	for (size_t i = 0; i < g->loader_count; i++)
		if (fanotify_mark(g->fanotify_fd,
				  FAN_MARK_ADD | FAN_MARK_IGNORED_MASK |
				      FAN_MARK_IGNORED_SURV_MODIFY,
				  FAN_OPEN_EXEC_PERM, g->loader_fds[i], NULL)) {
			snprintf(err, errlen, "gate: letting a dynamic loader pass: %s",
				 strerror(errno));
			gate_loaders_close(g);
			return -1;
		}
	return 0;
}

void gate_loaders_close(struct vg_gate *g)
{
	for (size_t i = 0; i < g->loader_count; i++) {
		/* ENOENT: it was never passed, or its inode is gone. */
		if (fanotify_mark(g->fanotify_fd, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK,
				  FAN_OPEN_EXEC_PERM, g->loader_fds[i], NULL) &&
		    errno != ENOENT)
			vg_warn("gate: gating a dynamic loader again: %s", strerror(errno));
		close(g->loader_fds[i]);
	}
	g->loader_count = 0;
}

void gate_set_mode(struct vg_gate *g, enum vg_precog_mode mode)
{
	__atomic_store_n(&g->mode, mode, __ATOMIC_RELAXED);
}

void gate_set_deadline(struct vg_gate *g, uint32_t deadline_ms)
{
	gate_deadline_set(g->deadline, deadline_ms);
}

void gate_stats(const struct vg_gate *g, struct vg_gate_stats *out)
{
	out->events = __atomic_load_n(&g->stats.events, __ATOMIC_RELAXED);
	out->refused = __atomic_load_n(&g->stats.refused, __ATOMIC_RELAXED);
	out->fail_open = __atomic_load_n(&g->stats.fail_open, __ATOMIC_RELAXED);
	out->reports_dropped = __atomic_load_n(&g->stats.reports_dropped, __ATOMIC_RELAXED);
	out->late = g->deadline ? gate_deadline_late(g->deadline) : 0;
}

void gate_stop(struct vg_gate *g)
{
	uint64_t one = 1;

	if (!g)
		return;
	if (g->running) {
		if (write(g->stop_fd, &one, sizeof(one)) != sizeof(one))
			vg_warn("gate: signalling its thread: %s", strerror(errno));
		pthread_join(g->thread, NULL);
	}
	gate_deadline_stop(g->deadline);
	for (size_t i = 0; i < g->loader_count; i++)
		close(g->loader_fds[i]); /* their marks go with the fanotify fd */
	if (g->fanotify_fd >= 0)
		close(g->fanotify_fd);
	if (g->stop_fd >= 0)
		close(g->stop_fd);
	if (g->report_write_fd >= 0)
		close(g->report_write_fd);
	pthread_mutex_destroy(&g->lock);
	free(g->vaccines);
	free(g->decoyed);
	free(g->argv_rules);
	gate_marks_free(&g->marks);
	free(g);
}
