#!/bin/sh
# Stand-in for xen-channel-helper in the rules tests. udevadm test runs
# IMPORT{program} for real (and never RUN), so this prints what the real
# helper's "export" prints for the consoles of the testbed test-rules.sh makes.
echo "stub-helper $* DEVPATH=${DEVPATH:-}" >&2
if [ "$1" != export ]; then
        echo "stub-helper: unexpected command $1" >&2
        exit 2
fi
case "${DEVPATH:-}" in
/devices/console-1)
        name=org.qemu.guest_agent.0 inst=org.qemu.guest_agent.0 devid=1 tty=hvc1 ;;
/devices/console-3)
        name=org.example-agent.0 inst='org.example\x2dagent.0' devid=3 tty=hvc2 ;;
*)      # a console without a name: nothing at all, exit 0
        exit 0 ;;
esac
printf '%s\n' \
        "XEN_CHANNEL_NAME=$name" \
        "XEN_CHANNEL_DEVID=$devid" \
        "XEN_CHANNEL_TTY=$tty" \
        "XEN_CHANNEL_DEVNAME=/dev/$tty" \
        "XEN_CHANNEL_LINK=/dev/xen-channel/$name" \
        "XEN_CHANNEL_SYSTEMD_INSTANCE=$inst"
