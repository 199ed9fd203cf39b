/* SPDX-License-Identifier: MIT */
/*
 * The faults that wait in a sandbox (apctl sandbox fault): the countdown-th
 * write to an attribute that matches a pattern fails with the fault's errno,
 * as a real kernel's store can.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "sandbox.h"

int sandbox_fault_parse(const char *line, struct sandbox_fault *f)
{
	if (line[0] == '#' ||
	    sscanf(line, "%4095s %d %d", f->pattern, &f->err, &f->countdown) != 3)
		return -EINVAL;
	return 0;
}

static int fault_line(const struct sandbox_fault *f, char *buf, size_t size)
{
	return snprintf(buf, size, "%s %d %d\n", f->pattern, f->err, f->countdown);
}

int sandbox_fault_add(struct sysfs *s, const struct sandbox_fault *f)
{
	char line[PATH_MAX + 32];

	fault_line(f, line, sizeof(line));
	return sysfs_append(s, SANDBOX_FAULTS, line);
}

int sandbox_take_fault(struct sysfs *s, const char *attr)
{
	int err = 0, hit = 0;
	char *text = sysfs_read_alloc(s, SANDBOX_FAULTS, &err), *save = NULL, *out;
	size_t len = 0, size;
	bool changed = false;

	if (!text)
		return 0;
	size = strlen(text) + 64;
	out = malloc(size);
	if (!out) {
		free(text);
		return -ENOMEM;
	}
	out[0] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct sandbox_fault f;

		if (sandbox_fault_parse(line, &f) || fnmatch(f.pattern, attr, 0) || hit) {
			len += (size_t)snprintf(out + len, size - len, "%s\n", line);
			continue;
		}
		changed = true;
		if (f.countdown-- <= 1)
			hit = f.err;
		else
			len += (size_t)fault_line(&f, out + len, size - len);
	}
	if (changed)
		sysfs_put(s, SANDBOX_FAULTS, 0644, out, len);
	free(out);
	free(text);
	return -hit;
}
