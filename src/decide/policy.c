/* Reading the YAML policy. The text is parsed twice with libyaml: once as an
 * event stream, to refuse what the document API would silently resolve
 * (anchors, aliases, tags, several documents), then as a document whose
 * nodes keep their positions, which is walked section by section against a
 * fixed schema. Nothing is kept unless the whole policy is valid. */
#include "decide/policy.h"
#include "common/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define POLICY_MAX_BYTES    (1024 * 1024)
#define POLICY_VERSION	    1
#define POLICY_SCHEMA_DEPTH 4 /* alerts.exec_from_writable.paths: a list in two mappings */
#define POLICY_MAX_DEPTH    16
#define PID_MAX_LIMIT	    4194304 /* the kernel's ceiling for pid_max */
#define SCORE_MAX	    1000000
#define SECONDS_PER_DAY	    86400
#define TTL_MAX_SECONDS	    (365 * SECONDS_PER_DAY)
#define GID_MAX		    ((uint64_t)UINT32_MAX - 1) /* (gid_t)-1 means "no group" */
#define EMBEDDED_SOURCE	    "<embedded default>"
#define SHOWN_VALUE_BYTES   60

static const char *const mode_names[] = {
    [VG_MODE_OFF] = "off",
    [VG_MODE_MONITOR] = "monitor",
    [VG_MODE_ENFORCE] = "enforce",
};

static const char *const scope_names[] = {
    [VG_SCOPE_SYSTEM] = "system",
    [VG_SCOPE_CGROUP] = "cgroup",
    [VG_SCOPE_PIDTREE] = "pidtree",
};

static const char *const default_writable_paths[] = {"/tmp", "/var/tmp", "/dev/shm"};

static const char *const default_protected_paths[] = {
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/ssh/ssh_host_rsa_key",
    "/etc/ssh/ssh_host_ecdsa_key",
    "/etc/ssh/ssh_host_ed25519_key",
    "/root/.ssh",
};

static const char *const default_exec_gate[] = {"/"};

/* glibc's for x86_64, i386 and x32, and musl's: those that exist are used. */
static const char *const default_exec_gate_loaders[] = {
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/ld-linux.so.2",
    "/libx32/ld-linux-x32.so.2",
    "/lib/ld-musl-x86_64.so.1",
};

static const char *const decoy_kind_names[] = {
    [VG_DECOY_SHADOW] = "shadow",
    [VG_DECOY_SSH_KEY] = "ssh_key",
    [VG_DECOY_AWS_CREDENTIALS] = "aws_credentials",
    [VG_DECOY_GIT_CREDENTIALS] = "git_credentials",
};

static const char *const service_kind_names[] = {
    [VG_SERVICE_SSH] = "ssh",
    [VG_SERVICE_REDIS] = "redis",
};

/* Decoys served by default: the secrets an intruder goes for first. */
static const char *const default_shadow_decoys[] = {"/etc/shadow"};
static const char *const default_ssh_key_decoys[] = {"/root/.ssh/id_ed25519", "/root/.ssh/id_rsa"};
static const char *const default_aws_decoys[] = {"/root/.aws/credentials"};
static const char *const default_git_decoys[] = {"/root/.git-credentials"};

struct loader {
	const char *name; /* file name that prefixes every message */
	const char *text;
	size_t len;
	yaml_document_t *doc;
	struct vg_policy_error *err;
};

/* One key of a mapping section, once read. */
struct field {
	char name[64];	    /* dotted, for messages: "scope.kind" */
	yaml_node_t *key;   /* NULL: the key is absent and the default stays */
	yaml_node_t *value; /* non-NULL exactly when key is */
};

/* A value as it may appear inside a one-line message. */
struct shown {
	char text[SHOWN_VALUE_BYTES + 48]; /* room for a prefix, quotes, "..." */
};

const char *policy_mode_name(enum vg_mode mode)
{
	if ((size_t)mode < ARRAY_SIZE(mode_names))
		return mode_names[mode];
	return "unknown";
}

const char *policy_decoy_kind_name(enum vg_decoy_kind kind)
{
	return kind < VG_DECOY_KINDS ? decoy_kind_names[kind] : "?";
}

const char *policy_service_kind_name(enum vg_service_kind kind)
{
	return kind < VG_SERVICE_KINDS ? service_kind_names[kind] : "?";
}

const char *policy_scope_name(enum vg_scope_kind kind)
{
	if ((size_t)kind < ARRAY_SIZE(scope_names))
		return scope_names[kind];
	return "unknown";
}

static void free_path_list(struct vg_path_list *list)
{
	for (unsigned i = 0; i < list->count && i < VG_POLICY_MAX_PATHS; i++)
		free(list->paths[i]);
	memset(list, 0, sizeof(*list));
}

void policy_free(struct vg_policy *policy)
{
	if (!policy)
		return;
	free(policy->source);
	free(policy->scope.cgroup);
	free(policy->output.file);
	free(policy->wal.dir);
	free(policy->control.socket);
	free(policy->precognition.model);
	free(policy->precognition.profiles);
	free(policy->quarantine.dir);
	free(policy->quarantine.rules);
	free(policy->vaccination.signing_key);
	free_path_list(&policy->vaccination.trusted_keys);
	free_path_list(&policy->exec_from_writable.paths);
	free_path_list(&policy->precognition.protected_paths);
	free_path_list(&policy->precognition.exec_gate);
	free_path_list(&policy->precognition.exec_gate_loaders);
	free(policy->honeypot.decoy_dir);
	for (unsigned k = 0; k < VG_DECOY_KINDS; k++) {
		free_path_list(&policy->honeypot.decoys[k]);
		free_path_list(&policy->honeypot.honeytokens[k]);
	}
	memset(policy, 0, sizeof(*policy));
}

/* ---- messages ------------------------------------------------------------ */

