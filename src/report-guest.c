/* SPDX-License-Identifier: MIT */
/*
 * The guest's side of an mdev: the libvirt domain's <hostdev> element, the
 * libvirt node device that defines the mdev (virsh nodedev-define), and the
 * QEMU -device argument, with libvirt's element names (formatdomain,
 * formatnode) and attributes in the order they are written.
 */
#include <stdio.h>
#include <stdlib.h>

#include "paths.h"
#include "report.h"

char *guest_hostdev(const char *uuid)
{
	char *s = NULL;

	if (asprintf(&s, "<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-ap'>\n"
			 "  <source>\n"
			 "    <address uuid='%s'/>\n"
			 "  </source>\n"
			 "</hostdev>\n",
		     uuid) < 0)
		return NULL;
	return s;
}

char *guest_qemu(const char *uuid)
{
	char *s = NULL;

	if (asprintf(&s, "-device vfio-ap,sysfsdev=/%s/%s", MATRIX_DEV, uuid) < 0)
		return NULL;
	return s;
}

char *guest_nodedev(const char *uuid, const struct ap_matrix *m)
{
	static const char *const attrs[] = { "assign_adapter", "assign_domain",
					     "assign_control_domain" };
	const struct idset *ids[] = { &m->apm, &m->aqm, &m->adm };
	char name[UUID_STR_MAX], *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	snprintf(name, sizeof(name), "%s", uuid);
	for (char *p = name; *p; p++)
		*p = *p == '-' ? '_' : *p;
	fprintf(f, "<device>\n  <name>mdev_%s</name>\n  <parent>ap_matrix</parent>\n"
		   "  <capability type='mdev'>\n    <type id='vfio_ap-passthrough'/>\n"
		   "    <uuid>%s</uuid>\n", name, uuid);
	/* adapters before domains, as every kernel takes them */
	for (int k = 0; k < 3; k++)
		idset_foreach(id, ids[k])
			fprintf(f, "    <attr name='%s' value='0x%0*x'/>\n", attrs[k], k ? 4 : 2, id);
	fprintf(f, "  </capability>\n</device>\n");
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}
