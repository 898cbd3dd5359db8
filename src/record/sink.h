/* Where events and alerts go, one JSON object per line: stdout, a file
 * (appended to, reopened on policy reload so log rotation works), and, for
 * alerts only, syslog. */
#ifndef VG_RECORD_SINK_H
#define VG_RECORD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct vg_sinks {
	bool to_stdout;
	bool syslog;
	FILE *file;
	char *file_path;
	unsigned long write_errors;
};

enum vg_sink_severity { VG_SINK_EVENT, VG_SINK_ALERT };

/* Opens the sinks; file_path may be NULL. Returns 0 or -1 with err set. */
int sinks_open(struct vg_sinks *s, bool to_stdout, const char *file_path, bool use_syslog,
	       char *err, size_t errlen);
void sinks_emit(struct vg_sinks *s, const char *line, enum vg_sink_severity severity);
void sinks_flush(struct vg_sinks *s);
void sinks_close(struct vg_sinks *s);

#endif
