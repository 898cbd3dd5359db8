/*
 * Reverse and bind shells: an interactive shell whose standard streams are
 * wired to a network peer. Every pattern needs both halves, the shell and
 * the socket, so a program that merely supports /dev/tcp (bash itself) or
 * opens sockets does not match.
 *
 * Strings are regular expressions whose own source text cannot match them
 * (a \s, a group or a [x] class always sits inside the literal): the rules
 * are embedded in vigilanted, and a rule matching its own text would flag
 * every process that holds a copy of the rule set.
 */

rule bash_dev_tcp_reverse_shell : reverse_shell execution
{
	meta:
		description = "Interactive shell with its streams redirected to a bash network socket"
	strings:
		$redirect = /\b(ba)?sh\s+-i\s*[0-9]?>&\s*\/dev\/(tcp|udp)\/[^\/\s]{1,253}\/[0-9]{1,5}/
		$open_fd = /\bexec\s+[0-9]{1,3}<>\s*\/dev\/(tcp|udp)\/[^\/\s]{1,253}\/[0-9]{1,5}/
		$fd_shell = /\b(ba)?sh\s+(-i\s+)?<&\s*[0-9]{1,3}\s*>&\s*[0-9]{1,3}\s*2>&\s*[0-9]{1,3}/
		$read_loop = /while\s+read\s+[A-Za-z_]{1,32}\s*;\s*do\s+\$[A-Za-z_]{1,32}\s+2>&\s*[0-9]{1,3}\s*>&\s*[0-9]{1,3}/
	condition:
		$redirect or ($open_fd and ($fd_shell or $read_loop))
}

rule netcat_exec_shell : reverse_shell execution
{
	meta:
		description = "netcat or ncat handing a shell to a network peer"
	strings:
		$exec = /\bn(c|cat|etcat)(\.traditional|\.openbsd)?(\s+[^\s|;&]{1,255}){0,6}\s+(-[a-z]{0,6}[ec]|--exec|--sh-exec)\s*["']?(\/usr)?(\/bin\/)?(ba|da|z|k)?sh\b/
		$fifo = /\|\s*(\/usr)?(\/bin\/)?(ba|da|z|k)?sh\s+-i\s+(<\s*[^\s|]{1,255}\s+)?2>&1\s*\|\s*(nc|ncat|netcat|telnet)\s/
	condition:
		any of them
}

rule python_socket_shell : reverse_shell execution
{
	meta:
		description = "Python connecting a socket, duplicating it onto stdio and starting a shell"
	strings:
		$connect = /\.connect\(\s*\(\s*["'][^"']{1,253}["']\s*,\s*[0-9]{1,5}\s*\)\s*\)/
		$dup2 = /os\.dup2\(\s*[A-Za-z_]{1,32}\.fileno\(\)\s*,\s*[0-2]\s*\)/
		$pty = /pty\.spawn\(\s*["'](\/usr)?(\/bin\/)?(ba|da|z|k)?sh["']\s*\)/
		$call = /subprocess\.(call|Popen|run)\(\s*\[\s*["'](\/usr)?(\/bin\/)?(ba|da|z|k)?sh["']\s*,\s*["']-i["']/
	condition:
		$connect and $dup2 and ($pty or $call)
}

rule perl_socket_shell : reverse_shell execution
{
	meta:
		description = "Perl connecting a socket, reopening stdio on it and executing a shell"
	strings:
		$use = /use\s+Socket\s*;/
		$reopen = /open\(\s*STD(IN|OUT|ERR)\s*,\s*["']>&\s*[A-Za-z_]{1,32}["']\s*\)/
		$exec = /exec\(?\s*["'](\/usr)?(\/bin\/)?(ba|da|z|k)?sh(\s+-i)?["']/
	condition:
		$use and $reopen and $exec
}

rule php_fsockopen_shell : reverse_shell execution
{
	meta:
		description = "PHP opening a socket with fsockopen and running a shell on its descriptor"
	strings:
		$fsockopen = /fsockopen\(\s*["'][^"']{1,253}["']\s*,\s*[0-9]{1,5}\s*\)/
		$fd_shell = /\b(ba|da|z|k)?sh\s+-i\s*<&\s*[0-9]{1,3}\s*>&\s*[0-9]{1,3}\s*2>&\s*[0-9]{1,3}/
		$proc_open = /proc_open\(\s*["'](\/usr)?(\/bin\/)?(ba|da|z|k)?sh(\s+-i)?["']\s*,\s*array\(\s*0\s*=>\s*\$[A-Za-z_]{1,32}/
	condition:
		$fsockopen and ($fd_shell or $proc_open)
}

rule socat_exec_shell : reverse_shell execution
{
	meta:
		description = "socat connecting a shell to a socket through its exec or system address"
	strings:
		$exec = /\bsocat\s[^\n]{0,255}\b(exec|system):\s*["']?(\/usr)?(\/bin\/)?(ba|da|z|k)?sh\b/ nocase
	condition:
		$exec
}
