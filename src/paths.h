/* SPDX-License-Identifier: MIT */
/* Where things are, relative to the root (spec section 2). */
#ifndef APCTL_PATHS_H
#define APCTL_PATHS_H

#define AP_BUS "sys/bus/ap"
#define AP_BUS_DEVICES AP_BUS "/devices"
#define AP_BUS_DRIVERS AP_BUS "/drivers"
#define AP_DEVICES "sys/devices/ap"
#define AP_DRV_CARD "cex4card"
#define AP_DRV_QUEUE "cex4queue"
#define AP_DRV_VFIO "vfio_ap"

#define VFIO_AP_ROOT "sys/devices/vfio_ap"
#define MATRIX_DEV VFIO_AP_ROOT "/matrix"
#define MDEV_TYPE_NAME "vfio_ap-passthrough"
#define MDEV_TYPE MATRIX_DEV "/mdev_supported_types/" MDEV_TYPE_NAME
#define MATRIX_BUS "sys/bus/matrix"
#define MDEV_BUS "sys/bus/mdev"
#define MDEV_DRV "vfio_ap_mdev"
#define MDEV_CLASS "sys/class/mdev_bus"
#define IOMMU_GROUPS "sys/kernel/iommu_groups"

#define MDEVCTL_DIR "etc/mdevctl.d"
#define MATRIX_DEFS_DIR MDEVCTL_DIR "/matrix"
#define MDEVCTL_CALLOUTS MDEVCTL_DIR "/scripts.d/callouts"
#define MDEVCTL_LIB_DIR "usr/lib/mdevctl"
#define MDEVCTL_LIB_CALLOUTS MDEVCTL_LIB_DIR "/scripts.d/callouts"
/*
 * The name of apctl's callout in mdevctl's callout directories, a link to
 * apctl: it sorts before s390-tools' ap-check, as mdevctl 1.3 runs the first
 * callout by name that handles the type.
 */
#define CALLOUT_LINK_NAME "ap-apctl"

/* Where s390-tools installs ap-check, which apctl's callout runs before its own check. */
#define AP_CHECK_PATH "/" MDEVCTL_LIB_CALLOUTS "/ap-check"

#define MDEVCTL_LIB_NOTIFIERS MDEVCTL_LIB_DIR "/scripts.d/notifiers"
#define UDEV_RULES_DIR "etc/udev/rules.d"
#define RUN_UDEV_RULES_DIR "run/udev/rules.d"
#define LOCK_DIR "run/lock"
#define AP_LOCK_NAME "s390apconfig.lock"
#define AP_LOCK_FILE LOCK_DIR "/" AP_LOCK_NAME

#endif
