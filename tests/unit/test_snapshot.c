/* Forensic snapshots of processes this test forks itself: a stopped child
 * with a known global, a heap secret, an open file and a listening socket
 * must come out as an ELF core gdb reads and a meta.json that names them;
 * every bad target (missing, zombie, running, dying mid-snapshot) must fail
 * with its own message and leave nothing behind. Children get
 * PR_SET_PDEATHSIG so none outlives the test, and teardown kills and reaps
 * them (and thaws and removes the test's own cgroup). Runs as root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "temp_name.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/procfs.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "act/snapshot.h"
#include "common/file_hash.h"

/* gdb must find this in the core's copy of .data through the symbol table. */
volatile unsigned long planted_global = 0x5eedc0ffee;

#define SECRET_LEN	 48
#define MAX_CHILDREN	 4
#define TEST_TIMEOUT_S	 120
#define BIG_MEMORY_BYTES (256ul << 20)
#define SNAPSHOT_ID	 "q-test-1"

struct fixture {
	pid_t children[MAX_CHILDREN];
	size_t child_count;
	char dir[64];	    /* parent directory of snapshots, on tmpfs */
	char open_file[64]; /* the file a child holds open */
	char cgroup[256];   /* the cgroup the frozen test made, or "" */
	char snapshot[128]; /* dir/SNAPSHOT_ID */
};

/* What a child sets up before it stops. */
struct child_spec {
	bool stop;	  /* raise(SIGSTOP) when ready, else pause() */
	unsigned threads; /* extra threads, also stopped by the group-stop */
	size_t big_bytes; /* anonymous memory, touched */
	const char *open_file;
};

/* Kept reachable so the heap secret stays live in the child. */
static char *volatile heap_secret;

/* A 48-character string derived from the child's pid, written one
 * character at a time into its destination: in the child that is the heap
 * buffer, so no other copy exists there to be found by mistake. */
static void make_secret(char *out, pid_t pid)
{
	uint64_t x = 0x5ec2e7c0ffee1234ull ^ (uint64_t)pid;

	for (int i = 0; i < SECRET_LEN; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = "0123456789abcdef"[x >> 60];
	}
	out[SECRET_LEN] = '\0';
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void child_main(const struct child_spec *spec, int report_fd)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t addr_len = sizeof(addr);
	uint16_t port;
	int sock;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(2);
	heap_secret = malloc(SECRET_LEN + 1);
	if (!heap_secret)
		_exit(2);
	make_secret(heap_secret, getpid());
	if (spec->open_file && open(spec->open_file, O_RDONLY) < 0)
		_exit(2);
	sock = socket(AF_INET, SOCK_STREAM, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) || listen(sock, 1) ||
	    getsockname(sock, (struct sockaddr *)&addr, &addr_len))
		_exit(2);
	if (spec->big_bytes) {
		void *big = mmap(NULL, spec->big_bytes, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (big == MAP_FAILED)
			_exit(2);
		memset(big, 0xa5, spec->big_bytes);
	}
	for (unsigned i = 0; i < spec->threads; i++) {
		pthread_t thread;

		if (pthread_create(&thread, NULL, idle_thread, NULL))
			_exit(2);
	}
	port = ntohs(addr.sin_port);
	if (write(report_fd, &port, sizeof(port)) != sizeof(port))
		_exit(2);
	close(report_fd);
	if (spec->stop)
		raise(SIGSTOP);
	for (;;)
		pause();
}

/* Forks a child, waits until it is ready (and stopped, if asked); returns
 * its pid, and its listening port in *port. */
