/* Diagnostics for humans, on stderr. Machine-readable output (events, alerts)
 * goes through record/ instead. Every message carries the program name so a
 * line in a journal says who wrote it, and is one line: control characters
 * and bytes that are not UTF-8 in it (a hostile path, a corrupt trace) are
 * shown escaped as \n, \t, \r or \xNN. */
#ifndef VG_COMMON_LOG_H
#define VG_COMMON_LOG_H

#include <stdbool.h>

/* VG_LOG_SILENT: nothing is printed (a retry loop that has said once why). */
enum vg_log_level { VG_LOG_SILENT = -1, VG_LOG_ERROR, VG_LOG_WARN, VG_LOG_INFO, VG_LOG_DEBUG };

void vg_log_init(const char *progname, enum vg_log_level level);
/* The program name vg_log_init() was given ("vigilante" before it). */
const char *vg_log_progname(void);
/* Sets the level; returns the one it replaces. */
enum vg_log_level vg_log_set_level(enum vg_log_level level);
void vg_log(enum vg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define vg_err(...)   vg_log(VG_LOG_ERROR, __VA_ARGS__)
#define vg_warn(...)  vg_log(VG_LOG_WARN, __VA_ARGS__)
#define vg_info(...)  vg_log(VG_LOG_INFO, __VA_ARGS__)
#define vg_debug(...) vg_log(VG_LOG_DEBUG, __VA_ARGS__)

#endif
