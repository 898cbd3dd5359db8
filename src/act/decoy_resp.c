#include "act/decoy_resp.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_ARRAY_LEN  (1024 * 1024) /* Redis's own limit on a command's arguments */
#define MAX_INT_DIGITS 18
#define SHOWN_ARG_LEN  64 /* an argument quoted back in an error */

/* A fake but consistent server: what INFO, CONFIG GET and KEYS show. */
static const char info_text[] = "# Server\r\n"
				"redis_version:7.0.15\r\n"
				"redis_mode:standalone\r\n"
				"os:Linux 6.1.0-28-amd64 x86_64\r\n"
				"arch_bits:64\r\n"
				"process_id:812\r\n"
				"tcp_port:6379\r\n"
				"uptime_in_seconds:3862211\r\n"
				"uptime_in_days:44\r\n"
				"executable:/usr/bin/redis-server\r\n"
				"config_file:/etc/redis/redis.conf\r\n"
				"\r\n"
				"# Clients\r\n"
				"connected_clients:3\r\n"
				"\r\n"
				"# Memory\r\n"
				"used_memory:1184352\r\n"
				"used_memory_human:1.13M\r\n"
				"maxmemory:0\r\n"
				"\r\n"
				"# Persistence\r\n"
				"rdb_last_save_time:1764201600\r\n"
				"rdb_last_bgsave_status:ok\r\n"
				"\r\n"
				"# Replication\r\n"
				"role:master\r\n"
				"connected_slaves:0\r\n"
				"\r\n"
				"# Keyspace\r\n"
				"db0:keys=5,expires=1,avg_ttl=0\r\n";

static const char *const config[][2] = {
    {"dir", "/var/lib/redis"},
    {"dbfilename", "dump.rdb"},
    {"requirepass", ""},
    {"masterauth", ""},
    {"bind", "127.0.0.1 -::1"},
    {"protected-mode", "yes"},
    {"port", "6379"},
    {"maxmemory", "0"},
    {"appendonly", "no"},
    {"save", "3600 1 300 100 60 10000"},
    {"logfile", "/var/log/redis/redis-server.log"},
};

static const char *const keys[] = {
    "session:7f3a9c2e41b8", "user:1001:profile", "backup:db_credentials",
    "cache:homepage",	    "queue:mail",
};

