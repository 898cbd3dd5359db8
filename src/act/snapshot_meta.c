#include "act/snapshot_meta.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/file_hash.h"
#include "record/json_text.h"

/* Lineage is short in practice; the bound only guards against a loop. */
#define MAX_PARENTS 256

static void add_error(struct json_object *obj, const char *item, int error)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_error", item);
	json_object_object_add(obj, key, json_object_new_string(strerror(error)));
}

static void add_hex(struct json_object *obj, const char *key, uint64_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "0x%" PRIx64, value);
	json_object_object_add(obj, key, json_object_new_string(text));
}

static void add_time(struct json_object *obj, const char *key, struct timespec ts)
{
	char date[32], text[48];
	struct tm tm;

	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(text, sizeof(text), "%s.%09ldZ", date, ts.tv_nsec);
	json_object_object_add(obj, key, json_object_new_string(text));
}

/* A NUL-separated area (cmdline, environ) as an array of strings; when one
 * was not valid UTF-8, key_b64 holds the whole area's bytes. */
static void add_string_area(struct json_object *obj, const char *key, int dirfd, const char *name)
{
	_cleanup_free_ char *area = NULL;
	struct json_object *list;
	bool any_lossy = false;
	size_t len;

	if (procfs_read(dirfd, name, &area, &len)) {
		add_error(obj, key, errno);
		return;
	}
	list = json_object_new_array();
	for (size_t i = 0; i < len;) {
		size_t item_len = strnlen(area + i, len - i);
		bool lossy;

		json_object_array_add(list, json_text_string(area + i, item_len, &lossy));
		any_lossy |= lossy;
		i += item_len + 1;
	}
	json_object_object_add(obj, key, list);
	if (any_lossy) {
		char raw_key[64];

		snprintf(raw_key, sizeof(raw_key), "%s_b64", key);
		json_object_object_add(obj, raw_key, json_text_base64(area, len));
	}
}

static void add_link(struct json_object *obj, const char *key, int dirfd, const char *name)
{
	_cleanup_free_ char *target = NULL;
	size_t len;

	if (procfs_readlink(dirfd, name, &target, &len))
		add_error(obj, key, errno);
	else
		json_text_add(obj, key, target, len);
}

/* The exe is hashed through /proc/PID/exe, which opens the very file the
 * process runs even if its path was since deleted or replaced. */
static void add_exe(struct json_object *obj, int dirfd)
{
	struct json_object *exe = json_object_new_object();
	_cleanup_close_ int fd = openat(dirfd, "exe", O_RDONLY | O_CLOEXEC);
	unsigned char digest[VG_SHA256_LEN];
	char hex[2 * VG_SHA256_LEN + 1];

	add_link(exe, "path", dirfd, "exe");
	if (fd < 0 || sha256_fd(fd, digest)) {
		add_error(exe, "sha256", errno);
	} else {
		sha256_hex(digest, hex);
		json_object_object_add(exe, "sha256", json_object_new_string(hex));
	}
	json_object_object_add(obj, "exe", exe);
}

static struct json_object *id_set(const char *status, const char *key)
{
	struct json_object *set = json_object_new_object();
	static const char *const names[] = {"real", "effective", "saved", "fs"};
	unsigned long long ids[4];
	size_t len;
	const char *value = procfs_status_field(status, key, &len);

	if (!value || sscanf(value, "%llu %llu %llu %llu", &ids[0], &ids[1], &ids[2], &ids[3]) != 4)
		return set;
	for (int i = 0; i < 4; i++)
		json_object_object_add(set, names[i], json_object_new_int64((int64_t)ids[i]));
	return set;
}

/* Fields /proc formats itself (numbers, hex masks): no untrusted bytes. */
static void add_status_text(struct json_object *obj, const char *key, const char *status,
			    const char *field)
{
	size_t len;
	const char *value = procfs_status_field(status, field, &len);

	if (value)
		json_object_object_add(obj, key, json_object_new_string_len(value, (int)len));
}

