/* exec_flood N: forks N children that each exec /bin/true, one after the
 * other, as fast as it can. Used to check that a burst of execs is either
 * reported completely or counted as lost. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *child_argv[] = {"/bin/true", NULL};
	long n;

	if (argc != 2 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: exec_flood N\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			fprintf(stderr, "exec_flood: fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0) {
			execv(child_argv[0], child_argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "exec_flood: child %ld failed\n", i);
			return 1;
		}
	}
	return 0;
}