static const char *find_crlf(const char *p, const char *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

/* "<int>\r\n" at *p: 1 and *p past it, 0 if incomplete, -1 if malformed. */
static int parse_int_line(const char **p, const char *end, long long *value)
{
	const char *crlf = find_crlf(*p, end), *q = *p;
	bool negative = false;
	long long v = 0;

	if (!crlf)
		return end - *p > MAX_INT_DIGITS + 2 ? -1 : 0;
	if (q < crlf && *q == '-') {
		negative = true;
		q++;
	}
	if (q == crlf || crlf - q > MAX_INT_DIGITS)
		return -1;
	for (; q < crlf; q++) {
		if (!isdigit((unsigned char)*q))
			return -1;
		v = v * 10 + (*q - '0');
	}
	*value = negative ? -v : v;
	*p = crlf + 2;
	return 1;
}

static void add_arg(struct vg_resp_command *cmd, const char *ptr, size_t len)
{
	if (cmd->argc < VG_RESP_MAX_ARGS)
		cmd->argv[cmd->argc] = (struct vg_resp_arg){ptr, len};
	cmd->argc++;
}

/* "*N\r\n" then N times "$LEN\r\nBYTES\r\n". */
static ssize_t parse_array(const char *buf, size_t len, size_t len_limit,
			   struct vg_resp_command *cmd)
{
	const char *p = buf + 1, *end = buf + len;
	long long count, arg_len;
	int rc = parse_int_line(&p, end, &count);

	if (rc <= 0)
		return rc;
	if (count > MAX_ARRAY_LEN)
		return -1;
	for (long long i = 0; i < count; i++) {
		if (p == end)
			return 0;
		if (*p != '$')
			return -1;
		p++;
		rc = parse_int_line(&p, end, &arg_len);
		if (rc <= 0)
			return rc;
		if (arg_len < 0 || (unsigned long long)arg_len > len_limit)
			return -1;
		if ((size_t)(end - p) < (size_t)arg_len + 2)
			return 0;
		if (p[arg_len] != '\r' || p[arg_len + 1] != '\n')
			return -1;
		add_arg(cmd, p, (size_t)arg_len);
		p += arg_len + 2;
	}
	return p - buf;
}

/* A line of words separated by blanks, as typed into telnet. */
static ssize_t parse_inline(const char *buf, size_t len, size_t len_limit,
			    struct vg_resp_command *cmd)
{
	const char *nl = memchr(buf, '\n', len), *p = buf, *end;

	if (!nl)
		return len > len_limit ? -1 : 0;
	end = nl > buf && nl[-1] == '\r' ? nl - 1 : nl;
	while (p < end) {
		const char *word;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		word = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (p > word)
			add_arg(cmd, word, (size_t)(p - word));
	}
	return nl + 1 - buf;
}

ssize_t resp_parse_command(const char *buf, size_t len, size_t len_limit,
			   struct vg_resp_command *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	if (len == 0)
		return 0;
	return buf[0] == '*' ? parse_array(buf, len, len_limit, cmd)
			     : parse_inline(buf, len, len_limit, cmd);
}

/* A reply being built; whatever does not fit in cap is cut. */
struct reply {
	char *buf;
	size_t cap, len;
};

static void put(struct reply *r, const char *data, size_t n)
{
	size_t room = r->cap - r->len;

	if (n > room)
		n = room;
	memcpy(r->buf + r->len, data, n);
	r->len += n;
}

static void put_str(struct reply *r, const char *s)
{
	put(r, s, strlen(s));
}

static void put_bulk(struct reply *r, const char *data, size_t n)
{
	char head[32];

	put(r, head, (size_t)snprintf(head, sizeof(head), "$%zu\r\n", n));
	put(r, data, n);
	put(r, "\r\n", 2);
}

static void put_array_head(struct reply *r, size_t n)
{
	char head[32];

	put(r, head, (size_t)snprintf(head, sizeof(head), "*%zu\r\n", n));
}

/* An argument shown back in an error: cut, and on one line. */
static void put_shown(struct reply *r, const struct vg_resp_arg *a)
{
	size_t n = a->len < SHOWN_ARG_LEN ? a->len : SHOWN_ARG_LEN;

	for (size_t i = 0; i < n; i++)
		put(r, a->ptr[i] == '\r' || a->ptr[i] == '\n' ? " " : &a->ptr[i], 1);
}

static bool is(const struct vg_resp_arg *a, const char *name)
{
	return a->len == strlen(name) && !strncasecmp(a->ptr, name, a->len);
}

/* A glob pattern as fnmatch wants it, NUL-terminated; false if too long. */
static bool pattern_of(const struct vg_resp_arg *a, char *out, size_t outlen)
{
	if (a->len >= outlen || memchr(a->ptr, '\0', a->len))
		return false;
	memcpy(out, a->ptr, a->len);
	out[a->len] = '\0';
	return true;
}

/* The rows of a table (columns 1: names; 2: name, value) whose name matches
 * the glob, as one RESP array of their cells: KEYS and CONFIG GET. */
static void put_matching(struct reply *r, const struct vg_resp_arg *pattern_arg,
			 const char *const *table, size_t rows, size_t columns, int fnm_flags)
{
	char pattern[256];
	size_t matches = 0;

	if (!pattern_of(pattern_arg, pattern, sizeof(pattern))) {
		put_str(r, "*0\r\n");
		return;
	}
	for (size_t i = 0; i < rows; i++)
		matches += !fnmatch(pattern, table[i * columns], fnm_flags);
	put_array_head(r, columns * matches);
	for (size_t i = 0; i < rows; i++)
		if (!fnmatch(pattern, table[i * columns], fnm_flags))
			for (size_t c = 0; c < columns; c++)
				put_bulk(r, table[i * columns + c], strlen(table[i * columns + c]));
}

static void config_get(struct reply *r, const struct vg_resp_arg *pattern_arg)
{
	put_matching(r, pattern_arg, &config[0][0], sizeof(config) / sizeof(config[0]), 2,
		     FNM_CASEFOLD);
}

static void keys_matching(struct reply *r, const struct vg_resp_arg *pattern_arg)
{
	put_matching(r, pattern_arg, keys, sizeof(keys) / sizeof(keys[0]), 1, 0);
}

static void wrong_arity(struct reply *r, const struct vg_resp_arg *name)
{
	put_str(r, "-ERR wrong number of arguments for '");
	for (size_t i = 0; i < name->len && i < SHOWN_ARG_LEN; i++)
		put(r, &(char){(char)tolower((unsigned char)name->ptr[i])}, 1);
	put_str(r, "' command\r\n");
}

static void unknown_command(struct reply *r, const struct vg_resp_command *cmd)
{
	size_t shown = cmd->argc < VG_RESP_MAX_ARGS ? cmd->argc : VG_RESP_MAX_ARGS;

	put_str(r, "-ERR unknown command '");
	put_shown(r, &cmd->argv[0]);
	put_str(r, "', with args beginning with: ");
	for (size_t i = 1; i < shown; i++) {
		put_str(r, "'");
		put_shown(r, &cmd->argv[i]);
		put_str(r, "' ");
	}
	put_str(r, "\r\n");
}

static void config_command(struct reply *r, const struct vg_resp_command *cmd)
{
	const struct vg_resp_arg *sub = &cmd->argv[1];

	if (is(sub, "get") && cmd->argc == 3) {
		config_get(r, &cmd->argv[2]);
	} else if (is(sub, "set") && cmd->argc >= 4 && cmd->argc % 2 == 0) {
		/* Accepted and forgotten: what was asked is in the session record. */
		put_str(r, "+OK\r\n");
	} else {
		put_str(r, "-ERR unknown subcommand or wrong number of arguments for '");
		put_shown(r, sub);
		put_str(r, "'. Try CONFIG HELP.\r\n");
	}
}

size_t resp_reply(const struct vg_resp_command *cmd, char *out, size_t outlen, bool *quit)
{
	struct reply r = {out, outlen, 0};
	const struct vg_resp_arg *name = &cmd->argv[0];

	*quit = false;
	if (cmd->argc == 0)
		return 0;
	if (is(name, "ping")) {
		if (cmd->argc == 1)
			put_str(&r, "+PONG\r\n");
		else if (cmd->argc == 2)
			put_bulk(&r, cmd->argv[1].ptr, cmd->argv[1].len);
		else
			wrong_arity(&r, name);
	} else if (is(name, "echo")) {
		if (cmd->argc == 2)
			put_bulk(&r, cmd->argv[1].ptr, cmd->argv[1].len);
		else
			wrong_arity(&r, name);
	} else if (is(name, "auth") || is(name, "select")) {
		/* Any password works: the intruder goes on and shows its intent. */
		if (cmd->argc == 2 || (is(name, "auth") && cmd->argc == 3))
			put_str(&r, "+OK\r\n");
		else
			wrong_arity(&r, name);
	} else if (is(name, "quit")) {
		put_str(&r, "+OK\r\n");
		*quit = true;
	} else if (is(name, "info")) {
		put_bulk(&r, info_text, sizeof(info_text) - 1);
	} else if (is(name, "config")) {
		if (cmd->argc >= 2)
			config_command(&r, cmd);
		else
			wrong_arity(&r, name);
	} else if (is(name, "keys")) {
		if (cmd->argc == 2)
			keys_matching(&r, &cmd->argv[1]);
		else
			wrong_arity(&r, name);
	} else {
		unknown_command(&r, cmd);
	}
	return r.len;
}
