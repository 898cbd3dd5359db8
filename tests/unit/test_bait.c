/* The pure parts of the honeypot's bait: the decoy Redis's protocol (what a
 * client may send, in pieces or in bulk, and what the decoy answers), and
 * how a honeytoken's opener is read from /proc/TID/syscall. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "act/decoy_resp.h"
#include "act/honeytoken.h"

#define LIMIT 4096

/* The reply to a whole command given as text; "" when it does not parse. */
static const char *reply_to(const char *text, bool *quit)
{
	static char out[2048];
	struct vg_resp_command cmd;
	ssize_t used = resp_parse_command(text, strlen(text), LIMIT, &cmd);
	size_t n;

	assert_int_equal(used, (ssize_t)strlen(text));
	n = resp_reply(&cmd, out, sizeof(out) - 1, quit);
	out[n] = '\0';
	return out;
}

static void assert_reply(const char *text, const char *expected)
{
	bool quit;

	assert_string_equal(reply_to(text, &quit), expected);
}

static void test_ping_both_syntaxes(void **state)
{
	(void)state;
	assert_reply("*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
	assert_reply("PING\r\n", "+PONG\r\n");
	assert_reply("ping\n", "+PONG\r\n");
	assert_reply("*2\r\n$4\r\nping\r\n$5\r\nhello\r\n", "$5\r\nhello\r\n");
	assert_reply("*3\r\n$4\r\nPING\r\n$1\r\na\r\n$1\r\nb\r\n",
		     "-ERR wrong number of arguments for 'ping' command\r\n");
}

static void test_auth_config_keys(void **state)
{
	(void)state;
	assert_reply("AUTH hunter2\r\n", "+OK\r\n");
	assert_reply("AUTH default hunter2\r\n", "+OK\r\n");
	assert_reply("CONFIG GET dir\r\n", "*2\r\n$3\r\ndir\r\n$14\r\n/var/lib/redis\r\n");
	assert_reply("CONFIG GET nosuchthing\r\n", "*0\r\n");
	assert_reply("*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$3\r\ndir\r\n$11\r\n/root/.ssh/\r\n",
		     "+OK\r\n");
	assert_reply("KEYS backup:*\r\n", "*1\r\n$21\r\nbackup:db_credentials\r\n");
	assert_reply("KEYS nothing*\r\n", "*0\r\n");
	assert_true(strncmp(reply_to("INFO\r\n", &(bool){0}), "$", 1) == 0);
	assert_non_null(strstr(reply_to("INFO\r\n", &(bool){0}), "redis_version:"));
}

static void test_unknown_and_quit(void **state)
{
	bool quit = false;

	(void)state;
	assert_reply("FLUSHALL now\r\n",
		     "-ERR unknown command 'FLUSHALL', with args beginning with: 'now' \r\n");
	assert_string_equal(reply_to("QUIT\r\n", &quit), "+OK\r\n");
	assert_true(quit);
	/* A blank inline line is no command and gets no reply. */
	assert_reply("\r\n", "");
}

static void test_incomplete_then_complete(void **state)
{
	const char *text = "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n*1\r\n$4\r\nPING\r\n";
	size_t first = strlen("*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n");
	struct vg_resp_command cmd;

	(void)state;
	/* Every cut inside the first command is "not complete yet". */
	for (size_t cut = 0; cut < first; cut++)
		assert_int_equal(resp_parse_command(text, cut, LIMIT, &cmd), 0);
	assert_int_equal(resp_parse_command(text, strlen(text), LIMIT, &cmd), (ssize_t)first);
	assert_int_equal(cmd.argc, 2);
	assert_int_equal(cmd.argv[1].len, 3);
	assert_memory_equal(cmd.argv[1].ptr, "abc", 3);
	assert_int_equal(resp_parse_command("PING", 4, LIMIT, &cmd), 0);
}

static void test_protocol_errors(void **state)
{
	struct vg_resp_command cmd;

	(void)state;
	assert_int_equal(resp_parse_command("*1\r\n+PING\r\n", 11, LIMIT, &cmd), -1);
	assert_int_equal(resp_parse_command("*x\r\n", 4, LIMIT, &cmd), -1);
	assert_int_equal(resp_parse_command("*1\r\n$99999\r\n", 12, LIMIT, &cmd), -1);
	assert_int_equal(resp_parse_command("*1\r\n$2\r\nabcd\r\n", 14, LIMIT, &cmd), -1);
	assert_int_equal(resp_parse_command("*99999999999999999999\r\n", 23, LIMIT, &cmd), -1);
	/* An inline line longer than the buffer will never complete. */
	char line[LIMIT + 10];
	memset(line, 'a', sizeof(line));
	assert_int_equal(resp_parse_command(line, sizeof(line), LIMIT, &cmd), -1);
}

static void test_many_arguments_counted(void **state)
{
	char text[512] = "*20\r\n$4\r\nKEYS\r\n";
	struct vg_resp_command cmd;
	bool quit;
	char out[256];

	(void)state;
	for (int i = 1; i < 20; i++)
		strcat(text, "$1\r\nx\r\n");
	assert_int_equal(resp_parse_command(text, strlen(text), LIMIT, &cmd),
			 (ssize_t)strlen(text));
	assert_int_equal(cmd.argc, 20);
	assert_true(resp_reply(&cmd, out, sizeof(out), &quit) > 0);
	assert_memory_equal(out, "-ERR wrong number", 17);
}

static void test_reply_cut_to_buffer(void **state)
{
	struct vg_resp_command cmd;
	char out[16];
	bool quit;

	(void)state;
	resp_parse_command("INFO\r\n", 6, LIMIT, &cmd);
	assert_int_equal(resp_reply(&cmd, out, sizeof(out), &quit), sizeof(out));
}

static void test_syscall_line(void **state)
{
	uint64_t args[6];
	long nr;

	(void)state;
	assert_int_equal(honeytoken_parse_syscall("257 0xffffff9c 0x7ffc1000 0x0 0x0 0x0 0x0 "
						  "0x7ffc0ff8 0x7f0000001234\n",
						  &nr, args),
			 0);
	assert_int_equal(nr, SYS_openat);
	assert_int_equal(args[1], 0x7ffc1000);
	assert_int_equal(honeytoken_access_of(nr, args), VG_HONEYTOKEN_ACCESS_READ);
	args[2] = O_WRONLY | O_CREAT;
	assert_int_equal(honeytoken_access_of(nr, args), VG_HONEYTOKEN_ACCESS_WRITE);
	args[2] = O_RDWR;
	assert_int_equal(honeytoken_access_of(nr, args), VG_HONEYTOKEN_ACCESS_READ_WRITE);
	assert_int_equal(honeytoken_access_of(SYS_execve, args), VG_HONEYTOKEN_ACCESS_EXEC);
	assert_int_equal(honeytoken_access_of(SYS_openat2, args), VG_HONEYTOKEN_ACCESS_UNKNOWN);
	/* Not blocked in a system call, or running: nothing to read. */
	assert_int_equal(honeytoken_parse_syscall("running\n", &nr, args), -1);
	assert_int_equal(honeytoken_parse_syscall("-1 0x7ffc0ff8 0x7f0000001234\n", &nr, args), -1);
	assert_string_equal(honeytoken_access_name(VG_HONEYTOKEN_ACCESS_READ_WRITE), "read-write");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ping_both_syntaxes),
	    cmocka_unit_test(test_auth_config_keys),
	    cmocka_unit_test(test_unknown_and_quit),
	    cmocka_unit_test(test_incomplete_then_complete),
	    cmocka_unit_test(test_protocol_errors),
	    cmocka_unit_test(test_many_arguments_counted),
	    cmocka_unit_test(test_reply_cut_to_buffer),
	    cmocka_unit_test(test_syscall_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
