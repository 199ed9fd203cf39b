/* SPDX-License-Identifier: MIT */
/*
 * The guest's side of an mdev: the libvirt domain's <hostdev> element, the
 * libvirt node device that defines the mdev (virsh nodedev-define), the
 * QEMU -device argument, and the QEMU monitor's commands that plug and unplug
 * it (HMP and QMP), with libvirt's element names (formatdomain, formatnode)
 * and attributes in the order they are written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-domain.h"
#include "paths.h"
#include "report.h"

static struct json_object *finding_json(const char *code, const char *reason, const char *fix)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(o, "fix", json_object_new_string(fix));
	return o;
}

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

char *guest_qemu(const char *uuid, const char *id)
{
	char *s = NULL;

	if (asprintf(&s, "-device vfio-ap,sysfsdev=/%s/%s,id=%s", MATRIX_DEV, uuid, id) < 0)
		return NULL;
	return s;
}

void guest_device_id(const char *uuid, char *buf, size_t size)
{
	snprintf(buf, size, "ap-%s", uuid);
}

bool guest_id_valid(const char *id)
{
	/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_' */
	if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
		return false;
	for (const char *p = id + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return false;
	return strlen(id) < GUEST_ID_MAX;
}

char *guest_hmp(const char *uuid, const char *id)
{
	char *s = NULL;

	if (asprintf(&s, "device_add vfio-ap,sysfsdev=/%s/%s,id=%s\ndevice_del %s\n", MATRIX_DEV,
		     uuid, id, id) < 0)
		return NULL;
	return s;
}

struct json_object *guest_qmp(const char *uuid, const char *id)
{
	struct json_object *cmds = json_object_new_array(), *add = json_object_new_object();
	struct json_object *del = json_object_new_object(), *args = json_object_new_object();
	char dev[UUID_STR_MAX + 64];

	snprintf(dev, sizeof(dev), "/%s/%s", MATRIX_DEV, uuid);
	json_object_object_add(args, "driver", json_object_new_string("vfio-ap"));
	json_object_object_add(args, "sysfsdev", json_object_new_string(dev));
	json_object_object_add(args, "id", json_object_new_string(id));
	json_object_object_add(add, "execute", json_object_new_string("device_add"));
	json_object_object_add(add, "arguments", args);
	args = json_object_new_object();
	json_object_object_add(args, "id", json_object_new_string(id));
	json_object_object_add(del, "execute", json_object_new_string("device_del"));
	json_object_object_add(del, "arguments", args);
	json_object_array_add(cmds, add);
	json_object_array_add(cmds, del);
	return cmds;
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

/* What keeps the guest of domain di from uuid's APQNs, a finding each with its fix. */
static void domain_findings(const struct domain_info *di, const char *uuid, const char *prefix,
			    struct json_object *arr)
{
	char reason[512], fix[512], lack[64] = "", off[128] = "";
	size_t nl = 0, no = 0;

	if (!di->hostdev) {
		if (di->hostdev_model[0])
			snprintf(reason, sizeof(reason), "its <hostdev> of mdev %s has model '%s', "
				 "not 'vfio-ap'", uuid, di->hostdev_model);
		else
			snprintf(reason, sizeof(reason), "it has no <hostdev> of mdev %s", uuid);
		snprintf(fix, sizeof(fix), "%s mdev guest %s > hostdev.xml && virsh attach-device "
			 "%s hostdev.xml --config", prefix, uuid, di->name);
		json_object_array_add(arr, finding_json("no_hostdev", reason, fix));
	}
	for (int i = 0; i < AP_FEATURES; i++) {
		if (domain_feature_on(di, i))
			continue;
		if (di->feature[i] == FEATURE_OFF)
			no += (size_t)snprintf(off + no, sizeof(off) - no, "%s%s (policy '%s')",
					       no ? ", " : "", ap_features[i], di->feature_policy[i]);
		else
			nl += (size_t)snprintf(lack + nl, sizeof(lack) - nl, "%s%s", nl ? ", " : "",
					       ap_features[i]);
	}
	if (nl) {
		snprintf(reason, sizeof(reason), "its CPU model %s (mode custom) lacks the AP "
			 "features %s: a named model has them only where the domain asks for them",
			 di->model[0] ? di->model : "(none named)", lack);
		snprintf(fix, sizeof(fix), "virsh edit %s: in <cpu>, <feature policy='require' "
			 "name='...'/> for each of %s", di->name, lack);
		json_object_array_add(arr, finding_json("cpu_lacks_features", reason, fix));
	}
	if (no) {
		snprintf(reason, sizeof(reason), "its CPU turns AP features off: %s", off);
		snprintf(fix, sizeof(fix), "virsh edit %s: in <cpu>, policy 'require' for each",
			 di->name);
		json_object_array_add(arr, finding_json("cpu_feature_off", reason, fix));
	}
}

struct json_object *guest_domain_json(const struct domain_info *di, const char *uuid,
				      const char *prefix)
{
	struct json_object *o = json_object_new_object(), *f = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	domain_findings(di, uuid, prefix, arr);
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	json_object_object_add(o, "domain", json_object_new_string(di->name));
	json_object_object_add(o, "hostdev", json_object_new_boolean(di->hostdev));
	json_object_object_add(o, "cpu_mode", di->has_cpu ? json_object_new_string(di->cpu_mode) :
							   NULL);
	json_object_object_add(o, "cpu_model", di->model[0] ? json_object_new_string(di->model) :
							      NULL);
	for (int i = 0; i < AP_FEATURES; i++)
		json_object_object_add(f, ap_features[i],
				       json_object_new_boolean(domain_feature_on(di, i)));
	json_object_object_add(o, "features", f);
	json_object_object_add(o, "gets_apqns",
			       json_object_new_boolean(json_object_array_length(arr) == 0));
	json_object_object_add(o, "findings", arr);
	return o;
}

void guest_domain_text(FILE *f, struct json_object *o, const struct domain_info *di)
{
	struct json_object *arr = json_object_object_get(o, "findings");
	const char *uuid = json_object_get_string(json_object_object_get(o, "uuid"));

	fprintf(f, "Domain %s %s the APQNs of mdev %s\n", di->name,
		json_object_array_length(arr) ? "does not give its guest" : "gives its guest", uuid);
	fprintf(f, "  hostdev  %s\n", di->hostdev ? "present" : "missing");
	fprintf(f, "  CPU      %s%s%s:", di->has_cpu ? di->cpu_mode : "not defined (QEMU's "
		"default under KVM: the host's model)", di->model[0] ? ", model " : "", di->model);
	for (int i = 0; i < AP_FEATURES; i++)
		fprintf(f, " %s %s%s", ap_features[i], domain_feature_on(di, i) ? "on" : "off",
			i + 1 < AP_FEATURES ? "," : "\n");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		fprintf(f, "  - %s\n    fix: %s\n",
			json_object_get_string(json_object_object_get(e, "reason")),
			json_object_get_string(json_object_object_get(e, "fix")));
	}
}