static void add_credentials(struct json_object *obj, const char *status)
{
	static const struct {
		const char *key, *field;
	} caps[] = {{"inheritable", "CapInh"},
		    {"permitted", "CapPrm"},
		    {"effective", "CapEff"},
		    {"bounding", "CapBnd"},
		    {"ambient", "CapAmb"}};
	struct json_object *capabilities = json_object_new_object();
	struct json_object *groups = json_object_new_array();
	size_t len = 0;
	const char *list = procfs_status_field(status, "Groups", &len);

	json_object_object_add(obj, "uid", id_set(status, "Uid"));
	json_object_object_add(obj, "gid", id_set(status, "Gid"));
	for (const char *p = list, *end = list + len; p && p < end;) {
		char *next;
		unsigned long long gid = strtoull(p, &next, 10);

		if (next == p)
			break;
		json_object_array_add(groups, json_object_new_int64((int64_t)gid));
		p = next;
	}
	json_object_object_add(obj, "groups", groups);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		add_status_text(capabilities, caps[i].key, status, caps[i].field);
	json_object_object_add(obj, "capabilities", capabilities);
	add_status_text(obj, "no_new_privs", status, "NoNewPrivs");
	add_status_text(obj, "seccomp", status, "Seccomp");
	add_status_text(obj, "tracer_pid", status, "TracerPid");
}

static void add_cgroup(struct json_object *obj, int dirfd)
{
	_cleanup_free_ char *text = NULL;
	struct json_object *lines;
	size_t len;

	if (procfs_read(dirfd, "cgroup", &text, &len)) {
		add_error(obj, "cgroup", errno);
		return;
	}
	lines = json_object_new_array();
	for (char *line = text; *line;) {
		char *end = strchrnul(line, '\n');
		bool lossy;

		json_object_array_add(lines, json_text_string(line, (size_t)(end - line), &lossy));
		line = *end ? end + 1 : end;
	}
	json_object_object_add(obj, "cgroup", lines);
}

static int open_dir_under(int dirfd, const char *name, DIR **dir)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	*dir = fdopendir(fd);
	if (!*dir) {
		close(fd);
		return -1;
	}
	return 0;
}

static void add_namespaces(struct json_object *obj, int dirfd)
{
	struct json_object *namespaces;
	DIR *dir;
	struct dirent *entry;

	if (open_dir_under(dirfd, "ns", &dir)) {
		add_error(obj, "namespaces", errno);
		return;
	}
	namespaces = json_object_new_object();
	while ((entry = readdir(dir))) {
		char name[300];

		if (entry->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "ns/%s", entry->d_name);
		add_link(namespaces, entry->d_name, dirfd, name);
	}
	closedir(dir);
	json_object_object_add(obj, "namespaces", namespaces);
}

/* Parent, grandparent, ... up to init (pid 1), each with its exe: who
 * started the process matters as much as what it is. */
static void add_parents(struct json_object *obj, pid_t ppid)
{
	struct json_object *chain = json_object_new_array();

	for (int depth = 0; ppid > 0 && depth < MAX_PARENTS; depth++) {
		struct json_object *parent = json_object_new_object();
		char path[32];
		struct procfs_stat st;
		_cleanup_close_ int dirfd = -1;

		json_object_object_add(parent, "pid", json_object_new_int(ppid));
		json_object_array_add(chain, parent);
		snprintf(path, sizeof(path), "/proc/%d", ppid);
		dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0 || procfs_read_stat(dirfd, "stat", &st)) {
			add_error(parent, "stat", errno);
			break;
		}
		json_text_add(parent, "comm", st.comm, strnlen(st.comm, sizeof(st.comm)));
		add_link(parent, "exe", dirfd, "exe");
		if (ppid == 1)
			break;
		ppid = st.ppid;
	}
	json_object_object_add(obj, "parents", chain);
}

/* One socket fd, and what the kernel's socket tables say about it. */
struct socket_fd {
	int fd;
	unsigned long inode;
	const char *protocol; /* NULL until found in a table */
	char local[64], remote[64], state[16], type[12];
	char *unix_path; /* bound name of a unix socket, may be empty */
	size_t unix_path_len;
};

