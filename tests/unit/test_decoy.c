/* Decoys: the same host key gives the same bytes and another gives others;
 * the shadow decoy lists the passwd users in order with hashes of the
 * ledger's passwords; the SSH key is one ssh-keygen reads, with the ledger's
 * fingerprint; honeytokens never overwrite; whois attributes secrets;
 * hostile passwd lines are skipped; failures name the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <crypt.h>
#include <json-c/json.h>

#include "temp_name.h"

#include "act/decoy.h"

#define PASSWD_TEXT                                                                                \
	"root:x:0:0:root:/root:/bin/bash\n"                                                        \
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"                                        \
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"                             \
	"alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"                                       \
	"svc:x:1001:1001::/home/svc:/usr/sbin/nologin\n"                                           \
	"carol:x:1002:1002::/home/carol:/bin/zsh\n"

static const char *const passwd_users[] = {"root", "daemon", "nobody", "alice", "svc", "carol"};

struct fixture {
	char tmp[64], passwd[128], dir[128];
	struct decoy_sources src;
};

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0;

	assert_non_null(f);
	assert_true(getdelim(&text, &cap, '\0', f) >= 0);
	fclose(f);
	return text;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || !mkdtemp(temp_name(f->tmp, sizeof(f->tmp), "/tmp/vg-test-decoy-")))
		return -1;
	snprintf(f->passwd, sizeof(f->passwd), "%s/passwd", f->tmp);
	snprintf(f->dir, sizeof(f->dir), "%s/decoys", f->tmp);
	write_text(f->passwd, PASSWD_TEXT, strlen(PASSWD_TEXT));
	f->src = (struct decoy_sources){.passwd = f->passwd, .hostname = "web-01"};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmp);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The decoy's bytes, after opening it through decoy_open. */
static char *decoy_text(const char *dir, enum vg_decoy_kind kind, const char *stands_for,
			const struct decoy_sources *src, char path[PATH_MAX])
{
	char err[512];
	int fd = decoy_open(dir, kind, stands_for, src, path, err, sizeof(err));

	if (fd < 0)
		fail_msg("decoy_open: %s", err);
	close(fd);
	return read_text(path);
}

/* The value of the ledger secret of TYPE (and USER, if not NULL). */
static char *ledger_secret(const char *dir, const char *type, const char *user)
{
	char path[PATH_MAX], *found = NULL;
	struct json_object *ledger, *decoys, *secrets, *v;

	snprintf(path, sizeof(path), "%s/ledger.json", dir);
	ledger = json_object_from_file(path);
	assert_non_null(ledger);
	assert_true(json_object_object_get_ex(ledger, "decoys", &decoys));
	for (size_t i = 0; !found && i < json_object_array_length(decoys); i++) {
		assert_true(json_object_object_get_ex(json_object_array_get_idx(decoys, i),
						      "secrets", &secrets));
		for (size_t j = 0; !found && j < json_object_array_length(secrets); j++) {
			struct json_object *s = json_object_array_get_idx(secrets, j);

			assert_true(json_object_object_get_ex(s, "type", &v));
			if (strcmp(json_object_get_string(v), type))
				continue;
			if (user && (!json_object_object_get_ex(s, "user", &v) ||
				     strcmp(json_object_get_string(v), user)))
				continue;
			assert_true(json_object_object_get_ex(s, "value", &v));
			found = strdup(json_object_get_string(v));
		}
	}
	json_object_put(ledger);
	return found;
}

static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

static void test_deterministic_per_host(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], again_path[PATH_MAX], other_dir[160], key[PATH_MAX];

	snprintf(other_dir, sizeof(other_dir), "%s/other-host", f->tmp);
	for (enum vg_decoy_kind kind = 0; kind < VG_DECOY_KINDS; kind++) {
		char *first = decoy_text(f->dir, kind, "/root/secret", &f->src, path), *again,
		     *other;

		/* Regenerated from scratch: the same bytes. */
		assert_int_equal(unlink(path), 0);
		again = decoy_text(f->dir, kind, "/root/secret", &f->src, again_path);
		assert_string_equal(path, again_path);
		assert_string_equal(first, again);
		/* Another host (another host.key): other bytes. */
		other = decoy_text(other_dir, kind, "/root/secret", &f->src, again_path);
		assert_string_not_equal(first, other);
		assert_mode(path, 0600);
		free(first);
		free(again);
		free(other);
	}
	assert_mode(f->dir, 0700);
	snprintf(key, sizeof(key), "%s/host.key", f->dir);
	assert_mode(key, 0600);
	snprintf(key, sizeof(key), "%s/ledger.json", f->dir);
	assert_mode(key, 0600);
}

