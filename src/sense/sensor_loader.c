#include "sense/sensor_loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/btf.h>

#include "common/clock.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "sensor.skel.h"

struct vg_sensor {
	struct sensor_bpf *skel;
	struct ring_buffer *ring;
	/* The network gate: connect4, connect6, sendmsg4, sendmsg6, sock_create,
	 * connect_unix, sendmsg_unix (NULL where the kernel has no such hook). */
	struct bpf_link *network[7];
	int stats_fd;
	vg_sensor_event_fn fn;
	void *ctx;
};

__attribute__((format(printf, 2, 0))) static int libbpf_to_log(enum libbpf_print_level level,
							       const char *fmt, va_list ap)
{
	_cleanup_free_ char *text = NULL;
	char *line, *next;

	if (level == LIBBPF_DEBUG || vasprintf(&text, fmt, ap) < 0)
		return 0;
	/* A verifier log is one message of many lines: one log line each. */
	for (line = text; *line; line = next) {
		size_t len = strcspn(line, "\n");

		next = line[len] ? line + len + 1 : line + len;
		line[len] = '\0';
		if (len)
			vg_log(level == LIBBPF_WARN ? VG_LOG_WARN : VG_LOG_INFO, "%s", line);
	}
	return 0;
}

static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct vg_sensor *s = ctx;

	return s->fn(s->ctx, data, size);
}

static int mark_tree_root(struct vg_sensor *s, pid_t pid, char *err, size_t errlen)
{
	struct vg_task_state state = {.flags = VG_TASK_IN_SCOPE};
	_cleanup_close_ int pidfd = syscall(SYS_pidfd_open, pid, 0);

	if (pidfd < 0) {
		snprintf(err, errlen, "scope pidtree: process %d: %s", pid, strerror(errno));
		return -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.task_states), &pidfd, &state, BPF_ANY)) {
		snprintf(err, errlen, "scope pidtree: marking process %d: %s", pid,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Slot 0 of scope_cgroup: the policy's scope; slot 1: supervised workloads. */
static int put_scope_cgroup(struct vg_sensor *s, __u32 slot, const char *what, const char *path,
			    char *err, size_t errlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.scope_cgroup), &slot, &fd, BPF_ANY)) {
		snprintf(err, errlen, "%s %s: not a cgroup v2 directory? (%s)", what, path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* enum bpf_attach_type values of kernel 6.7, which libbpf 1.1 (Debian 12)
 * predates: its section names are taught to it here. */
#define ATTACH_CGROUP_UNIX_CONNECT 49
#define ATTACH_CGROUP_UNIX_SENDMSG 50

static int register_unix_sections(void)
{
	static const struct {
		const char *section;
		int attach_type;
	} sections[] = {{"cgroup/connect_unix", ATTACH_CGROUP_UNIX_CONNECT},
			{"cgroup/sendmsg_unix", ATTACH_CGROUP_UNIX_SENDMSG}};
	static bool registered;
	LIBBPF_OPTS(libbpf_prog_handler_opts, opts);

	if (registered)
		return 0;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (libbpf_register_prog_handler(
			sections[i].section, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
			(enum bpf_attach_type)sections[i].attach_type, &opts) < 0)
			return -1;
	registered = true;
	return 0;
}

/* Whether the running kernel knows BPF_CGROUP_UNIX_CONNECT (its BTF says). */
static bool kernel_has_unix_hooks(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found = false;
	__s32 id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e = btf_enum(t);

		for (__u16 i = 0; i < btf_vlen(t) && !found; i++)
			found = !strcmp(btf__name_by_offset(btf, e[i].name_off),
					"BPF_CGROUP_UNIX_CONNECT") &&
				e[i].val == ATTACH_CGROUP_UNIX_CONNECT;
	}
	btf__free(btf);
	return found;
}

int sensor_open(const struct vg_sensor_options *opts, vg_sensor_event_fn fn, void *ctx,
		struct vg_sensor **out, char *err, size_t errlen)
{
	struct vg_sensor *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->stats_fd = -1;
	s->fn = fn;
	s->ctx = ctx;
	libbpf_set_print(libbpf_to_log);
	if (register_unix_sections()) {
		snprintf(err, errlen, "registering the Unix socket gate's sections with libbpf: %s",
			 strerror(errno));
		goto fail;
	}

	s->skel = sensor_bpf__open();
	if (!s->skel) {
		snprintf(err, errlen, "opening the sensor BPF object: %s", strerror(errno));
		goto fail;
	}
	s->skel->rodata->scope_mode = opts->scope;
	s->skel->rodata->daemon_tgid = opts->daemon_tgid;
	if (opts->ring_buffer_bytes &&
	    bpf_map__set_max_entries(s->skel->maps.events, opts->ring_buffer_bytes)) {
		snprintf(err, errlen, "ring buffer of %u bytes: %s", opts->ring_buffer_bytes,
			 strerror(errno));
		goto fail;
	}
	/* Attached on demand: the gates by sensor_attach_connect_gate(), the
	 * iterator per read by sensor_tasks(). */
	bpf_program__set_autoattach(s->skel->progs.vg_connect4, false);
	bpf_program__set_autoattach(s->skel->progs.vg_connect6, false);
	bpf_program__set_autoattach(s->skel->progs.vg_sendmsg4, false);
	bpf_program__set_autoattach(s->skel->progs.vg_sendmsg6, false);
	bpf_program__set_autoattach(s->skel->progs.vg_sock_create, false);
	bpf_program__set_autoattach(s->skel->progs.vg_connect_unix, false);
	bpf_program__set_autoattach(s->skel->progs.vg_sendmsg_unix, false);
	if (!kernel_has_unix_hooks()) {
		vg_info("this kernel has no BPF hooks on Unix socket connects (6.7 and later): "
			"a blocked process's are not gated");
		bpf_program__set_autoload(s->skel->progs.vg_connect_unix, false);
		bpf_program__set_autoload(s->skel->progs.vg_sendmsg_unix, false);
	}
	bpf_program__set_autoattach(s->skel->progs.vg_tasks, false);
	rc = sensor_bpf__load(s->skel);
	if (rc) {
		snprintf(err, errlen,
			 "loading the sensor BPF programs: %s (run as root, on a kernel with BTF)",
			 strerror(-rc));
		goto fail;
	}
	if (opts->scope == VG_SENSOR_SCOPE_CGROUP &&
	    put_scope_cgroup(s, 0, "scope cgroup", opts->cgroup_path, err, errlen))
		goto fail;
	if (opts->scope == VG_SENSOR_SCOPE_PIDTREE &&
	    mark_tree_root(s, opts->root_pid, err, errlen))
		goto fail;

	s->ring = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_ring_record, s, NULL);
	if (!s->ring) {
		snprintf(err, errlen, "creating the ring buffer reader: %s", strerror(errno));
		goto fail;
	}
	rc = sensor_bpf__attach(s->skel);
	if (rc) {
		snprintf(err, errlen, "attaching the sensor BPF programs: %s", strerror(-rc));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sensor_close(s);
	return -1;
}

int sensor_epoll_fd(const struct vg_sensor *s)
{
	return ring_buffer__epoll_fd(s->ring);
}

int sensor_consume(struct vg_sensor *s)
{
	return ring_buffer__consume(s->ring);
}

uint64_t sensor_lost(const struct vg_sensor *s)
{
	int ncpus = libbpf_num_possible_cpus();
	__u32 zero = 0;
	uint64_t total = 0;

	if (ncpus <= 0)
		return 0;
	uint64_t per_cpu[ncpus];
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.lost_events), &zero, per_cpu))
		return 0;
	for (int i = 0; i < ncpus; i++)
		total += per_cpu[i];
	return total;
}