static int compare_inode(const void *a, const void *b)
{
	const struct socket_fd *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static int compare_fd(const void *a, const void *b)
{
	const struct socket_fd *x = a, *y = b;

	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static const char *tcp_state_name(unsigned state)
{
	static const char *const names[] = {
	    [1] = "ESTABLISHED", [2] = "SYN_SENT",  [3] = "SYN_RECV", [4] = "FIN_WAIT1",
	    [5] = "FIN_WAIT2",	 [6] = "TIME_WAIT", [7] = "CLOSE",    [8] = "CLOSE_WAIT",
	    [9] = "LAST_ACK",	 [10] = "LISTEN",   [11] = "CLOSING", [12] = "NEW_SYN_RECV",
	};

	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "UNKNOWN";
}

/* /proc/net prints each 32-bit word of an address as the hex of its value in
 * host byte order. */
static int format_inet(const char *hex, unsigned port, char *out, size_t outlen)
{
	size_t len = strlen(hex);
	char text[INET6_ADDRSTRLEN];

	if (len == 8) {
		struct in_addr addr;
		uint32_t word = (uint32_t)strtoul(hex, NULL, 16);

		memcpy(&addr, &word, sizeof(word));
		inet_ntop(AF_INET, &addr, text, sizeof(text));
		snprintf(out, outlen, "%s:%u", text, port);
		return 0;
	}
	if (len == 32) {
		struct in6_addr addr;

		for (int i = 0; i < 4; i++) {
			char word_hex[9];
			uint32_t word;

			memcpy(word_hex, hex + 8 * i, 8);
			word_hex[8] = '\0';
			word = (uint32_t)strtoul(word_hex, NULL, 16);
			memcpy(&addr.s6_addr[4 * i], &word, sizeof(word));
		}
		inet_ntop(AF_INET6, &addr, text, sizeof(text));
		snprintf(out, outlen, "[%s]:%u", text, port);
		return 0;
	}
	return -1;
}

static struct socket_fd *find_socket(struct socket_fd *sockets, size_t count, unsigned long inode)
{
	struct socket_fd key = {.inode = inode};
	struct socket_fd *hit = bsearch(&key, sockets, count, sizeof(*sockets), compare_inode);

	/* fds sharing one socket (dup) are neighbours: return the first. */
	while (hit && hit > sockets && hit[-1].inode == inode)
		hit--;
	return hit;
}

static void match_inet_line(const char *line, const char *protocol, struct socket_fd *sockets,
			    size_t count)
{
	char local_hex[33], remote_hex[33];
	unsigned local_port, remote_port, state;
	unsigned long inode;
	struct socket_fd *s;

	if (sscanf(line, " %*d: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x %*s %*s %*s %*u %*u %lu",
		   local_hex, &local_port, remote_hex, &remote_port, &state, &inode) != 6)
		return;
	for (s = find_socket(sockets, count, inode); s && s < sockets + count && s->inode == inode;
	     s++) {
		if (format_inet(local_hex, local_port, s->local, sizeof(s->local)) ||
		    format_inet(remote_hex, remote_port, s->remote, sizeof(s->remote)))
			continue;
		s->protocol = protocol;
		snprintf(s->state, sizeof(s->state), "%s", tcp_state_name(state));
	}
}

static void match_unix_line(const char *line, const char *end, struct socket_fd *sockets,
			    size_t count)
{
	/* __SO_ACCEPTCON in the Flags column marks a listening socket. */
	static const unsigned accepting = 0x10000;
	static const char *const states[] = {"FREE", "UNCONNECTED", "CONNECTING", "CONNECTED",
					     "DISCONNECTING"};
	unsigned flags, type, state;
	unsigned long inode;
	int path_start = 0;
	const char *path;
	struct socket_fd *s;

	if (sscanf(line, "%*s %*x %*x %x %x %x %lu%n", &flags, &type, &state, &inode,
		   &path_start) != 4 ||
	    line + path_start > end)
		return;
	path = line + path_start;
	while (path < end && *path == ' ')
		path++;
	for (s = find_socket(sockets, count, inode); s && s < sockets + count && s->inode == inode;
	     s++) {
		s->protocol = "unix";
		snprintf(s->type, sizeof(s->type), "%s",
			 type == 1   ? "STREAM"
			 : type == 2 ? "DGRAM"
			 : type == 5 ? "SEQPACKET"
				     : "OTHER");
		snprintf(s->state, sizeof(s->state), "%s",
			 flags & accepting ? "LISTEN"
			 : state < 5	   ? states[state]
					   : "UNKNOWN");
		free(s->unix_path);
		s->unix_path = strndup(path, (size_t)(end - path));
		s->unix_path_len = s->unix_path ? (size_t)(end - path) : 0;
	}
}

/* Resolves socket inodes through the tables of the process's own network
 * namespace (/proc/PID/net/...). A table the kernel lacks (no IPv6) is
 * skipped; another failure is recorded. */
static void resolve_sockets(struct json_object *obj, int dirfd, struct socket_fd *sockets,
			    size_t count)
{
	static const struct {
		const char *file, *protocol;
	} tables[] = {{"net/tcp", "tcp"},   {"net/tcp6", "tcp6"}, {"net/udp", "udp"},
		      {"net/udp6", "udp6"}, {"net/raw", "raw"},	  {"net/raw6", "raw6"},
		      {"net/unix", "unix"}};
	struct json_object *errors = NULL;

	qsort(sockets, count, sizeof(*sockets), compare_inode);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		_cleanup_free_ char *text = NULL;
		size_t len;
		const char *line;

		if (procfs_read(dirfd, tables[t].file, &text, &len)) {
			if (errno == ENOENT)
				continue;
			if (!errors)
				errors = json_object_new_object();
			add_error(errors, tables[t].file, errno);
			continue;
		}
		line = strchr(text, '\n'); /* the first line names the columns */
		while (line && *++line) {
			const char *end = strchrnul(line, '\n');

			if (!strcmp(tables[t].protocol, "unix"))
				match_unix_line(line, end, sockets, count);
			else
				match_inet_line(line, tables[t].protocol, sockets, count);
			line = *end ? end : NULL;
		}
	}
	if (errors)
		json_object_object_add(obj, "socket_table_errors", errors);
	qsort(sockets, count, sizeof(*sockets), compare_fd);
}

static struct json_object *socket_json(const struct socket_fd *s)
{
	struct json_object *entry = json_object_new_object();

	json_object_object_add(entry, "fd", json_object_new_int(s->fd));
	json_object_object_add(entry, "inode", json_object_new_int64((int64_t)s->inode));
	/* Netlink, packet and other families have no table here. */
	json_object_object_add(entry, "protocol",
			       json_object_new_string(s->protocol ? s->protocol : "other"));
	if (!s->protocol)
		return entry;
	if (!strcmp(s->protocol, "unix")) {
		json_object_object_add(entry, "type", json_object_new_string(s->type));
		if (s->unix_path)
			json_text_add(entry, "path", s->unix_path, s->unix_path_len);
	} else {
		json_object_object_add(entry, "local", json_object_new_string(s->local));
		json_object_object_add(entry, "remote", json_object_new_string(s->remote));
	}
	json_object_object_add(entry, "state", json_object_new_string(s->state));
	return entry;
}

static int compare_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

static int list_fds(int dirfd, int **fds, size_t *count)
{
	_cleanup_free_ int *list = NULL;
	size_t used = 0, capacity = 0;
	struct dirent *entry;
	DIR *dir;

	if (open_dir_under(dirfd, "fd", &dir))
		return -1;
	errno = 0;
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.')
			continue;
		if (used == capacity) {
			size_t grown = capacity ? capacity * 2 : 64;
			int *bigger = realloc(list, grown * sizeof(*list));

			if (!bigger) {
				closedir(dir);
				return -1;
			}
			list = bigger;
			capacity = grown;
		}
		list[used++] = atoi(entry->d_name);
	}
	if (errno) {
		int saved = errno;

		closedir(dir);
		errno = saved;
		return -1;
	}
	closedir(dir);
	qsort(list, used, sizeof(*list), compare_int);
	*fds = steal_pointer(&list);
	*count = used;
	return 0;
}