static int fail_file(struct vg_policy_error *err, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_file(struct vg_policy_error *err, const char *name, const char *fmt, ...)
{
	va_list ap;
	int used = snprintf(err->message, sizeof(err->message), "%s: ", name);

	if (used < 0 || (size_t)used >= sizeof(err->message))
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->message + used, sizeof(err->message) - used, fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_at(struct loader *ld, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct loader *ld, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;
	int used = snprintf(ld->err->message, sizeof(ld->err->message), "%s:%zu:%zu: ", ld->name,
			    mark.line + 1, mark.column + 1);

	if (used < 0 || (size_t)used >= sizeof(ld->err->message))
		return -1;
	va_start(ap, fmt);
	vsnprintf(ld->err->message + used, sizeof(ld->err->message) - used, fmt, ap);
	va_end(ap);
	return -1;
}

/* Quotes text for a message: control bytes escaped, long values cut at a
 * character boundary so that the message stays one readable line. */
static struct shown show_text(const char *prefix, const char *text, size_t len)
{
	struct shown shown;
	size_t out = strlen(prefix);
	size_t limit;

	memcpy(shown.text, prefix, out);
	shown.text[out++] = '\'';
	limit = out + SHOWN_VALUE_BYTES;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (out >= limit && (c & 0xC0) != 0x80) {
			memcpy(shown.text + out, "...", 3);
			out += 3;
			break;
		}
		if (c < 0x20 || c == 0x7F)
			out += (size_t)snprintf(shown.text + out, sizeof(shown.text) - out,
						"\\x%02x", c);
		else
			shown.text[out++] = (char)c;
	}
	shown.text[out++] = '\'';
	shown.text[out] = '\0';
	return shown;
}

static const char *scalar_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

static size_t scalar_len(const yaml_node_t *node)
{
	return node->data.scalar.length;
}

static bool is_plain_scalar(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool scalar_equals(const yaml_node_t *node, const char *word)
{
	size_t len = strlen(word);

	return node->type == YAML_SCALAR_NODE && scalar_len(node) == len &&
	       memcmp(scalar_text(node), word, len) == 0;
}

/* What a node holds, for "expected X, got Y". */
static struct shown describe(const yaml_node_t *node)
{
	struct shown shown;

	if (node->type == YAML_MAPPING_NODE)
		snprintf(shown.text, sizeof(shown.text), "a mapping");
	else if (node->type == YAML_SEQUENCE_NODE)
		snprintf(shown.text, sizeof(shown.text), "a list");
	else if (scalar_len(node) == 0 && is_plain_scalar(node))
		snprintf(shown.text, sizeof(shown.text), "an empty value");
	else if (!is_plain_scalar(node))
		shown = show_text("the quoted string ", scalar_text(node), scalar_len(node));
	else
		shown = show_text("", scalar_text(node), scalar_len(node));
	return shown;
}

static int expect(struct loader *ld, const char *name, const yaml_node_t *node,
		  const char *expected)
{
	return fail_at(ld, node->start_mark, "%s: expected %s, got %s", name, expected,
		       describe(node).text);
}

/* "a, b, c" from a list of words. */
static void join_words(const char *const words[], size_t count, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < count && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", words[i]);

		if (n < 0)
			return;
		used += (size_t)n;
	}
}

/* ---- syntax: the event pass ---------------------------------------------- */

/* libyaml gives a reader error (bad UTF-8, control character) as a byte
 * offset only; turn it into the line and column an editor shows. */
static yaml_mark_t mark_at_offset(const struct loader *ld, size_t offset)
{
	yaml_mark_t mark = {.index = offset};

	for (size_t i = 0; i < offset && i < ld->len; i++) {
		unsigned char c = (unsigned char)ld->text[i];

		if (c == '\n') {
			mark.line++;
			mark.column = 0;
		} else if ((c & 0xC0) != 0x80) {
			mark.column++;
		}
	}
	return mark;
}

static int fail_parser(struct loader *ld, const yaml_parser_t *parser)
{
	const char *problem = parser->problem ? parser->problem : "unknown error";

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		return fail_file(ld->err, ld->name, "out of memory while parsing YAML");
	case YAML_READER_ERROR:
		if (parser->problem_value >= 0)
			return fail_at(ld, mark_at_offset(ld, parser->problem_offset),
				       "invalid text: %s (0x%X at byte offset %zu)", problem,
				       (unsigned)parser->problem_value, parser->problem_offset);
		return fail_at(ld, mark_at_offset(ld, parser->problem_offset),
			       "invalid text: %s (at byte offset %zu)", problem,
			       parser->problem_offset);
	default:
		if (parser->context)
			return fail_at(ld, parser->problem_mark,
				       "YAML syntax error: %s (%s at line %zu, column %zu)",
				       problem, parser->context, parser->context_mark.line + 1,
				       parser->context_mark.column + 1);
		return fail_at(ld, parser->problem_mark, "YAML syntax error: %s", problem);
	}
}

static int init_parser(struct loader *ld, yaml_parser_t *parser)
{
	if (!yaml_parser_initialize(parser))
		return fail_file(ld->err, ld->name, "out of memory creating a YAML parser");
	yaml_parser_set_input_string(parser, (const unsigned char *)ld->text, ld->len);
	yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING);
	return 0;
}

static int fail_empty(struct loader *ld)
{
	yaml_mark_t start = {0};

	return fail_at(ld, start,
		       "the policy is empty; it must be a mapping of settings ('{}' takes every "
		       "default)");
}

/* What the event pass has seen so far. */
struct syntax_state {
	unsigned documents;
	unsigned depth; /* open mappings and lists */
};

static int check_event(struct loader *ld, const yaml_event_t *event, struct syntax_state *state)
{
	const yaml_char_t *anchor = NULL;
	const yaml_char_t *tag = NULL;

	if (event->type == YAML_SEQUENCE_START_EVENT || event->type == YAML_MAPPING_START_EVENT) {
		/* libyaml's scanner slows down quadratically with flow nesting, so
		 * "[[[[..." is cut off here, long before it could stall a check. */
		if (++state->depth > POLICY_MAX_DEPTH)
			return fail_at(ld, event->start_mark,
				       "nesting deeper than %d levels (a policy needs %d)",
				       POLICY_MAX_DEPTH, POLICY_SCHEMA_DEPTH);
	} else if (event->type == YAML_SEQUENCE_END_EVENT ||
		   event->type == YAML_MAPPING_END_EVENT) {
		state->depth--;
	}
	switch (event->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++state->documents > 1)
			return fail_at(
			    ld, event->start_mark,
			    "a policy is one YAML document, and a second one starts here");
		break;
	case YAML_ALIAS_EVENT:
		return fail_at(ld, event->start_mark,
			       "aliases (*%s) are refused: write the value out in full",
			       (const char *)event->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = event->data.scalar.anchor;
		tag = event->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = event->data.sequence_start.anchor;
		tag = event->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = event->data.mapping_start.anchor;
		tag = event->data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor)
		return fail_at(ld, event->start_mark,
			       "anchors (&%s) are refused: write each value out in full",
			       (const char *)anchor);
	if (tag)
		return fail_at(ld, event->start_mark,
			       "explicit tags (%s) are refused: every key has a fixed type",
			       (const char *)tag);
	return 0;
}

