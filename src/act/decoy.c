/* Where decoys live: the host key, the decoy files, planted honeytokens and
 * the ledger. What a decoy contains is decoy_formats.c's business.
 *
 * Crash safety: every file is written to a temporary name, fsynced, then
 * renamed (or linked, where an existing file must win), and the directory is
 * fsynced; the ledger is written before the decoy, so no decoy secret is on
 * disk without its ledger entry. Generation and the ledger's
 * read-modify-write run under an exclusive flock on the host key. */
#include "act/decoy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "act/decoy_formats.h"
#include "common/cleanup.h"
#include "common/file_hash.h"

#define HOST_KEY_FILE "host.key"
#define LEDGER_FILE   "ledger.json"
/* A ledger holds a few entries per configured path; anything near this is
 * not one Vigilante wrote. */
#define LEDGER_MAX_BYTES (64 << 20)
/* Hex digits of SHA-256(stands_for) in a decoy's file name: enough that two
 * paths never share a decoy. */
#define NAME_HASH_HEX 16
#define HOSTNAME_MAX  253

static int fail_errno(char *err, size_t errlen, const char *path, const char *op)
{
	snprintf(err, errlen, "decoys: %s: %s: %s", path, op, strerror(errno));
	return -1;
}

static int fail_msg(char *err, size_t errlen, const char *path, const char *msg)
{
	snprintf(err, errlen, "decoys: %s: %s", path, msg);
	return -1;
}

/* snprintf into a PATH_MAX buffer, refusing truncation. */
static int join_path(char out[PATH_MAX], const char *dir, const char *name, char *err,
		     size_t errlen)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return fail_errno(err, errlen, dir, name);
	}
	return 0;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int make_dirs(const char *path, char *err, size_t errlen)
{
	char partial[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(partial)) {
		errno = ENAMETOOLONG;
		return fail_errno(err, errlen, path, "mkdir");
	}
	memcpy(partial, path, len + 1);
	for (char *p = partial + 1; len > 1; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(partial, 0700) && errno != EEXIST)
			return fail_errno(err, errlen, partial, "mkdir");
		*p = saved;
		if (!saved)
			break;
	}
	return 0;
}

/* The directory PATH is in: "/" for "/x", "." for "x". */
static void parent_dir(const char *path, char out[PATH_MAX])
{
	char *slash;

	snprintf(out, PATH_MAX, "%s", path);
	slash = strrchr(out, '/');
	if (!slash)
		snprintf(out, PATH_MAX, ".");
	else if (slash == out)
		slash[1] = '\0';
	else
		*slash = '\0';
}

/* A rename or link is durable once the directory holding it is synced. */
static int fsync_parent(const char *path, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	_cleanup_close_ int fd = -1;

	parent_dir(path, parent);
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(err, errlen, parent, "open");
	if (fsync(fd))
		return fail_errno(err, errlen, parent, "fsync");
	return 0;
}

enum write_mode {
	WRITE_REPLACE,	 /* rename over whatever is there */
	WRITE_IF_ABSENT, /* link: an existing file wins and is left untouched */
};

/* Writes DATA to PATH, mode 0600 (mkostemp's), atomically; TIMES (atime, mtime) if not
 * NULL. Returns 1 written, 0 left an existing file (WRITE_IF_ABSENT), -1
 * with err. */
static int write_atomic(const char *path, const void *data, size_t len,
			const struct timespec *times, enum write_mode mode, char *err,
			size_t errlen)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;
	const char *p = data;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	int written = 1;

	if (n < 0 || n >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return fail_errno(err, errlen, path, "temporary name");
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fail_errno(err, errlen, tmp, "create");
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fail_errno(err, errlen, tmp, "write");
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if (times && futimens(fd, times)) {
		fail_errno(err, errlen, tmp, "set times");
		goto fail;
	}
	if (fsync(fd)) {
		fail_errno(err, errlen, tmp, "fsync");
		goto fail;
	}
	if (mode == WRITE_REPLACE && rename(tmp, path)) {
		fail_errno(err, errlen, path, "rename");
		goto fail;
	}
	if (mode == WRITE_IF_ABSENT) {
		if (link(tmp, path)) {
			if (errno != EEXIST) {
				fail_errno(err, errlen, path, "link");
				goto fail;
			}
			written = 0;
		}
		/* The file is in place (or was there): the temporary name goes,
		 * best effort, as it does on every failure below. */
		unlink(tmp);
	}
	return fsync_parent(path, err, errlen) ? -1 : written;
fail:
	unlink(tmp);
	return -1;
}

