#include "act/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"

int procfs_read(int dirfd, const char *name, char **buf, size_t *len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *data = NULL;
	size_t size = 4096, used = 0;

	if (fd < 0)
		return -1;
	/* /proc files report a size of 0: read until end of file. */
	data = malloc(size);
	if (!data)
		return -1;
	for (;;) {
		ssize_t n;

		if (size - used < 2) {
			char *bigger = realloc(data, size * 2);

			if (!bigger)
				return -1;
			data = bigger;
			size *= 2;
		}
		n = read(fd, data + used, size - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	data[used] = '\0';
	*len = used;
	*buf = steal_pointer(&data);
	return 0;
}

int procfs_readlink(int dirfd, const char *name, char **target, size_t *len)
{
	size_t size = 256;

	for (;;) {
		_cleanup_free_ char *buf = malloc(size);
		ssize_t n;

		if (!buf)
			return -1;
		n = readlinkat(dirfd, name, buf, size);
		if (n < 0)
			return -1;
		if ((size_t)n < size) {
			buf[n] = '\0';
			*len = (size_t)n;
			*target = steal_pointer(&buf);
			return 0;
		}
		size *= 2;
	}
}

bool procfs_process_gone(int error)
{
	return error == ESRCH || error == ENOENT;
}

int procfs_read_stat(int dirfd, const char *name, struct procfs_stat *st)
{
	_cleanup_free_ char *text = NULL;
	const char *open_paren, *close_paren;
	size_t len, comm_len;

	if (procfs_read(dirfd, name, &text, &len))
		return -1;
	/* comm may hold any byte, ')' included: it ends at the last ')'. */
	open_paren = strchr(text, '(');
	close_paren = strrchr(text, ')');
	if (!open_paren || !close_paren || close_paren < open_paren) {
		errno = EINVAL;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	comm_len = (size_t)(close_paren - open_paren - 1);
	if (comm_len >= sizeof(st->comm))
		comm_len = sizeof(st->comm) - 1;
	memcpy(st->comm, open_paren + 1, comm_len);
	if (sscanf(close_paren + 1,
		   " %c %d %d %d %*d %*d %lu %*u %*u %*u %*u %lu %lu %*d %*d %*d %ld %*d %*d %llu",
		   &st->state, &st->ppid, &st->pgrp, &st->sid, &st->flags, &st->utime_ticks,
		   &st->stime_ticks, &st->nice, &st->start_ticks) != 9) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

const char *procfs_status_field(const char *status, const char *key, size_t *len)
{
	size_t key_len = strlen(key);

	for (const char *line = status; line && *line;) {
		const char *end = strchr(line, '\n');

		if (!end)
			end = line + strlen(line);
		if (strncmp(line, key, key_len) == 0 && line[key_len] == ':') {
			const char *value = line + key_len + 1;

			while (value < end && (*value == ' ' || *value == '\t'))
				value++;
			*len = (size_t)(end - value);
			return value;
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

static void apply_vm_flags(struct procfs_mapping *m, const char *flags, const char *end)
{
	for (const char *f = flags; f + 2 <= end; f++) {
		bool token_start = f[0] != ' ' && (f == flags || f[-1] == ' ');
		bool two_letters = f + 2 == end || f[2] == ' ';

		if (!token_start || !two_letters)
			continue;
		if (!strncmp(f, "um", 2) || !strncmp(f, "uw", 2) || !strncmp(f, "ui", 2))
			m->userfaultfd = true;
		if (!strncmp(f, "io", 2) || !strncmp(f, "pf", 2))
			m->device = true;
	}
}

static int add_mapping(struct procfs_mapping **maps, size_t *count, size_t *capacity,
		       const char *line, const char *end)
{
	struct procfs_mapping m = {0};
	int path_start = 0;
	const char *path;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 "%n", &m.start,
		   &m.end, m.perms, &m.offset, &m.dev_major, &m.dev_minor, &m.inode,
		   &path_start) != 7 ||
	    path_start == 0 || line + path_start > end)
		return 1; /* not a mapping line */
	path = line + path_start;
	while (path < end && (*path == ' ' || *path == '\t'))
		path++;
	m.path_len = (size_t)(end - path);
	m.path = strndup(path, m.path_len);
	if (!m.path)
		return -1;
	if (*count == *capacity) {
		size_t grown = *capacity ? *capacity * 2 : 64;
		struct procfs_mapping *bigger = realloc(*maps, grown * sizeof(**maps));

		if (!bigger) {
			free(m.path);
			return -1;
		}
		*maps = bigger;
		*capacity = grown;
	}
	(*maps)[(*count)++] = m;
	return 0;
}

int procfs_read_mappings(int dirfd, struct procfs_mapping **maps, size_t *count)
{
	_cleanup_free_ char *text = NULL;
	struct procfs_mapping *list = NULL;
	size_t len, used = 0, capacity = 0;

	if (procfs_read(dirfd, "smaps", &text, &len))
		return -1;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');

		if (!end)
			end = line + strlen(line);
		if (!strncmp(line, "VmFlags:", 8)) {
			if (used)
				apply_vm_flags(&list[used - 1], line + 8, end);
		} else if (add_mapping(&list, &used, &capacity, line, end) < 0) {
			procfs_free_mappings(list, used);
			errno = ENOMEM;
			return -1;
		}
		line = *end ? end + 1 : end;
	}
	*maps = list;
	*count = used;
	return 0;
}

void procfs_free_mappings(struct procfs_mapping *maps, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(maps[i].path);
	free(maps);
}

pid_t procfs_tgid_of(pid_t tid)
{
	_cleanup_free_ char *status = NULL;
	char path[64];
	const char *field;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (procfs_read(AT_FDCWD, path, &status, &len))
		return -1;
	field = procfs_status_field(status, "Tgid", &len);
	if (!field) {
		errno = EINVAL;
		return -1;
	}
	return (pid_t)strtol(field, NULL, 10);
}
