/* Trace sets built in memory, for the tests of training and scoring. */
#ifndef VG_TESTS_TRACE_SET_H
#define VG_TESTS_TRACE_SET_H

#include "score/trace.h"

#include <stdlib.h>
#include <string.h>

/* A set of one trace holding a copy of IDS; free with vg_trace_set_free.
 * Aborts on ENOMEM (tests only). */
static inline struct vg_trace_set one_trace_set(const __u16 *ids, size_t len)
{
	struct vg_trace_set set = {.count = 1, .syscalls = len};

	set.traces = calloc(1, sizeof(*set.traces));
	if (!set.traces)
		abort();
	set.traces[0].len = len;
	set.traces[0].ids = malloc(len * sizeof(__u16));
	set.traces[0].path = strdup("mem");
	set.traces[0].family = strdup("mem");
	if (!set.traces[0].ids || !set.traces[0].path || !set.traces[0].family)
		abort();
	memcpy(set.traces[0].ids, ids, len * sizeof(__u16));
	return set;
}

#endif