static pid_t start_child(struct fixture *f, const struct child_spec *spec, uint16_t *port)
{
	int pipe_fds[2];
	uint16_t reported = 0;
	pid_t pid;

	assert_true(f->child_count < MAX_CHILDREN);
	assert_int_equal(pipe2(pipe_fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipe_fds[0]);
		child_main(spec, pipe_fds[1]);
	}
	f->children[f->child_count++] = pid;
	close(pipe_fds[1]);
	assert_int_equal(read(pipe_fds[0], &reported, sizeof(reported)), sizeof(reported));
	close(pipe_fds[0]);
	if (spec->stop) {
		int status;

		assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
		assert_true(WIFSTOPPED(status));
	}
	if (port)
		*port = reported;
	return pid;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return -1;
	alarm(TEST_TIMEOUT_S);
	temp_name(f->dir, sizeof(f->dir), "/dev/shm/vg-snapshot-test.");
	temp_name(f->open_file, sizeof(f->open_file), "/tmp/vg-snapshot-open.");
	if (!mkdtemp(f->dir) || (fd = mkstemp(f->open_file)) < 0) {
		free(f);
		return -1;
	}
	close(fd);
	snprintf(f->snapshot, sizeof(f->snapshot), "%s/%s", f->dir, SNAPSHOT_ID);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->cgroup[0]) {
		char path[300];

		snprintf(path, sizeof(path), "%s/cgroup.freeze", f->cgroup);
		write_text(path, "0");
	}
	for (size_t i = 0; i < f->child_count; i++) {
		kill(f->children[i], SIGKILL);
		/* ECHILD: the snapshot already reaped a child that died traced. */
		while (waitpid(f->children[i], NULL, __WALL) < 0 && errno == EINTR)
			;
	}
	if (f->cgroup[0] && rmdir(f->cgroup))
		fprintf(stderr, "teardown: rmdir %s: %s\n", f->cgroup, strerror(errno));
	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	unlink(f->open_file);
	free(f);
	alarm(0);
	return 0;
}

/* ---- reading results ------------------------------------------------------ */

static size_t dir_entries(const char *path, char *first, size_t first_len)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	size_t count = 0;

	assert_non_null(dir);
	while ((entry = readdir(dir))) {
		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;
		if (count++ == 0 && first)
			snprintf(first, first_len, "%s", entry->d_name);
	}
	closedir(dir);
	return count;
}

static void assert_nothing_left(const struct fixture *f)
{
	char name[256] = "";

	if (dir_entries(f->dir, name, sizeof(name)) != 0)
		fail_msg("%s still holds %s", f->dir, name);
}

struct mapped_core {
	unsigned char *data;
	size_t size;
	const Elf64_Ehdr *ehdr;
	const Elf64_Phdr *phdrs;
	/* Copies: notes are only 4-byte aligned in the file, as in the kernel's. */
	struct elf_prstatus prstatus[8];
	struct elf_prpsinfo psinfo;
	size_t prstatus_count, fpreg_count, psinfo_count, auxv_count, file_count;
};

static void walk_notes(struct mapped_core *c, const Elf64_Phdr *note)
{
	size_t at = note->p_offset, end = note->p_offset + note->p_filesz;

	assert_true(end <= c->size);
	while (at + sizeof(Elf64_Nhdr) <= end) {
		const Elf64_Nhdr *n = (const Elf64_Nhdr *)(c->data + at);
		const unsigned char *desc = c->data + at + sizeof(*n) + ((n->n_namesz + 3) & ~3u);

		assert_true(desc + n->n_descsz <= c->data + end);
		switch (n->n_type) {
		case NT_PRSTATUS:
			assert_int_equal(n->n_descsz, sizeof(struct elf_prstatus));
			if (c->prstatus_count < 8)
				memcpy(&c->prstatus[c->prstatus_count], desc, n->n_descsz);
			c->prstatus_count++;
			break;
		case NT_PRFPREG:
			assert_int_equal(n->n_descsz, sizeof(struct user_fpregs_struct));
			c->fpreg_count++;
			break;
		case NT_PRPSINFO:
			assert_int_equal(n->n_descsz, sizeof(struct elf_prpsinfo));
			memcpy(&c->psinfo, desc, n->n_descsz);
			c->psinfo_count++;
			break;
		case NT_AUXV:
			c->auxv_count++;
			break;
		case NT_FILE:
			c->file_count++;
			break;
		}
		at = (size_t)(desc - c->data) + ((n->n_descsz + 3) & ~3u);
	}
}

