/* The YAML policy: the embedded default, a full policy, the YAML written back
 * by policy_write_yaml(), and one case per class of refused input, each
 * checked for the exact FILE:LINE:COLUMN of the problem and for a phrase
 * that tells the user what is wrong. */
#include "decide/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_name.h"

#define NAME "test.yaml"

static void assert_paths(const struct vg_path_list *list, const char *const expected[],
			 unsigned count)
{
	assert_int_equal(list->count, count);
	for (unsigned i = 0; i < count; i++)
		assert_string_equal(list->paths[i], expected[i]);
}

static void assert_same_string(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_same_paths(const struct vg_path_list *a, const struct vg_path_list *b)
{
	assert_int_equal(a->count, b->count);
	for (unsigned i = 0; i < a->count; i++)
		assert_string_equal(a->paths[i], b->paths[i]);
}

/* Every field but source. */
static void assert_same_policy(const struct vg_policy *a, const struct vg_policy *b)
{
	assert_int_equal(a->scope.kind, b->scope.kind);
	assert_same_string(a->scope.cgroup, b->scope.cgroup);
	assert_int_equal(a->scope.pid, b->scope.pid);
	assert_int_equal(a->output.to_stdout, b->output.to_stdout);
	assert_same_string(a->output.file, b->output.file);
	assert_int_equal(a->output.syslog, b->output.syslog);
	assert_int_equal(a->output.exec, b->output.exec);
	assert_int_equal(a->output.fork, b->output.fork);
	assert_int_equal(a->output.exit, b->output.exit);
	assert_same_string(a->wal.dir, b->wal.dir);
	assert_int_equal(a->wal.commit_interval_ms, b->wal.commit_interval_ms);
	assert_int_equal(a->wal.segment_size_mb, b->wal.segment_size_mb);
	assert_same_string(a->control.socket, b->control.socket);
	assert_int_equal(a->control.has_group, b->control.has_group);
	assert_int_equal(a->control.group, b->control.group);
	assert_int_equal(a->exec_from_writable.mode, b->exec_from_writable.mode);
	assert_same_paths(&a->exec_from_writable.paths, &b->exec_from_writable.paths);
	assert_int_equal(a->precognition.mode, b->precognition.mode);
	assert_int_equal(a->precognition.flag_threshold, b->precognition.flag_threshold);
	assert_int_equal(a->precognition.block_threshold, b->precognition.block_threshold);
	assert_same_string(a->precognition.model, b->precognition.model);
	assert_same_paths(&a->precognition.protected_paths, &b->precognition.protected_paths);
	assert_same_paths(&a->precognition.exec_gate, &b->precognition.exec_gate);
	assert_same_paths(&a->precognition.exec_gate_loaders, &b->precognition.exec_gate_loaders);
	assert_int_equal(a->quarantine.mode, b->quarantine.mode);
	assert_int_equal(a->quarantine.threshold, b->quarantine.threshold);
	assert_int_equal(a->vaccination.mode, b->vaccination.mode);
	assert_int_equal(a->vaccination.threshold, b->vaccination.threshold);
	assert_int_equal(a->vaccination.ttl_seconds, b->vaccination.ttl_seconds);
	assert_int_equal(a->honeypot.mode, b->honeypot.mode);
	assert_int_equal(a->cloning.mode, b->cloning.mode);
}

static void assert_message(const struct vg_policy_error *err, const char *prefix,
			   const char *phrase)
{
	if (strncmp(err->message, prefix, strlen(prefix)) != 0)
		fail_msg("expected a message starting with '%s', got '%s'", prefix, err->message);
	if (!strstr(err->message, phrase))
		fail_msg("expected '%s' in the message, got '%s'", phrase, err->message);
}

/* Loads yaml, expects a refusal starting with prefix and mentioning phrase,
 * and checks that the output struct was left alone. */
static void assert_refused_buffer(const char *yaml, size_t len, const char *prefix,
				  const char *phrase)
{
	struct vg_policy policy, untouched;
	struct vg_policy_error err = {{0}};

	memset(&policy, 0x5A, sizeof(policy));
	memcpy(&untouched, &policy, sizeof(policy));
	if (policy_load_buffer(yaml, len, NAME, &policy, &err) == 0) {
		policy_free(&policy);
		fail_msg("accepted a policy that should be refused with '%s'", phrase);
	}
	assert_memory_equal(&policy, &untouched, sizeof(policy));
	assert_message(&err, prefix, phrase);
}

static void assert_refused(const char *yaml, const char *prefix, const char *phrase)
{
	assert_refused_buffer(yaml, strlen(yaml), prefix, phrase);
}

static void load_ok(const char *yaml, struct vg_policy *policy)
{
	struct vg_policy_error err = {{0}};

	if (policy_load_buffer(yaml, strlen(yaml), NAME, policy, &err) != 0)
		fail_msg("refused a valid policy: %s", err.message);
}

static void test_default_has_documented_values(void **state)
{
	static const char *const writable[] = {"/tmp", "/var/tmp", "/dev/shm"};
	static const char *const shadow[] = {"/etc/shadow"};
	static const char *const ssh_keys[] = {"/root/.ssh/id_ed25519", "/root/.ssh/id_rsa"};
	static const char *const protected_paths[] = {
	    "/etc/shadow",
	    "/etc/gshadow",
	    "/etc/sudoers",
	    "/etc/ssh/ssh_host_rsa_key",
	    "/etc/ssh/ssh_host_ecdsa_key",
	    "/etc/ssh/ssh_host_ed25519_key",
	    "/root/.ssh",
	};
	static const char *const loaders[] = {
	    "/lib64/ld-linux-x86-64.so.2",
	    "/lib/ld-linux.so.2",
	    "/libx32/ld-linux-x32.so.2",
	    "/lib/ld-musl-x86_64.so.1",
	};
	struct vg_policy policy = {0};
	struct vg_policy_error err = {{0}};

	assert_int_equal(strlen(policy_default_yaml), policy_default_yaml_len);
	if (policy_load_default(&policy, &err) != 0)
		fail_msg("the embedded default is refused: %s", err.message);
	assert_string_equal(policy.source, "<embedded default>");
	assert_int_equal(policy.scope.kind, VG_SCOPE_SYSTEM);
	assert_null(policy.scope.cgroup);
	assert_true(policy.output.to_stdout);
	assert_null(policy.output.file);
	assert_false(policy.output.syslog);
	assert_true(policy.output.exec && policy.output.fork && policy.output.exit);
	assert_string_equal(policy.wal.dir, "/var/lib/vigilante/wal");
	assert_int_equal(policy.wal.commit_interval_ms, 5);
	assert_int_equal(policy.wal.segment_size_mb, 16);
	assert_string_equal(policy.control.socket, "/run/vigilante/control.sock");
	assert_false(policy.control.has_group);
	assert_int_equal(policy.exec_from_writable.mode, VG_MODE_MONITOR);
	assert_paths(&policy.exec_from_writable.paths, writable, 3);
	assert_int_equal(policy.precognition.mode, VG_MODE_MONITOR);
	assert_int_equal(policy.precognition.flag_threshold, 696);
	assert_int_equal(policy.precognition.block_threshold, 737);
	assert_null(policy.precognition.model);
	assert_paths(&policy.precognition.protected_paths, protected_paths, 7);
	assert_paths(&policy.precognition.exec_gate_loaders, loaders, 4);
	assert_int_equal(policy.precognition.gate_deadline_ms, 200);
	assert_int_equal(policy.quarantine.mode, VG_MODE_OFF);
	assert_int_equal(policy.quarantine.threshold, 800);
	assert_int_equal(policy.vaccination.mode, VG_MODE_OFF);
	assert_int_equal(policy.vaccination.threshold, 850);
	assert_int_equal(policy.vaccination.ttl_seconds, 24 * 3600);
	assert_int_equal(policy.honeypot.mode, VG_MODE_OFF);
	assert_string_equal(policy.honeypot.decoy_dir, "/var/lib/vigilante/decoys");
	assert_paths(&policy.honeypot.decoys[VG_DECOY_SHADOW], shadow, 1);
	assert_paths(&policy.honeypot.decoys[VG_DECOY_SSH_KEY], ssh_keys, 2);
	for (unsigned k = 0; k < VG_DECOY_KINDS; k++)
		assert_int_equal(policy.honeypot.honeytokens[k].count, 0);
	assert_int_equal(policy.honeypot.services[VG_SERVICE_SSH].count, 1);
	assert_int_equal(policy.honeypot.services[VG_SERVICE_SSH].ports[0], 2222);
	assert_int_equal(policy.honeypot.services[VG_SERVICE_REDIS].ports[0], 6380);
	assert_int_equal(policy.cloning.mode, VG_MODE_OFF);
	policy_free(&policy);
}

static void test_honeypot_section(void **state)
{
	static const char *const tokens[] = {"/srv/canary/.aws/credentials"};
	struct vg_policy policy = {0};
	struct vg_policy_error err = {{0}};
	const char *yaml = "honeypot:\n"
			   "  mode: enforce\n"
			   "  decoys: {shadow: [/etc/shadow], ssh_key: []}\n"
			   "  honeytokens: {aws_credentials: [/srv/canary/.aws/credentials]}\n"
			   "  services: {ssh: [22222], redis: []}\n";

	(void)state;
	if (policy_load_buffer(yaml, strlen(yaml), NAME, &policy, &err))
		fail_msg("refused: %s", err.message);
	assert_int_equal(policy.honeypot.mode, VG_MODE_ENFORCE);
	assert_int_equal(policy.honeypot.decoys[VG_DECOY_SSH_KEY].count, 0);
	/* A kind not given keeps its default. */
	assert_int_equal(policy.honeypot.decoys[VG_DECOY_GIT_CREDENTIALS].count, 1);
	assert_paths(&policy.honeypot.honeytokens[VG_DECOY_AWS_CREDENTIALS], tokens, 1);
	assert_int_equal(policy.honeypot.services[VG_SERVICE_SSH].ports[0], 22222);
	assert_int_equal(policy.honeypot.services[VG_SERVICE_REDIS].count, 0);
	policy_free(&policy);

	assert_refused("honeypot: {decoys: {passwd: [/etc/passwd]}}\n",
		       NAME ":1:21: ", "unknown key 'passwd' in honeypot.decoys");
	assert_refused("honeypot: {services: {ssh: [0]}}\n",
		       NAME ":1:29: ", "honeypot.services.ssh");
	assert_refused("honeypot: {services: {ssh: [65536]}}\n",
		       NAME ":1:29: ", "honeypot.services.ssh");
	assert_refused("honeypot: {services: {ssh: [2222, 2222]}}\n",
		       NAME ":1:35: ", "port 2222 is listed twice");
	assert_refused("honeypot: {services: {ssh: [2222], redis: [2222]}}\n",
		       NAME ":1:43: ", "port 2222 is already a ssh service");
	assert_refused("honeypot:\n  decoys: {shadow: [/etc/shadow]}\n"
		       "  honeytokens: {shadow: [/etc/shadow]}\n",
		       NAME ":3:16: ", "/etc/shadow' is listed twice");
	assert_refused("honeypot: {decoys: {shadow: [etc/shadow]}}\n",
		       NAME ":1:30: ", "an absolute path");
}

/* The defaults a missing key takes are the embedded file's values. */
static void test_empty_mapping_takes_the_embedded_defaults(void **state)
{
	struct vg_policy embedded = {0}, empty = {0};
	struct vg_policy_error err = {{0}};

	assert_int_equal(policy_load_default(&embedded, &err), 0);
	load_ok("{}\n", &empty);
	assert_string_equal(empty.source, NAME);
	assert_same_policy(&embedded, &empty);
	policy_free(&embedded);
	policy_free(&empty);
}

static const char full_policy[] = "version: 1\n"
				  "scope:\n"
				  "  kind: cgroup\n"
				  "  cgroup: /sys/fs/cgroup//system.slice/web.service/\n"
				  "output:\n"
				  "  stdout: false\n"
				  "  file: /var/log/vigilante/./events.jsonl\n"
				  "  syslog: true\n"
				  "  events: [exit, exec]\n"
				  "wal:\n"
				  "  dir: /srv/wal\n"
				  "  commit_interval_ms: 1000\n"
				  "  segment_size_mb: 1\n"
				  "control:\n"
				  "  socket: '/run/v ctl: #1.sock'\n"
				  "  group: root\n"
				  "alerts:\n"
				  "  exec_from_writable:\n"
				  "    mode: off\n"
				  "    paths: [/run/user, /home]\n"
				  "precognition:\n"
				  "  mode: off\n"
				  "  flag_threshold: 1\n"
				  "  block_threshold: 1000000\n"
				  "  model: /opt/model.bin\n"
				  "  protected_paths:\n"
				  "    - /etc/master.passwd\n"
				  "  exec_gate_loaders: [/opt/lib/ld.so]\n"
				  "quarantine: {mode: enforce, threshold: 42}\n"
				  "vaccination: {mode: monitor, threshold: 77, ttl: 90m}\n"
				  "honeypot: {mode: monitor}\n"
				  "cloning:\n"
				  "  mode: enforce\n";

static void assert_full_policy(const struct vg_policy *policy)
{
	static const char *const writable[] = {"/run/user", "/home"};
	static const char *const protected_paths[] = {"/etc/master.passwd"};
	static const char *const loaders[] = {"/opt/lib/ld.so"};

	assert_int_equal(policy->scope.kind, VG_SCOPE_CGROUP);
	assert_string_equal(policy->scope.cgroup, "/sys/fs/cgroup/system.slice/web.service");
	assert_false(policy->output.to_stdout);
	assert_string_equal(policy->output.file, "/var/log/vigilante/events.jsonl");
	assert_true(policy->output.syslog);
	assert_true(policy->output.exec);
	assert_false(policy->output.fork);
	assert_true(policy->output.exit);
	assert_string_equal(policy->wal.dir, "/srv/wal");
	assert_int_equal(policy->wal.commit_interval_ms, 1000);
	assert_int_equal(policy->wal.segment_size_mb, 1);
	assert_string_equal(policy->control.socket, "/run/v ctl: #1.sock");
	assert_true(policy->control.has_group);
	assert_int_equal(policy->control.group, 0);
	assert_int_equal(policy->exec_from_writable.mode, VG_MODE_OFF);
	assert_paths(&policy->exec_from_writable.paths, writable, 2);
	assert_int_equal(policy->precognition.mode, VG_MODE_OFF);
	assert_int_equal(policy->precognition.flag_threshold, 1);
	assert_int_equal(policy->precognition.block_threshold, 1000000);
	assert_string_equal(policy->precognition.model, "/opt/model.bin");
	assert_paths(&policy->precognition.protected_paths, protected_paths, 1);
	assert_paths(&policy->precognition.exec_gate_loaders, loaders, 1);
	assert_int_equal(policy->quarantine.mode, VG_MODE_ENFORCE);
	assert_int_equal(policy->quarantine.threshold, 42);
	assert_int_equal(policy->vaccination.mode, VG_MODE_MONITOR);
	assert_int_equal(policy->vaccination.threshold, 77);
	assert_int_equal(policy->vaccination.ttl_seconds, 90 * 60);
	assert_int_equal(policy->honeypot.mode, VG_MODE_MONITOR);
	assert_int_equal(policy->cloning.mode, VG_MODE_ENFORCE);
}

static void test_full_policy_sets_every_field(void **state)
{
	struct vg_policy policy = {0};

	load_ok(full_policy, &policy);
	assert_string_equal(policy.source, NAME);
	assert_full_policy(&policy);
	policy_free(&policy);
}

static void test_pidtree_scope_numeric_group_and_ttl_forms(void **state)
{
	struct vg_policy policy = {0};

	load_ok("scope: {kind: pidtree, pid: 4194304}\n"
		"control: {group: 4242}\n"
		"output: {events: []}\n"
		"vaccination: {ttl: 31536000}\n",
		&policy);
	assert_int_equal(policy.scope.kind, VG_SCOPE_PIDTREE);
	assert_int_equal(policy.scope.pid, 4194304);
	assert_true(policy.control.has_group);
	assert_int_equal(policy.control.group, 4242);
	assert_false(policy.output.exec || policy.output.fork || policy.output.exit);
	assert_int_equal(policy.vaccination.ttl_seconds, 365 * 86400);
	policy_free(&policy);

	load_ok("vaccination: {ttl: 7d}\nalerts: {exec_from_writable: {paths: ['/']}}\n", &policy);
	assert_int_equal(policy.vaccination.ttl_seconds, 7 * 86400);
	assert_string_equal(policy.exec_from_writable.paths.paths[0], "/");
	policy_free(&policy);
}

/* What policy show prints must load back to the same policy. */
static void test_written_yaml_loads_back_the_same(void **state)
{
	struct vg_policy original = {0}, reread = {0};
	struct vg_policy_error err = {{0}};
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	load_ok(full_policy, &original);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	if (policy_write_yaml(&original, out, &err) != 0)
		fail_msg("policy_write_yaml failed: %s", err.message);
	assert_int_equal(fclose(out), 0);
	assert_non_null(strstr(text, "ttl: 90m"));
	if (policy_load_buffer(text, len, "written.yaml", &reread, &err) != 0)
		fail_msg("written policy refused: %s\n%s", err.message, text);
	assert_full_policy(&reread);
	assert_same_policy(&original, &reread);
	free(text);
	policy_free(&original);
	policy_free(&reread);
}

static void test_free_is_safe_on_zeroed_and_freed_structs(void **state)
{
	struct vg_policy policy = {0};

	policy_free(&policy);
	load_ok(full_policy, &policy);
	policy_free(&policy);
	assert_null(policy.source);
	assert_int_equal(policy.exec_from_writable.paths.count, 0);
	policy_free(&policy);
	policy_free(NULL);
}

static void test_names(void **state)
{
	assert_string_equal(policy_mode_name(VG_MODE_OFF), "off");
	assert_string_equal(policy_mode_name(VG_MODE_MONITOR), "monitor");
	assert_string_equal(policy_mode_name(VG_MODE_ENFORCE), "enforce");
	assert_string_equal(policy_scope_name(VG_SCOPE_SYSTEM), "system");
	assert_string_equal(policy_scope_name(VG_SCOPE_CGROUP), "cgroup");
	assert_string_equal(policy_scope_name(VG_SCOPE_PIDTREE), "pidtree");
}

static void test_unknown_key(void **state)
{
	assert_refused(
	    "scope:\n"
	    "  kind: system\n"
	    "  bogus: 1\n",
	    NAME ":3:3: ", "unknown key 'bogus' in scope (valid keys: kind, cgroup, pid)");
	assert_refused("version: 1\nscopes: {}\n", NAME ":2:1: ", "unknown top-level key 'scopes'");
}

static void test_wrong_type(void **state)
{
	assert_refused("output:\n  syslog: maybe\n", NAME ":2:11: ",
		       "output.syslog: expected a boolean (true or false), got 'maybe'");
	/* The Norway problem: yes/no are not booleans here. */
	assert_refused("output:\n  stdout: yes\n", NAME ":2:11: ", "got 'yes'");
	assert_refused("output:\n  stdout: \"true\"\n",
		       NAME ":2:11: ", "got the quoted string 'true'");
	assert_refused("wal: /var/wal\n", NAME ":1:6: ", "wal: expected a mapping, got '/var/wal'");
	assert_refused("- a\n- b\n", NAME ":1:1: ", "expected a mapping of settings");
	assert_refused("honeypot:\n  mode: [off]\n",
		       NAME ":2:9: ", "expected one of off, monitor, enforce, got a list");
	assert_refused("cloning: {mode: on}\n",
		       NAME ":1:17: ", "expected one of off, monitor, enforce, got 'on'");
	assert_refused("wal: {segment_size_mb: 1.5}\n",
		       NAME ":1:24: ", "expected a decimal integer");
	assert_refused("wal: {segment_size_mb: 16MB}\n", NAME ":1:24: ", "got '16MB'");
	assert_refused("wal: {segment_size_mb: 010}\n", NAME ":1:24: ", "leading zeros");
}

static void test_out_of_range(void **state)
{
	assert_refused("wal:\n  commit_interval_ms: 0\n",
		       NAME ":2:23: ", "wal.commit_interval_ms: '0' is out of range 1..1000");
	assert_refused("wal:\n  commit_interval_ms: 1001\n",
		       NAME ":2:23: ", "out of range 1..1000");
	assert_refused("scope: {kind: pidtree, pid: -5}\n",
		       NAME ":1:29: ", "'-5' is out of range 1..4194304");
	assert_refused("scope: {kind: pidtree, pid: 4194305}\n", NAME ":1:29: ", "out of range");
	assert_refused("vaccination: {ttl: 366d}\n", NAME ":1:20: ", "out of range 1s..365d");
	assert_refused("vaccination: {ttl: 0}\n", NAME ":1:20: ", "out of range 1s..365d");
	assert_refused("precognition: {gate_deadline_ms: 0}\n", NAME ":1:34: ",
		       "precognition.gate_deadline_ms: '0' is out of range 1..60000");
	assert_refused("precognition: {gate_deadline_ms: 60001}\n",
		       NAME ":1:34: ", "out of range 1..60000");
	assert_refused("vaccination: {ttl: 24x}\n", NAME ":1:20: ", "expected a duration");
	assert_refused("version: 2\n", NAME ":1:10: ", "unsupported policy version 2");
}

static void test_integer_overflow(void **state)
{
	assert_refused("quarantine:\n  threshold: 99999999999999999999\n",
		       NAME ":2:14: ", "'99999999999999999999' is out of range 1..1000000");
	assert_refused("vaccination: {ttl: 99999999999999999999d}\n",
		       NAME ":1:20: ", "out of range 1s..365d");
}

static void test_block_below_flag(void **state)
{
	assert_refused(
	    "precognition:\n"
	    "  flag_threshold: 700\n"
	    "  block_threshold: 650\n",
	    NAME ":3:20: ", "block_threshold (650) must be >= precognition.flag_threshold");
	/* Against the default block threshold (737), blame the key that is set. */
	assert_refused("precognition:\n  flag_threshold: 900\n", NAME ":2:19: ",
		       "block_threshold (737) must be >= precognition.flag_threshold (900)");
	assert_refused("alerts:\n  exec_from_writable:\n    mode: enforce\n",
		       NAME ":3:11: ", "this rule only alerts");
	assert_refused("sensor:\n  ring_buffer_kb: 100\n",
		       NAME ":2:19: ", "100 is not a power of two");
	assert_refused("sensor:\n  ring_buffer_kb: 8\n",
		       NAME ":2:19: ", "out of range 16..1048576");
}

static void test_scope_requirements(void **state)
{
	assert_refused("scope:\n  kind: cgroup\n",
		       NAME ":2:3: ", "scope.cgroup is required when scope.kind is cgroup");
	assert_refused("scope:\n  kind: pidtree\n",
		       NAME ":2:3: ", "scope.pid is required when scope.kind is pidtree");
	assert_refused("scope:\n  kind: system\n  pid: 1\n", NAME ":3:3: ",
		       "scope.pid is only allowed when scope.kind is pidtree (it is system)");
	assert_refused("scope:\n  cgroup: /sys/fs/cgroup/a\n",
		       NAME ":2:3: ", "scope.cgroup is only allowed when scope.kind is cgroup");
	assert_refused("scope: {kind: jail}\n",
		       NAME ":1:15: ", "expected one of system, cgroup, pidtree, got 'jail'");
}

static void test_bad_paths(void **state)
{
	assert_refused("wal:\n  dir: var/lib/wal\n", NAME ":2:8: ",
		       "wal.dir: expected an absolute path (starting with '/'), got 'var/lib/wal'");
	assert_refused("output:\n  file: /var/log/../../etc/passwd\n",
		       NAME ":2:9: ", "output.file: '..' components are refused");
	assert_refused("output: {file: \"/var/log/a\\nb\"}\n",
		       NAME ":1:16: ", "may not contain a newline");
	assert_refused("output: {file: \"/var/log/a\\0b\"}\n", NAME ":1:16: ",
		       "may not contain a NUL byte, got the quoted string '/var/log/a\\x00b'");
	assert_refused("precognition: {model: ''}\n", NAME ":1:23: ", "expected an absolute path");
}

static void test_path_too_long(void **state)
{
	static const char head[] = "wal: {dir: /";
	size_t len = sizeof(head) - 1 + PATH_MAX + 2;
	char *yaml = malloc(len + 1);

	assert_non_null(yaml);
	memcpy(yaml, head, sizeof(head) - 1);
	memset(yaml + sizeof(head) - 1, 'a', PATH_MAX);
	memcpy(yaml + len - 2, "}\n", 3);
	assert_refused(yaml, NAME ":1:12: ", "over the 4095 limit");
	free(yaml);
}

static void test_too_many_paths(void **state)
{
	size_t size = 64 + 24 * (VG_POLICY_MAX_PATHS + 1);
	char *yaml = malloc(size);
	size_t used;

	assert_non_null(yaml);
	used = (size_t)snprintf(yaml, size, "precognition:\n  protected_paths:\n");
	for (int i = 1; i <= VG_POLICY_MAX_PATHS + 1; i++)
		used += (size_t)snprintf(yaml + used, size - used, "    - /p%d\n", i);
	/* Line 1 and 2 are the keys; entry N is on line N + 2. */
	assert_refused(yaml, NAME ":67:7: ", "too many entries: this is entry 65");

	/* Exactly the limit is fine. */
	*strstr(yaml, "    - /p65\n") = '\0';
	{
		struct vg_policy policy = {0};

		load_ok(yaml, &policy);
		assert_int_equal(policy.precognition.protected_paths.count, VG_POLICY_MAX_PATHS);
		assert_string_equal(policy.precognition.protected_paths.paths[63], "/p64");
		policy_free(&policy);
	}
	free(yaml);
}

/* The kernel's set of passed loaders is smaller than a path list. */
static void test_too_many_loaders(void **state)
{
	char yaml[512];
	size_t used = (size_t)snprintf(yaml, sizeof(yaml), "precognition:\n  exec_gate_loaders:\n");

	for (int i = 1; i <= VG_POLICY_MAX_LOADERS + 1; i++)
		used += (size_t)snprintf(yaml + used, sizeof(yaml) - used, "    - /ld%d\n", i);
	assert_refused(yaml, NAME ":3:5: ", "exec_gate_loaders: 17 entries, and at most 16");
	*strstr(yaml, "    - /ld17\n") = '\0';
	{
		struct vg_policy policy = {0};

		load_ok(yaml, &policy);
		assert_int_equal(policy.precognition.exec_gate_loaders.count,
				 VG_POLICY_MAX_LOADERS);
		policy_free(&policy);
	}
}

static void test_duplicates(void **state)
{
	assert_refused("scope:\n  kind: system\n  kind: cgroup\n", NAME ":3:3: ",
		       "duplicate key 'scope.kind' (first given at line 2, column 3)");
	assert_refused("honeypot: {}\nhoneypot: {}\n", NAME ":2:1: ", "duplicate key 'honeypot'");
	assert_refused("alerts:\n  exec_from_writable:\n    paths: [/tmp, /var/tmp, /tmp/]\n",
		       NAME ":3:29: ", "duplicate entry '/tmp' (already at line 3, column 13)");
	assert_refused("output: {events: [exec, fork, exec]}\n",
		       NAME ":1:31: ", "duplicate entry 'exec'");
}

static void test_syntax_error(void **state)
{
	assert_refused("scope:\n  kind: system\n bad: [\n", NAME ":3:", "YAML syntax error");
	assert_refused("output: {stdout: true\n", NAME ":2:1: ", "YAML syntax error");
	assert_refused("a: 1\n---\nb: 2\n", NAME ":2:1: ", "a second one starts here");
}

static void test_anchors_aliases_and_tags(void **state)
{
	assert_refused("alerts:\n  exec_from_writable:\n    paths: &dirs [/tmp]\n"
		       "precognition:\n  protected_paths: *dirs\n",
		       NAME ":3:12: ", "anchors (&dirs) are refused");
	assert_refused("wal: {}\nfoo: *bar\n", NAME ":2:6: ", "aliases (*bar) are refused");
	assert_refused("quarantine: {threshold: !!int 5}\n",
		       NAME ":1:25: ", "explicit tags (tag:yaml.org,2002:int) are refused");
}

/* Deep flow nesting makes libyaml's scanner quadratic; it must be cut off
 * quickly with a clear error rather than stall. */
static void test_deep_nesting(void **state)
{
	size_t depth = 500000, len = 3 + 2 * depth;
	char *yaml = malloc(len + 1);

	assert_non_null(yaml);
	memcpy(yaml, "a: ", 3);
	memset(yaml + 3, '[', depth);
	memset(yaml + 3 + depth, ']', depth);
	yaml[len] = '\0';
	/* The top mapping is level 1, so the 16th '[' opens level 17. */
	assert_refused(yaml, NAME ":1:19: ", "nesting deeper than 16 levels");
	free(yaml);
}

static void test_empty(void **state)
{
	assert_refused_buffer("", 0, NAME ":1:1: ", "the policy is empty");
	assert_refused("# only a comment\n\n", NAME ":1:1: ", "the policy is empty");
	assert_refused("---\n", NAME ":", "got an empty value");
}

static void test_invalid_utf8(void **state)
{
	static const char yaml[] = "wal:\n  dir: /var/\xff\xfe\n";

	assert_refused_buffer(yaml, sizeof(yaml) - 1, NAME ":2:13: ",
			      "invalid leading UTF-8 octet (0xFF at byte offset 17)");
	assert_refused_buffer("wal: {}\n\0", 9, NAME ":2:1: ", "control characters");
}

static void test_unknown_group(void **state)
{
	assert_refused("control:\n  group: no-such-group-vigilante-test\n",
		       NAME ":2:10: ", "unknown group 'no-such-group-vigilante-test'");
	assert_refused("control: {group: 4294967295}\n",
		       NAME ":1:18: ", "out of range 0..4294967294");
}

static void test_messages_stay_short(void **state)
{
	char yaml[600];

	memset(yaml, 'x', sizeof(yaml));
	memcpy(yaml, "cloning: {mode: ", 16);
	memcpy(yaml + sizeof(yaml) - 3, "}\n", 3);
	assert_refused(yaml, NAME ":1:17: ", "xxx...'");
}

/* ---- files ---------------------------------------------------------------- */

struct tmpdir {
	char path[64];
};

static int make_tmpdir(void **state)
{
	struct tmpdir *dir = calloc(1, sizeof(*dir));

	if (!dir)
		return -1;
	temp_name(dir->path, sizeof(dir->path), "/tmp/test_policy.");
	if (!mkdtemp(dir->path)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int remove_tmpdir(void **state)
{
	static const char *const files[] = {"ok.yaml", "big.yaml", "bad.yaml"};
	struct tmpdir *dir = *state;
	char path[128];
	int rc = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir->path, files[i]);
		if (unlink(path) != 0 && errno != ENOENT)
			rc = -1;
	}
	snprintf(path, sizeof(path), "%s/sub", dir->path);
	if (rmdir(path) != 0 && errno != ENOENT)
		rc = -1;
	if (rmdir(dir->path) != 0)
		rc = -1;
	free(dir);
	return rc;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void assert_file_refused(const char *path, const char *phrase)
{
	struct vg_policy policy = {0};
	struct vg_policy_error err = {{0}};
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "%s: ", path);
	assert_int_equal(policy_load_file(path, &policy, &err), -1);
	assert_null(policy.source);
	assert_message(&err, prefix, phrase);
}

static void test_file_loads(void **state)
{
	struct tmpdir *dir = *state;
	struct vg_policy policy = {0};
	struct vg_policy_error err = {{0}};
	char path[128];

	snprintf(path, sizeof(path), "%s/ok.yaml", dir->path);
	write_file(path, full_policy, strlen(full_policy));
	if (policy_load_file(path, &policy, &err) != 0)
		fail_msg("refused: %s", err.message);
	assert_string_equal(policy.source, path);
	assert_full_policy(&policy);
	policy_free(&policy);
}

static void test_file_errors(void **state)
{
	struct tmpdir *dir = *state;
	struct vg_policy policy = {0};
	struct vg_policy_error err = {{0}};
	char path[128], prefix[160];
	size_t big = 1024 * 1024 + 1;
	char *text;

	snprintf(path, sizeof(path), "%s/missing.yaml", dir->path);
	assert_file_refused(path, "cannot open the policy: No such file or directory");

	snprintf(path, sizeof(path), "%s/sub", dir->path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_file_refused(path, "must be a regular file, and this is a directory");

	snprintf(path, sizeof(path), "%s/big.yaml", dir->path);
	text = malloc(big);
	assert_non_null(text);
	memset(text, '#', big);
	write_file(path, text, big);
	free(text);
	assert_file_refused(path, "over the 1 MiB limit");

	/* Content errors in a file carry its name and the position. */
	snprintf(path, sizeof(path), "%s/bad.yaml", dir->path);
	write_file(path, "wal:\n  dir: relative\n", 21);
	snprintf(prefix, sizeof(prefix), "%s:2:8: ", path);
	assert_int_equal(policy_load_file(path, &policy, &err), -1);
	assert_message(&err, prefix, "expected an absolute path");

	write_file(path, "", 0);
	snprintf(prefix, sizeof(prefix), "%s:1:1: ", path);
	assert_int_equal(policy_load_file(path, &policy, &err), -1);
	assert_message(&err, prefix, "the policy is empty");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_has_documented_values),
	    cmocka_unit_test(test_empty_mapping_takes_the_embedded_defaults),
	    cmocka_unit_test(test_full_policy_sets_every_field),
	    cmocka_unit_test(test_pidtree_scope_numeric_group_and_ttl_forms),
	    cmocka_unit_test(test_written_yaml_loads_back_the_same),
	    cmocka_unit_test(test_free_is_safe_on_zeroed_and_freed_structs),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_wrong_type),
	    cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_integer_overflow),
	    cmocka_unit_test(test_block_below_flag),
	    cmocka_unit_test(test_scope_requirements),
	    cmocka_unit_test(test_bad_paths),
	    cmocka_unit_test(test_path_too_long),
	    cmocka_unit_test(test_too_many_paths),
	    cmocka_unit_test(test_too_many_loaders),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_honeypot_section),
	    cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_anchors_aliases_and_tags),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_unknown_group),
	    cmocka_unit_test(test_messages_stay_short),
	    cmocka_unit_test_setup_teardown(test_file_loads, make_tmpdir, remove_tmpdir),
	    cmocka_unit_test_setup_teardown(test_file_errors, make_tmpdir, remove_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