static void test_shadow_lists_users_with_ledger_hashes(void **state)
{
	struct fixture *f = *state;
	struct crypt_data *data = calloc(1, sizeof(*data));
	char path[PATH_MAX],
	    *text = decoy_text(f->dir, VG_DECOY_SHADOW, "/etc/shadow", &f->src, path);
	char *line, *save = NULL, *alice = ledger_secret(f->dir, "password", "alice");
	size_t i = 0;

	assert_non_null(data);
	assert_non_null(alice);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		char name[64], hash[256];
		char *password;

		assert_true(i < sizeof(passwd_users) / sizeof(passwd_users[0]));
		assert_int_equal(sscanf(line, "%63[^:]:%255[^:]:", name, hash), 2);
		assert_string_equal(name, passwd_users[i]);
		if (!strcmp(name, "daemon") || !strcmp(name, "nobody")) {
			assert_string_equal(hash, "*");
			continue;
		}
		if (!strcmp(name, "svc")) {
			assert_string_equal(hash, "!");
			continue;
		}
		assert_memory_equal(hash, "$6$", 3);
		password = ledger_secret(f->dir, "password", name);
		assert_non_null(password);
		assert_string_equal(crypt_r(password, hash, data), hash);
		if (strcmp(name, "alice"))
			assert_string_not_equal(crypt_r(alice, hash, data), hash);
		free(password);
	}
	assert_int_equal(i, sizeof(passwd_users) / sizeof(passwd_users[0]));
	free(alice);
	free(text);
	free(data);
}

static void test_ssh_key_parses_with_ledger_fingerprint(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], cmd[PATH_MAX + 64], line[512];
	char *text =
	    decoy_text(f->dir, VG_DECOY_SSH_KEY, "/home/alice/.ssh/id_ed25519", &f->src, path);
	char *fingerprint = ledger_secret(f->dir, "ssh_fingerprint", "alice");
	FILE *p;

	assert_non_null(fingerprint);
	assert_memory_equal(text, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36);
	assert_non_null(strstr(text, "\n-----END OPENSSH PRIVATE KEY-----\n"));
	/* "openssh-key-v1\0" in base64. */
	assert_memory_equal(text + 36, "b3BlbnNzaC1rZXktdjEAAAAA", 24);
	if (access("/usr/bin/ssh-keygen", X_OK)) {
		print_message("ssh-keygen absent: key checked by its format only\n");
	} else {
		snprintf(cmd, sizeof(cmd), "ssh-keygen -y -f '%s' 2>&1", path);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_non_null(fgets(line, sizeof(line), p));
		assert_int_equal(pclose(p), 0);
		assert_memory_equal(line, "ssh-ed25519 AAAA", 16);
		assert_non_null(strstr(line, " alice@web-01"));

		snprintf(cmd, sizeof(cmd), "ssh-keygen -l -f '%s' 2>&1", path);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_non_null(fgets(line, sizeof(line), p));
		assert_int_equal(pclose(p), 0);
		assert_non_null(strstr(line, fingerprint));
	}
	free(fingerprint);
	free(text);
}

static void test_credentials_formats(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], key_id[64], secret[64], region[32], user[32], token[64];
	char *aws =
	    decoy_text(f->dir, VG_DECOY_AWS_CREDENTIALS, "/root/.aws/credentials", &f->src, path);
	char *git = decoy_text(f->dir, VG_DECOY_GIT_CREDENTIALS, "/home/carol/.git-credentials",
			       &f->src, path);

	assert_int_equal(sscanf(aws,
				"[default]\naws_access_key_id = %63s\naws_secret_access_key = "
				"%63s\nregion = %31s\n",
				key_id, secret, region),
			 3);
	assert_int_equal(strlen(key_id), 20);
	assert_memory_equal(key_id, "AKIA", 4);
	assert_int_equal(strlen(secret), 40);
	assert_int_equal(sscanf(git, "https://%31[^:]:%63[^@]@github.com\n", user, token), 2);
	assert_string_equal(user, "carol");
	assert_int_equal(strlen(token), 40);
	assert_memory_equal(token, "ghp_", 4);
	free(aws);
	free(git);
}

