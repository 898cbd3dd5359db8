#include "act/decoy_formats.h"

#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "common/cleanup.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A passwd line longer than this is not one a real system has; it is skipped
 * as malformed rather than trusted. */
#define PASSWD_LINE_MAX		4096
#define USER_NAME_MAX		32
#define PASSWORD_SHORT_ATTEMPTS 16
#define ED25519_LEN		32
/* openssh-key-v1 pads the private section to the cipher block size, 8 for
 * "none", and wraps its base64 at 70 columns, as ssh-keygen writes it. */
#define SSH_BLOCK	8
#define SSH_BASE64_COLS 70

/* Weak passwords an attacker's wordlist holds: a use of one is likely, and
 * with two digits each host and user gets its own. */
static const char *const common_words[] = {
    "password", "welcome",   "dragon",	"monkey",   "sunshine", "princess",  "football",
    "baseball", "master",    "shadow",	"letmein",  "qwerty",	"superman",  "batman",
    "trustno1", "iloveyou",  "summer",	"winter",   "spring",	"autumn",    "michael",
    "jessica",	"charlie",   "jordan",	"hunter",   "ranger",	"buster",    "soccer",
    "hockey",	"killer",    "george",	"andrew",   "harley",	"thomas",    "robert",
    "matthew",	"daniel",    "ginger",	"pepper",   "cheese",	"cookie",    "chelsea",
    "arsenal",	"liverpool", "london",	"paris",    "berlin",	"admin",     "server",
    "linux",	"ubuntu",    "debian",	"changeme", "secret",	"access",    "login",
    "orange",	"banana",    "purple",	"silver",   "golden",	"diamond",   "tigger",
    "yankees",	"rainbow",   "flower",	"mustang",  "corvette", "ferrari",   "porsche",
    "falcon",	"phoenix",   "thunder", "matrix",   "starwars", "pokemon",   "nintendo",
    "computer", "internet",  "freedom", "family",   "forever",	"blessed",   "angel",
    "lovely",	"happy",     "sunday",	"friday",   "coffee",	"chocolate", "pizza",
    "guitar",	"music",     "dolphin", "panther",  "tiger",
};

static const char *const aws_regions[] = {
    "us-east-1",    "us-east-2", "us-west-2",	   "eu-west-1",
    "eu-central-1", "eu-west-2", "ap-southeast-1", "ap-northeast-1",
};

#define BASE32_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define ALNUM	     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define BASE64_CHARS ALNUM "+/"

struct passwd_user {
	char name[USER_NAME_MAX + 1];
	unsigned long uid;
	bool login_shell;
	char *home;
};

struct passwd_users {
	struct passwd_user *list;
	size_t count;
	unsigned skipped;
};

/* asprintf() that leaves NULL, not an undefined pointer, on failure, so the
 * result can live in a _cleanup_free_ variable. */
__attribute__((format(printf, 1, 2))) static char *format(const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : text;
}

static int fail_errno(char *err, size_t errlen, const char *what, const char *op)
{
	snprintf(err, errlen, "decoys: %s: %s: %s", what, op, strerror(errno));
	return -1;
}

static int fail_msg(char *err, size_t errlen, const char *what, const char *msg)
{
	snprintf(err, errlen, "decoys: %s: %s", what, msg);
	return -1;
}

/* HMAC-SHA256(host key, kind|stands_for|label): every value in a decoy comes
 * from here, so it differs per host, per decoy and per purpose, and the same
 * inputs give the same bytes. The path is length-prefixed: it may hold '|'. */
static int derive(const struct decoy_inputs *in, enum vg_decoy_kind kind, const char *label,
		  unsigned char out[SHA256_DIGEST_LENGTH])
{
	_cleanup_free_ char *message = format("%s|%zu:%s|%s", policy_decoy_kind_name(kind),
					      strlen(in->stands_for), in->stands_for, label);
	unsigned int len = SHA256_DIGEST_LENGTH;

	if (!message)
		return -1;
	return HMAC(EVP_sha256(), in->host_key, DECOY_HOST_KEY_LEN, (unsigned char *)message,
		    strlen(message), out, &len)
		   ? 0
		   : -1;
}

/* LEN characters of ALPHABET into out (LEN + 1 bytes), one derived byte each,
 * as many HMAC blocks as needed. */