/* Refuses syntax errors and the constructs the document API would hide. */
static int check_syntax(struct loader *ld)
{
	yaml_parser_t parser;
	struct syntax_state state = {0};
	bool done = false;
	int rc = 0;

	if (init_parser(ld, &parser))
		return -1;
	while (!done && rc == 0) {
		yaml_event_t event;

		if (!yaml_parser_parse(&parser, &event)) {
			rc = fail_parser(ld, &parser);
			break;
		}
		rc = check_event(ld, &event, &state);
		done = event.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	if (rc == 0 && state.documents == 0)
		return fail_empty(ld);
	return rc;
}

static int load_document(struct loader *ld, yaml_document_t *doc)
{
	yaml_parser_t parser;
	int rc = 0;

	if (init_parser(ld, &parser))
		return -1;
	if (!yaml_parser_load(&parser, doc))
		rc = fail_parser(ld, &parser);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- values -------------------------------------------------------------- */

/* Reads fields[i] for every keys[i] present in the mapping node, refusing
 * keys outside the list and keys given twice. */
static int read_section(struct loader *ld, const yaml_node_t *node, const char *section,
			const char *const keys[], size_t nkeys, struct field fields[])
{
	char valid[256];

	if (node->type != YAML_MAPPING_NODE)
		return expect(ld, section[0] ? section : "the policy", node, "a mapping");
	for (size_t i = 0; i < nkeys; i++) {
		fields[i].key = NULL;
		fields[i].value = NULL;
		snprintf(fields[i].name, sizeof(fields[i].name), "%s%s%s", section,
			 section[0] ? "." : "", keys[i]);
	}
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(ld->doc, pair->value);
		size_t i = 0;

		if (key->type != YAML_SCALAR_NODE)
			return fail_at(ld, key->start_mark, "%s: keys must be words, got %s",
				       section[0] ? section : "top level", describe(key).text);
		while (i < nkeys && !scalar_equals(key, keys[i]))
			i++;
		if (i == nkeys) {
			join_words(keys, nkeys, valid, sizeof(valid));
			if (!section[0])
				return fail_at(ld, key->start_mark,
					       "unknown top-level key %s (valid keys: %s)",
					       describe(key).text, valid);
			return fail_at(ld, key->start_mark, "unknown key %s in %s (valid keys: %s)",
				       describe(key).text, section, valid);
		}
		if (fields[i].key)
			return fail_at(ld, key->start_mark,
				       "duplicate key '%s' (first given at line %zu, column %zu)",
				       fields[i].name, fields[i].key->start_mark.line + 1,
				       fields[i].key->start_mark.column + 1);
		fields[i].key = key;
		fields[i].value = value;
	}
	return 0;
}

enum decimal_form { DECIMAL_OK, DECIMAL_OUT_OF_RANGE, DECIMAL_LEADING_ZERO, DECIMAL_MALFORMED };

/* Reads text[0..len) as decimal digits. A well-formed negative or
 * too-large number is DECIMAL_OUT_OF_RANGE, so that the message names the
 * range rather than calling "-1" malformed. */
static enum decimal_form read_decimal(const char *text, size_t len, uint64_t *value)
{
	bool negative = len > 0 && text[0] == '-';
	size_t first = negative ? 1 : 0;
	bool overflow = false;
	uint64_t result = 0;

	if (len == first)
		return DECIMAL_MALFORMED;
	for (size_t i = first; i < len; i++) {
		unsigned digit = (unsigned)(unsigned char)text[i] - '0';

		if (digit > 9)
			return DECIMAL_MALFORMED;
		if (result > (UINT64_MAX - digit) / 10)
			overflow = true;
		else
			result = result * 10 + digit;
	}
	if (text[first] == '0' && len - first > 1)
		return DECIMAL_LEADING_ZERO;
	if (overflow || negative)
		return DECIMAL_OUT_OF_RANGE;
	*value = result;
	return DECIMAL_OK;
}

static int parse_integer(struct loader *ld, const char *name, const yaml_node_t *node, uint64_t min,
			 uint64_t max, uint64_t *out)
{
	char expected[96];
	uint64_t value = 0;
	enum decimal_form form = DECIMAL_MALFORMED;

	snprintf(expected, sizeof(expected), "a decimal integer in %" PRIu64 "..%" PRIu64, min,
		 max);
	if (is_plain_scalar(node))
		form = read_decimal(scalar_text(node), scalar_len(node), &value);
	if (form == DECIMAL_MALFORMED)
		return expect(ld, name, node, expected);
	if (form == DECIMAL_LEADING_ZERO)
		return fail_at(ld, node->start_mark,
			       "%s: expected %s, got %s (leading zeros are refused: YAML 1.1 reads "
			       "them as octal)",
			       name, expected, describe(node).text);
	if (form == DECIMAL_OUT_OF_RANGE || value < min || value > max)
		return fail_at(ld, node->start_mark, "%s: %s is out of range %" PRIu64 "..%" PRIu64,
			       name, describe(node).text, min, max);
	*out = value;
	return 0;
}

static int parse_u32(struct loader *ld, const struct field *f, uint32_t min, uint32_t max,
		     uint32_t *out)
{
	uint64_t value;

	if (!f->value)
		return 0;
	if (parse_integer(ld, f->name, f->value, min, max, &value))
		return -1;
	*out = (uint32_t)value;
	return 0;
}

static int parse_bool(struct loader *ld, const struct field *f, bool *out)
{
	if (!f->value)
		return 0;
	if (is_plain_scalar(f->value) && scalar_equals(f->value, "true"))
		*out = true;
	else if (is_plain_scalar(f->value) && scalar_equals(f->value, "false"))
		*out = false;
	else
		return expect(ld, f->name, f->value, "a boolean (true or false)");
	return 0;
}

/* Sets *out to the index of the word the node names. */
static int parse_word(struct loader *ld, const char *name, const yaml_node_t *node,
		      const char *const words[], size_t count, unsigned *out)
{
	char expected[128] = "one of ";

	for (unsigned i = 0; i < count; i++) {
		if (scalar_equals(node, words[i])) {
			*out = i;
			return 0;
		}
	}
	join_words(words, count, expected + strlen(expected), sizeof(expected) - strlen(expected));
	return expect(ld, name, node, expected);
}

static int parse_mode(struct loader *ld, const struct field *f, enum vg_mode *out)
{
	unsigned index;

	if (!f->value)
		return 0;
	if (parse_word(ld, f->name, f->value, mode_names, ARRAY_SIZE(mode_names), &index))
		return -1;
	*out = (enum vg_mode)index;
	return 0;
}

/* Returns in *out a normalised copy of an absolute path: '//' collapsed,
 * '.' components and a trailing '/' removed. '..' is refused rather than
 * resolved, since resolving it without the file system can be wrong
 * (symbolic links) and a policy has no reason to climb. */
static int parse_path(struct loader *ld, const char *name, const yaml_node_t *node, char **out)
{
	const char *text;
	size_t len, used = 0;
	char *path;

	if (node->type != YAML_SCALAR_NODE || scalar_len(node) == 0)
		return expect(ld, name, node, "an absolute path");
	text = scalar_text(node);
	len = scalar_len(node);
	if (memchr(text, '\0', len))
		return fail_at(ld, node->start_mark,
			       "%s: a path may not contain a NUL byte, got %s", name,
			       describe(node).text);
	if (memchr(text, '\n', len))
		return fail_at(ld, node->start_mark, "%s: a path may not contain a newline, got %s",
			       name, describe(node).text);
	if (text[0] != '/')
		return expect(ld, name, node, "an absolute path (starting with '/')");
	if (len > PATH_MAX - 1)
		return fail_at(ld, node->start_mark,
			       "%s: path is %zu bytes long, over the %d limit", name, len,
			       PATH_MAX - 1);
	path = malloc(len + 1);
	if (!path)
		return fail_at(ld, node->start_mark, "%s: out of memory copying a path", name);
	for (size_t i = 0; i < len;) {
		size_t start, component;

		while (i < len && text[i] == '/')
			i++;
		start = i;
		while (i < len && text[i] != '/')
			i++;
		component = i - start;
		if (component == 0 || (component == 1 && text[start] == '.'))
			continue;
		if (component == 2 && text[start] == '.' && text[start + 1] == '.') {
			free(path);
			return fail_at(ld, node->start_mark,
				       "%s: '..' components are refused in paths, got %s", name,
				       describe(node).text);
		}
		path[used++] = '/';
		memcpy(path + used, text + start, component);
		used += component;
	}
	if (used == 0)
		path[used++] = '/';
	path[used] = '\0';
	*out = path;
	return 0;
}

static int parse_path_field(struct loader *ld, const struct field *f, char **slot)
{
	char *path;

	if (!f->value)
		return 0;
	if (parse_path(ld, f->name, f->value, &path))
		return -1;
	free(*slot);
	*slot = path;
	return 0;
}

/* A list given in the policy replaces the default list, it does not extend it. */
static int parse_path_list(struct loader *ld, const struct field *f, struct vg_path_list *out)
{
	struct vg_path_list list = {0};
	const yaml_node_t *items[VG_POLICY_MAX_PATHS];
	const yaml_node_item_t *item;

	if (!f->value)
		return 0;
	if (f->value->type != YAML_SEQUENCE_NODE)
		return expect(ld, f->name, f->value, "a list of absolute paths");
	for (item = f->value->data.sequence.items.start; item < f->value->data.sequence.items.top;
	     item++) {
		const yaml_node_t *node = yaml_document_get_node(ld->doc, *item);
		char *path;

		if (list.count == VG_POLICY_MAX_PATHS) {
			free_path_list(&list);
			return fail_at(ld, node->start_mark,
				       "%s: too many entries: this is entry %d, and at most %d are "
				       "allowed",
				       f->name, VG_POLICY_MAX_PATHS + 1, VG_POLICY_MAX_PATHS);
		}
		if (parse_path(ld, f->name, node, &path)) {
			free_path_list(&list);
			return -1;
		}
		for (unsigned i = 0; i < list.count; i++) {
			if (strcmp(list.paths[i], path) == 0) {
				struct shown shown = show_text("", path, strlen(path));

				free(path);
				free_path_list(&list);
				return fail_at(ld, node->start_mark,
					       "%s: duplicate entry %s (already at line %zu, "
					       "column %zu)",
					       f->name, shown.text, items[i]->start_mark.line + 1,
					       items[i]->start_mark.column + 1);
			}
		}
		items[list.count] = node;
		list.paths[list.count++] = path;
	}
	free_path_list(out);
	*out = list;
	return 0;
}

/* "ttl: 86400" or "ttl: 24h". */
static int parse_duration(struct loader *ld, const struct field *f, uint64_t *out)
{
	static const char expected[] =
	    "a duration (integer seconds, or a number followed by s, m, h or d)";
	const char *text;
	size_t digits;
	uint64_t unit = 1, count = 0;
	enum decimal_form form = DECIMAL_MALFORMED;

	if (!f->value)
		return 0;
	if (is_plain_scalar(f->value) && scalar_len(f->value) > 0) {
		text = scalar_text(f->value);
		digits = scalar_len(f->value);
		switch (text[digits - 1]) {
		case 's':
			digits--;
			break;
		case 'm':
			unit = 60;
			digits--;
			break;
		case 'h':
			unit = 3600;
			digits--;
			break;
		case 'd':
			unit = SECONDS_PER_DAY;
			digits--;
			break;
		default:
			break;
		}
		form = read_decimal(text, digits, &count);
	}
	if (form == DECIMAL_MALFORMED)
		return expect(ld, f->name, f->value, expected);
	if (form == DECIMAL_LEADING_ZERO)
		return fail_at(ld, f->value->start_mark,
			       "%s: expected %s, got %s (leading zeros are refused)", f->name,
			       expected, describe(f->value).text);
	if (form == DECIMAL_OUT_OF_RANGE || count == 0 || count > TTL_MAX_SECONDS / unit)
		return fail_at(ld, f->value->start_mark, "%s: %s is out of range 1s..365d", f->name,
			       describe(f->value).text);
	*out = count * unit;
	return 0;
}

static int lookup_group(struct loader *ld, const struct field *f, const char *group, gid_t *gid)
{
	long size = sysconf(_SC_GETGR_R_SIZE_MAX);

	if (size <= 0)
		size = 1024;
	for (;;) {
		_cleanup_free_ char *buf = malloc((size_t)size);
		struct group entry, *found = NULL;
		int rc;

		if (!buf)
			return fail_at(ld, f->value->start_mark, "%s: out of memory looking up %s",
				       f->name, describe(f->value).text);
		rc = getgrnam_r(group, &entry, buf, (size_t)size, &found);
		if (rc == ERANGE && size < POLICY_MAX_BYTES) {
			size *= 2;
			continue;
		}
		if (rc != 0)
			return fail_at(ld, f->value->start_mark, "%s: cannot look up group %s: %s",
				       f->name, describe(f->value).text, strerror(rc));
		if (!found)
			return fail_at(ld, f->value->start_mark,
				       "%s: unknown group %s (not in the group database)", f->name,
				       describe(f->value).text);
		*gid = entry.gr_gid;
		return 0;
	}
}

/* A group name, resolved now so that a typo is an error at load time, or a
 * numeric gid, taken as it is. */
static int parse_group(struct loader *ld, const struct field *f, bool *has_group, gid_t *gid)
{
	const char *text;
	size_t len;
	uint64_t number;

	if (!f->value)
		return 0;
	if (f->value->type != YAML_SCALAR_NODE || scalar_len(f->value) == 0)
		return expect(ld, f->name, f->value, "a group name or a numeric gid");
	text = scalar_text(f->value);
	len = scalar_len(f->value);
	if (strspn(text, "0123456789") == len) {
		if (parse_integer(ld, f->name, f->value, 0, GID_MAX, &number))
			return -1;
		*gid = (gid_t)number;
	} else {
		if (memchr(text, '\0', len))
			return expect(ld, f->name, f->value, "a group name or a numeric gid");
		if (lookup_group(ld, f, text, gid))
			return -1;
	}
	*has_group = true;
	return 0;
}

/* ---- sections ------------------------------------------------------------ */

enum { SCOPE_KIND, SCOPE_CGROUP, SCOPE_PID, SCOPE_KEYS };
static const char *const scope_keys[] = {
    [SCOPE_KIND] = "kind",
    [SCOPE_CGROUP] = "cgroup",
    [SCOPE_PID] = "pid",
};

static int load_scope(struct loader *ld, const struct field *section, struct vg_policy *policy)
{
	struct field f[SCOPE_KEYS];
	unsigned kind = policy->scope.kind;
	uint32_t pid = 0;

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, scope_keys, SCOPE_KEYS, f))
		return -1;
	if (f[SCOPE_KIND].value && parse_word(ld, f[SCOPE_KIND].name, f[SCOPE_KIND].value,
					      scope_names, ARRAY_SIZE(scope_names), &kind))
		return -1;
	policy->scope.kind = (enum vg_scope_kind)kind;

	if (kind == VG_SCOPE_CGROUP && !f[SCOPE_CGROUP].value)
		return fail_at(ld, section->value->start_mark,
			       "scope.cgroup is required when scope.kind is cgroup");
	if (kind != VG_SCOPE_CGROUP && f[SCOPE_CGROUP].key)
		return fail_at(ld, f[SCOPE_CGROUP].key->start_mark,
			       "scope.cgroup is only allowed when scope.kind is cgroup (it is %s)",
			       policy_scope_name(kind));
	if (kind == VG_SCOPE_PIDTREE && !f[SCOPE_PID].value)
		return fail_at(ld, section->value->start_mark,
			       "scope.pid is required when scope.kind is pidtree");
	if (kind != VG_SCOPE_PIDTREE && f[SCOPE_PID].key)
		return fail_at(ld, f[SCOPE_PID].key->start_mark,
			       "scope.pid is only allowed when scope.kind is pidtree (it is %s)",
			       policy_scope_name(kind));

	if (parse_path_field(ld, &f[SCOPE_CGROUP], &policy->scope.cgroup))
		return -1;
	if (f[SCOPE_PID].value) {
		if (parse_u32(ld, &f[SCOPE_PID], 1, PID_MAX_LIMIT, &pid))
			return -1;
		policy->scope.pid = (pid_t)pid;
	}
	return 0;
}