/* The whole of a small file, NUL-terminated; NULL with errno (ENOENT if it
 * does not exist, EFBIG past max). */
static char *read_small_file(const char *path, size_t max, size_t *out_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return NULL;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out_len = len;
	return steal_pointer(&buf);
}

/* ---- the host key --------------------------------------------------------- */

/* DIR/host.key, created from getrandom() on first use. Returns an fd on it,
 * locked exclusively (closing it unlocks), and the key in key. */
static int lock_host_key(const char *dir, unsigned char key[DECOY_HOST_KEY_LEN], char *err,
			 size_t errlen)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (join_path(path, dir, HOST_KEY_FILE, err, errlen))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		unsigned char fresh[DECOY_HOST_KEY_LEN];

		if (getrandom(fresh, sizeof(fresh), 0) != (ssize_t)sizeof(fresh))
			return fail_errno(err, errlen, path, "getrandom");
		/* If another process made one meanwhile, its key wins. */
		if (write_atomic(path, fresh, sizeof(fresh), NULL, WRITE_IF_ABSENT, err, errlen) <
		    0)
			return -1;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return fail_errno(err, errlen, path, "open");
	if (flock(fd, LOCK_EX))
		return fail_errno(err, errlen, path, "flock");
	text = read_small_file(path, DECOY_HOST_KEY_LEN, &len);
	if (!text)
		return fail_errno(err, errlen, path, "read");
	if (len != DECOY_HOST_KEY_LEN)
		return fail_msg(err, errlen, path, "not a host key (expected 32 bytes)");
	memcpy(key, text, DECOY_HOST_KEY_LEN);
	return steal_fd(&fd);
}

/* ---- the ledger ----------------------------------------------------------- */

/* DIR/ledger.json, or an empty ledger if there is none yet; a ledger that
 * does not parse is an error, never silently replaced. */
static struct json_object *ledger_load(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	struct json_object *ledger, *decoys;
	enum json_tokener_error jerr;
	size_t len = 0;

	if (join_path(path, dir, LEDGER_FILE, err, errlen))
		return NULL;
	text = read_small_file(path, LEDGER_MAX_BYTES, &len);
	if (!text && errno == ENOENT) {
		ledger = json_object_new_object();
		if (!ledger || json_object_object_add(ledger, "decoys", json_object_new_array())) {
			json_object_put(ledger);
			fail_msg(err, errlen, path, "out of memory");
			return NULL;
		}
		return ledger;
	}
	if (!text) {
		fail_errno(err, errlen, path, "read");
		return NULL;
	}
	ledger = json_tokener_parse_verbose(text, &jerr);
	if (!ledger || !json_object_object_get_ex(ledger, "decoys", &decoys) ||
	    !json_object_is_type(decoys, json_type_array)) {
		snprintf(err, errlen, "decoys: %s: not a decoy ledger: %s", path,
			 ledger ? "no \"decoys\" array" : json_tokener_error_desc(jerr));
		json_object_put(ledger);
		return NULL;
	}
	return ledger;
}

static const char *entry_string(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
}

static const char *const entry_keys[] = {
    "kind", "stands_for", "file", "planted", "host", "skipped_passwd_lines", "secrets",
};

/* Adds (or replaces, for the same file) the entry of one decoy and rewrites
 * the ledger atomically. Takes content->secrets. */
static int ledger_record(const char *dir, enum vg_decoy_kind kind, const char *stands_for,
			 const char *file, bool planted, const char *hostname,
			 struct decoy_content *content, char *err, size_t errlen)
{
	struct json_object *ledger = ledger_load(dir, err, errlen);
	struct json_object *decoys, *entry;
	char path[PATH_MAX];
	const char *text;
	int rc = -1;