static void map_core(const char *path, struct mapped_core *c)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	memset(c, 0, sizeof(*c));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	c->size = (size_t)st.st_size;
	c->data = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(c->data != MAP_FAILED);
	assert_true(c->size >= sizeof(Elf64_Ehdr));
	c->ehdr = (const Elf64_Ehdr *)c->data;
	assert_memory_equal(c->ehdr->e_ident, ELFMAG, SELFMAG);
	assert_int_equal(c->ehdr->e_ident[EI_CLASS], ELFCLASS64);
	assert_int_equal(c->ehdr->e_type, ET_CORE);
	assert_int_equal(c->ehdr->e_machine, EM_X86_64);
	assert_true(c->ehdr->e_phoff + (size_t)c->ehdr->e_phnum * sizeof(Elf64_Phdr) <= c->size);
	c->phdrs = (const Elf64_Phdr *)(c->data + c->ehdr->e_phoff);
	assert_int_equal(c->phdrs[0].p_type, PT_NOTE);
	walk_notes(c, &c->phdrs[0]);
	for (size_t i = 1; i < c->ehdr->e_phnum; i++) {
		assert_int_equal(c->phdrs[i].p_type, PT_LOAD);
		assert_true(c->phdrs[i].p_filesz <= c->phdrs[i].p_memsz);
		assert_true(c->phdrs[i].p_offset + c->phdrs[i].p_filesz <= c->size);
	}
}

static void unmap_core(struct mapped_core *c)
{
	munmap(c->data, c->size);
}

static const Elf64_Phdr *segment_at(const struct mapped_core *c, uint64_t addr)
{
	for (size_t i = 1; i < c->ehdr->e_phnum; i++)
		if (addr >= c->phdrs[i].p_vaddr && addr < c->phdrs[i].p_vaddr + c->phdrs[i].p_memsz)
			return &c->phdrs[i];
	return NULL;
}

static const struct user_regs_struct *regs_of(const struct elf_prstatus *status)
{
	return (const struct user_regs_struct *)&status->pr_reg;
}

static void assert_file_hash(const char *path, const unsigned char expected[VG_SHA256_LEN])
{
	unsigned char digest[VG_SHA256_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(sha256_fd(fd, digest), 0);
	close(fd);
	assert_memory_equal(digest, expected, VG_SHA256_LEN);
}

static struct json_object *load_meta(const struct fixture *f)
{
	char path[200];
	struct json_object *meta;

	snprintf(path, sizeof(path), "%s/meta.json", f->snapshot);
	meta = json_object_from_file(path);
	assert_non_null(meta);
	return meta;
}

static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *value = NULL;

	if (!json_object_object_get_ex(obj, key, &value))
		fail_msg("meta.json lacks \"%s\"", key);
	return value;
}

static const char *string_member(struct json_object *obj, const char *key)
{
	struct json_object *value;

	return json_object_object_get_ex(obj, key, &value) ? json_object_get_string(value) : "";
}

static char task_state(const char *stat_path)
{
	char text[512], *close_paren;
	FILE *file;
	size_t n;

	file = fopen(stat_path, "r");
	assert_non_null(file);
	n = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[n] = '\0';
	close_paren = strrchr(text, ')');
	assert_non_null(close_paren);
	return close_paren[2];
}

static bool all_threads_stopped(pid_t pid)
{
	char path[300];
	struct dirent *entry;
	bool stopped = true;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	assert_non_null(dir);
	while (stopped && (entry = readdir(dir))) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, entry->d_name);
		stopped = task_state(path) == 'T';
	}
	closedir(dir);
	return stopped;
}

/* After the detach, each thread wakes and goes back to group-stop: give it
 * the moment that takes. */
static void assert_stopped_again(pid_t pid)
{
	for (int i = 0; i < 200 && !all_threads_stopped(pid); i++)
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	if (!all_threads_stopped(pid))
		fail_msg("process %d did not go back to group-stop", pid);
}

static char proc_state(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return task_state(path);
}

static int tracer_of(pid_t pid)
{
	char path[64], line[256];
	FILE *file;
	int tracer = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	file = fopen(path, "r");
	assert_non_null(file);
	while (fgets(line, sizeof(line), file))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	fclose(file);
	return tracer;
}

/* A status field of this process, which forked the children and shares
 * their credentials. */
static const char *own_status_field(const char *key)
{
	static char value[128];
	char line[256];
	size_t key_len = strlen(key);
	FILE *file = fopen("/proc/self/status", "r");

	assert_non_null(file);
	value[0] = '\0';
	while (fgets(line, sizeof(line), file))
		if (!strncmp(line, key, key_len) && line[key_len] == ':')
			sscanf(line + key_len + 1, "%127s", value);
	fclose(file);
	return value;
}