enum { EVENT_EXEC, EVENT_FORK, EVENT_EXIT, EVENT_KINDS };
static const char *const event_names[] = {
    [EVENT_EXEC] = "exec",
    [EVENT_FORK] = "fork",
    [EVENT_EXIT] = "exit",
};

static int parse_events(struct loader *ld, const struct field *f, struct vg_policy *policy)
{
	const yaml_node_t *seen[EVENT_KINDS] = {NULL};
	const yaml_node_item_t *item;

	if (!f->value)
		return 0;
	if (f->value->type != YAML_SEQUENCE_NODE)
		return expect(ld, f->name, f->value, "a list of event kinds (exec, fork, exit)");
	for (item = f->value->data.sequence.items.start; item < f->value->data.sequence.items.top;
	     item++) {
		const yaml_node_t *node = yaml_document_get_node(ld->doc, *item);
		unsigned kind;

		if (parse_word(ld, f->name, node, event_names, EVENT_KINDS, &kind))
			return -1;
		if (seen[kind])
			return fail_at(ld, node->start_mark,
				       "%s: duplicate entry '%s' (already at line %zu, column %zu)",
				       f->name, event_names[kind], seen[kind]->start_mark.line + 1,
				       seen[kind]->start_mark.column + 1);
		seen[kind] = node;
	}
	policy->output.exec = seen[EVENT_EXEC] != NULL;
	policy->output.fork = seen[EVENT_FORK] != NULL;
	policy->output.exit = seen[EVENT_EXIT] != NULL;
	return 0;
}