static void add_fds_and_sockets(struct json_object *obj, int dirfd)
{
	_cleanup_free_ int *fds = NULL;
	_cleanup_free_ struct socket_fd *sockets = NULL;
	struct json_object *fd_list, *socket_list;
	size_t count, socket_count = 0;

	if (list_fds(dirfd, &fds, &count)) {
		add_error(obj, "fds", errno);
		return;
	}
	sockets = calloc(count ? count : 1, sizeof(*sockets));
	if (!sockets) {
		add_error(obj, "fds", errno);
		return;
	}
	fd_list = json_object_new_array();
	for (size_t i = 0; i < count; i++) {
		struct json_object *entry = json_object_new_object();
		_cleanup_free_ char *target = NULL;
		char name[32];
		size_t len;
		unsigned long inode;

		snprintf(name, sizeof(name), "fd/%d", fds[i]);
		json_object_object_add(entry, "fd", json_object_new_int(fds[i]));
		json_object_array_add(fd_list, entry);
		if (procfs_readlink(dirfd, name, &target, &len)) {
			add_error(entry, "target", errno);
			continue;
		}
		json_text_add(entry, "target", target, len);
		if (sscanf(target, "socket:[%lu]", &inode) == 1) {
			sockets[socket_count].fd = fds[i];
			sockets[socket_count].inode = inode;
			socket_count++;
		}
	}
	json_object_object_add(obj, "fds", fd_list);
	if (socket_count)
		resolve_sockets(obj, dirfd, sockets, socket_count);
	socket_list = json_object_new_array();
	for (size_t i = 0; i < socket_count; i++) {
		json_object_array_add(socket_list, socket_json(&sockets[i]));
		free(sockets[i].unix_path);
	}
	json_object_object_add(obj, "sockets", socket_list);
}