static void snapshot_ok(struct fixture *f, pid_t pid, const struct vg_snapshot_options *opts,
			struct vg_snapshot_result *result)
{
	char err[512] = "";

	if (snapshot_process(pid, f->dir, SNAPSHOT_ID, opts, result, err, sizeof(err)))
		fail_msg("snapshot of %d failed: %s", pid, err);
	assert_string_equal(result->dir, f->snapshot);
}

static void snapshot_fails(struct fixture *f, pid_t pid, const char *id, const char *expected)
{
	struct vg_snapshot_result result;
	char err[512] = "";

	assert_int_equal(snapshot_process(pid, f->dir, id, NULL, &result, err, sizeof(err)), -1);
	if (!strstr(err, expected))
		fail_msg("error \"%s\" does not say \"%s\"", err, expected);
}

/* ---- the snapshot of a stopped process ------------------------------------ */

static void check_core(pid_t pid, const char *core_path)
{
	struct mapped_core core;
	const struct user_regs_struct *regs;
	const Elf64_Phdr *text;
	char secret[SECRET_LEN + 1];

	map_core(core_path, &core);
	assert_int_equal(core.prstatus_count, 1);
	assert_int_equal(core.fpreg_count, 1);
	assert_int_equal(core.psinfo_count, 1);
	assert_int_equal(core.auxv_count, 1);
	assert_int_equal(core.file_count, 1);
	assert_int_equal(core.prstatus[0].pr_pid, pid);
	assert_int_equal(core.psinfo.pr_pid, pid);
	assert_int_equal(core.psinfo.pr_sname, 'T');
	regs = regs_of(&core.prstatus[0]);
	text = segment_at(&core, regs->rip);
	assert_non_null(text);
	assert_true(text->p_flags & PF_X);
	make_secret(secret, pid);
	assert_non_null(memmem(core.data, core.size, secret, SECRET_LEN));
	unmap_core(&core);
}

static void check_meta(const struct fixture *f, pid_t pid, uint16_t port,
		       const struct vg_snapshot_result *result)
{
	struct json_object *meta = load_meta(f);
	struct json_object *fds = member(meta, "fds"), *sockets = member(meta, "sockets");
	unsigned char exe_digest[VG_SHA256_LEN];
	char core_hex[2 * VG_SHA256_LEN + 1], exe_hex[2 * VG_SHA256_LEN + 1], local[32];
	bool file_seen = false, socket_seen = false;
	int exe_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	assert_int_equal(json_object_get_int(member(meta, "pid")), pid);
	assert_true(json_object_array_length(member(meta, "cmdline")) >= 1);
	assert_true(json_object_is_type(member(meta, "environ"), json_type_array));
	assert_int_equal(json_object_array_length(member(meta, "threads")), 1);
	assert_true(json_object_array_length(member(meta, "parents")) >= 1);
	assert_int_equal(json_object_get_int(member(member(meta, "uid"), "effective")), geteuid());
	assert_string_equal(string_member(member(meta, "capabilities"), "effective"),
			    own_status_field("CapEff"));
	assert_true(json_object_array_length(member(meta, "maps")) > 5);

	/* The child runs this very binary: the exe hash is ours. */
	assert_true(exe_fd >= 0);
	assert_int_equal(sha256_fd(exe_fd, exe_digest), 0);
	close(exe_fd);
	sha256_hex(exe_digest, exe_hex);
	assert_string_equal(string_member(member(meta, "exe"), "sha256"), exe_hex);
	sha256_hex(result->core_sha256, core_hex);
	assert_string_equal(string_member(member(meta, "core"), "sha256"), core_hex);
	assert_int_equal(json_object_get_int(member(member(meta, "score"), "score")), 912);

	for (size_t i = 0; i < json_object_array_length(fds); i++)
		file_seen |= !strcmp(string_member(json_object_array_get_idx(fds, i), "target"),
				     f->open_file);
	assert_true(file_seen);
	snprintf(local, sizeof(local), "127.0.0.1:%u", port);
	for (size_t i = 0; i < json_object_array_length(sockets); i++) {
		struct json_object *s = json_object_array_get_idx(sockets, i);

		socket_seen |= !strcmp(string_member(s, "protocol"), "tcp") &&
			       !strcmp(string_member(s, "local"), local) &&
			       !strcmp(string_member(s, "state"), "LISTEN");
	}
	assert_true(socket_seen);
	json_object_put(meta);
}

