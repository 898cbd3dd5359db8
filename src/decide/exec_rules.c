#include "decide/exec_rules.h"

#include <string.h>

static bool path_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

const char *exec_rule_writable_dir(const struct vg_policy *policy, const char *exe)
{
	const struct vg_path_list *dirs = &policy->exec_from_writable.paths;

	if (policy->exec_from_writable.mode == VG_MODE_OFF)
		return NULL;
	for (unsigned i = 0; i < dirs->count; i++)
		if (path_is_under(exe, dirs->paths[i]))
			return dirs->paths[i];
	return NULL;
}
