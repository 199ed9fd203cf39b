#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Ansible module apctl_config: a host's vfio_ap crypto configuration, through apctl."""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.apctl.ap.plugins.module_utils import apctl

DOCUMENTATION = r"""
---
module: apctl_config
short_description: Bring a vfio_ap crypto configuration about on an IBM Z host
description:
  - Makes the AP configuration of a Linux on IBM Z host what a configuration
    says - the adapters and domains reserved for vfio_ap, and the vfio_ap
    mediated devices (mdevs) with their adapters, usage domains and control
    domains, running and, where asked, persistent (41-ap.rules and mdevctl
    definitions).
  - Runs C(apctl apply) on the managed host, which checks the whole change
    against the kernel's rules first and makes it as one change (under the AP
    configuration lock, journaled, undone whole when a write fails). A key
    that the configuration leaves out changes nothing.
  - The configuration's format is in C(man apctl), section CONFIGURATION
    FILE, and in the JSON Schema C(/usr/share/apctl/config.schema.json).
version_added: "0.1.0"
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
        C(apctl sandbox create) for a rehearsal; the live system when not
        given.
    type: path
  prune:
    description:
      - Remove the mdevs and mdevctl definitions that the configuration does
        not name; without it they are left alone.
    type: bool
    default: false
requirements:
  - apctl on the managed host
notes:
  - Check mode runs C(apctl plan) and writes nothing; a real run runs
    C(apctl apply). Both report the diff of apctl's plan - the configuration
    as C(apctl export) prints it before the change, and as the plan leaves
    it - so that check mode shows what a real run makes.
  - A host whose change the kernel would refuse fails with the conflicts
    (each APQN, what holds it, and the command that frees it) in C(msg), and
    changes nothing.
author:
  - apctl maintainers
"""

EXAMPLES = r"""
- name: Three guests on adapters 5 and 6, as the kernel document has them
  apctl.ap.apctl_config:
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
  apctl.ap.apctl_config:
    src: /etc/apctl/host.json
    prune: true
"""

RETURN = r"""
verdict:
  description:
    - apctl's verdict of the change (C(apctl --json plan) or C(apply)) - the
      writes in their order with the kernel's predicted answer, the files,
      the conflicts, and the configuration before and after.
  returned: when apctl read the configuration
  type: dict
conflicts:
  description:
    - Why the kernel would refuse the change - one entry per APQN or ID
      (C(apqn), C(reason), C(mdev), C(errno), C(fix)), and why the next boot
      would fail.
  returned: failure
  type: list
  elements: raw
written:
  description: Whether apctl made the change.
  returned: always
  type: bool
"""

ARGUMENT_SPEC = dict(
    config=dict(type="dict"),
    src=dict(type="path"),
    root=dict(type="path"),
    prune=dict(type="bool", default=False),
)


def refusal(verdict):
    """The conflicts of a refused verdict, each with its fix, in words."""
    said = []
    for c in verdict.get("conflicts") or []:
        what = c.get("apqn") or c.get("mdev") or ""
        line = "%s %s" % (what, c.get("reason", "")) if what else c.get("reason", "")
        if c.get("fix"):
            line += " (run: %s)" % c["fix"]
        said.append(line)
    said += verdict.get("boot_conflicts") or []
    said += verdict.get("host_differs") or []
    lead = "the kernel would refuse the change"
    if verdict.get("errno"):
        lead += " with " + verdict["errno"]
    return lead + ": " + "; ".join(said) if said else lead


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[("config", "src")],
        required_one_of=[("config", "src")],
        supports_check_mode=True,
    )
    p = module.params
    verb = "plan" if module.check_mode else "apply"
    args = [verb, p["src"] or "-"] + (["--prune"] if p["prune"] else [])
    data = None if p["src"] else module.jsonify(p["config"])
    rc, verdict, err = apctl.run_json(module, args, data)
    if verdict is None:
        # a configuration apctl cannot read, or a root it cannot open
        module.fail_json(msg=err or "apctl %s failed" % verb, rc=rc, written=False)
    written = bool(verdict.get("written"))
    if rc != 0:
        conflicts = ((verdict.get("conflicts") or []) + (verdict.get("boot_conflicts") or []) +
                     (verdict.get("host_differs") or []))
        msg = refusal(verdict) if not verdict.get("ok", True) else "apctl %s failed" % verb
        module.fail_json(msg=msg, rc=rc, verdict=verdict, conflicts=conflicts,
                         written=written)
    changed = bool(verdict.get("writes") or verdict.get("files"))
    result = dict(changed=changed, verdict=verdict, written=written)
    if module._diff:
        result["diff"] = dict(before=verdict.get("before"), after=verdict.get("after"))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