static void check_gdb(const struct fixture *f)
{
	char exe[PATH_MAX], command[PATH_MAX * 2 + 256], output[8192];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t used = 0, n;
	FILE *gdb;

	assert_true(len > 0);
	exe[len] = '\0';
	snprintf(command, sizeof(command),
		 "timeout 60 gdb -nx -batch -ex 'print/x planted_global' "
		 "-ex 'info registers rip' '%s' '%s/core' 2>&1",
		 exe, f->snapshot);
	gdb = popen(command, "r");
	assert_non_null(gdb);
	while (used < sizeof(output) - 1 &&
	       (n = fread(output + used, 1, sizeof(output) - 1 - used, gdb)) > 0)
		used += n;
	output[used] = '\0';
	assert_int_equal(pclose(gdb), 0);
	if (!strstr(output, "= 0x5eedc0ffee") || !strstr(output, "rip"))
		fail_msg("gdb did not read the core:\n%s", output);
}

static void test_stopped_process(void **state)
{
	struct fixture *f = *state;
	struct child_spec spec = {.stop = true, .open_file = f->open_file};
	struct vg_snapshot_options opts = {.score_json = "{\"score\": 912, \"reason\": \"test\"}"};
	struct vg_snapshot_result result;
	char core_path[200], meta_path[200], name[256];
	uint16_t port;
	pid_t pid = start_child(f, &spec, &port);

	snapshot_ok(f, pid, &opts, &result);
	assert_int_equal(dir_entries(f->dir, name, sizeof(name)), 1);
	assert_string_equal(name, SNAPSHOT_ID);
	assert_int_equal(dir_entries(f->snapshot, NULL, 0), 2);
	assert_int_equal(result.threads, 1);
	assert_true(result.memory_bytes > 0);
	assert_true(result.seconds > 0);
	snprintf(core_path, sizeof(core_path), "%s/core", f->snapshot);
	snprintf(meta_path, sizeof(meta_path), "%s/meta.json", f->snapshot);
	assert_file_hash(core_path, result.core_sha256);
	assert_file_hash(meta_path, result.meta_sha256);
	check_core(pid, core_path);
	check_meta(f, pid, port, &result);
	/* Left as found: group-stopped, no longer traced. */
	assert_stopped_again(pid);
	assert_int_equal(tracer_of(pid), 0);
	check_gdb(f);
}

static void test_memory_cap(void **state)
{
	struct fixture *f = *state;
	struct child_spec spec = {.stop = true};
	struct vg_snapshot_options opts = {.memory_cap_bytes = 1u << 20};
	struct vg_snapshot_result result;
	struct json_object *meta;
	struct mapped_core core;
	const Elf64_Phdr *stack;
	char core_path[200];
	bool short_segment = false;
	pid_t pid = start_child(f, &spec, NULL);

	snapshot_ok(f, pid, &opts, &result);
	assert_true(result.memory_capped);
	assert_true(result.memory_bytes <= opts.memory_cap_bytes);
	snprintf(core_path, sizeof(core_path), "%s/core", f->snapshot);
	map_core(core_path, &core);
	for (size_t i = 1; i < core.ehdr->e_phnum; i++)
		short_segment |= core.phdrs[i].p_filesz < core.phdrs[i].p_memsz;
	assert_true(short_segment);
	assert_true(core.size < opts.memory_cap_bytes + (1u << 20));
	/* The stack comes first under the cap. */
	stack = segment_at(&core, regs_of(&core.prstatus[0])->rsp);
	assert_non_null(stack);
	assert_int_equal(stack->p_filesz, stack->p_memsz);
	unmap_core(&core);
	meta = load_meta(f);
	assert_true(json_object_get_boolean(member(member(meta, "memory"), "capped")));
	assert_int_equal(json_object_get_int64(member(member(meta, "memory"), "cap_bytes")),
			 opts.memory_cap_bytes);
	json_object_put(meta);
}

