/* SPDX-License-Identifier: MIT */
#include "guest-domain.h"

#include <dlfcn.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const ap_features[AP_FEATURES] = { "ap", "apqci", "apft", "apqi" };

/*
 * libxml2, loaded when a domain is read: with what it links (ICU, the C++
 * library) it would cost every other command of apctl several milliseconds
 * at its start. Debian's libxml2 package ships it under this name.
 */
#define XML_SONAME "libxml2.so.2"

static struct {
	__typeof__(xmlReadMemory) *read_memory;
	__typeof__(xmlDocGetRootElement) *root;
	__typeof__(xmlFreeDoc) *free_doc;
	__typeof__(xmlGetProp) *get_prop;
	__typeof__(xmlNodeGetContent) *content;
	xmlFreeFunc *free; /* libxml2's variable xmlFree */
} xml;

/* The address of symbol name of library h into *fn (a function pointer): 0, or -ENOENT. */
static int xml_sym(void *h, const char *name, void *fn)
{
	void *sym = dlsym(h, name);

	memcpy(fn, &sym, sizeof(sym));
	return sym ? 0 : -ENOENT;
}

static int xml_load(struct diag *d)
{
	void *h;

	if (xml.read_memory)
		return 0;
	h = dlopen(XML_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h && !xml_sym(h, "xmlDocGetRootElement", &xml.root) &&
	    !xml_sym(h, "xmlFreeDoc", &xml.free_doc) && !xml_sym(h, "xmlGetProp", &xml.get_prop) &&
	    !xml_sym(h, "xmlNodeGetContent", &xml.content) && !xml_sym(h, "xmlFree", &xml.free) &&
	    !xml_sym(h, "xmlReadMemory", &xml.read_memory))
		return 0;
	diag_set(d, "cannot load %s, which reads libvirt's domain XML: %s (Debian: install libxml2)",
		 XML_SONAME, dlerror());
	if (h)
		dlclose(h);
	xml.read_memory = NULL;
	return -ELIBACC;
}

/* An attribute's value in buf ("" when there is none). */
static const char *attr(xmlNode *n, const char *name, char *buf, size_t size)
{
	xmlChar *v = xml.get_prop(n, (const xmlChar *)name);

	snprintf(buf, size, "%s", v ? (const char *)v : "");
	(*xml.free)(v);
	return buf;
}

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static void read_cpu(xmlNode *cpu, struct domain_info *di)
{
	char buf[64];

	di->has_cpu = true;
	/* libvirt's default mode is custom */
	attr(cpu, "mode", di->cpu_mode, sizeof(di->cpu_mode));
	if (!di->cpu_mode[0])
		snprintf(di->cpu_mode, sizeof(di->cpu_mode), "custom");
	for (xmlNode *n = cpu->children; n; n = n->next) {
		if (named(n, "model")) {
			xmlChar *t = xml.content(n);

			snprintf(di->model, sizeof(di->model), "%s", t ? (const char *)t : "");
			(*xml.free)(t);
		}
		if (!named(n, "feature"))
			continue;
		for (int i = 0; i < AP_FEATURES; i++) {
			if (strcmp(attr(n, "name", buf, sizeof(buf)), ap_features[i]))
				continue;
			/* libvirt's default policy is require */
			attr(n, "policy", di->feature_policy[i], sizeof(di->feature_policy[i]));
			if (!di->feature_policy[i][0])
				snprintf(di->feature_policy[i], sizeof(di->feature_policy[i]), "require");
			di->feature[i] = !strcmp(di->feature_policy[i], "disable") ||
						 !strcmp(di->feature_policy[i], "forbid") ?
					 FEATURE_OFF : FEATURE_ON;
		}
	}
}

/* <hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='UUID'/> */
static void read_hostdev(xmlNode *h, const char *uuid, struct domain_info *di)
{
	char buf[64], model[32];

	if (strcmp(attr(h, "type", buf, sizeof(buf)), "mdev"))
		return;
	attr(h, "model", model, sizeof(model));
	for (xmlNode *s = h->children; s; s = s->next) {
		if (!named(s, "source"))
			continue;
		for (xmlNode *a = s->children; a; a = a->next) {
			if (!named(a, "address") || strcasecmp(attr(a, "uuid", buf, sizeof(buf)), uuid))
				continue;
			if (!strcmp(model, "vfio-ap"))
				di->hostdev = true;
			else
				snprintf(di->hostdev_model, sizeof(di->hostdev_model), "%s", model);
		}
	}
}

int domain_read(const char *text, size_t len, const char *uuid, struct domain_info *out,
		struct diag *d)
{
	xmlDoc *doc;
	xmlNode *root;
	int rc = xml_load(d);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	doc = xml.read_memory(text, (int)len, "domain.xml", NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xml.root(doc) : NULL;
	if (!root || !named(root, "domain")) {
		diag_set(d, "%s", !doc ? "it is not XML" : "its root element is not <domain>");
		xml.free_doc(doc);
		return -EINVAL;
	}
	for (xmlNode *n = root->children; n; n = n->next) {
		if (named(n, "name")) {
			xmlChar *t = xml.content(n);

			snprintf(out->name, sizeof(out->name), "%s", t ? (const char *)t : "");
			(*xml.free)(t);
		} else if (named(n, "cpu")) {
			read_cpu(n, out);
		} else if (named(n, "devices")) {
			for (xmlNode *h = n->children; h; h = h->next)
				if (named(h, "hostdev"))
					read_hostdev(h, uuid, out);
		}
	}
	xml.free_doc(doc);
	return 0;
}

bool domain_feature_on(const struct domain_info *di, int i)
{
	if (di->feature[i] != FEATURE_ABSENT)
		return di->feature[i] == FEATURE_ON;
	/* a named model has them only where asked for; the host's model has them */
	return !di->has_cpu || strcmp(di->cpu_mode, "custom");
}