int sensor_prog_stats(const struct vg_sensor *s, struct vg_prog_stats *out, int max)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, s->skel->obj)
	{
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);

		if (n >= max)
			break;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(prog));
		out[n].run_cnt = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
}

void sensor_close(struct vg_sensor *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < sizeof(s->network) / sizeof(s->network[0]); i++)
		bpf_link__destroy(s->network[i]);
	ring_buffer__free(s->ring);
	sensor_bpf__destroy(s->skel);
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	free(s);
}

void sensor_set_precog(struct vg_sensor *s, enum vg_precog_mode mode, uint32_t flag_threshold,
		       uint32_t block_threshold, const struct vg_model *model)
{
	struct vg_precog_config *config = &s->skel->bss->precog;

	/* Scoring off while the model changes under it. */
	__atomic_store_n(&config->mode, VG_PRECOG_OFF, __ATOMIC_SEQ_CST);
	memcpy(&s->skel->bss->model, model, sizeof(*model));
	config->flag_threshold = flag_threshold;
	config->block_threshold = block_threshold;
	__atomic_store_n(&config->mode, mode, __ATOMIC_SEQ_CST);
}

int sensor_attach_connect_gate(struct vg_sensor *s, const char *cgroup_path, char *err,
			       size_t errlen)
{
	_cleanup_close_ int fd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "connect gate: cgroup %s: %s", cgroup_path, strerror(errno));
		return -1;
	}
	struct bpf_program *programs[] = {
	    s->skel->progs.vg_connect4,	   s->skel->progs.vg_connect6,
	    s->skel->progs.vg_sendmsg4,	   s->skel->progs.vg_sendmsg6,
	    s->skel->progs.vg_sock_create, s->skel->progs.vg_connect_unix,
	    s->skel->progs.vg_sendmsg_unix};

	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		if (!bpf_program__autoload(programs[i]))
			continue; /* a hook this kernel does not have */
		s->network[i] = bpf_program__attach_cgroup(programs[i], fd);
		if (!s->network[i]) {
			snprintf(err, errlen, "connect gate: attaching %s to %s: %s",
				 bpf_program__section_name(programs[i]), cgroup_path,
				 strerror(errno));
			while (i--) {
				bpf_link__destroy(s->network[i]);
				s->network[i] = NULL;
			}
			return -1;
		}
	}
	return 0;
}