static int derive_chars(const struct decoy_inputs *in, enum vg_decoy_kind kind, const char *label,
			const char *alphabet, size_t len, char *out)
{
	size_t alphabet_len = strlen(alphabet);
	unsigned char block[SHA256_DIGEST_LENGTH];
	char block_label[256];

	for (size_t i = 0; i < len; i++) {
		if (i % sizeof(block) == 0) {
			snprintf(block_label, sizeof(block_label), "%s#%zu", label,
				 i / sizeof(block));
			if (derive(in, kind, block_label, block))
				return -1;
		}
		out[i] = alphabet[block[i % sizeof(block)] % alphabet_len];
	}
	out[len] = '\0';
	return 0;
}

static uint32_t derived_u32(const unsigned char *bytes)
{
	return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 |
	       bytes[3];
}

/* ---- the passwd file ------------------------------------------------------ */

/* What useradd accepts: portable characters, not starting with '-', an
 * optional trailing '$' (Samba machine accounts). Anything else (control
 * characters, non-ASCII bytes, ':' smuggled in) is not copied into a decoy. */
static bool valid_user_name(const char *name, size_t len)
{
	if (len == 0 || len > USER_NAME_MAX || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-' || (c == '$' && i == len - 1))
			continue;
		return false;
	}
	return true;
}

static bool parse_uid(const char *text, unsigned long *uid)
{
	char *end;

	if (*text < '0' || *text > '9' || strlen(text) > 10)
		return false;
	errno = 0;
	*uid = strtoul(text, &end, 10);
	return !errno && !*end && *uid <= UINT32_MAX;
}

static bool is_login_shell(const char *shell)
{
	size_t len = strlen(shell);

	return len && !(len >= 8 && !strcmp(shell + len - 8, "/nologin")) &&
	       !(len >= 6 && !strcmp(shell + len - 6, "/false"));
}

/* Splits "name:x:uid:gid:gecos:home:shell" into *user; false if the line is
 * not exactly that. */
static bool parse_passwd_line(char *line, struct passwd_user *user)
{
	char *fields[7];
	size_t count = 0;

	for (char *p = line;; p++) {
		if (count == ARRAY_SIZE(fields))
			return false;
		fields[count++] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p = '\0';
	}
	if (count != ARRAY_SIZE(fields) || !valid_user_name(fields[0], strlen(fields[0])) ||
	    !parse_uid(fields[2], &user->uid) || fields[5][0] != '/')
		return false;
	snprintf(user->name, sizeof(user->name), "%s", fields[0]);
	user->login_shell = is_login_shell(fields[6]);
	user->home = strdup(fields[5]);
	return user->home != NULL;
}

static void passwd_users_free(struct passwd_users *users)
{
	for (size_t i = 0; i < users->count; i++)
		free(users->list[i].home);
	free(users->list);
}

/* Every well-formed user of the passwd file, in its order; malformed lines
 * (too long, wrong field count, unusable name or uid) are counted and
 * skipped, blank lines ignored. */
static int read_passwd(const char *path, struct passwd_users *users, char *err, size_t errlen)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	*users = (struct passwd_users){0};
	if (!f)
		return fail_errno(err, errlen, path, "open");
	/* getline() ends both at EOF and when a line cannot be allocated; only
	 * the second sets errno, so it is cleared before each call. */
	for (errno = 0; (len = getline(&line, &cap, f)) >= 0; errno = 0) {
		struct passwd_user user;
		struct passwd_user *grown;

		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (len > PASSWD_LINE_MAX || strlen(line) != (size_t)len ||
		    !parse_passwd_line(line, &user)) {
			users->skipped++;
			continue;
		}
		grown = reallocarray(users->list, users->count + 1, sizeof(*grown));
		if (!grown) {
			free(user.home);
			passwd_users_free(users);
			return fail_msg(err, errlen, path, "out of memory");
		}
		users->list = grown;
		users->list[users->count++] = user;
	}
	if (ferror(f) || errno) {
		passwd_users_free(users);
		return fail_errno(err, errlen, path, "read");
	}
	return 0;
}

/* The user whose home directory holds PATH (the longest match, "/" never
 * counts); else the first human account; else root. Names the owner in key
 * comments and credential URLs. */
