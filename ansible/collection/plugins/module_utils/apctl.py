# SPDX-License-Identifier: MIT
"""What the apctl modules share: running apctl on the managed host."""

import json

# /usr/sbin is where the package puts apctl; not every PATH has it
APCTL_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin"]


def run(module, args, data=None):
    """Runs apctl with args on the module's root: rc, stdout, stderr."""
    binary = module.get_bin_path("apctl", required=True, opt_dirs=APCTL_DIRS)
    cmd = [binary]
    if module.params.get("root"):
        cmd += ["--root", module.params["root"]]
    return module.run_command(cmd + args, data=data, binary_data=True)


def words(err):
    """apctl's stderr as a message: its lines, without the program's name
    and the help hint, and the configuration read from stdin named as such."""
    lines = []
    for line in err.strip().splitlines():
        if line.startswith("Try 'apctl"):
            continue
        if line.startswith("apctl: "):
            line = line[len("apctl: "):]
        for prefix in ("plan: -: ", "apply: -: ", "-: "):
            if line.startswith(prefix):
                line = "config: " + line[len(prefix):]
        lines.append(line)
    return "; ".join(lines)


def run_json(module, args, data=None):
    """apctl --json with args: rc, the JSON it printed (None for apctl's error
    document, whose words are in stderr), its stderr in words; the host failed
    where it printed what is not JSON."""
    rc, out, err = run(module, ["--json"] + args, data)
    try:
        doc = json.loads(out) if out.strip() else None
        if rc != 0 and isinstance(doc, dict) and "error" in doc and "status" in doc:
            doc = None
        return rc, doc, words(err)
    except ValueError:
        module.fail_json(msg="apctl %s printed what is not JSON: %s" % (args[0], words(err)),
                         rc=rc)
    return rc, None, words(err)