int sensor_verdict(const struct vg_sensor *s, uint32_t tgid, struct vg_verdict *out)
{
	return bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.verdicts), &tgid, out) ? -1 : 0;
}

int sensor_tasks(const struct vg_sensor *s, struct vg_task_report **out)
{
	struct bpf_link *link = bpf_program__attach_iter(s->skel->progs.vg_tasks, NULL);
	struct vg_task_report *reports = NULL;
	size_t count = 0, cap = 0;
	int iter_fd, saved;
	ssize_t n;

	if (!link)
		return -1;
	iter_fd = bpf_iter_create(bpf_link__fd(link));
	if (iter_fd < 0)
		goto fail;
	for (;;) {
		if (count == cap) {
			struct vg_task_report *grown;

			cap = cap ? cap * 2 : 256;
			grown = realloc(reports, cap * sizeof(*reports));
			if (!grown)
				goto fail;
			reports = grown;
		}
		n = read(iter_fd, &reports[count], (cap - count) * sizeof(*reports));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		count += (size_t)n / sizeof(*reports);
	}
	close(iter_fd);
	bpf_link__destroy(link);
	*out = reports;
	return (int)count;
fail:
	saved = errno;
	if (iter_fd >= 0)
		close(iter_fd);
	bpf_link__destroy(link);
	free(reports);
	errno = saved;
	return -1;
}

int sensor_stats_start(struct vg_sensor *s)
{
	if (s->stats_fd < 0)
		s->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	return s->stats_fd < 0 ? -1 : 0;
}

void sensor_stats_stop(struct vg_sensor *s)
{
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	s->stats_fd = -1;
}

void sensor_set_learning(struct vg_sensor *s, bool learning)
{
	__atomic_store_n(&s->skel->bss->precog.learning, learning ? 1 : 0, __ATOMIC_SEQ_CST);
}

int sensor_profiles_foreach(const struct vg_sensor *s,
			    int (*fn)(const struct vg_exe_key *key,
				      const struct vg_profile *profile, void *ctx),
			    void *ctx)
{
	int map = bpf_map__fd(s->skel->maps.profiles), count = 0;
	struct vg_exe_key key, next;
	struct vg_profile profile;
	void *prev = NULL;

	while (bpf_map_get_next_key(map, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map, &key, &profile))
			continue; /* deleted meanwhile */
		count++;
		if (fn(&key, &profile, ctx))
			return count;
	}
	return errno == ENOENT ? count : -1;
}

int sensor_add_profile(struct vg_sensor *s, const struct vg_exe_key *key,
		       const struct vg_profile *profile)
{
	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.profiles), key, profile, BPF_ANY);
}

int sensor_verdicts_foreach(const struct vg_sensor *s,
			    void (*fn)(uint32_t tgid, struct vg_verdict *verdict, void *ctx),
			    void *ctx)
{
	int map = bpf_map__fd(s->skel->maps.verdicts), count = 0;
	__u32 key, next;
	void *prev = NULL;
	struct vg_verdict verdict;

	while (bpf_map_get_next_key(map, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map, &key, &verdict))
			continue; /* the process exited meanwhile */
		count++;
		if (fn)
			fn(key, &verdict, ctx);
	}
	return errno == ENOENT ? count : -1;
}

int sensor_verdict_clear(const struct vg_sensor *s, uint32_t tgid, uint32_t flags)
{
	int map = bpf_map__fd(s->skel->maps.verdicts);
	struct vg_verdict verdict;

	if (bpf_map_lookup_elem(map, &tgid, &verdict))
		return -1;
	verdict.flags &= ~flags;
	return bpf_map_update_elem(map, &tgid, &verdict, BPF_EXIST);
}

