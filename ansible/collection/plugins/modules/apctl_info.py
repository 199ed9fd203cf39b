#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Ansible module apctl_info: a host's AP configuration as facts, through apctl."""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.apctl.ap.plugins.module_utils import apctl

DOCUMENTATION = r"""
---
module: apctl_info
short_description: The AP configuration of an IBM Z host, for conditions and reports
description:
  - Reads the AP configuration of a Linux on IBM Z host with apctl - the
    adapters, domains and queues and who owns them, the masks, the vfio_ap
    mediated devices (mdevs) and the guests that use them, the persistent
    configuration - and returns it, for C(when) conditions and reports.
  - Changes nothing; the same in check mode.
version_added: "0.1.0"
options:
  root:
    description:
      - The root apctl reads (C(apctl --root)), such as a sandbox made with
        C(apctl sandbox create); the live system when not given.
    type: path
  boot:
    description:
      - Also predict the next boot (C(apctl show --boot)) - what the
        persistent configuration brings, and why a definition would not
        start.
    type: bool
    default: false
requirements:
  - apctl on the managed host
author:
  - apctl maintainers
"""

EXAMPLES = r"""
- name: The AP configuration
  apctl.ap.apctl_info:
  register: ap

- name: Adapters 5 and 6 for the guests, where the host has both
  apctl.ap.apctl_config:
    config:
      version: 1
      adapters: [5, 6]
  when: ap.show.bus.host.adapters is superset([5, 6])

- name: Hosts whose next boot would not start every definition
  apctl.ap.apctl_info:
    boot: true
  register: ap
  failed_when: ap.boot.starts | rejectattr('started') | list | length > 0
"""

RETURN = r"""
show:
  description:
    - C(apctl show --json) - the host configuration, the masks, the queues
      with their owners and drivers, the mdevs with their matrix, guest
      matrix and guest, the persistent configuration. Its keys are in
      C(man apctl), section JSON OUTPUT.
  returned: always
  type: dict
config:
  description:
    - C(apctl export) - the configuration in the form that
      M(apctl.ap.apctl_config) takes.
  returned: always
  type: dict
boot:
  description:
    - C(apctl show --boot --json) - the next boot, predicted.
  returned: when I(boot) is true
  type: dict
"""

ARGUMENT_SPEC = dict(
    root=dict(type="path"),
    boot=dict(type="bool", default=False),
)


def read(module, args):
    """apctl's JSON of args, or the host failed with apctl's words."""
    rc, out, err = apctl.run_json(module, args)
    if rc != 0 or out is None:
        module.fail_json(msg=err or "apctl %s failed" % " ".join(args), rc=rc)
    return out


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    result = dict(changed=False, show=read(module, ["show"]), config=read(module, ["export"]))
    if module.params["boot"]:
        result["boot"] = read(module, ["show", "--boot"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
