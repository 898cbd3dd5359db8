/* Vaccines: the narrowest rules that stop a confirmed attack from happening
 * again, of five kinds. One struct for all of them, shared by the daemon
 * (which keeps them, records them in the forensic log and pushes them to the
 * gates), the exec/open gate, the seccomp compiler and the signed bundles;
 * one JSON form, used by the log, `vigilante vaccine list --json`, export and
 * import. */
#ifndef VG_ACT_VACCINE_H
#define VG_ACT_VACCINE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "decide/argv_rule.h"

enum vg_vaccine_kind {
	VG_VACCINE_EXEC = 1,	/* "exec_sha256": a program (by content) may not run */
	VG_VACCINE_ARGV = 2,	/* "exec_argv": an exec whose argv matches a rule is refused */
	VG_VACCINE_FILE = 3,	/* "file_open": a program may not open a file */
	VG_VACCINE_CONNECT = 4, /* "connect": a program may not reach address:port */
	VG_VACCINE_SYSCALL = 5, /* "syscall": a program may not make a syscall (seccomp) */
};

#define VG_VACCINE_SYSCALL_NAME_MAX 32
#define VG_VACCINE_EVIDENCE_MAX	    512

struct vg_vaccine {
	uint32_t id;
	enum vg_vaccine_kind kind;
	/* Every kind but ARGV: the program's SHA-256, and where it was when it
	 * was vaccinated against (informative). */
	unsigned char sha256[32];
	char path[PATH_MAX];
	char origin[16]; /* "score", "operator", "quarantine", "import", ... */
	char evidence[VG_VACCINE_EVIDENCE_MAX];	   /* JSON text; "" when none */
	uint64_t created_real_ns, expires_real_ns; /* CLOCK_REALTIME */
	union {					   /* the kind's own rule */
		struct vg_argv_rule argv;	   /* ARGV */
		char file[PATH_MAX];		   /* FILE: the path it may not open */
		struct {			   /* CONNECT */
			uint16_t family;	   /* AF_INET or AF_INET6 */
			uint16_t port;		   /* host order; 0: every port */
			uint8_t addr[16];	   /* IPv4 in the first 4 bytes */
		};
		char syscall[VG_VACCINE_SYSCALL_NAME_MAX]; /* SYSCALL: its name (x86_64) */
	};
};

const char *vaccine_kind_name(enum vg_vaccine_kind kind);
/* 0 when the name is no kind. */
enum vg_vaccine_kind vaccine_kind_from_name(const char *name);
/* Whether the kind names a program by content (every kind but ARGV). */
bool vaccine_kind_has_program(enum vg_vaccine_kind kind);

/* The JSON form: id, kind, origin, created_ns, expires_ns, expires (text),
 * evidence (object, when any) and the kind's own fields:
 *   exec_sha256: sha256, path
 *   exec_argv:   program, rule, roots
 *   file_open:   sha256, path, file
 *   connect:     sha256, path, address, port
 *   syscall:     sha256, path, syscall */
struct json_object *vaccine_to_json(const struct vg_vaccine *v);
/* Reads the JSON form back into *out (id, times, origin and evidence when
 * present). With require_sha256 false, the program's sha256 may be missing
 * (an add request names the program by path; the daemon hashes it). Returns
 * 0, or -1 with err naming the field that is wrong. */
int vaccine_from_json(struct json_object *obj, bool require_sha256, struct vg_vaccine *out,
		      char *err, size_t errlen);
/* Whether two vaccines are the same rule (whatever their ids and times). */
bool vaccine_same_rule(const struct vg_vaccine *a, const struct vg_vaccine *b);
/* Parses "ADDRESS:PORT", "[IPV6]:PORT" or an address alone (every port) into
 * v's family, addr and port. Returns 0, or -1 with err. */
int vaccine_parse_endpoint(const char *text, struct vg_vaccine *v, char *err, size_t errlen);

#endif