void sensor_set_hold_flagged(struct vg_sensor *s, bool hold)
{
	__atomic_store_n(&s->skel->bss->precog.hold_flagged, hold ? 1 : 0, __ATOMIC_SEQ_CST);
}

void sensor_set_quarantine(struct vg_sensor *s, uint32_t threshold, bool enforce)
{
	struct vg_precog_config *config = &s->skel->bss->precog;

	config->quarantine_enforce = enforce;
	__atomic_store_n(&config->quarantine_threshold, threshold, __ATOMIC_SEQ_CST);
}

static void count_quarantined(uint32_t tgid, struct vg_verdict *verdict, void *ctx)
{
	(void)tgid;
	*(uint64_t *)ctx += (verdict->flags & VG_QUARANTINED) ? 1 : 0;
}

void sensor_recount_quarantined(struct vg_sensor *s)
{
	uint64_t count = 0;

	sensor_verdicts_foreach(s, count_quarantined, &count);
	__atomic_store_n(&s->skel->bss->precog.quarantined, count, __ATOMIC_SEQ_CST);
}

/* Adds flags to a process's verdict, making one if it has none. */
static int mark_verdict(struct vg_sensor *s, uint32_t tgid, uint64_t start_ns, uint32_t flags)
{
	int map = bpf_map__fd(s->skel->maps.verdicts);
	struct vg_verdict verdict = {0};

	if (bpf_map_lookup_elem(map, &tgid, &verdict) || verdict.start_ns != start_ns) {
		memset(&verdict, 0, sizeof(verdict));
		verdict.start_ns = start_ns;
		verdict.tid = tgid;
		verdict.since_ns = clock_boot_ns();
	}
	verdict.flags |= flags;
	if (bpf_map_update_elem(map, &tgid, &verdict, BPF_EXIST) == 0)
		return 0;
	/* A new entry: counted before it exists, as the kernel does. */
	__atomic_add_fetch(&s->skel->bss->verdicts_live, 1, __ATOMIC_SEQ_CST);
	if (bpf_map_update_elem(map, &tgid, &verdict, BPF_NOEXIST)) {
		__atomic_sub_fetch(&s->skel->bss->verdicts_live, 1, __ATOMIC_SEQ_CST);
		return -1;
	}
	return 0;
}

int sensor_mark_quarantined(struct vg_sensor *s, uint32_t tgid, uint64_t start_ns)
{
	if (mark_verdict(s, tgid, start_ns, VG_FLAGGED | VG_QUARANTINED))
		return -1;
	__atomic_add_fetch(&s->skel->bss->precog.quarantined, 1, __ATOMIC_SEQ_CST);
	return 0;
}

int sensor_mark_flagged(struct vg_sensor *s, uint32_t tgid)
{
	struct vg_verdict verdict;

	/* A verdict the kernel gave keeps its start time; else 0, which the
	 * kernel adopts at the process's next crossing. */
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.verdicts), &tgid, &verdict))
		verdict.start_ns = 0;
	return mark_verdict(s, tgid, verdict.start_ns, VG_FLAGGED);
}

int sensor_set_supervised_root(struct vg_sensor *s, const char *cgroup_path, char *err,
			       size_t errlen)
{
	return put_scope_cgroup(s, 1, "supervised workloads' cgroup", cgroup_path, err, errlen);
}

/* Empties a hash map whose keys are at most 16 bytes. */
static int clear_map(int map)
{
	unsigned char key[16];

	/* Deleting the key just visited: start over from the first each time. */
	while (bpf_map_get_next_key(map, NULL, key) == 0)
		if (bpf_map_delete_elem(map, key))
			return -1;
	return 0;
}

int sensor_set_decoy_ports(struct vg_sensor *s, const uint16_t *ports, size_t count)
{
	int map = bpf_map__fd(s->skel->maps.decoy_ports);
	__u8 one = 1;

	if (clear_map(map))
		return -1;
	for (size_t i = 0; i < count; i++)
		if (bpf_map_update_elem(map, &ports[i], &one, BPF_ANY))
			return -1;
	__atomic_store_n(&s->skel->bss->decoy_port_count, (uint32_t)count, __ATOMIC_SEQ_CST);
	return 0;
}