enum { OUTPUT_STDOUT, OUTPUT_FILE, OUTPUT_SYSLOG, OUTPUT_EVENTS, OUTPUT_KEYS };
static const char *const output_keys[] = {
    [OUTPUT_STDOUT] = "stdout",
    [OUTPUT_FILE] = "file",
    [OUTPUT_SYSLOG] = "syslog",
    [OUTPUT_EVENTS] = "events",
};

static int load_output(struct loader *ld, const struct field *section, struct vg_policy *policy)
{
	struct field f[OUTPUT_KEYS];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, output_keys, OUTPUT_KEYS, f) ||
	    parse_bool(ld, &f[OUTPUT_STDOUT], &policy->output.to_stdout) ||
	    parse_path_field(ld, &f[OUTPUT_FILE], &policy->output.file) ||
	    parse_bool(ld, &f[OUTPUT_SYSLOG], &policy->output.syslog) ||
	    parse_events(ld, &f[OUTPUT_EVENTS], policy))
		return -1;
	return 0;
}

enum { WAL_DIR, WAL_COMMIT_INTERVAL, WAL_SEGMENT_SIZE, WAL_KEYS };
static const char *const wal_keys[] = {
    [WAL_DIR] = "dir",
    [WAL_COMMIT_INTERVAL] = "commit_interval_ms",
    [WAL_SEGMENT_SIZE] = "segment_size_mb",
};

static int load_wal(struct loader *ld, const struct field *section, struct vg_policy *policy)
{
	struct field f[WAL_KEYS];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, wal_keys, WAL_KEYS, f) ||
	    parse_path_field(ld, &f[WAL_DIR], &policy->wal.dir) ||
	    parse_u32(ld, &f[WAL_COMMIT_INTERVAL], 1, 1000, &policy->wal.commit_interval_ms) ||
	    parse_u32(ld, &f[WAL_SEGMENT_SIZE], 1, 1024, &policy->wal.segment_size_mb))
		return -1;
	return 0;
}

enum { SENSOR_RING_BUFFER, SENSOR_KEYS };
static const char *const sensor_keys[] = {
    [SENSOR_RING_BUFFER] = "ring_buffer_kb",
};

static int load_sensor(struct loader *ld, const struct field *section, struct vg_policy *policy)
{
	struct field f[SENSOR_KEYS];
	uint32_t kb;

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, sensor_keys, SENSOR_KEYS, f) ||
	    parse_u32(ld, &f[SENSOR_RING_BUFFER], 16, 1048576, &policy->sensor.ring_buffer_kb))
		return -1;
	/* The kernel's ring buffer is a power-of-two number of pages. */
	kb = policy->sensor.ring_buffer_kb;
	if (f[SENSOR_RING_BUFFER].value && (kb & (kb - 1)))
		return fail_at(ld, f[SENSOR_RING_BUFFER].value->start_mark,
			       "sensor.ring_buffer_kb: %" PRIu32 " is not a power of two", kb);
	return 0;
}

enum { CONTROL_SOCKET, CONTROL_GROUP, CONTROL_KEYS };
static const char *const control_keys[] = {
    [CONTROL_SOCKET] = "socket",
    [CONTROL_GROUP] = "group",
};

static int load_control(struct loader *ld, const struct field *section, struct vg_policy *policy)
{
	struct field f[CONTROL_KEYS];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, control_keys, CONTROL_KEYS, f) ||
	    parse_path_field(ld, &f[CONTROL_SOCKET], &policy->control.socket) ||
	    parse_group(ld, &f[CONTROL_GROUP], &policy->control.has_group, &policy->control.group))
		return -1;
	return 0;
}

enum { ALERTS_EXEC_FROM_WRITABLE, ALERTS_KEYS };
static const char *const alerts_keys[] = {
    [ALERTS_EXEC_FROM_WRITABLE] = "exec_from_writable",
};

enum { WRITABLE_MODE, WRITABLE_PATHS, WRITABLE_KEYS };
static const char *const writable_keys[] = {
    [WRITABLE_MODE] = "mode",
    [WRITABLE_PATHS] = "paths",
};

static int load_alerts(struct loader *ld, const struct field *section, struct vg_policy *policy)
{
	struct field alerts[ALERTS_KEYS];
	struct field f[WRITABLE_KEYS];
	const struct field *writable = &alerts[ALERTS_EXEC_FROM_WRITABLE];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, alerts_keys, ALERTS_KEYS, alerts))
		return -1;
	if (!writable->value)
		return 0;
	if (read_section(ld, writable->value, writable->name, writable_keys, WRITABLE_KEYS, f) ||
	    parse_mode(ld, &f[WRITABLE_MODE], &policy->exec_from_writable.mode) ||
	    parse_path_list(ld, &f[WRITABLE_PATHS], &policy->exec_from_writable.paths))
		return -1;
	/* The alert sees the exec after it happened: there is nothing to enforce. */
	if (policy->exec_from_writable.mode == VG_MODE_ENFORCE)
		return fail_at(ld, f[WRITABLE_MODE].value->start_mark,
			       "alerts.exec_from_writable.mode: this rule only alerts; use off or "
			       "monitor (to refuse such execs, use precognition's exec gate)");
	return 0;
}

enum {
	PRECOGNITION_MODE,
	PRECOGNITION_FLAG,
	PRECOGNITION_BLOCK,
	PRECOGNITION_MODEL,
	PRECOGNITION_PROTECTED,
	PRECOGNITION_EXEC_GATE,
	PRECOGNITION_EXEC_GATE_LOADERS,
	PRECOGNITION_PROFILES,
	PRECOGNITION_GATE_DEADLINE,
	PRECOGNITION_KEYS
};
static const char *const precognition_keys[] = {
    [PRECOGNITION_MODE] = "mode",
    [PRECOGNITION_FLAG] = "flag_threshold",
    [PRECOGNITION_BLOCK] = "block_threshold",
    [PRECOGNITION_MODEL] = "model",
    [PRECOGNITION_PROTECTED] = "protected_paths",
    [PRECOGNITION_EXEC_GATE] = "exec_gate",
    [PRECOGNITION_EXEC_GATE_LOADERS] = "exec_gate_loaders",
    [PRECOGNITION_PROFILES] = "profiles",
    [PRECOGNITION_GATE_DEADLINE] = "gate_deadline_ms",
};

