#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Ansible module apctl_config: an IBM Z host's crypto configuration for KVM guests, through apctl."""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: apctl_config
short_description: Bring a vfio_ap crypto configuration about on an IBM Z host
description:
  - Makes the AP configuration of a Linux on IBM Z host what a configuration
    says: the adapters and domains reserved for vfio_ap, and the vfio_ap
    mediated devices (mdevs) with their adapters, usage domains and control
    domains, running and, where asked, persistent (41-ap.rules and mdevctl
    definitions).
  - Runs C(apctl apply) on the managed host, which checks the whole change
    against the kernel's rules first and makes it as one change (under the AP
    configuration lock, journaled, undone whole when a write fails).
  - The configuration's format is in C(man apctl), section CONFIGURATION FILE,
    and in the JSON Schema C(share/apctl/config.schema.json).
version_added: "1.0.0"
options:
  config:
    description:
      - The configuration, as a dictionary (C(version), C(adapters),
        C(domains) or C(apmask), C(aqmask), C(persistent), C(mdevs)).
      - Exactly one of I(config) and I(src) is given.
    type: dict
  src:
    description:
      - A configuration file on the managed host.
    type: path
  root:
    description:
      - The root apctl works on (C(apctl --root)), such as a sandbox made with
        C(apctl sandbox create); the live system when not given.
    type: path
  prune:
    description:
      - Remove the mdevs and mdevctl definitions the configuration does not
        name; without it they are left alone.
    type: bool
    default: false
requirements:
  - apctl on the managed host
notes:
  - Check mode prints the plan and writes nothing.
  - Diff mode shows the configuration before (C(apctl export)) and after.
author:
  - apctl
"""

EXAMPLES = r"""
- name: Three guests on adapters 5 and 6, as the kernel document has them
  apctl_config:
    config:
      version: 1
      adapters: [5, 6]
      domains: []
      mdevs:
        - uuid: 62177883-f1bb-47f0-914d-32a22e3a8804
          adapters: [5, 6]
          domains: [4, "0xab"]
          persistent: true
          autostart: true
          name: guest1
        - uuid: cef03c3c-903d-4ecc-9a83-40694cb8aee4
          adapters: [5]
          domains: ["0x47", "0xff"]

- name: A configuration file kept on the host, and nothing else
  apctl_config:
    src: /etc/apctl/host.json
    prune: true
"""

RETURN = r"""
plan:
  description: apctl's verdict of the change (C(apctl --json plan)) - the
    writes in their order with the kernel's predicted answer, the files, the
    conflicts.
  returned: always
  type: dict
written:
  description: Whether apctl made the change.
  returned: always
  type: bool
"""


def apctl(module, args):
    """Runs apctl with args on the root asked for: rc, stdout, stderr."""
    binary = module.get_bin_path("apctl", required=True)
    cmd = [binary]
    if module.params["root"]:
        cmd += ["--root", module.params["root"]]
    return module.run_command(cmd + args)


def export(module):
    """What the host has now, in the configuration's form."""
    rc, out, err = apctl(module, ["export"])
    if rc:
        module.fail_json(msg="apctl export failed: " + err.strip(), rc=rc)
    return json.loads(out)


def config_file(module):
    """The configuration as a file on the host, and whether it is one of ours."""
    if module.params["src"]:
        return module.params["src"], False
    fd, path = tempfile.mkstemp(prefix="apctl-config-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(module.params["config"], f)
    return path, True


def change(module, verb, path):
    """apctl plan or apply of path: its verdict, or the host failed with apctl's words."""
    args = ["--json", verb, path] + (["--prune"] if module.params["prune"] else [])
    rc, out, err = apctl(module, args)
    verdict = None
    try:
        verdict = json.loads(out) if out.strip() else None
    except ValueError:
        pass
    if rc == 0 and verdict is not None:
        return verdict
    failed = {"rc": rc, "stderr": err}
    if verdict:
        failed["plan"] = verdict
        failed["conflicts"] = verdict.get("conflicts", []) + verdict.get("boot_conflicts", [])
    module.fail_json(msg="apctl %s refused or failed: %s" % (verb, err.strip()), **failed)
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type="dict"),
            src=dict(type="path"),
            root=dict(type="path"),
            prune=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("config", "src")],
        required_one_of=[("config", "src")],
        supports_check_mode=True,
    )
    before = export(module)
    path, ours = config_file(module)
    try:
        plan = change(module, "plan", path)
        changed = bool(plan.get("writes") or plan.get("files"))
        result = dict(changed=changed, plan=plan, written=False)
        if changed and not module.check_mode:
            change(module, "apply", path)
            result["written"] = True
            after = export(module)
        elif changed:
            with open(path) as f:
                after = json.load(f)
        else:
            after = before
        if module._diff:
            result["diff"] = dict(before=before, after=after)
        module.exit_json(**result)
    finally:
        if ours:
            os.unlink(path)


if __name__ == "__main__":
    main()