static void add_maps(struct json_object *obj, const struct snapshot_meta_input *in)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < in->map_count; i++) {
		const struct procfs_mapping *m = &in->maps[i];
		const struct snapshot_region *r = &in->regions[i];
		struct json_object *entry = json_object_new_object();
		char dev[24];

		add_hex(entry, "start", m->start);
		add_hex(entry, "end", m->end);
		json_object_object_add(entry, "perms", json_object_new_string(m->perms));
		add_hex(entry, "offset", m->offset);
		snprintf(dev, sizeof(dev), "%02x:%02x", m->dev_major, m->dev_minor);
		json_object_object_add(entry, "dev", json_object_new_string(dev));
		json_object_object_add(entry, "inode", json_object_new_int64((int64_t)m->inode));
		json_text_add(entry, "path", m->path, m->path_len);
		json_object_object_add(entry, "in_core", json_object_new_boolean(r->in_core));
		json_object_object_add(entry, "captured_bytes",
				       json_object_new_int64((int64_t)r->captured));
		if (r->left_out)
			json_object_object_add(entry, "left_out",
					       json_object_new_string(r->left_out));
		json_object_array_add(list, entry);
	}
	json_object_object_add(obj, "maps", list);
}

static void add_snapshot_facts(struct json_object *obj, const struct snapshot_meta_input *in)
{
	struct json_object *memory = json_object_new_object();
	struct json_object *core = json_object_new_object();
	struct json_object *threads = json_object_new_array();
	char hex[2 * VG_SHA256_LEN + 1];

	for (size_t i = 0; i < in->thread_count; i++)
		json_object_array_add(threads, json_object_new_int(in->tids[i]));
	json_object_object_add(obj, "threads", threads);
	json_object_object_add(memory, "cap_bytes", json_object_new_int64((int64_t)in->memory_cap));
	json_object_object_add(memory, "captured_bytes",
			       json_object_new_int64((int64_t)in->memory_bytes));
	json_object_object_add(memory, "capped", json_object_new_boolean(in->memory_capped));
	json_object_object_add(memory, "unreadable_bytes",
			       json_object_new_int64((int64_t)in->unreadable_bytes));
	json_object_object_add(obj, "memory", memory);
	sha256_hex(in->core_sha256, hex);
	json_object_object_add(core, "file", json_object_new_string("core"));
	json_object_object_add(core, "sha256", json_object_new_string(hex));
	json_object_object_add(obj, "core", core);
	if (in->score)
		json_object_object_add(obj, "score", json_object_get(in->score));
}

struct json_object *snapshot_meta_build(const struct snapshot_meta_input *in, char *err,
					size_t errlen)
{
	struct json_object *meta = json_object_new_object();

	if (!meta) {
		snprintf(err, errlen, "meta.json: out of memory");
		return NULL;
	}
	json_object_object_add(meta, "format", json_object_new_string("vigilante-snapshot-1"));
	json_text_add(meta, "id", in->id, strlen(in->id));
	json_object_object_add(meta, "pid", json_object_new_int(in->pid));
	add_time(meta, "started_at", in->started);
	add_time(meta, "finished_at", in->finished);
	json_text_add(meta, "comm", in->stat->comm,
		      strnlen(in->stat->comm, sizeof(in->stat->comm)));
	add_string_area(meta, "cmdline", in->proc_dirfd, "cmdline");
	add_string_area(meta, "environ", in->proc_dirfd, "environ");
	add_exe(meta, in->proc_dirfd);
	add_link(meta, "cwd", in->proc_dirfd, "cwd");
	add_link(meta, "root", in->proc_dirfd, "root");
	add_credentials(meta, in->status);
	add_cgroup(meta, in->proc_dirfd);
	add_namespaces(meta, in->proc_dirfd);
	json_object_object_add(meta, "ppid", json_object_new_int(in->stat->ppid));
	add_parents(meta, in->stat->ppid);
	add_fds_and_sockets(meta, in->proc_dirfd);
	add_maps(meta, in);
	add_snapshot_facts(meta, in);
	return meta;
}
