/* SPDX-License-Identifier: MIT */
#include "callout.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"

static const char *const actions[] = {
	"define", "modify", "start", "stop", "undefine", "attributes", "capabilities", NULL,
};
static const char *const events[] = { "pre", "post", "get", "live", NULL };

/* Of the strings of the JSON array have, those of ours, as a new array. */
static struct json_object *common(struct json_object *have, const char *const *ours)
{
	struct json_object *out = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(have); i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(have, i));

		for (size_t k = 0; v && ours[k]; k++)
			if (!strcmp(v, ours[k]))
				json_object_array_add(out, json_object_new_string(v));
	}
	return out;
}

int callout_capabilities(const char *in, FILE *out, char *err, size_t size)
{
	struct json_object *root = json_tokener_parse(in), *prov, *act, *ev, *sup, *res;

	if (!root || !json_object_object_get_ex(root, "provides", &prov) ||
	    !json_object_object_get_ex(prov, "actions", &act) ||
	    !json_object_object_get_ex(prov, "events", &ev) ||
	    !json_object_is_type(act, json_type_array) || !json_object_is_type(ev, json_type_array)) {
		snprintf(err, size, "mdevctl's capabilities on stdin are not "
			 "{\"provides\": {\"actions\": [...], \"events\": [...]}}");
		json_object_put(root);
		return -EINVAL;
	}
	sup = json_object_new_object();
	/* version 2 of the protocol: the one that has "live" and "capabilities" */
	json_object_object_add(sup, "version", json_object_new_int(2));
	json_object_object_add(sup, "actions", common(act, actions));
	json_object_object_add(sup, "events", common(ev, events));
	res = json_object_new_object();
	json_object_object_add(res, "supports", sup);
	fprintf(out, "%s\n", json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN));
	json_object_put(res);
	json_object_put(root);
	return 0;
}

int callout_attrs(FILE *out, const struct ap_matrix *m)
{
	struct json_object *arr = json_object_new_array();
	struct mdev_def def;

	if (def_from_matrix(&def, "00000000-0000-0000-0000-000000000000", m, false)) {
		json_object_put(arr);
		return -ENOMEM;
	}
	for (size_t i = 0; i < def.nattrs; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, def.attrs[i].name,
				       json_object_new_string(def.attrs[i].value));
		json_object_array_add(arr, o);
	}
	fprintf(out, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	def_free(&def);
	return 0;
}

int callout_start_fails(const struct ap_state *st, const struct mdev_def *def, char *why,
			size_t size)
{
	struct boot b;
	int rc = boot_predict_start(st, def, &b);

	if (!rc && !b.starts[0].started) {
		boot_start_words(&b, &b.starts[0], why, size);
		rc = 1;
	}
	boot_free(&b);
	return rc;
}

char *callout_read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *more;

	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (ferror(f)) {
			free(buf);
			return NULL;
		}
		if (feof(f))
			break;
		if (n + 1 >= cap) {
			more = cap < (1u << 24) ? realloc(buf, cap * 2) : NULL;
			if (!more) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = more;
			cap *= 2;
		}
	}
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

int callout_run_peer(const char *path, const char *const argv[], const char *in, size_t len)
{
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(fds[0]);
		close(fds[1]);
		return -err;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		/* execv() takes them as they are: the cast only drops the promise */
		execv(path, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(fds[0]);
	/* a peer that stops reading early is no failure of ours */
	signal(SIGPIPE, SIG_IGN);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fds[1], in + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