static const char *owner_of(const struct passwd_users *users, const char *path)
{
	const struct passwd_user *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < users->count; i++) {
		const char *home = users->list[i].home;
		size_t len = strlen(home);

		while (len > 1 && home[len - 1] == '/')
			len--;
		if (len > 1 && len > best_len && !strncmp(path, home, len) &&
		    (path[len] == '/' || path[len] == '\0')) {
			best = &users->list[i];
			best_len = len;
		}
	}
	if (best)
		return best->name;
	for (size_t i = 0; i < users->count; i++)
		if (users->list[i].uid >= 1000 && users->list[i].uid != 65534 &&
		    users->list[i].login_shell)
			return users->list[i].name;
	return "root";
}

/* ---- shared output helpers ----------------------------------------------- */

static int add_secret(struct json_object *secrets, const char *type, const char *user,
		      const char *value)
{
	struct json_object *secret = json_object_new_object();

	if (!secret)
		return -1;
	if (json_object_object_add(secret, "type", json_object_new_string(type)) ||
	    (user && json_object_object_add(secret, "user", json_object_new_string(user))) ||
	    json_object_object_add(secret, "value", json_object_new_string(value)) ||
	    json_object_array_add(secrets, secret)) {
		json_object_put(secret);
		return -1;
	}
	return 0;
}

/* Closes a memstream; -1 if anything written to it failed. Its buffer is
 * the caller's either way. */
static int close_stream(FILE *stream)
{
	bool failed = ferror(stream);

	return fclose(stream) || failed ? -1 : 0;
}

/* ---- shadow --------------------------------------------------------------- */

enum account_class { ACCOUNT_SYSTEM, ACCOUNT_LOCKED, ACCOUNT_PASSWORD };

/* As Debian's installer and useradd leave them: root and human accounts with
 * a login shell have a password, other human accounts are locked ('!'),
 * system accounts and nobody have none ('*'). */
static enum account_class classify(const struct passwd_user *user)
{
	if (user->uid == 0)
		return ACCOUNT_PASSWORD;
	if (user->uid < 1000 || user->uid == 65534)
		return ACCOUNT_SYSTEM;
	return user->login_shell ? ACCOUNT_PASSWORD : ACCOUNT_LOCKED;
}

static bool password_taken(struct json_object *secrets, const char *password)
{
	for (size_t i = 0; i < json_object_array_length(secrets); i++) {
		struct json_object *value;

		if (json_object_object_get_ex(json_object_array_get_idx(secrets, i), "value",
					      &value) &&
		    !strcmp(json_object_get_string(value), password))
			return true;
	}
	return false;
}

/* A common word, maybe capitalised, and two digits; unique within this
 * decoy so that a use names one user. Past the first attempts (a passwd
 * with thousands of users exhausts word x digits) the attempt number is
 * appended, which makes every further candidate new and ends the loop. */
static int weak_password(const struct decoy_inputs *in, const char *user, struct json_object *taken,
			 char *out, size_t outlen)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char label[128];

	for (unsigned attempt = 0;; attempt++) {
		snprintf(label, sizeof(label), "password|%s|%u", user, attempt);
		if (derive(in, VG_DECOY_SHADOW, label, h))
			return -1;
		snprintf(out, outlen, "%s%02u",
			 common_words[((unsigned)h[0] << 8 | h[1]) % ARRAY_SIZE(common_words)],
			 h[3] % 100u);
		if (attempt >= PASSWORD_SHORT_ATTEMPTS)
			snprintf(out + strlen(out), outlen - strlen(out), "%u", attempt);
		if (h[2] & 1)
			out[0] = (char)(out[0] - 'a' + 'A');
		if (!password_taken(taken, out))
			return 0;
	}
}

/* "$6$SALT$HASH": SHA-512 crypt with a derived 16-byte salt. */
static int sha512_crypt(const struct decoy_inputs *in, const char *user, const char *password,
			struct crypt_data *data, char *out, size_t outlen)
{
	unsigned char salt[SHA256_DIGEST_LENGTH];
	char label[128], setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *hash;