static void test_decoy_takes_real_file_times(void **state)
{
	struct fixture *f = *state;
	char real[PATH_MAX], path[PATH_MAX];
	const struct timespec times[2] = {{.tv_sec = 1600000000}, {.tv_sec = 1500000000}};
	struct stat st;
	char err[512];
	int fd;

	snprintf(real, sizeof(real), "%s/real-shadow", f->tmp);
	write_text(real, "x", 1);
	assert_int_equal(utimensat(AT_FDCWD, real, times, 0), 0);
	/* Checked before any read, which may move the decoy's atime as it would
	 * the real file's. */
	fd = decoy_open(f->dir, VG_DECOY_SHADOW, real, &f->src, path, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(st.st_mtim.tv_sec, 1500000000);
	assert_int_equal(st.st_atim.tv_sec, 1600000000);
}

static void test_plant_never_overwrites(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], parent[PATH_MAX], mine[PATH_MAX], err[512], *text;

	snprintf(parent, sizeof(parent), "%s/home/alice/.aws", f->tmp);
	snprintf(path, sizeof(path), "%s/credentials", parent);
	assert_int_equal(
	    decoy_plant(f->dir, VG_DECOY_AWS_CREDENTIALS, path, &f->src, err, sizeof(err)), 1);
	assert_mode(path, 0600);
	assert_mode(parent, 0700);
	text = read_text(path);
	assert_memory_equal(text, "[default]\n", 10);
	free(text);
	assert_int_equal(
	    decoy_plant(f->dir, VG_DECOY_AWS_CREDENTIALS, path, &f->src, err, sizeof(err)), 0);

	snprintf(mine, sizeof(mine), "%s/.git-credentials", f->tmp);
	write_text(mine, "mine\n", 5);
	assert_int_equal(
	    decoy_plant(f->dir, VG_DECOY_GIT_CREDENTIALS, mine, &f->src, err, sizeof(err)), 0);
	text = read_text(mine);
	assert_string_equal(text, "mine\n");
	free(text);
}

