// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Work objects: typed operations, run or submitted and reaped.
 */
#include "internal.h"

void migaccel__works_release(struct migaccel_channel *ch)
{
	(void)ch;
}

bool migaccel__works_reach(const struct migaccel_channel *ch,
			   uintptr_t start, uintptr_t end)
{
	(void)ch;
	(void)start;
	(void)end;
	return false;
}
