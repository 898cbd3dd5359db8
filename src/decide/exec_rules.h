/* Rules applied to each exec event. */
#ifndef VG_DECIDE_EXEC_RULES_H
#define VG_DECIDE_EXEC_RULES_H

#include <stdbool.h>

#include "decide/policy.h"

/* The directory of the policy's exec_from_writable list that holds exe, or
 * NULL. A directory matches itself and everything below it, never a mere
 * prefix ("/tmp" does not hold "/tmpfoo/x"). */
const char *exec_rule_writable_dir(const struct vg_policy *policy, const char *exe);

#endif
