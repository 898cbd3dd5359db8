/* Scope-bound cleanup, as bubblewrap does it: a variable declared with one of
 * these attributes is released when it goes out of scope, so an early return
 * on error cannot leak it. Use steal_pointer()/steal_fd() to hand ownership
 * on. */
#ifndef VG_COMMON_CLEANUP_H
#define VG_COMMON_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void vg_freep(void *p)
{
	free(*(void **)p);
}

static inline void vg_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void vg_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void vg_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_free_	   __attribute__((cleanup(vg_freep)))
#define _cleanup_close_	   __attribute__((cleanup(vg_closep)))
#define _cleanup_fclose_   __attribute__((cleanup(vg_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(vg_closedirp)))

static inline void *steal_pointer(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}

static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#endif
