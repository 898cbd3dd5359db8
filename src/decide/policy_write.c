/* Writing a policy back out as YAML, through libyaml's emitter so that any
 * path, whatever characters it holds, is quoted the way a YAML reader
 * expects. The output lists every key with its effective value, so it is
 * both a readable answer to "what is running?" and a valid policy file. */
#include "decide/policy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <yaml.h>

#define SECONDS_PER_DAY 86400

struct writer {
	yaml_emitter_t emitter;
	struct vg_policy_error *err;
	bool failed; /* the first failure is kept; later calls do nothing */
};

static void writer_fail(struct writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void writer_fail(struct writer *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = true;
	va_start(ap, fmt);
	vsnprintf(w->err->message, sizeof(w->err->message), fmt, ap);
	va_end(ap);
}

static void fail_emitter(struct writer *w)
{
	writer_fail(w, "cannot write the policy as YAML: %s",
		    w->emitter.problem ? w->emitter.problem : "write error");
}

/* initialized: what the yaml_*_event_initialize() call returned. */
static void emit(struct writer *w, int initialized, yaml_event_t *event)
{
	if (!initialized) {
		writer_fail(w, "out of memory writing the policy as YAML");
		return;
	}
	if (w->failed) {
		yaml_event_delete(event);
		return;
	}
	/* The emitter takes the event, and frees it even when it fails. */
	if (!yaml_emitter_emit(&w->emitter, event))
		fail_emitter(w);
}

static void scalar(struct writer *w, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t event;

	emit(w,
	     yaml_scalar_event_initialize(&event, NULL, NULL, (const yaml_char_t *)text,
					  (int)strlen(text), 1, 1, style),
	     &event);
}

/* Words and numbers that the reader requires unquoted. */
static void plain(struct writer *w, const char *text)
{
	scalar(w, text, YAML_PLAIN_SCALAR_STYLE);
}

/* Paths: the emitter quotes them when their characters require it. */
static void string(struct writer *w, const char *text)
{
	scalar(w, text, YAML_ANY_SCALAR_STYLE);
}

static void mapping_start(struct writer *w, const char *key)
{
	yaml_event_t event;

	if (key)
		plain(w, key);
	emit(w,
	     yaml_mapping_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE),
	     &event);
}

static void mapping_end(struct writer *w)
{
	yaml_event_t event;

	emit(w, yaml_mapping_end_event_initialize(&event), &event);
}

static void sequence_start(struct writer *w, const char *key)
{
	yaml_event_t event;

	plain(w, key);
	emit(w,
	     yaml_sequence_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE),
	     &event);
}

static void sequence_end(struct writer *w)
{
	yaml_event_t event;

	emit(w, yaml_sequence_end_event_initialize(&event), &event);
}

static void key_plain(struct writer *w, const char *key, const char *value)
{
	plain(w, key);
	plain(w, value);
}

static void key_path(struct writer *w, const char *key, const char *path)
{
	if (!path)
		return;
	plain(w, key);
	string(w, path);
}

static void key_bool(struct writer *w, const char *key, bool value)
{
	key_plain(w, key, value ? "true" : "false");
}

static void number(struct writer *w, uint64_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRIu64, value);
	plain(w, text);
}

static void key_number(struct writer *w, const char *key, uint64_t value)
{
	plain(w, key);
	number(w, value);
}

static void key_mode(struct writer *w, enum vg_mode mode)
{
	key_plain(w, "mode", policy_mode_name(mode));
}