	snprintf(label, sizeof(label), "salt|%s", user);
	if (derive(in, VG_DECOY_SHADOW, label, salt) ||
	    !crypt_gensalt_rn("$6$", 0, (const char *)salt, 16, setting, sizeof(setting)))
		return -1;
	hash = crypt_r(password, setting, data);
	if (!hash || hash[0] != '$')
		return -1;
	snprintf(out, outlen, "%s", hash);
	return 0;
}

/* Days since the epoch: the install day (per host, between mid-2021 and
 * early 2025), and for each account with a password a later change. */
static long change_day(const struct decoy_inputs *in, const char *label, long base, long spread)
{
	unsigned char h[SHA256_DIGEST_LENGTH];

	if (derive(in, VG_DECOY_SHADOW, label, h))
		return -1;
	return base + (long)(derived_u32(h) % (uint32_t)spread);
}

static int shadow_line(const struct decoy_inputs *in, const struct passwd_user *user,
		       long install_day, struct decoy_content *out, struct crypt_data *data,
		       FILE *stream)
{
	char password[64], hash[CRYPT_OUTPUT_SIZE], label[128];
	long day = install_day;

	switch (classify(user)) {
	case ACCOUNT_SYSTEM:
		snprintf(hash, sizeof(hash), "*");
		break;
	case ACCOUNT_LOCKED:
		snprintf(hash, sizeof(hash), "!");
		break;
	case ACCOUNT_PASSWORD:
		snprintf(label, sizeof(label), "lastchg|%s", user->name);
		if (user->uid != 0)
			day = change_day(in, label, install_day, 400);
		if (day < 0 ||
		    weak_password(in, user->name, out->secrets, password, sizeof(password)) ||
		    sha512_crypt(in, user->name, password, data, hash, sizeof(hash)) ||
		    add_secret(out->secrets, "password", user->name, password))
			return -1;
		break;
	}
	return fprintf(stream, "%s:%s:%ld:0:99999:7:::\n", user->name, hash, day) < 0 ? -1 : 0;
}

static int generate_shadow(const struct decoy_inputs *in, const struct passwd_users *users,
			   struct decoy_content *out, char *err, size_t errlen)
{
	_cleanup_free_ struct crypt_data *data = calloc(1, sizeof(*data));
	_cleanup_free_ char *buf = NULL;
	long install_day = change_day(in, "install-day", 18800, 1300);
	size_t len = 0;
	FILE *stream = open_memstream(&buf, &len);

	if (!data || !stream || install_day < 0) {
		if (stream)
			fclose(stream);
		return fail_msg(err, errlen, in->stands_for, "out of memory");
	}
	for (size_t i = 0; i < users->count; i++) {
		if (shadow_line(in, &users->list[i], install_day, out, data, stream)) {
			fclose(stream);
			snprintf(err, errlen, "decoys: %s: hashing the password of %s failed",
				 in->stands_for, users->list[i].name);
			return -1;
		}
	}
	if (close_stream(stream))
		return fail_msg(err, errlen, in->stands_for, "out of memory");
	out->data = steal_pointer(&buf);
	out->len = len;
	return 0;
}

/* ---- OpenSSH private key -------------------------------------------------- */

static void put_u32(FILE *stream, uint32_t v)
{
	unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};

	fwrite(b, 1, sizeof(b), stream);
}

static void put_string(FILE *stream, const void *data, size_t len)
{
	put_u32(stream, (uint32_t)len);
	fwrite(data, 1, len, stream);
}

static void put_cstring(FILE *stream, const char *s)
{
	put_string(stream, s, strlen(s));
}

/* Base64 of LEN bytes into a fresh string; without '=' padding if asked
 * (ssh-keygen's fingerprints have none). */
static char *base64(const unsigned char *data, size_t len, bool padded)
{
	char *text = malloc(4 * ((len + 2) / 3) + 1);
	int n;

	if (!text)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)text, data, (int)len);
	while (!padded && n > 0 && text[n - 1] == '=')
		text[--n] = '\0';
	return text;
}

/* "SHA256:..." of the public key blob, as `ssh-keygen -l` prints it. */
static char *ssh_fingerprint(const unsigned char *blob, size_t len)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	_cleanup_free_ char *b64 = NULL;

	SHA256(blob, len, digest);
	b64 = base64(digest, sizeof(digest), false);
	return b64 ? format("SHA256:%s", b64) : NULL;
}