static void test_every_thread(void **state)
{
	struct fixture *f = *state;
	struct child_spec spec = {.stop = true, .threads = 2};
	struct vg_snapshot_result result;
	struct mapped_core core;
	char core_path[200];
	pid_t pid = start_child(f, &spec, NULL);

	snapshot_ok(f, pid, NULL, &result);
	assert_int_equal(result.threads, 3);
	snprintf(core_path, sizeof(core_path), "%s/core", f->snapshot);
	map_core(core_path, &core);
	assert_int_equal(core.prstatus_count, 3);
	assert_int_equal(core.fpreg_count, 3);
	assert_int_equal(core.prstatus[0].pr_pid, pid);
	assert_int_not_equal(core.prstatus[1].pr_pid, pid);
	assert_int_not_equal(core.prstatus[2].pr_pid, pid);
	assert_int_not_equal(core.prstatus[1].pr_pid, core.prstatus[2].pr_pid);
	for (int i = 0; i < 3; i++)
		assert_non_null(segment_at(&core, regs_of(&core.prstatus[i])->rsp));
	unmap_core(&core);
	assert_stopped_again(pid);
}

static bool cgroup_is_frozen(const char *cgroup)
{
	char path[300], text[256];
	FILE *file;
	size_t n;

	snprintf(path, sizeof(path), "%s/cgroup.events", cgroup);
	file = fopen(path, "r");
	if (!file)
		return false;
	n = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[n] = '\0';
	return strstr(text, "frozen 1") != NULL;
}

static bool wait_frozen(const char *cgroup)
{
	for (int i = 0; i < 500; i++) {
		if (cgroup_is_frozen(cgroup))
			return true;
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	}
	return false;
}

static const char *find_cgroup2(void)
{
	static char mount[256];
	char line[1024];
	FILE *file = fopen("/proc/self/mountinfo", "r");
	bool found = false;

	assert_non_null(file);
	while (!found && fgets(line, sizeof(line), file))
		found = strstr(line, " - cgroup2 ") &&
			sscanf(line, "%*s %*s %*s %*s %255s", mount) == 1;
	fclose(file);
	return found ? mount : NULL;
}

static void test_frozen_cgroup(void **state)
{
	struct fixture *f = *state;
	struct child_spec spec = {.stop = false};
	struct vg_snapshot_result result;
	const char *mount = find_cgroup2();
	char path[300], pid_text[16];
	pid_t pid;

	if (!mount)
		skip();
	pid = start_child(f, &spec, NULL);
	snprintf(f->cgroup, sizeof(f->cgroup), "%s/vg-test-snapshot-%d", mount, getpid());
	assert_int_equal(mkdir(f->cgroup, 0755), 0);
	snprintf(path, sizeof(path), "%s/cgroup.procs", f->cgroup);
	snprintf(pid_text, sizeof(pid_text), "%d", pid);
	assert_int_equal(write_text(path, pid_text), 0);
	snprintf(path, sizeof(path), "%s/cgroup.freeze", f->cgroup);
	assert_int_equal(write_text(path, "1"), 0);
	assert_true(wait_frozen(f->cgroup));

	snapshot_ok(f, pid, NULL, &result);
	assert_int_equal(result.threads, 1);
	/* Back in the freezer, untraced. */
	assert_true(wait_frozen(f->cgroup));
	assert_int_equal(tracer_of(pid), 0);
}

/* ---- targets that must be refused ----------------------------------------- */

static void test_nonexistent_pid(void **state)
{
	struct fixture *f = *state;
	char expected[64];
	FILE *file = fopen("/proc/sys/kernel/pid_max", "r");
	int pid_max = 0;

	/* pid_max itself is never a pid. */
	assert_non_null(file);
	assert_int_equal(fscanf(file, "%d", &pid_max), 1);
	fclose(file);
	snprintf(expected, sizeof(expected), "process %d does not exist", pid_max);
	snapshot_fails(f, pid_max, SNAPSHOT_ID, expected);
	assert_nothing_left(f);
}