/* In the largest unit that divides it exactly: 86400 is "1d". */
static void key_duration(struct writer *w, const char *key, uint64_t seconds)
{
	static const struct {
		uint64_t seconds;
		char suffix;
	} units[] = {{SECONDS_PER_DAY, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	char text[32];
	size_t i = 0;

	while (i + 1 < sizeof(units) / sizeof(units[0]) && seconds % units[i].seconds != 0)
		i++;
	snprintf(text, sizeof(text), "%" PRIu64 "%c", seconds / units[i].seconds, units[i].suffix);
	key_plain(w, key, text);
}

static void key_path_list(struct writer *w, const char *key, const struct vg_path_list *list)
{
	sequence_start(w, key);
	for (unsigned i = 0; i < list->count && i < VG_POLICY_MAX_PATHS; i++)
		string(w, list->paths[i]);
	sequence_end(w);
}

static void write_scope(struct writer *w, const struct vg_policy *policy)
{
	mapping_start(w, "scope");
	key_plain(w, "kind", policy_scope_name(policy->scope.kind));
	if (policy->scope.kind == VG_SCOPE_CGROUP)
		key_path(w, "cgroup", policy->scope.cgroup);
	if (policy->scope.kind == VG_SCOPE_PIDTREE)
		key_number(w, "pid", (uint64_t)policy->scope.pid);
	mapping_end(w);
}

static void write_output(struct writer *w, const struct vg_policy *policy)
{
	mapping_start(w, "output");
	key_bool(w, "stdout", policy->output.to_stdout);
	key_path(w, "file", policy->output.file);
	key_bool(w, "syslog", policy->output.syslog);
	sequence_start(w, "events");
	if (policy->output.exec)
		plain(w, "exec");
	if (policy->output.fork)
		plain(w, "fork");
	if (policy->output.exit)
		plain(w, "exit");
	sequence_end(w);
	mapping_end(w);
}

static void write_wal_and_control(struct writer *w, const struct vg_policy *policy)
{
	mapping_start(w, "sensor");
	key_number(w, "ring_buffer_kb", policy->sensor.ring_buffer_kb);
	mapping_end(w);

	mapping_start(w, "wal");
	key_path(w, "dir", policy->wal.dir);
	key_number(w, "commit_interval_ms", policy->wal.commit_interval_ms);
	key_number(w, "segment_size_mb", policy->wal.segment_size_mb);
	mapping_end(w);

	mapping_start(w, "control");
	key_path(w, "socket", policy->control.socket);
	if (policy->control.has_group)
		key_number(w, "group", policy->control.group);
	mapping_end(w);
}

static void write_capabilities(struct writer *w, const struct vg_policy *policy)
{
	mapping_start(w, "alerts");
	mapping_start(w, "exec_from_writable");
	key_mode(w, policy->exec_from_writable.mode);
	key_path_list(w, "paths", &policy->exec_from_writable.paths);
	mapping_end(w);
	mapping_end(w);

	mapping_start(w, "precognition");
	key_mode(w, policy->precognition.mode);
	key_number(w, "flag_threshold", policy->precognition.flag_threshold);
	key_number(w, "block_threshold", policy->precognition.block_threshold);
	key_path(w, "model", policy->precognition.model);
	key_path_list(w, "protected_paths", &policy->precognition.protected_paths);
	key_path_list(w, "exec_gate", &policy->precognition.exec_gate);
	key_path_list(w, "exec_gate_loaders", &policy->precognition.exec_gate_loaders);
	key_number(w, "gate_deadline_ms", policy->precognition.gate_deadline_ms);
	key_path(w, "profiles", policy->precognition.profiles);
	mapping_end(w);

	mapping_start(w, "quarantine");
	key_mode(w, policy->quarantine.mode);
	key_number(w, "threshold", policy->quarantine.threshold);
	key_plain(w, "action", policy_quarantine_action_name(policy->quarantine.action));
	key_path(w, "dir", policy->quarantine.dir);
	key_number(w, "memory_cap_mb", policy->quarantine.memory_cap_mb);
	key_path(w, "rules", policy->quarantine.rules);
	mapping_end(w);

	mapping_start(w, "vaccination");
	key_mode(w, policy->vaccination.mode);
	key_number(w, "threshold", policy->vaccination.threshold);
	key_duration(w, "ttl", policy->vaccination.ttl_seconds);
	key_path(w, "signing_key", policy->vaccination.signing_key);
	key_path_list(w, "trusted_keys", &policy->vaccination.trusted_keys);
	mapping_end(w);

	mapping_start(w, "honeypot");
	key_mode(w, policy->honeypot.mode);
	key_path(w, "decoy_dir", policy->honeypot.decoy_dir);
	mapping_start(w, "decoys");
	for (unsigned k = 0; k < VG_DECOY_KINDS; k++)
		key_path_list(w, policy_decoy_kind_name(k), &policy->honeypot.decoys[k]);
	mapping_end(w);
	mapping_start(w, "honeytokens");
	for (unsigned k = 0; k < VG_DECOY_KINDS; k++)
		key_path_list(w, policy_decoy_kind_name(k), &policy->honeypot.honeytokens[k]);
	mapping_end(w);
	mapping_start(w, "services");
	for (unsigned k = 0; k < VG_SERVICE_KINDS; k++) {
		sequence_start(w, policy_service_kind_name(k));
		for (unsigned i = 0; i < policy->honeypot.services[k].count; i++)
			number(w, policy->honeypot.services[k].ports[i]);
		sequence_end(w);
	}
	mapping_end(w);
	mapping_end(w);

	mapping_start(w, "cloning");
	key_mode(w, policy->cloning.mode);
	mapping_end(w);
}

static void write_document(struct writer *w, const struct vg_policy *policy)
{
	yaml_event_t event;

	emit(w, yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING), &event);
	emit(w, yaml_document_start_event_initialize(&event, NULL, NULL, NULL, 1), &event);
	mapping_start(w, NULL);
	key_number(w, "version", 1);
	write_scope(w, policy);
	write_output(w, policy);
	write_wal_and_control(w, policy);
	write_capabilities(w, policy);
	mapping_end(w);
	emit(w, yaml_document_end_event_initialize(&event, 1), &event);
	emit(w, yaml_stream_end_event_initialize(&event), &event);
	if (!w->failed && !yaml_emitter_flush(&w->emitter))
		fail_emitter(w);
}

int policy_write_yaml(const struct vg_policy *policy, FILE *out, struct vg_policy_error *err)
{
	struct writer w = {.err = err};

	if (!yaml_emitter_initialize(&w.emitter)) {
		snprintf(err->message, sizeof(err->message),
			 "out of memory creating a YAML emitter");
		return -1;
	}
	yaml_emitter_set_output_file(&w.emitter, out);
	yaml_emitter_set_encoding(&w.emitter, YAML_UTF8_ENCODING);
	yaml_emitter_set_unicode(&w.emitter, 1);
	yaml_emitter_set_indent(&w.emitter, 2);
	/* Never fold a long path across lines. */
	yaml_emitter_set_width(&w.emitter, -1);
	write_document(&w, policy);
	yaml_emitter_delete(&w.emitter);
	return w.failed ? -1 : 0;
}
