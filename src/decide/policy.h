/* The policy: one YAML file, parsed with libyaml, validated completely before
 * anything uses it. A default is embedded in the binary (policy_default.yaml)
 * and used when no file is given. Every action has a mode:
 *   off      the capability does nothing;
 *   monitor  decisions are made and logged, never enforced;
 *   enforce  decisions are enforced.
 */
#ifndef VG_DECIDE_POLICY_H
#define VG_DECIDE_POLICY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum vg_mode { VG_MODE_OFF = 0, VG_MODE_MONITOR, VG_MODE_ENFORCE };

/* What happens to a quarantined process once it is snapshotted and scanned. */
enum vg_quarantine_action {
	VG_QUARANTINE_HOLD = 0, /* stays frozen until an operator decides */
	VG_QUARANTINE_KILL,	/* its whole tree is killed (cgroup.kill) */
	VG_QUARANTINE_RELEASE,	/* thawed and let go, still flagged */
};

enum vg_scope_kind {
	VG_SCOPE_SYSTEM = 0, /* every process on the host */
	VG_SCOPE_CGROUP,     /* a cgroup v2 subtree */
	VG_SCOPE_PIDTREE,    /* a process and its descendants */
};

#define VG_POLICY_MAX_PATHS 64
/* precognition.exec_gate_loaders: the kernel's set holds this many. */
#define VG_POLICY_MAX_LOADERS 16

struct vg_path_list {
	unsigned count;
	char *paths[VG_POLICY_MAX_PATHS]; /* absolute, normalised (no trailing '/') */
};

/* What a decoy or honeytoken imitates. */
enum vg_decoy_kind {
	VG_DECOY_SHADOW = 0,	  /* /etc/shadow: real user names, weak host-specific hashes */
	VG_DECOY_SSH_KEY,	  /* an OpenSSH private key */
	VG_DECOY_AWS_CREDENTIALS, /* ~/.aws/credentials */
	VG_DECOY_GIT_CREDENTIALS, /* ~/.git-credentials */
	VG_DECOY_KINDS
};

/* What a decoy TCP service pretends to be. */
enum vg_service_kind { VG_SERVICE_SSH = 0, VG_SERVICE_REDIS, VG_SERVICE_KINDS };

#define VG_POLICY_MAX_PORTS 16

struct vg_port_list {
	unsigned count;
	uint16_t ports[VG_POLICY_MAX_PORTS];
};

struct vg_policy {
	char *source; /* file path, or "<embedded default>" */

	struct {
		enum vg_scope_kind kind;
		char *cgroup; /* VG_SCOPE_CGROUP: absolute path of a cgroup v2 directory */
		pid_t pid;    /* VG_SCOPE_PIDTREE: root of the tree */
	} scope;

	struct {
		bool to_stdout;
		char *file; /* NULL: no file sink */
		bool syslog;
		bool exec, fork, exit; /* which sensor events are printed; alerts always are */
	} output;

	struct {
		uint32_t ring_buffer_kb; /* kernel -> daemon event ring, power of two */
	} sensor;

	struct {
		char *dir;
		unsigned commit_interval_ms; /* group commit window, 1..1000 */
		unsigned segment_size_mb;    /* segment rotation size, 1..1024 */
	} wal;

	struct {
		char *socket;
		bool has_group;
		gid_t group; /* members may change things; root always may */
	} control;

	/* Alert on exec of a file under one of these directories. */
	struct {
		enum vg_mode mode;
		struct vg_path_list paths;
	} exec_from_writable;

	struct {
		enum vg_mode mode;
		uint32_t flag_threshold;  /* score at which a process is treated as an attacker */
		uint32_t block_threshold; /* score at which exec/open/connect are refused */
		char *model;		  /* NULL: the embedded model */
		struct vg_path_list protected_paths;
		struct vg_path_list exec_gate; /* exec is gated on these paths' filesystems */
		/* dynamic loaders that pass the exec gate without a round trip
		 * (at most VG_POLICY_MAX_LOADERS) */
		struct vg_path_list exec_gate_loaders;
		uint32_t gate_deadline_ms; /* a gate event not decided by then is allowed */
		char *profiles; /* NULL: none; else `vigilante learn`'s per-program profiles */
	} precognition;

	struct {
		enum vg_mode mode;
		uint32_t threshold;
		enum vg_quarantine_action action; /* after the snapshot and scan */
		char *dir;			  /* snapshots: DIR/<id>/ */
		uint32_t memory_cap_mb;		  /* process memory written to a core */
		char *rules;			  /* YARA rules dir; NULL: the built-in rules */
	} quarantine;

	struct {
		enum vg_mode mode;
		uint32_t threshold;
		uint64_t ttl_seconds;
		char *signing_key; /* Ed25519 key that signs exports; made if missing */
		struct vg_path_list trusted_keys; /* public keys (PEM) whose bundles import */
	} vaccination;

	struct {
		enum vg_mode mode; /* monitor: decoys are logged, the real file is served */
		char *decoy_dir;   /* generated decoys and their ledger */
		/* Paths a flagged supervised process is served a decoy for, by kind. */
		struct vg_path_list decoys[VG_DECOY_KINDS];
		/* Canary files planted (if missing) and watched, by kind. */
		struct vg_path_list honeytokens[VG_DECOY_KINDS];
		/* Loopback TCP ports with a decoy service, by kind. */
		struct vg_port_list services[VG_SERVICE_KINDS];
	} honeypot;

	struct {
		enum vg_mode mode;
	} cloning;
};

/* Where and why a policy was refused: "FILE:LINE:COLUMN: MESSAGE". */
struct vg_policy_error {
	char message[512];
};

/* Each returns 0 and fills *out, or -1 with *err set and *out untouched. */
int policy_load_file(const char *path, struct vg_policy *out, struct vg_policy_error *err);
int policy_load_buffer(const char *buf, size_t len, const char *name, struct vg_policy *out,
		       struct vg_policy_error *err);
int policy_load_default(struct vg_policy *out, struct vg_policy_error *err);
void policy_free(struct vg_policy *policy);

/* Writes the policy as a YAML document that policy_load_buffer() reads back
 * to the same values. Returns 0, or -1 with *err set. */
int policy_write_yaml(const struct vg_policy *policy, FILE *out, struct vg_policy_error *err);

const char *policy_mode_name(enum vg_mode mode);
const char *policy_scope_name(enum vg_scope_kind kind);
const char *policy_decoy_kind_name(enum vg_decoy_kind kind);
const char *policy_service_kind_name(enum vg_service_kind kind);
const char *policy_quarantine_action_name(enum vg_quarantine_action action);

/* The embedded default policy's text. */
extern const char policy_default_yaml[];
extern const size_t policy_default_yaml_len;

#endif