/* The Ed25519 key pair of this decoy: the private key is a derived seed. */
static int ed25519_pair(const struct decoy_inputs *in, unsigned char seed[ED25519_LEN],
			unsigned char pub[ED25519_LEN])
{
	EVP_PKEY *key;
	size_t len = ED25519_LEN;
	int rc;

	if (derive(in, VG_DECOY_SSH_KEY, "ed25519-seed", seed))
		return -1;
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, ED25519_LEN);
	rc = key && EVP_PKEY_get_raw_public_key(key, pub, &len) && len == ED25519_LEN ? 0 : -1;
	EVP_PKEY_free(key);
	return rc;
}

/* The openssh-key-v1 binary: unencrypted ("none"), one key, its public blob,
 * then the private section (check integers, key, comment, padding). */
static int openssh_key_blob(const unsigned char *seed, const unsigned char *pub,
			    const unsigned char *pub_blob, size_t pub_blob_len, uint32_t checkint,
			    const char *comment, char **blob, size_t *blob_len)
{
	unsigned char secret[2 * ED25519_LEN];
	_cleanup_free_ char *section = NULL;
	size_t section_len = 0;
	FILE *stream = open_memstream(&section, &section_len);

	if (!stream)
		return -1;
	memcpy(secret, seed, ED25519_LEN);
	memcpy(secret + ED25519_LEN, pub, ED25519_LEN);
	put_u32(stream, checkint);
	put_u32(stream, checkint);
	put_cstring(stream, "ssh-ed25519");
	put_string(stream, pub, ED25519_LEN);
	put_string(stream, secret, sizeof(secret));
	put_cstring(stream, comment);
	for (unsigned char pad = 1; ftell(stream) % SSH_BLOCK; pad++)
		fputc(pad, stream);
	if (close_stream(stream))
		return -1;

	stream = open_memstream(blob, blob_len);
	if (!stream)
		return -1;
	fwrite("openssh-key-v1", 1, sizeof("openssh-key-v1"), stream); /* with its NUL */
	put_cstring(stream, "none");
	put_cstring(stream, "none");
	put_cstring(stream, "");
	put_u32(stream, 1);
	put_string(stream, pub_blob, pub_blob_len);
	put_string(stream, section, section_len);
	return close_stream(stream);
}

/* The armored text ssh-keygen writes, into out. */
static int armor(const char *b64, struct decoy_content *out)
{
	_cleanup_free_ char *buf = NULL;
	size_t b64_len = strlen(b64), len = 0;
	FILE *stream = open_memstream(&buf, &len);

	if (!stream)
		return -1;
	fputs("-----BEGIN OPENSSH PRIVATE KEY-----\n", stream);
	for (size_t i = 0; i < b64_len; i += SSH_BASE64_COLS)
		fprintf(stream, "%.*s\n", SSH_BASE64_COLS, b64 + i);
	fputs("-----END OPENSSH PRIVATE KEY-----\n", stream);
	if (close_stream(stream))
		return -1;
	out->data = steal_pointer(&buf);
	out->len = len;
	return 0;
}

static int generate_ssh_key(const struct decoy_inputs *in, const struct passwd_users *users,
			    struct decoy_content *out, char *err, size_t errlen)
{
	unsigned char seed[ED25519_LEN], pub[ED25519_LEN], check[SHA256_DIGEST_LENGTH];
	_cleanup_free_ char *pub_blob = NULL, *blob = NULL, *b64 = NULL, *fingerprint = NULL,
			    *comment = NULL;
	const char *owner = owner_of(users, in->stands_for);
	size_t pub_blob_len = 0, blob_len = 0;
	FILE *stream;

	if (ed25519_pair(in, seed, pub) || derive(in, VG_DECOY_SSH_KEY, "checkint", check))
		return fail_msg(err, errlen, in->stands_for, "deriving the Ed25519 key failed");
	stream = open_memstream(&pub_blob, &pub_blob_len);
	if (!stream)
		return fail_msg(err, errlen, in->stands_for, "out of memory");
	put_cstring(stream, "ssh-ed25519");
	put_string(stream, pub, ED25519_LEN);
	if (close_stream(stream) || !(comment = format("%s@%s", owner, in->hostname)) ||
	    openssh_key_blob(seed, pub, (unsigned char *)pub_blob, pub_blob_len, derived_u32(check),
			     comment, &blob, &blob_len) ||
	    !(b64 = base64((unsigned char *)blob, blob_len, true)) ||
	    !(fingerprint = ssh_fingerprint((unsigned char *)pub_blob, pub_blob_len)) ||
	    armor(b64, out) || add_secret(out->secrets, "ssh_fingerprint", owner, fingerprint))
		return fail_msg(err, errlen, in->stands_for, "out of memory");
	return 0;
}

