#include "record/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

int sinks_open(struct vg_sinks *s, bool to_stdout, const char *file_path, bool use_syslog,
	       char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->to_stdout = to_stdout;
	s->syslog = use_syslog;
	if (file_path) {
		int fd = open(file_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

		if (fd < 0) {
			snprintf(err, errlen, "output file %s: %s", file_path, strerror(errno));
			return -1;
		}
		s->file = fdopen(fd, "a");
		if (!s->file) {
			snprintf(err, errlen, "output file %s: %s", file_path, strerror(errno));
			close(fd);
			return -1;
		}
		s->file_path = strdup(file_path);
	}
	if (use_syslog)
		openlog("vigilanted", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

static void write_line(struct vg_sinks *s, FILE *f, const char *line)
{
	if (fputs(line, f) == EOF || fputc('\n', f) == EOF)
		s->write_errors++;
}

void sinks_emit(struct vg_sinks *s, const char *line, enum vg_sink_severity severity)
{
	if (s->to_stdout)
		write_line(s, stdout, line);
	if (s->file)
		write_line(s, s->file, line);
	if (s->syslog && severity == VG_SINK_ALERT)
		syslog(LOG_WARNING, "%s", line);
}

void sinks_flush(struct vg_sinks *s)
{
	if (s->to_stdout && fflush(stdout) == EOF)
		s->write_errors++;
	if (s->file && fflush(s->file) == EOF)
		s->write_errors++;
}

void sinks_close(struct vg_sinks *s)
{
	sinks_flush(s);
	if (s->file)
		fclose(s->file);
	if (s->syslog)
		closelog();
	free(s->file_path);
	memset(s, 0, sizeof(*s));
}