	if (!ledger)
		return -1;
	json_object_object_get_ex(ledger, "decoys", &decoys);
	for (size_t i = json_object_array_length(decoys); i-- > 0;) {
		const char *other = entry_string(json_object_array_get_idx(decoys, i), "file");

		if (other && !strcmp(other, file))
			json_object_array_del_idx(decoys, i, 1);
	}
	entry = json_object_new_object();
	if (!entry || json_object_array_add(decoys, entry)) {
		json_object_put(entry);
		fail_msg(err, errlen, dir, "ledger: out of memory");
		goto out;
	}
	json_object_object_add(entry, "kind", json_object_new_string(policy_decoy_kind_name(kind)));
	json_object_object_add(entry, "stands_for", json_object_new_string(stands_for));
	json_object_object_add(entry, "file", json_object_new_string(file));
	json_object_object_add(entry, "planted", json_object_new_boolean(planted));
	json_object_object_add(entry, "host", json_object_new_string(hostname));
	json_object_object_add(entry, "skipped_passwd_lines",
			       json_object_new_int64(content->skipped_passwd_lines));
	json_object_object_add(entry, "secrets", steal_pointer(&content->secrets));
	/* A field json-c could not allocate is missing or null: such an entry
	 * would attribute nothing, so the ledger is not rewritten with it. */
	for (size_t i = 0; i < sizeof(entry_keys) / sizeof(entry_keys[0]); i++)
		if (!json_object_object_get(entry, entry_keys[i]))
			entry = NULL;
	text = entry ? json_object_to_json_string_ext(ledger, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE)
		     : NULL;
	if (!text) {
		fail_msg(err, errlen, dir, "ledger: out of memory");
		goto out;
	}
	if (!join_path(path, dir, LEDGER_FILE, err, errlen))
		rc = write_atomic(path, text, strlen(text), NULL, WRITE_REPLACE, err, errlen) < 0
			 ? -1
			 : 0;
out:
	json_object_put(ledger);
	return rc;
}

/* ---- generation ----------------------------------------------------------- */

static int host_name(const struct decoy_sources *src, char out[HOSTNAME_MAX + 1], char *err,
		     size_t errlen)
{
	const char *name = src && src->hostname ? src->hostname : NULL;

	if (!name) {
		if (gethostname(out, HOSTNAME_MAX + 1))
			return fail_errno(err, errlen, "hostname", "gethostname");
		out[HOSTNAME_MAX] = '\0';
		name = out;
	}
	/* It ends up in key comments: nothing but a host name's characters. */
	if (!*name || strlen(name) > HOSTNAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
		strlen(name))
		return fail_msg(err, errlen, "hostname", "not a valid host name");
	if (name != out)
		snprintf(out, HOSTNAME_MAX + 1, "%s", name);
	return 0;
}

/* Generates the decoy of KIND standing for STANDS_FOR, records it in the
 * ledger as FILE, and writes it to FILE (WRITE_REPLACE for a decoy,
 * WRITE_IF_ABSENT for a honeytoken). Returns write_atomic's result. */
static int generate_and_store(const char *dir, enum vg_decoy_kind kind, const char *stands_for,
			      const char *file, enum write_mode mode,
			      const struct decoy_sources *src, char *err, size_t errlen)
{
	unsigned char key[DECOY_HOST_KEY_LEN];
	char hostname[HOSTNAME_MAX + 1];
	struct decoy_inputs in = {
	    .host_key = key,
	    .stands_for = stands_for,
	    .passwd = src && src->passwd ? src->passwd : "/etc/passwd",
	    .hostname = hostname,
	};
	struct decoy_content content;
	struct timespec times[2];
	struct stat real;
	bool planted = mode == WRITE_IF_ABSENT, same_times = false;
	_cleanup_close_ int lock_fd = -1;
	int rc;

	if (host_name(src, hostname, err, errlen))
		return -1;
	lock_fd = lock_host_key(dir, key, err, errlen);
	if (lock_fd < 0)
		return -1;
	if (decoy_generate(kind, &in, &content, err, errlen))
		return -1;
	if (ledger_record(dir, kind, stands_for, file, planted, hostname, &content, err, errlen)) {
		decoy_content_free(&content);
		return -1;
	}
	/* A decoy stands in for a file that may exist: the same times make a
	 * stat of one look like the other. */
	if (!planted && !stat(stands_for, &real)) {
		times[0] = real.st_atim;
		times[1] = real.st_mtim;
		same_times = true;
	}
	rc = write_atomic(file, content.data, content.len, same_times ? times : NULL, mode, err,
			  errlen);
	decoy_content_free(&content);
	return rc;
}

