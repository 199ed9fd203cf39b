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

#define MDEVCTL_DIR "etc/mdevctl.d"
#define MATRIX_DEFS_DIR MDEVCTL_DIR "/matrix"
#define MDEVCTL_CALLOUTS MDEVCTL_DIR "/scripts.d/callouts"
#define MDEVCTL_LIB_CALLOUTS "usr/lib/mdevctl/scripts.d/callouts"
#define MDEVCTL_LIB_NOTIFIERS "usr/lib/mdevctl/scripts.d/notifiers"
#define UDEV_RULES_DIR "etc/udev/rules.d"
#define RUN_UDEV_RULES_DIR "run/udev/rules.d"
#define LOCK_DIR "run/lock"
#define AP_LOCK_NAME "s390apconfig.lock"
#define AP_LOCK_FILE LOCK_DIR "/" AP_LOCK_NAME

#endif