/* ---- AWS and git credentials ---------------------------------------------- */

static int generate_aws(const struct decoy_inputs *in, const struct passwd_users *users,
			struct decoy_content *out, char *err, size_t errlen)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char key_id[4 + 16 + 1] = "AKIA", secret[40 + 1];
	const char *owner = owner_of(users, in->stands_for);
	char *text;

	if (derive_chars(in, VG_DECOY_AWS_CREDENTIALS, "access-key-id", BASE32_UPPER, 16,
			 key_id + 4) ||
	    derive_chars(in, VG_DECOY_AWS_CREDENTIALS, "secret-access-key", BASE64_CHARS, 40,
			 secret) ||
	    derive(in, VG_DECOY_AWS_CREDENTIALS, "region", h))
		return fail_msg(err, errlen, in->stands_for, "deriving the credentials failed");
	text = format("[default]\n"
		      "aws_access_key_id = %s\n"
		      "aws_secret_access_key = %s\n"
		      "region = %s\n",
		      key_id, secret, aws_regions[h[0] % ARRAY_SIZE(aws_regions)]);
	if (!text || add_secret(out->secrets, "aws_access_key_id", owner, key_id) ||
	    add_secret(out->secrets, "aws_secret_access_key", owner, secret)) {
		free(text);
		return fail_msg(err, errlen, in->stands_for, "out of memory");
	}
	out->data = text;
	out->len = strlen(text);
	return 0;
}

/* A GitHub classic personal access token: "ghp_" and 36 alphanumerics. */
static int generate_git(const struct decoy_inputs *in, const struct passwd_users *users,
			struct decoy_content *out, char *err, size_t errlen)
{
	char token[4 + 36 + 1] = "ghp_";
	const char *owner = owner_of(users, in->stands_for);
	char *text;

	if (derive_chars(in, VG_DECOY_GIT_CREDENTIALS, "github-token", ALNUM, 36, token + 4))
		return fail_msg(err, errlen, in->stands_for, "deriving the token failed");
	text = format("https://%s:%s@github.com\n", owner, token);
	if (!text || add_secret(out->secrets, "github_token", owner, token)) {
		free(text);
		return fail_msg(err, errlen, in->stands_for, "out of memory");
	}
	out->data = text;
	out->len = strlen(text);
	return 0;
}

void decoy_content_free(struct decoy_content *content)
{
	free(content->data);
	json_object_put(content->secrets);
	*content = (struct decoy_content){0};
}

int decoy_generate(enum vg_decoy_kind kind, const struct decoy_inputs *in,
		   struct decoy_content *out, char *err, size_t errlen)
{
	static int (*const generators[VG_DECOY_KINDS])(const struct decoy_inputs *,
						       const struct passwd_users *,
						       struct decoy_content *, char *, size_t) = {
	    [VG_DECOY_SHADOW] = generate_shadow,
	    [VG_DECOY_SSH_KEY] = generate_ssh_key,
	    [VG_DECOY_AWS_CREDENTIALS] = generate_aws,
	    [VG_DECOY_GIT_CREDENTIALS] = generate_git,
	};
	struct passwd_users users;
	int rc;

	*out = (struct decoy_content){0};
	if ((unsigned)kind >= VG_DECOY_KINDS)
		return fail_msg(err, errlen, in->stands_for, "unknown decoy kind");
	out->secrets = json_object_new_array();
	if (!out->secrets)
		return fail_msg(err, errlen, in->stands_for, "out of memory");
	if (read_passwd(in->passwd, &users, err, errlen)) {
		decoy_content_free(out);
		return -1;
	}
	out->skipped_passwd_lines = users.skipped;
	rc = generators[kind](in, &users, out, err, errlen);
	passwd_users_free(&users);
	if (rc)
		decoy_content_free(out);
	return rc;
}