static int load_precognition(struct loader *ld, const struct field *section,
			     struct vg_policy *policy)
{
	struct field f[PRECOGNITION_KEYS];
	const struct field *blame;

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, precognition_keys, PRECOGNITION_KEYS,
			 f) ||
	    parse_mode(ld, &f[PRECOGNITION_MODE], &policy->precognition.mode) ||
	    parse_u32(ld, &f[PRECOGNITION_FLAG], 1, SCORE_MAX,
		      &policy->precognition.flag_threshold) ||
	    parse_u32(ld, &f[PRECOGNITION_BLOCK], 1, SCORE_MAX,
		      &policy->precognition.block_threshold) ||
	    parse_path_field(ld, &f[PRECOGNITION_MODEL], &policy->precognition.model) ||
	    parse_path_list(ld, &f[PRECOGNITION_PROTECTED],
			    &policy->precognition.protected_paths) ||
	    parse_path_list(ld, &f[PRECOGNITION_EXEC_GATE], &policy->precognition.exec_gate) ||
	    parse_path_list(ld, &f[PRECOGNITION_EXEC_GATE_LOADERS],
			    &policy->precognition.exec_gate_loaders) ||
	    parse_path_field(ld, &f[PRECOGNITION_PROFILES], &policy->precognition.profiles) ||
	    parse_u32(ld, &f[PRECOGNITION_GATE_DEADLINE], 1, 60000,
		      &policy->precognition.gate_deadline_ms))
		return -1;
	if (policy->precognition.exec_gate_loaders.count > VG_POLICY_MAX_LOADERS)
		return fail_at(ld, f[PRECOGNITION_EXEC_GATE_LOADERS].value->start_mark,
			       "precognition.exec_gate_loaders: %u entries, and at most %d are "
			       "allowed",
			       policy->precognition.exec_gate_loaders.count, VG_POLICY_MAX_LOADERS);
	if (policy->precognition.block_threshold < policy->precognition.flag_threshold) {
		/* Point at the threshold the file sets; the other is a default. */
		blame =
		    f[PRECOGNITION_BLOCK].value ? &f[PRECOGNITION_BLOCK] : &f[PRECOGNITION_FLAG];
		return fail_at(ld, blame->value->start_mark,
			       "precognition.block_threshold (%" PRIu32 ") must be >= "
			       "precognition.flag_threshold (%" PRIu32 ")",
			       policy->precognition.block_threshold,
			       policy->precognition.flag_threshold);
	}
	return 0;
}

enum {
	QUARANTINE_MODE,
	QUARANTINE_THRESHOLD,
	QUARANTINE_ACTION,
	QUARANTINE_DIR,
	QUARANTINE_MEMORY_CAP,
	QUARANTINE_RULES,
	QUARANTINE_KEYS
};
static const char *const quarantine_keys[] = {
    [QUARANTINE_MODE] = "mode",
    [QUARANTINE_THRESHOLD] = "threshold",
    [QUARANTINE_ACTION] = "action",
    [QUARANTINE_DIR] = "dir",
    [QUARANTINE_MEMORY_CAP] = "memory_cap_mb",
    [QUARANTINE_RULES] = "rules",
};
static const char *const quarantine_actions[] = {
    [VG_QUARANTINE_HOLD] = "hold",
    [VG_QUARANTINE_KILL] = "kill",
    [VG_QUARANTINE_RELEASE] = "release",
};

static int parse_quarantine_action(struct loader *ld, const struct field *f,
				   enum vg_quarantine_action *out)
{
	const char *text;

	if (!f->value)
		return 0;
	if (f->value->type != YAML_SCALAR_NODE)
		return fail_at(ld, f->value->start_mark,
			       "quarantine.action: expected one of hold, "
			       "kill, release");
	text = (const char *)f->value->data.scalar.value;
	for (unsigned i = 0; i < ARRAY_SIZE(quarantine_actions); i++)
		if (!strcmp(text, quarantine_actions[i])) {
			*out = (enum vg_quarantine_action)i;
			return 0;
		}
	return fail_at(ld, f->value->start_mark,
		       "quarantine.action: expected one of hold, kill, release, got '%s'", text);
}

const char *policy_quarantine_action_name(enum vg_quarantine_action action)
{
	return quarantine_actions[action];
}

static int load_quarantine(struct loader *ld, const struct field *section, struct vg_policy *policy)
{
	struct field f[QUARANTINE_KEYS];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, quarantine_keys, QUARANTINE_KEYS, f) ||
	    parse_mode(ld, &f[QUARANTINE_MODE], &policy->quarantine.mode) ||
	    parse_u32(ld, &f[QUARANTINE_THRESHOLD], 1, SCORE_MAX, &policy->quarantine.threshold) ||
	    parse_quarantine_action(ld, &f[QUARANTINE_ACTION], &policy->quarantine.action) ||
	    parse_path_field(ld, &f[QUARANTINE_DIR], &policy->quarantine.dir) ||
	    parse_u32(ld, &f[QUARANTINE_MEMORY_CAP], 1, 65536, &policy->quarantine.memory_cap_mb) ||
	    parse_path_field(ld, &f[QUARANTINE_RULES], &policy->quarantine.rules))
		return -1;
	return 0;
}

enum {
	VACCINATION_MODE,
	VACCINATION_THRESHOLD,
	VACCINATION_TTL,
	VACCINATION_SIGNING_KEY,
	VACCINATION_TRUSTED_KEYS,
	VACCINATION_KEYS
};
static const char *const vaccination_keys[] = {
    [VACCINATION_MODE] = "mode",
    [VACCINATION_THRESHOLD] = "threshold",
    [VACCINATION_TTL] = "ttl",
    [VACCINATION_SIGNING_KEY] = "signing_key",
    [VACCINATION_TRUSTED_KEYS] = "trusted_keys",
};

static int load_vaccination(struct loader *ld, const struct field *section,
			    struct vg_policy *policy)
{
	struct field f[VACCINATION_KEYS];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, vaccination_keys, VACCINATION_KEYS,
			 f) ||
	    parse_mode(ld, &f[VACCINATION_MODE], &policy->vaccination.mode) ||
	    parse_u32(ld, &f[VACCINATION_THRESHOLD], 1, SCORE_MAX,
		      &policy->vaccination.threshold) ||
	    parse_duration(ld, &f[VACCINATION_TTL], &policy->vaccination.ttl_seconds) ||
	    parse_path_field(ld, &f[VACCINATION_SIGNING_KEY], &policy->vaccination.signing_key) ||
	    parse_path_list(ld, &f[VACCINATION_TRUSTED_KEYS], &policy->vaccination.trusted_keys))
		return -1;
	return 0;
}

/* "ssh: [2222]": TCP ports, 1..65535, each once. A list given replaces the
 * default. */
static int parse_port_list(struct loader *ld, const struct field *f, struct vg_port_list *out)
{
	struct vg_port_list list = {0};
	const yaml_node_item_t *item;

	if (!f->value)
		return 0;
	if (f->value->type != YAML_SEQUENCE_NODE)
		return expect(ld, f->name, f->value, "a list of TCP ports (1..65535)");
	for (item = f->value->data.sequence.items.start; item < f->value->data.sequence.items.top;
	     item++) {
		const yaml_node_t *node = yaml_document_get_node(ld->doc, *item);
		uint64_t port;

		if (list.count == VG_POLICY_MAX_PORTS)
			return fail_at(ld, node->start_mark,
				       "%s: too many ports: at most %d are allowed", f->name,
				       VG_POLICY_MAX_PORTS);
		if (parse_integer(ld, f->name, node, 1, 65535, &port))
			return -1;
		for (unsigned i = 0; i < list.count; i++)
			if (list.ports[i] == port)
				return fail_at(ld, node->start_mark,
					       "%s: port %" PRIu64 " is listed twice", f->name,
					       port);
		list.ports[list.count++] = (uint16_t)port;
	}
	*out = list;
	return 0;
}

