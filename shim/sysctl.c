/* SPDX-License-Identifier: MIT */
/* Reading a numeric kernel setting (see sysctl.h). */
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>

#include "sys.h"

int ljmm_sysctl_read(const char *path, uint64_t *out)
{
	char buf[32];
	uint64_t v = 0;
	long fd = ljmm_sys_open(path, O_RDONLY | O_CLOEXEC, 0), n;
	int digits = 0;
	if (fd < 0)
		return (int)fd;
	do
		n = ljmm_sys_read((int)fd, buf, sizeof buf - 1);
	while (n == -EINTR);
	ljmm_sys_close((int)fd);
	if (n < 0)
		return (int)n;
	for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9' && digits < 19; i++, digits++)
		v = v * 10 + (uint64_t)(buf[i] - '0');
	if (!digits)
		return -EINVAL;
	*out = v;
	return 0;
}