int sensor_set_ungated_exec(struct vg_sensor *s, enum vg_ungated_exec what, const uint32_t *devs,
			    size_t dev_count, const struct vg_exe_key *passed, size_t passed_count)
{
	int map = bpf_map__fd(s->skel->maps.exec_gated_devs);
	int passed_map = bpf_map__fd(s->skel->maps.exec_passed_files);
	__u8 one = 1;

	/* Off while the sets change: nobody is killed for a filesystem that is
	 * only missing from a half-written set. */
	__atomic_store_n(&s->skel->bss->precog.ungated_exec, VG_UNGATED_EXEC_OFF, __ATOMIC_SEQ_CST);
	if (dev_count > VG_EXEC_GATED_MAX || passed_count > VG_EXEC_PASSED_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (clear_map(map) || clear_map(passed_map))
		return -1;
	for (size_t i = 0; i < dev_count; i++)
		if (bpf_map_update_elem(map, &devs[i], &one, BPF_ANY))
			return -1;
	for (size_t i = 0; i < passed_count; i++)
		if (bpf_map_update_elem(passed_map, &passed[i], &one, BPF_ANY))
			return -1;
	__atomic_store_n(&s->skel->bss->precog.ungated_exec, what, __ATOMIC_SEQ_CST);
	return 0;
}

const uint64_t *sensor_verdicts_live(const struct vg_sensor *s)
{
	return (const uint64_t *)&s->skel->bss->verdicts_live;
}

int sensor_verdicts_fd(const struct vg_sensor *s)
{
	return bpf_map__fd(s->skel->maps.verdicts);
}

void sensor_set_vaccination(struct vg_sensor *s, uint32_t threshold, uint64_t ttl_ns)
{
	struct vg_precog_config *config = &s->skel->bss->precog;

	config->vaccine_ttl_ns = ttl_ns;
	__atomic_store_n(&config->vaccinate_threshold, threshold, __ATOMIC_SEQ_CST);
}

int sensor_vaccine_get(const struct vg_sensor *s, const struct vg_exe_key *key,
		       struct vg_vaccine_entry *out)
{
	return bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.vaccines), key, out) ? -1 : 0;
}

int sensor_vaccine_put(const struct vg_sensor *s, const struct vg_exe_key *key,
		       const struct vg_vaccine_entry *entry)
{
	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.vaccines), key, entry, BPF_ANY);
}

/* Removes from a map of vaccine entries (value: struct vg_vaccine_entry)
 * those of vaccine id, or with id 0 the expired ones. */
static void remove_vaccine_entries(int map, size_t key_size, uint32_t id, uint64_t now_ns)
{
	unsigned char key[sizeof(struct vg_connect_vaccine_key)], next[sizeof(key)];
	struct vg_vaccine_entry entry;
	void *prev = NULL;

	while (bpf_map_get_next_key(map, prev, next) == 0) {
		memcpy(key, next, key_size);
		if (bpf_map_lookup_elem(map, key, &entry) == 0 &&
		    (id ? entry.vaccine_id == id : entry.expires_ns <= now_ns)) {
			bpf_map_delete_elem(map, key);
			prev = NULL; /* start over: the iteration order changed */
			continue;
		}
		prev = key;
	}
}

void sensor_vaccines_remove(const struct vg_sensor *s, uint32_t id, uint64_t now_ns)
{
	remove_vaccine_entries(bpf_map__fd(s->skel->maps.vaccines), sizeof(struct vg_exe_key), id,
			       now_ns);
	remove_vaccine_entries(bpf_map__fd(s->skel->maps.connect_vaccines),
			       sizeof(struct vg_connect_vaccine_key), id, now_ns);
}

void sensor_set_vaccine_kinds(struct vg_sensor *s, bool enforce, bool capture_exec_argv,
			      bool connect_vaccines)
{
	struct vg_precog_config *config = &s->skel->bss->precog;

	__atomic_store_n(&config->vaccine_enforce, enforce, __ATOMIC_SEQ_CST);
	__atomic_store_n(&config->capture_exec_argv, capture_exec_argv, __ATOMIC_SEQ_CST);
	__atomic_store_n(&config->connect_vaccines, connect_vaccines, __ATOMIC_SEQ_CST);
}

int sensor_exec_argv(const struct vg_sensor *s, uint32_t tgid, struct vg_exec_argv *out)
{
	return bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.exec_argvs), &tgid, out) ? -1 : 0;
}

int sensor_exec_argv_put(const struct vg_sensor *s, uint32_t tgid, const struct vg_exec_argv *argv)
{
	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.exec_argvs), &tgid, argv, BPF_EXIST);
}

int sensor_connect_vaccine_put(const struct vg_sensor *s, const struct vg_connect_vaccine_key *key,
			       const struct vg_vaccine_entry *entry)
{
	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.connect_vaccines), key, entry,
				   BPF_ANY);
}