/* decoys: and honeytokens: map a decoy kind to the paths it stands for. */
static int load_decoy_paths(struct loader *ld, const struct field *section,
			    struct vg_path_list lists[VG_DECOY_KINDS])
{
	struct field f[VG_DECOY_KINDS];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, decoy_kind_names, VG_DECOY_KINDS, f))
		return -1;
	for (unsigned k = 0; k < VG_DECOY_KINDS; k++)
		if (parse_path_list(ld, &f[k], &lists[k]))
			return -1;
	return 0;
}

/* A path may stand for one decoy only, and may not be both a decoy and a
 * honeytoken: a honeytoken is planted on disk, a decoy replaces a real file. */
static int check_decoy_paths_unique(struct loader *ld, const struct vg_policy *policy,
				    const struct field *decoys, const struct field *tokens)
{
	const struct vg_path_list *all[2 * VG_DECOY_KINDS];

	for (unsigned k = 0; k < VG_DECOY_KINDS; k++) {
		all[k] = &policy->honeypot.decoys[k];
		all[VG_DECOY_KINDS + k] = &policy->honeypot.honeytokens[k];
	}
	for (unsigned a = 0; a < ARRAY_SIZE(all); a++)
		for (unsigned i = 0; i < all[a]->count; i++)
			for (unsigned b = a + 1; b < ARRAY_SIZE(all); b++)
				for (unsigned j = 0; j < all[b]->count; j++) {
					const struct field *blame =
					    b >= VG_DECOY_KINDS ? tokens : decoys;
					struct shown shown;

					if (strcmp(all[a]->paths[i], all[b]->paths[j]))
						continue;
					shown = show_text("", all[b]->paths[j],
							  strlen(all[b]->paths[j]));
					return fail_at(
					    ld, (blame->value ? blame : decoys)->value->start_mark,
					    "honeypot: %s is listed twice (a path stands "
					    "for one decoy or honeytoken only)",
					    shown.text);
				}
	return 0;
}

enum {
	HONEYPOT_MODE,
	HONEYPOT_DECOY_DIR,
	HONEYPOT_DECOYS,
	HONEYPOT_HONEYTOKENS,
	HONEYPOT_SERVICES,
	HONEYPOT_KEYS
};
static const char *const honeypot_keys[] = {
    [HONEYPOT_MODE] = "mode",	      [HONEYPOT_DECOY_DIR] = "decoy_dir",
    [HONEYPOT_DECOYS] = "decoys",     [HONEYPOT_HONEYTOKENS] = "honeytokens",
    [HONEYPOT_SERVICES] = "services",
};

static int load_services(struct loader *ld, const struct field *section,
			 struct vg_port_list lists[VG_SERVICE_KINDS])
{
	struct field f[VG_SERVICE_KINDS];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, service_kind_names, VG_SERVICE_KINDS,
			 f))
		return -1;
	for (unsigned k = 0; k < VG_SERVICE_KINDS; k++)
		if (parse_port_list(ld, &f[k], &lists[k]))
			return -1;
	for (unsigned a = 0; a < VG_SERVICE_KINDS; a++)
		for (unsigned b = a + 1; b < VG_SERVICE_KINDS; b++)
			for (unsigned i = 0; i < lists[a].count; i++)
				for (unsigned j = 0; j < lists[b].count; j++)
					if (lists[a].ports[i] == lists[b].ports[j])
						return fail_at(ld, f[b].value->start_mark,
							       "%s: port %u is already a %s "
							       "service",
							       f[b].name, lists[b].ports[j],
							       service_kind_names[a]);
	return 0;
}

static int load_honeypot(struct loader *ld, const struct field *section, struct vg_policy *policy)
{
	struct field f[HONEYPOT_KEYS];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, honeypot_keys, HONEYPOT_KEYS, f) ||
	    parse_mode(ld, &f[HONEYPOT_MODE], &policy->honeypot.mode) ||
	    parse_path_field(ld, &f[HONEYPOT_DECOY_DIR], &policy->honeypot.decoy_dir) ||
	    load_decoy_paths(ld, &f[HONEYPOT_DECOYS], policy->honeypot.decoys) ||
	    load_decoy_paths(ld, &f[HONEYPOT_HONEYTOKENS], policy->honeypot.honeytokens) ||
	    load_services(ld, &f[HONEYPOT_SERVICES], policy->honeypot.services) ||
	    check_decoy_paths_unique(ld, policy, &f[HONEYPOT_DECOYS], &f[HONEYPOT_HONEYTOKENS]))
		return -1;
	return 0;
}

enum { MODE_ONLY_MODE, MODE_ONLY_KEYS };
static const char *const mode_only_keys[] = {
    [MODE_ONLY_MODE] = "mode",
};

/* cloning: a section whose only key is `mode`. */
static int load_mode_only(struct loader *ld, const struct field *section, enum vg_mode *mode)
{
	struct field f[MODE_ONLY_KEYS];

	if (!section->value)
		return 0;
	if (read_section(ld, section->value, section->name, mode_only_keys, MODE_ONLY_KEYS, f) ||
	    parse_mode(ld, &f[MODE_ONLY_MODE], mode))
		return -1;
	return 0;
}

enum {
	TOP_VERSION,
	TOP_SCOPE,
	TOP_OUTPUT,
	TOP_SENSOR,
	TOP_WAL,
	TOP_CONTROL,
	TOP_ALERTS,
	TOP_PRECOGNITION,
	TOP_QUARANTINE,
	TOP_VACCINATION,
	TOP_HONEYPOT,
	TOP_CLONING,
	TOP_KEYS
};
static const char *const top_keys[] = {
    [TOP_VERSION] = "version",
    [TOP_SCOPE] = "scope",
    [TOP_OUTPUT] = "output",
    [TOP_SENSOR] = "sensor",
    [TOP_WAL] = "wal",
    [TOP_CONTROL] = "control",
    [TOP_ALERTS] = "alerts",
    [TOP_PRECOGNITION] = "precognition",
    [TOP_QUARANTINE] = "quarantine",
    [TOP_VACCINATION] = "vaccination",
    [TOP_HONEYPOT] = "honeypot",
    [TOP_CLONING] = "cloning",
};

static int load_version(struct loader *ld, const struct field *f)
{
	uint64_t version;

	if (!f->value)
		return 0;
	if (parse_integer(ld, f->name, f->value, 0, UINT64_MAX, &version))
		return -1;
	if (version != POLICY_VERSION)
		return fail_at(ld, f->value->start_mark,
			       "unsupported policy version %" PRIu64 " (this Vigilante reads "
			       "version %d)",
			       version, POLICY_VERSION);
	return 0;
}