static void test_zombie(void **state)
{
	struct fixture *f = *state;
	siginfo_t info;
	char expected[64];
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	f->children[f->child_count++] = pid;
	/* Wait for the exit without reaping: the child stays a zombie. */
	assert_int_equal(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	snprintf(expected, sizeof(expected), "process %d is a zombie: nothing to snapshot", pid);
	snapshot_fails(f, pid, SNAPSHOT_ID, expected);
	assert_nothing_left(f);
}

static void test_running_refused(void **state)
{
	struct fixture *f = *state;
	struct child_spec spec = {.stop = false};
	char expected[80];
	pid_t pid = start_child(f, &spec, NULL);

	snprintf(expected, sizeof(expected), "process %d is running; stop or freeze it first", pid);
	snapshot_fails(f, pid, SNAPSHOT_ID, expected);
	assert_nothing_left(f);
	assert_int_equal(tracer_of(pid), 0);
	assert_int_not_equal(proc_state(pid), 'T');
}

static void test_bad_ids_and_existing_snapshot(void **state)
{
	struct fixture *f = *state;
	struct child_spec spec = {.stop = true};
	pid_t pid = start_child(f, &spec, NULL);
	char name[256];

	snapshot_fails(f, pid, "../escape", "invalid snapshot id");
	snapshot_fails(f, pid, ".hidden", "invalid snapshot id");
	snapshot_fails(f, pid, "", "invalid snapshot id");
	snapshot_fails(f, getpid(), SNAPSHOT_ID, "cannot snapshot itself");
	assert_nothing_left(f);
	/* An existing snapshot is never replaced. */
	assert_int_equal(mkdir(f->snapshot, 0700), 0);
	snapshot_fails(f, pid, SNAPSHOT_ID, "already exists");
	assert_int_equal(dir_entries(f->dir, name, sizeof(name)), 1);
	assert_int_equal(dir_entries(f->snapshot, NULL, 0), 0);
	assert_int_equal(tracer_of(pid), 0);
}

struct killer {
	pid_t pid;
	char core_path[200];
	bool killed;
};

/* Kills the child once the core is being written, i.e. mid-snapshot. */
static void *kill_mid_snapshot(void *arg)
{
	struct killer *k = arg;

	for (int i = 0; i < 30000; i++) {
		struct stat st;

		if (stat(k->core_path, &st) == 0 && st.st_size >= (16 << 20)) {
			k->killed = kill(k->pid, SIGKILL) == 0;
			break;
		}
		nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
	}
	return NULL;
}

static void test_exit_during_snapshot(void **state)
{
	struct fixture *f = *state;
	struct child_spec spec = {.stop = true, .big_bytes = BIG_MEMORY_BYTES};
	struct vg_snapshot_options opts = {.memory_cap_bytes = 2 * BIG_MEMORY_BYTES};
	struct vg_snapshot_result result;
	struct killer k;
	pthread_t thread;
	char err[512] = "", expected[80];
	int rc;

	k.pid = start_child(f, &spec, NULL);
	k.killed = false;
	snprintf(k.core_path, sizeof(k.core_path), "%s/.%s.tmp/core", f->dir, SNAPSHOT_ID);
	assert_int_equal(pthread_create(&thread, NULL, kill_mid_snapshot, &k), 0);
	rc = snapshot_process(k.pid, f->dir, SNAPSHOT_ID, &opts, &result, err, sizeof(err));
	pthread_join(thread, NULL);
	assert_true(k.killed);
	assert_int_equal(rc, -1);
	snprintf(expected, sizeof(expected), "process %d exited during the snapshot", k.pid);
	assert_string_equal(err, expected);
	assert_nothing_left(f);
}

/* Prints the rate for the report; a figure depends on the machine, so it is
 * not asserted. */
static void test_throughput(void **state)
{
	struct fixture *f = *state;
	struct child_spec spec = {.stop = true, .big_bytes = BIG_MEMORY_BYTES};
	struct vg_snapshot_options opts = {.memory_cap_bytes = 2 * BIG_MEMORY_BYTES};
	struct vg_snapshot_result result;
	pid_t pid = start_child(f, &spec, NULL);

	snapshot_ok(f, pid, &opts, &result);
	assert_true(result.memory_bytes >= BIG_MEMORY_BYTES);
	printf("snapshot throughput: %.0f MB/s (%.1f MiB of memory in %.3f s, %s)\n",
	       (double)result.memory_bytes / result.seconds / 1e6,
	       (double)result.memory_bytes / (1 << 20), result.seconds,
	       result.memory_capped ? "capped" : "complete");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_stopped_process, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_memory_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_every_thread, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frozen_cgroup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nonexistent_pid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zombie, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_running_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_ids_and_existing_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exit_during_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_throughput, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
