/* floor: attaches the empty sys_enter program until SIGTERM/SIGINT. Prints
 * "ready" on stdout once attached. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "floor.skel.h"

int main(void)
{
	struct floor_bpf *skel = floor_bpf__open_and_load();
	sigset_t set;
	int sig;

	if (!skel || floor_bpf__attach(skel)) {
		fprintf(stderr, "floor: loading the empty sys_enter program: %s\n",
			strerror(errno));
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	floor_bpf__destroy(skel);
	return 0;
}