static int load_root(struct loader *ld, struct vg_policy *policy)
{
	struct field f[TOP_KEYS];
	yaml_node_t *root = yaml_document_get_root_node(ld->doc);

	if (!root)
		return fail_empty(ld);
	if (root->type != YAML_MAPPING_NODE)
		return expect(ld, "the policy", root, "a mapping of settings at the top level");
	if (read_section(ld, root, "", top_keys, TOP_KEYS, f) ||
	    load_version(ld, &f[TOP_VERSION]) || load_scope(ld, &f[TOP_SCOPE], policy) ||
	    load_output(ld, &f[TOP_OUTPUT], policy) || load_sensor(ld, &f[TOP_SENSOR], policy) ||
	    load_wal(ld, &f[TOP_WAL], policy) || load_control(ld, &f[TOP_CONTROL], policy) ||
	    load_alerts(ld, &f[TOP_ALERTS], policy) ||
	    load_precognition(ld, &f[TOP_PRECOGNITION], policy) ||
	    load_quarantine(ld, &f[TOP_QUARANTINE], policy) ||
	    load_vaccination(ld, &f[TOP_VACCINATION], policy) ||
	    load_honeypot(ld, &f[TOP_HONEYPOT], policy) ||
	    load_mode_only(ld, &f[TOP_CLONING], &policy->cloning.mode))
		return -1;
	return 0;
}

/* ---- defaults ------------------------------------------------------------ */

static int copy_string(char **slot, const char *text)
{
	*slot = strdup(text);
	return *slot ? 0 : -1;
}

static int copy_path_list(struct vg_path_list *list, const char *const paths[], size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (copy_string(&list->paths[i], paths[i]))
			return -1;
		list->count++;
	}
	return 0;
}

/* The values a missing key takes; policy_default.yaml states the same ones
 * (a unit test checks that the two agree). */
static int set_defaults(struct vg_policy *policy)
{
	policy->scope.kind = VG_SCOPE_SYSTEM;
	policy->output.to_stdout = true;
	policy->output.syslog = false;
	policy->output.exec = true;
	policy->output.fork = true;
	policy->output.exit = true;
	policy->sensor.ring_buffer_kb = 8192;
	policy->wal.commit_interval_ms = 5;
	policy->wal.segment_size_mb = 16;
	policy->control.has_group = false;
	policy->exec_from_writable.mode = VG_MODE_MONITOR;
	policy->precognition.mode = VG_MODE_MONITOR;
	policy->precognition.flag_threshold = 696; /* the built-in model's calibration */
	policy->precognition.block_threshold = 737;
	policy->precognition.gate_deadline_ms = 200;
	policy->quarantine.mode = VG_MODE_OFF;
	policy->quarantine.threshold = 800;
	policy->quarantine.action = VG_QUARANTINE_HOLD;
	policy->quarantine.memory_cap_mb = 256;
	policy->vaccination.mode = VG_MODE_OFF;
	policy->vaccination.threshold = 850;
	policy->vaccination.ttl_seconds = 24 * 3600;
	policy->honeypot.mode = VG_MODE_OFF;
	policy->honeypot.services[VG_SERVICE_SSH] = (struct vg_port_list){1, {2222}};
	policy->honeypot.services[VG_SERVICE_REDIS] = (struct vg_port_list){1, {6380}};
	policy->cloning.mode = VG_MODE_OFF;
	if (copy_string(&policy->wal.dir, "/var/lib/vigilante/wal") ||
	    copy_string(&policy->control.socket, "/run/vigilante/control.sock") ||
	    copy_string(&policy->quarantine.dir, "/var/lib/vigilante/quarantine") ||
	    copy_string(&policy->honeypot.decoy_dir, "/var/lib/vigilante/decoys") ||
	    copy_path_list(&policy->honeypot.decoys[VG_DECOY_SHADOW], default_shadow_decoys,
			   ARRAY_SIZE(default_shadow_decoys)) ||
	    copy_path_list(&policy->honeypot.decoys[VG_DECOY_SSH_KEY], default_ssh_key_decoys,
			   ARRAY_SIZE(default_ssh_key_decoys)) ||
	    copy_path_list(&policy->honeypot.decoys[VG_DECOY_AWS_CREDENTIALS], default_aws_decoys,
			   ARRAY_SIZE(default_aws_decoys)) ||
	    copy_path_list(&policy->honeypot.decoys[VG_DECOY_GIT_CREDENTIALS], default_git_decoys,
			   ARRAY_SIZE(default_git_decoys)) ||
	    copy_string(&policy->vaccination.signing_key,
			"/var/lib/vigilante/vaccine-signing.pem") ||
	    copy_path_list(&policy->exec_from_writable.paths, default_writable_paths,
			   ARRAY_SIZE(default_writable_paths)) ||
	    copy_path_list(&policy->precognition.protected_paths, default_protected_paths,
			   ARRAY_SIZE(default_protected_paths)) ||
	    copy_path_list(&policy->precognition.exec_gate, default_exec_gate,
			   ARRAY_SIZE(default_exec_gate)) ||
	    copy_path_list(&policy->precognition.exec_gate_loaders, default_exec_gate_loaders,
			   ARRAY_SIZE(default_exec_gate_loaders)))
		return -1;
	return 0;
}

/* ---- entry points -------------------------------------------------------- */

int policy_load_buffer(const char *buf, size_t len, const char *name, struct vg_policy *out,
		       struct vg_policy_error *err)
{
	struct loader ld = {.name = name ? name : "<policy>", .text = buf, .len = len, .err = err};
	struct vg_policy policy = {0};
	yaml_document_t doc;
	int rc;

	if (len > POLICY_MAX_BYTES)
		return fail_file(err, ld.name, "the policy is %zu bytes, over the 1 MiB limit",
				 len);
	if (len == 0 || !buf)
		return fail_empty(&ld);
	if (check_syntax(&ld) || load_document(&ld, &doc))
		return -1;
	ld.doc = &doc;
	rc = set_defaults(&policy);
	if (rc)
		fail_file(err, ld.name, "out of memory setting the default policy");
	else
		rc = load_root(&ld, &policy);
	if (rc == 0 && copy_string(&policy.source, ld.name))
		rc = fail_file(err, ld.name, "out of memory copying the policy's name");
	yaml_document_delete(&doc);
	if (rc) {
		policy_free(&policy);
		return -1;
	}
	*out = policy;
	return 0;
}

int policy_load_default(struct vg_policy *out, struct vg_policy_error *err)
{
	return policy_load_buffer(policy_default_yaml, policy_default_yaml_len, EMBEDDED_SOURCE,
				  out, err);
}

static const char *file_type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a regular file";
}

int policy_load_file(const char *path, struct vg_policy *out, struct vg_policy_error *err)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat()
	 * can refuse it. It changes nothing for a regular file. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len = 0;

	if (fd < 0)
		return fail_file(err, path, "cannot open the policy: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		return fail_file(err, path, "cannot stat the policy: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail_file(err, path, "the policy must be a regular file, and this is %s",
				 file_type_name(st.st_mode));
	if (st.st_size > POLICY_MAX_BYTES)
		return fail_file(err, path, "the policy is %lld bytes, over the 1 MiB limit",
				 (long long)st.st_size);
	/* Read up to one byte past the limit: the size fstat() gave may be
	 * stale, or 0 for files the kernel generates. */
	text = malloc(POLICY_MAX_BYTES + 1);
	if (!text)
		return fail_file(err, path, "out of memory reading the policy");
	while (len <= POLICY_MAX_BYTES) {
		ssize_t n = read(fd, text + len, POLICY_MAX_BYTES + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_file(err, path, "cannot read the policy: %s", strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > POLICY_MAX_BYTES)
		return fail_file(err, path, "the policy is over the 1 MiB limit");
	return policy_load_buffer(text, len, path, out, err);
}