static int check_request(enum vg_decoy_kind kind, const char *path, char *err, size_t errlen)
{
	if ((unsigned)kind >= VG_DECOY_KINDS)
		return fail_msg(err, errlen, path ? path : "(null)", "unknown decoy kind");
	if (!path || path[0] != '/')
		return fail_msg(err, errlen, path ? path : "(null)", "not an absolute path");
	return 0;
}

/* DIR/KIND-HASH: one decoy per kind and path it stands for. */
static int decoy_file_name(const char *dir, enum vg_decoy_kind kind, const char *stands_for,
			   char out[PATH_MAX], char *err, size_t errlen)
{
	unsigned char digest[VG_SHA256_LEN];
	char hex[2 * VG_SHA256_LEN + 1], name[64];

	SHA256((const unsigned char *)stands_for, strlen(stands_for), digest);
	sha256_hex(digest, hex);
	snprintf(name, sizeof(name), "%s-%.*s", policy_decoy_kind_name(kind), NAME_HASH_HEX, hex);
	return join_path(out, dir, name, err, errlen);
}

int decoy_open(const char *dir, enum vg_decoy_kind kind, const char *stands_for,
	       const struct decoy_sources *src, char out_path[PATH_MAX], char *err, size_t errlen)
{
	int fd;

	if (check_request(kind, stands_for, err, errlen) || make_dirs(dir, err, errlen) ||
	    decoy_file_name(dir, kind, stands_for, out_path, err, errlen))
		return -1;
	fd = open(out_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return fail_errno(err, errlen, out_path, "open");
	if (generate_and_store(dir, kind, stands_for, out_path, WRITE_REPLACE, src, err, errlen) <
	    0)
		return -1;
	fd = open(out_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail_errno(err, errlen, out_path, "open");
	return fd;
}

int decoy_plant(const char *dir, enum vg_decoy_kind kind, const char *path,
		const struct decoy_sources *src, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	struct stat st;

	if (check_request(kind, path, err, errlen))
		return -1;
	if (!lstat(path, &st))
		return 0;
	if (errno != ENOENT)
		return fail_errno(err, errlen, path, "lstat");
	parent_dir(path, parent);
	if (make_dirs(dir, err, errlen) || make_dirs(parent, err, errlen))
		return -1;
	return generate_and_store(dir, kind, path, path, WRITE_IF_ABSENT, src, err, errlen);
}

/* A ledger field for a message: "?" if a hand-edited ledger lacks it. */
static const char *shown(struct json_object *obj, const char *key)
{
	const char *text = entry_string(obj, key);

	return text ? text : "?";
}

/* "password of root in the shadow decoy for /etc/shadow (FILE, host web-01)" */
static void describe(struct json_object *entry, struct json_object *secret, char *out,
		     size_t outlen)
{
	const char *user = entry_string(secret, "user");

	snprintf(out, outlen, "%s%s%s in the %s %s for %s (%s, host %s)", shown(secret, "type"),
		 user ? " of " : "", user ? user : "", shown(entry, "kind"),
		 json_object_get_boolean(json_object_object_get(entry, "planted")) ? "honeytoken"
										   : "decoy",
		 shown(entry, "stands_for"), shown(entry, "file"), shown(entry, "host"));
}

int decoy_whois(const char *dir, const char *secret, char *out, size_t outlen, char *err,
		size_t errlen)
{
	struct json_object *ledger, *decoys;
	int found = 0;

	if (!*secret)
		return 0;
	ledger = ledger_load(dir, err, errlen);
	if (!ledger)
		return -1;
	json_object_object_get_ex(ledger, "decoys", &decoys);
	for (size_t i = 0; !found && i < json_object_array_length(decoys); i++) {
		struct json_object *entry = json_object_array_get_idx(decoys, i), *secrets;

		if (!json_object_object_get_ex(entry, "secrets", &secrets) ||
		    !json_object_is_type(secrets, json_type_array))
			continue;
		for (size_t j = 0; !found && j < json_object_array_length(secrets); j++) {
			struct json_object *s = json_object_array_get_idx(secrets, j);
			const char *value = entry_string(s, "value");

			if (value && !strcmp(value, secret)) {
				describe(entry, s, out, outlen);
				found = 1;
			}
		}
	}
	json_object_put(ledger);
	return found;
}
