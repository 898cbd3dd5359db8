/* quarantine_probe SHM [--family | --memory MB]: a test process for
 * quarantine.
 *
 * It plants what the snapshot must show (a global with a known value, a
 * secret string on the heap, an open file, a listening TCP socket), then
 * calls uname() in a loop until the kernel stops it, counting completed
 * calls in the shared file SHM. With --family it first starts a child
 * process and a thread, which sleep; with --memory it first fills MB MiB of
 * heap (for the snapshot benchmark). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

struct shared {
	volatile long ready;
	volatile long unames_done;
	volatile int port;
	volatile int child;
};

volatile unsigned long planted_global = 0x5eedc0ffeeul;
char *volatile planted_secret; /* on the heap: the snapshot must hold it */
char *volatile planted_fill;

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep(1);
	return NULL;
}

static int listen_loopback(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&addr, &len))
		return -1;
	return ntohs(addr.sin_port);
}

int main(int argc, char **argv)
{
	struct shared *shm;
	struct utsname uts;
	pthread_t thread;
	char *secret, held[4096];
	int fd;

	if (argc < 2)
		return 2;
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0 || ftruncate(fd, sizeof(*shm)))
		return 1;
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (shm == MAP_FAILED)
		return 1;
	secret = malloc(64);
	snprintf(secret, 64, "VIGILANTE-PLANTED-SECRET-%d", getpid());
	planted_secret = secret;
	snprintf(held, sizeof(held), "%s.held", argv[1]);
	if (open(held, O_RDWR | O_CREAT | O_CLOEXEC, 0600) < 0)
		return 1;
	shm->port = listen_loopback();
	if (argc > 2 && !strcmp(argv[2], "--family")) {
		pid_t child = fork();

		if (child == 0)
			for (;;)
				sleep(1);
		shm->child = child;
		pthread_create(&thread, NULL, sleeper, NULL);
	}
	if (argc > 3 && !strcmp(argv[2], "--memory")) {
		size_t bytes = (size_t)atol(argv[3]) << 20;
		char *fill = malloc(bytes);

		if (!fill)
			return 1;
		memset(fill, 0x5a, bytes);
		planted_fill = fill;
	}
	shm->ready = 1;
	for (;;) {
		uname(&uts);
		shm->unames_done++;
	}
}