static void test_whois_attributes_secrets(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], out[512], err[512], token_path[PATH_MAX];
	char *password, *token, *fingerprint;

	free(decoy_text(f->dir, VG_DECOY_SHADOW, "/etc/shadow", &f->src, path));
	free(decoy_text(f->dir, VG_DECOY_SSH_KEY, "/root/.ssh/id_ed25519", &f->src, path));
	snprintf(token_path, sizeof(token_path), "%s/.git-credentials", f->tmp);
	assert_int_equal(
	    decoy_plant(f->dir, VG_DECOY_GIT_CREDENTIALS, token_path, &f->src, err, sizeof(err)),
	    1);
	password = ledger_secret(f->dir, "password", "carol");
	token = ledger_secret(f->dir, "github_token", NULL);
	fingerprint = ledger_secret(f->dir, "ssh_fingerprint", "root");
	assert_non_null(password);
	assert_non_null(token);
	assert_non_null(fingerprint);

	assert_int_equal(decoy_whois(f->dir, password, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(out, "password of carol"));
	assert_non_null(strstr(out, "/etc/shadow"));
	assert_int_equal(decoy_whois(f->dir, token, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(out, "honeytoken"));
	assert_non_null(strstr(out, token_path));
	assert_int_equal(decoy_whois(f->dir, fingerprint, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(out, "ssh_fingerprint of root"));
	assert_int_equal(decoy_whois(f->dir, "hunter2", out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(decoy_whois(f->dir, "", out, sizeof(out), err, sizeof(err)), 0);
	free(password);
	free(token);
	free(fingerprint);
}

static void test_malformed_passwd_lines_skipped(void **state)
{
	struct fixture *f = *state;
	char long_line[10000], path[PATH_MAX], ledger[PATH_MAX];
	/* Each is one malformed line. */
	const char *const bad[] = {
	    "eve:x:1004\n",				  /* missing fields */
	    "\xff\xfe:x:1005:1005::/home/x:/bin/sh\n",	  /* not UTF-8 */
	    "mal lory:x:1006:1006::/home/m:/bin/sh\n",	  /* space in the name */
	    "trudy:x::1007::/home/t:/bin/sh\n",		  /* no uid */
	    "oscar:x:1008:1008::/home/o:/bin/sh:extra\n", /* too many fields */
	    "-rf:x:1009:1009::/home/r:/bin/sh\n",	  /* option-like name */
	    "+@nis:::::::\n",				  /* NIS compat */
	};
	FILE *out = fopen(f->passwd, "w");
	struct json_object *json, *decoys, *skipped;
	char *text, *line, *save = NULL;
	size_t lines = 0;

	assert_non_null(out);
	fputs("root:x:0:0:root:/root:/bin/bash\n", out);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		fputs(bad[i], out);
	memset(long_line, 'a', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	fprintf(out, "%s:x:1010:1010::/home/a:/bin/sh\n", long_line);
	fwrite("zed\0:x:1012:1012::/home/z:/bin/sh\n", 1, 34, out); /* a NUL in the line */
	fputs("\n", out);
	fputs("bob:x:1003:1003::/home/bob:/bin/bash\n", out);
	assert_int_equal(fclose(out), 0);

	text = decoy_text(f->dir, VG_DECOY_SHADOW, "/etc/shadow", &f->src, path);
	assert_memory_equal(text, "root:$6$", 8);
	assert_non_null(strstr(text, "\nbob:$6$"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t colons = 0;

		for (const char *c = line; *c; c++)
			colons += *c == ':';
		assert_int_equal(colons, 8);
		lines++;
	}
	assert_int_equal(lines, 2);
	free(text);

	snprintf(ledger, sizeof(ledger), "%s/ledger.json", f->dir);
	json = json_object_from_file(ledger);
	assert_non_null(json);
	assert_true(json_object_object_get_ex(json, "decoys", &decoys));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(decoys, 0),
					      "skipped_passwd_lines", &skipped));
	/* The seven above, the long line and the one with a NUL. */
	assert_int_equal(json_object_get_int(skipped), 9);
	json_object_put(json);
}

static void test_errors_name_the_file(void **state)
{
	struct fixture *f = *state;
	char blocker[PATH_MAX], dir[PATH_MAX + 16], path[PATH_MAX], err[512], expected[PATH_MAX];
	struct decoy_sources missing = {.passwd = "/nonexistent/passwd", .hostname = "h"};
	struct decoy_sources hostile = {.passwd = f->passwd, .hostname = "evil\nhost"};

	/* A file where the directory should be: mkdir fails whoever we are. */
	snprintf(blocker, sizeof(blocker), "%s/file", f->tmp);
	write_text(blocker, "x", 1);
	snprintf(dir, sizeof(dir), "%s/decoys", blocker);
	assert_int_equal(
	    decoy_open(dir, VG_DECOY_SHADOW, "/etc/shadow", &f->src, path, err, sizeof(err)), -1);
	snprintf(expected, sizeof(expected), "decoys: %s/decoys: mkdir: Not a directory", blocker);
	assert_string_equal(err, expected);

	/* A directory we may not write to (root may write anywhere). */
	if (geteuid() != 0) {
		snprintf(dir, sizeof(dir), "%s/locked", f->tmp);
		assert_int_equal(mkdir(dir, 0500), 0);
		assert_int_equal(decoy_open(dir, VG_DECOY_SHADOW, "/etc/shadow", &f->src, path, err,
					    sizeof(err)),
				 -1);
		assert_non_null(strstr(err, "Permission denied"));
		assert_non_null(strstr(err, dir));
	}

	assert_int_equal(
	    decoy_open(f->dir, VG_DECOY_SHADOW, "/etc/shadow", &missing, path, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "decoys: /nonexistent/passwd: open: No such file or directory");
	assert_int_equal(
	    decoy_open(f->dir, VG_DECOY_SSH_KEY, "/root/k", &hostile, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a valid host name"));
	assert_int_equal(
	    decoy_open(f->dir, VG_DECOY_SHADOW, "etc/shadow", &f->src, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an absolute path"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_deterministic_per_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shadow_lists_users_with_ledger_hashes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ssh_key_parses_with_ledger_fingerprint, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_credentials_formats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decoy_takes_real_file_times, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plant_never_overwrites, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whois_attributes_secrets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_passwd_lines_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors_name_the_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
