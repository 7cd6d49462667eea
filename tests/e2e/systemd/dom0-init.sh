#!/bin/sh
# /init of the systemd suite's dom0 (xen-channel project).
#
# Toolstack (xenstored with a request trace, xenconsoled, xl; qemu-xen serves
# the channels as unix sockets), one PV domU "sysd": Debian 12 with systemd,
# the project installed from its .debs, root in an initramfs. Drives scenarios
# s1..s7 (README.md) and prints
#   E2E-EVID <id> <text>       what dom0 sent and received, what the guest showed
#   E2E-RESULT <id> PASS|FAIL <title>
# then E2E-DONE and powers off. Every wait is bounded.
export PATH=/usr/lib/xen-4.17/bin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mkdir -p /run/lock /run/xen /run/xenstored /var/log/xen/console /var/lib/xen /var/lib/xenstored /tmp /save
up() { cut -d' ' -f1 /proc/uptime; }
ts() { echo "[dom0 +$(up)s] $*"; }
evid() { echo "E2E-EVID $*"; }
since() { awk "BEGIN{printf \"%.1f\", $(up)-$1}"; }
N=sysd; QGA=org.qemu.guest_agent.0; AG=org.example.agent.0
U_QGA=xen-channel-qemu-ga.service; U_AG=xen-channel-example-agent.service
UNITS="$U_QGA $U_AG xen-channel@$QGA.target xen-channel@$AG.target"
finish() { ts "E2E-DONE $*"; xl destroy $N >/dev/null 2>&1; sync; poweroff -f; sleep 10; }

ts "E2E-DOM0-BEGIN"
KVER=$(cat /e2e/kver)
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do insmod /usr/lib/modules/$KVER/$m.ko* || ts "insmod $m failed"; done
mount -t xenfs xenfs /proc/xen || ts "mount xenfs failed"
# -T: every request xenstored gets, to count the guest's reads in s6
TRACE=/run/xenstored.trace
xenstored --pid-file /run/xenstored.pid -T $TRACE || ts "xenstored failed"
i=0; while ! xenstore-read /local >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
xen-init-dom0 >/dev/null || ts "xen-init-dom0 failed"
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console || ts "xenconsoled failed"
# the save image: dom0's initramfs root holds at most half its RAM, so a tmpfs of its own
mount -t tmpfs -o size=${SAVE_MB:-450}m tmpfs /save
ts "toolstack up: $(xl info | sed -n 's/^xen_version *: //p'); free: $(free -m | awk '/Mem:/{print $4}') MiB"
V1=$(cat /e2e/v1); V2=$(cat /e2e/v2)

# ------------------------------------------------------------------ guest access
# gcmd SECS COMMAND: run a one-line shell command (no backslash: xenstore-write
# and -read unescape them) in the guest (guest/e2e-cmd, through
# xenstore e2e/), print its output ("|" for newlines); "TIMEOUT" if none in SECS
# The sequence number lives in a file: gcmd mostly runs in $(...) subshells.
echo 0 > /tmp/seq
gcmd() {
        local to=$1 i=0 seq; shift
        seq=$(($(cat /tmp/seq) + 1)); echo $seq > /tmp/seq
        xenstore-write /local/domain/$D/e2e/cmd "$seq $*"
        while [ "$(xenstore-read /local/domain/$D/e2e/ack 2>/dev/null)" != $seq ]; do
                i=$((i + 1)); [ $i -gt $((to * 5)) ] && { echo "TIMEOUT(${to}s: $*)"; return 1; }
                sleep 0.2
        done
        xenstore-read /local/domain/$D/e2e/res
}
# e2e_home: the guest's command area, owned by it (again after a restore or reboot: new domid)
e2e_home() {
        local P=/local/domain/$D/e2e
        xenstore-write $P/cmd "" $P/ack "" $P/res "" && xenstore-chmod -r $P n$D
}
# waitserver SECS: the guest's command server answers (the sequence only
# grows: a restored server remembers the last one it ran)
waitserver() {
        local t0=$(up)
        until [ "$(gcmd 5 echo alive)" = alive ]; do
                [ "$(since $t0 | cut -d. -f1)" -ge $1 ] && return 1
        done
        return 0
}
state() { gcmd 30 e2e-state $UNITS; }
# field STATE UNIT: "Load/Active/Sub/MainPID/NRestarts" of UNIT in a state line
field() { echo "$1" | sed -n "s/.*[ ,=]$2=\([^,]*\),.*/\1/p"; }
link_of() { echo "$1" | sed -n "s/.*links=\([^ ]*\) .*/\1/p" | tr ',' '\n' | awk -F: -v n="$2" '$1==n{print $3}'; }
links() { echo "$1" | sed -n "s/.*links=\([^ ]*\) .*/\1/p"; }
# waitstate SECS ERE: poll the guest state until it matches ERE; STATE holds the last
waitstate() {
        local i=0
        while :; do
                STATE=$(state)
                echo "$STATE" | grep -qE -- "$2" && return 0
                i=$((i + 1)); [ $i -gt $(($1 / 2)) ] && return 1; sleep 2
        done
}
running() { echo "$(field "$STATE" $1)" | grep -q '^loaded/active/running/'; }
pid_of() { field "$1" $2 | cut -d/ -f4; }

# ------------------------------------------------------------------ channel bytes
# sock_of NAME: the unix socket qemu serves NAME's channel on (from the backend)
sock_of() {
        local b
        for b in $(xenstore-list /local/domain/0/backend/console/$D 2>/dev/null); do
                [ "$(xenstore-read /local/domain/0/backend/console/$D/$b/name 2>/dev/null)" = "$1" ] &&
                        { xenstore-read /local/domain/0/backend/console/$D/$b/path; return; }
        done
}
# xchg SOCKET SECS ERE LINES...: send the lines, wait (bounded) for a reply line
# matching ERE; REPLY is that line, XALL every line received, XT the time taken
xchg() {
        local s=$1 to=$2 want=$3 out=/tmp/xchg.out p i=0 t0
        shift 3
        : > $out; REPLY=""; t0=$(up)
        [ -S "$s" ] || { XALL="(no socket $s)"; XT=0; return 1; }
        ( printf '%s\n' "$@"; sleep $to ) | timeout $((to + 2)) socat - UNIX-CONNECT:$s > $out 2>/dev/null &
        p=$!
        while [ $i -lt $((to * 5)) ] && ! tr -d '\r' < $out | grep -qE -- "$want"; do sleep 0.2; i=$((i + 1)); done
        kill $p 2>/dev/null; wait $p 2>/dev/null
        REPLY=$(tr -d '\r' < $out | grep -E -- "$want" | head -n 1)
        XALL=$(tr -d '\r' < $out | tr '\n' '|' | cut -c1-600); XT=$(since $t0)
        [ -n "$REPLY" ]
}
# qga ID: guest-sync with ID through qemu-ga's channel; OK when {"return": ID} came back
qga() {
        xchg "$(sock_of $QGA)" ${2:-15} '"return"' "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":$1}}"
        [ "$(echo "$REPLY" | tr -d ' ')" = "{\"return\":$1}" ]
}
# agent TOKEN: the example agent echoes TOKEN on its channel
agent() {
        xchg "$(sock_of $AG)" ${2:-15} "^OK $1\$" "HELLO 1" "ECHO $1"
}
tok() { echo "T$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"; }
num() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
# answers ID SECS: both agents answer (retried for up to SECS: an agent coming back)
answers() {
        local id=$1 to=$2 t0 ok_q=0 ok_a=0 t n
        t0=$(up)
        while :; do
                n=$(num)
                [ $ok_q = 1 ] || { qga $n 3 && ok_q=1 && evid "$id dom0: $(sock_of $QGA): guest-sync id $n -> $REPLY after $(since $t0)s"; }
                t=$(tok)
                [ $ok_a = 1 ] || { agent $t 3 && ok_a=1 && evid "$id dom0: $(sock_of $AG): ECHO $t -> '$REPLY' after $(since $t0)s"; }
                [ $ok_q$ok_a = 11 ] && return 0
                [ "$(since $t0 | cut -d. -f1)" -ge $to ] && break
                sleep 1
        done
        [ $ok_q = 1 ] || evid "$id dom0: qemu-ga did not answer guest-sync within ${to}s (last: ${XALL:-nothing})"
        [ $ok_a = 1 ] || evid "$id dom0: the example agent did not echo within ${to}s (last: ${XALL:-nothing})"
        return 1
}
verdict() { # verdict ID OK TITLE
        [ $2 = 1 ] && echo "E2E-RESULT $1 PASS $3" || echo "E2E-RESULT $1 FAIL $3"
}
# consoles: "devid:name ..." of the guest's channels, as dom0 configured them
consoles() {
        local c
        for c in $(xenstore-list /local/domain/$D/device/console 2>/dev/null); do
                printf '%s:%s ' $c "$(xenstore-read /local/domain/$D/device/console/$c/name 2>/dev/null)"
        done
}
# journal JOURNALCTL-ARGS: the guest journal's unit life-cycle lines
journal() { gcmd 30 "journalctl -q -o cat --no-pager $* | grep -E 'Start|Stop|Deactivat|Reached|Finished|exit|hung up|connected|EOF|signal' | tail -n 12"; }
trace_count() { grep -c "" $TRACE 2>/dev/null || echo 0; }
# console reads in the trace from line $1 on: requests naming device/console
trace_reads() { tail -n +$(($1 + 1)) $TRACE | grep -E '^IN .*device/console' ; }
follow_console() {
        ( L=/var/log/xen/console/guest-$N.log; i=0
          while [ ! -f $L ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done
          tail -n +1 -F $L 2>/dev/null | while IFS= read -r l; do echo "$N| $l"; done ) &
}

# ------------------------------------------------------------------ s1 boot
# channels: devid 0 is dropped by Debian's xl 4.17 (its chardev is the spare of
# s3), devid 1 removed before unpause (a gap), 2 qemu-ga, 3 the example agent
xl create -p /e2e/domU.cfg > /tmp/xl-create.log 2>&1; rc=$?
grep -i error /tmp/xl-create.log | grep -v 'Primary console has invalid configuration'
D=$(xl domid $N 2>/dev/null)
[ -n "$D" ] || finish "xl create failed (rc=$rc)"
xenstore-rm /local/domain/$D/device/console/1; xenstore-rm /local/domain/0/backend/console/$D/1
e2e_home
evid "s1 dom0: domid $D, consoles after removing devid 1 (the gap): $(consoles)"
follow_console
TR_BOOT=$(trace_count)
xl unpause $N; T_UNPAUSE=$(up)
ts "unpaused $N"
ok=1
waitserver 400 || { ok=0; evid "s1 guest: the command server did not answer within 400s"; }
ts "guest command server up after $(since $T_UNPAUSE)s"
waitstate 300 "$U_QGA=loaded/active/running/.*$U_AG=loaded/active/running/" ||
        { ok=0; evid "s1 guest: agent units not both running within 300s"; }
answers s1 120 || ok=0
evid "s1 first answers $(since $T_UNPAUSE)s after unpause"
evid "s1 guest: $STATE"
S1=$STATE
[ "$(link_of "$STATE" $QGA)" = ../hvc1 ] || { ok=0; evid "s1 guest: $QGA should be ../hvc1 (console-2 after the gap)"; }
[ "$(link_of "$STATE" $AG)" = ../hvc2 ] || { ok=0; evid "s1 guest: $AG should be ../hvc2 (console-3)"; }
n=$(links "$STATE" | tr ',' '\n' | grep -c .)
[ "$n" = 2 ] || { ok=0; evid "s1 guest: $n links, expected 2"; }
xl=$(gcmd 20 'xen-channel list'); evid "s1 guest: xen-channel list: $xl"
for c in 2:$QGA:hvc1 3:$AG:hvc2; do
        echo "$xl" | tr '|' '\n' | awk -v n=$(echo $c | cut -d: -f2) -v t=$(echo $c | cut -d: -f3) -v d=${c%%:*} \
                '$1==n && $2==t && $3==d {f=1} END {exit !f}' ||
                { ok=0; evid "s1 guest: xen-channel list lacks '$(echo $c | tr : ' ')'"; }
done
if [ "$(gcmd 20 'xen-channel status --help >/dev/null 2>&1 && echo yes')" = yes ]; then
        st=$(gcmd 30 'xen-channel status; echo rc=$?'); evid "s1 guest: xen-channel status: $st"
        case $st in *rc=0) ;; *) ok=0; evid "s1 guest: xen-channel status did not exit 0";; esac
        for n in $QGA $AG; do echo "$st" | grep -q "$n" || { ok=0; evid "s1 guest: status does not name $n"; }; done
else
        evid "s1 guest: xen-channel has no status command in this version"
fi
r=$(xchg "$(sock_of $QGA)" 15 '"return"' '{"execute":"guest-get-osinfo"}' && echo "$REPLY")
evid "s1 dom0: guest-get-osinfo -> $r"
echo "$r" | grep -q '"id": *"debian"' && echo "$r" | grep -q '"version-id": *"12"' || ok=0
evid "s1 guest: $(gcmd 20 'systemctl is-system-running; systemd-analyze | head -n1; grep -E "^(MemTotal|MemAvailable|Shmem):" /proc/meminfo | tr -s " "; systemd-analyze blame | head -n 5 | tr -s " "')"
evid "s1 dom0: xenstore requests naming device/console during the boot: $(trace_reads $TR_BOOT | grep -vc '/local/domain/0/')"
verdict s1 $ok "boot with a devid gap: coldplug under systemd links both channels, qemu-ga and the example agent answer"

# ------------------------------------------------------------------ s2 upgrade
# dpkg -i of the V+e2e1 packages, started through qemu-ga's guest-exec. The
# package restarts its own unit xen-channel-qemu-ga.service on upgrade (the
# unit runs the upgraded "xen-channel supervise"), and the unit's stop kills
# its whole cgroup: a dpkg run as guest-exec's child would die mid-upgrade.
# So guest-exec hands dpkg to systemd-run, as an admin would, and dom0 reads
# dpkg's exit status from the guest.
ok=1; t0=$(up)
B=$(state)
evid "s2 guest before: $(gcmd 20 "dpkg-query -W xen-channel libxenchannel0 libxenchannel-glib0 | tr '\t' ' '")"
xchg "$(sock_of $QGA)" 20 '"return"' '{"execute":"guest-exec","arguments":{"path":"/usr/bin/systemd-run","arg":["--unit=e2e-upgrade","--collect","/bin/sh","-c","dpkg -i /var/cache/e2e/v2/*.deb > /run/e2e-dpkg.log 2>&1; echo $? > /run/e2e-dpkg.rc"],"capture-output":true}}'
evid "s2 dom0: guest-exec systemd-run dpkg -i v2 -> $REPLY"
XP=$(echo "$REPLY" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
st=""; i=0
while [ -n "$XP" ] && [ $i -lt 10 ]; do
        sleep 2; i=$((i + 1))
        xchg "$(sock_of $QGA)" 10 '"return"|"error"' "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$XP}}" || continue
        case $REPLY in *'"exited": true'*|*'"error"'*) st=$REPLY; break;; esac
done
evid "s2 dom0: guest-exec-status: $(echo "$st" | sed 's/"out-data": *"[^"]*"/"out-data": "..."/') ($(echo "$st" | sed -n 's/.*"out-data": *"\([^"]*\)".*/\1/p' | base64 -d 2>/dev/null | tr '\n' ' '))"
i=0; rc=""
while [ $i -lt 100 ]; do
        rc=$(gcmd 10 'cat /run/e2e-dpkg.rc 2>/dev/null'); [ -n "$rc" ] && break
        sleep 3; i=$((i + 1))
done
evid "s2 guest: dpkg -i exit status '${rc:-none within 300s}' after $(since $t0)s; $(gcmd 20 'grep -E "^(Unpacking|Setting up)" /run/e2e-dpkg.log')"
[ "$rc" = 0 ] || { ok=0; evid "s2 guest: dpkg log: $(gcmd 20 'tail -n 8 /run/e2e-dpkg.log')"; }
v=$(gcmd 20 "dpkg-query -W xen-channel libxenchannel0 libxenchannel-glib0 | tr '\t' ' '")
evid "s2 guest after: $v"
[ "$(echo "$v" | tr '|' '\n' | grep -c " $V2\$")" = 3 ] || { ok=0; evid "s2 guest: not all three packages at $V2"; }
waitstate 60 "$U_QGA=loaded/active/running/" || { ok=0; evid "s2 guest: $U_QGA not running 60s after the upgrade"; }
A=$STATE
evid "s2 guest after: $A"
[ "$(links "$A")" = "$(links "$B")" ] && evid "s2 guest: every link kept its inode and target" ||
        { ok=0; evid "s2 guest: links changed (before: $(links "$B"))"; }
for u in $U_AG xen-channel@$QGA.target xen-channel@$AG.target; do
        [ "$(field "$A" $u)" = "$(field "$B" $u)" ] ||
                { ok=0; evid "s2 guest: $u changed: $(field "$B" $u) -> $(field "$A" $u)"; }
done
[ "$(field "$A" $U_QGA)" = "$(field "$B" $U_QGA)" ] && evid "s2 guest: $U_QGA kept running" ||
        evid "s2 guest: $U_QGA restarted by the package (its unit runs the upgraded supervise): $(field "$B" $U_QGA) -> $(field "$A" $U_QGA)"
evid "s2 guest journal: $(journal "-u $U_QGA -u $U_AG -u xen-channel-sync.service -u e2e-upgrade --since=-5min")"
answers s2 60 || ok=0
evid "s2 took $(since $t0)s"
verdict s2 $ok "upgrade in place to $V2 started through qemu-ga guest-exec: links keep inode and target, no other unit restarted, both agents answer"

# ------------------------------------------------------------------ s4 save/restore
# Before s3: on the layout libxl restores (README: a restore after the raw
# xenstore re-add of s3 is a slot-move case of its own)
ok=1; t0=$(up)
B=$(state)
evid "s4 guest before: $B"
timeout 300 xl save $N /save/$N.img > /tmp/xl-save.log 2>&1; rc=$?
evid "s4 dom0: xl save rc=$rc in $(since $t0)s, image $(du -m /save/$N.img 2>/dev/null | cut -f1) MiB (tmpfs /save: $(df -m /save | awk 'NR==2{print $3"/"$2}') MiB)"
[ $rc = 0 ] || { ok=0; evid "s4 dom0: $(tail -n 3 /tmp/xl-save.log | tr '\n' '|')"; }
t1=$(up)
timeout 300 xl restore -p /save/$N.img > /tmp/xl-restore.log 2>&1; rc=$?
D=$(xl domid $N 2>/dev/null); e2e_home; xl unpause $N
rm -f /save/$N.img
evid "s4 dom0: xl restore rc=$rc in $(since $t1)s, domid $D; consoles: $(consoles)"
[ $rc = 0 ] && [ -n "$D" ] || { ok=0; evid "s4 dom0: $(tail -n 3 /tmp/xl-restore.log | tr '\n' '|')"; }
t1=$(up)
waitserver 60 || { ok=0; evid "s4 guest: the command server did not answer within 60s"; }
answers s4 60 || ok=0
evid "s4 answers $(since $t1)s after the restore"
A=$(state); evid "s4 guest after: $A"
for n in $QGA $AG; do [ -n "$(link_of "$A" $n)" ] || { ok=0; evid "s4 guest: no link for $n"; }; done
evid "s4 guest: xen-channel list: $(gcmd 20 'xen-channel list')"
evid "s4 guest journal: $(journal "-u $U_QGA -u $U_AG --since=-1min")"
verdict s4 $ok "save/restore: both agents answer again by themselves, each link carries its own channel"

# ------------------------------------------------------------------ s3 removal, re-add
ok=1; t0=$(up)
B=$(state)
BE=/local/domain/0/backend/console/$D/2; FE=/local/domain/$D/device/console/2
# as libxl unplugs: backend Closing first, both Closed, then the frontend goes
xenstore-write $BE/online 0 $BE/state 5
i=0; while [ "$(xenstore-read $BE/state 2>/dev/null)$(xenstore-read $FE/state 2>/dev/null)" != 66 ] && [ $i -lt 100 ]; do
        sleep 0.2; i=$((i + 1)); done
evid "s3 dom0: backend of console-2 ($QGA) closed: states $(xenstore-read $BE/state)/$(xenstore-read $FE/state) after $((i * 200))ms"
xenstore-rm $FE; xenstore-rm $BE
evid "s3 dom0: removed $FE and $BE"
waitstate 60 "$U_QGA=[a-z-]*/(inactive|failed)/" || { ok=0; evid "s3 guest: $U_QGA still active after 60s"; }
sleep 2; A=$(state)
evid "s3 guest after the removal: $A"
[ -z "$(link_of "$A" $QGA)" ] || { ok=0; evid "s3 guest: the link of $QGA is still there"; }
[ "$(links "$A")" = "$(links "$B" | tr ',' '\n' | grep -v "^$QGA:" | grep . | tr '\n' ',')" ] ||
        { ok=0; evid "s3 guest: other links changed (before: $(links "$B"))"; }
[ "$(field "$A" $U_AG)" = "$(field "$B" $U_AG)" ] || { ok=0; evid "s3 guest: $U_AG changed"; }
p=$(gcmd 10 'pidof qemu-ga || echo none'); evid "s3 guest: pidof qemu-ga: $p"
[ "$p" = none ] || ok=0
evid "s3 guest journal: $(journal "-u $U_QGA --since=-1min")"
t=$(tok); agent $t 15 && evid "s3 dom0: $(sock_of $AG): ECHO $t -> '$REPLY'" || { ok=0; evid "s3 dom0: agent silent: $XALL"; }
verdict s3r $ok "removal, backend closed first: BindsTo= stops qemu-ga, only its link goes, the other channel answers"
# re-add devid 2 on qemu's unused chardev libxl-channel0 (/run/sysd-spare.sock)
ok=1; t0=$(up); P0=$(pid_of "$B" $U_QGA)
F=/local/domain/$D/device/console/2
xenstore-write $F/backend $BE $F/backend-id 0 $F/protocol vt100 $F/name $QGA \
        $F/limit 1048576 $F/type ioemu $F/output chardev:libxl-channel0 $F/tty ""
xenstore-chmod -r $F n$D r0
xenstore-write $BE/frontend $F $BE/frontend-id $D $BE/protocol vt100 $BE/name $QGA \
        $BE/connection socket $BE/path /run/$N-spare.sock $BE/online 1
xenstore-chmod -r $BE n0 r$D
xenstore-write $BE/state 1; xenstore-chmod $BE/state n0 r$D
xenstore-write $F/state 1; xenstore-chmod $F/state n$D r0
evid "s3 dom0: re-added console-2 ($QGA) on the spare backend $(sock_of $QGA)"
waitstate 60 "$U_QGA=loaded/active/running/" || { ok=0; evid "s3 guest: $U_QGA not running again within 60s"; }
evid "s3 guest after the re-add ($(since $t0)s): $STATE"
[ "$(pid_of "$STATE" $U_QGA)" != "$P0" ] || { ok=0; evid "s3 guest: same qemu-ga pid as before the removal"; }
[ -n "$(link_of "$STATE" $QGA)" ] || { ok=0; evid "s3 guest: no link for $QGA"; }
answers s3a 30 || ok=0
verdict s3a $ok "re-add on a spare backend: the agent starts again and answers"

# ------------------------------------------------------------------ s5 reboot
ok=1; t0=$(up); OLD=$D
xl reboot $N > /tmp/xl-reboot.log 2>&1 || { ok=0; evid "s5 dom0: xl reboot failed: $(cat /tmp/xl-reboot.log)"; }
i=0; while { D=$(xl domid $N 2>/dev/null); [ -z "$D" ] || [ "$D" = $OLD ]; } && [ $i -lt 300 ]; do sleep 0.5; i=$((i + 1)); done
e2e_home
evid "s5 dom0: rebooted as domid $D after $(since $t0)s"
waitserver 400 || { ok=0; evid "s5 guest: the command server did not answer within 400s"; }
waitstate 300 "$U_QGA=loaded/active/running/.*$U_AG=loaded/active/running/" ||
        { ok=0; evid "s5 guest: agent units not both running within 300s"; }
answers s5 120 || ok=0
evid "s5 guest: $STATE"
C5=$(consoles)
evid "s5 dom0: consoles now (as configured: devid 1 is back, no gap): $C5"
[ "$(echo $C5 | wc -w)" = 3 ] || { ok=0; evid "s5 dom0: expected the 3 configured consoles"; }
for c in $C5; do
        n=${c#*:}; l=$(link_of "$STATE" $n)
        [ -n "$l" ] || { ok=0; evid "s5 guest: no link for console-${c%%:*} ($n)"; }
done
evid "s5 guest: $(gcmd 20 "dpkg-query -W xen-channel | tr '\t' ' '") (the root is the image again: $V1)"
evid "s5 back $(since $t0)s after xl reboot"
verdict s5 $ok "xl reboot: links, units and answers come back by themselves"

# ------------------------------------------------------------------ s6 udev restart + trigger
ok=1; t0=$(up)
B=$(state); tr0=$(trace_count)
r=$(gcmd 120 'systemctl restart systemd-udevd && udevadm settle -t 30 && udevadm trigger --subsystem-match=xen --action=change && udevadm settle -t 30 && udevadm trigger --subsystem-match=xen --action=add && udevadm settle -t 30 && echo done')
evid "s6 guest: systemctl restart systemd-udevd; udevadm trigger change, add (xen): $r"
[ "$r" = done ] || ok=0
sleep 3
A=$(state); evid "s6 guest after: $A"
[ "$(links "$A")" = "$(links "$B")" ] && evid "s6 guest: every link kept its inode and target" ||
        { ok=0; evid "s6 guest: links changed (before: $(links "$B"))"; }
for u in $U_QGA $U_AG; do
        [ "$(field "$A" $u)" = "$(field "$B" $u)" ] || { ok=0; evid "s6 guest: $u changed: $(field "$B" $u) -> $(field "$A" $u)"; }
done
reads=$(trace_reads $tr0 | grep -v '/local/domain/0/')
evid "s6 dom0: xenstored trace: $(echo "$reads" | grep -c .) requests naming device/console from the guest during the restart and triggers (boot had them: see s1)${reads:+: $(echo "$reads" | head -n 5 | tr '\n' '|')}"
[ -z "$reads" ] || ok=0
answers s6 20 || ok=0
verdict s6 $ok "udev restart and trigger change/add: links unchanged, no agent restarted, no xenstore read for a known console"

# ------------------------------------------------------------------ s7 purge
ok=1; t0=$(up)
# the files no package of the project owns, before and after
gcmd 60 'e2e-files owned; e2e-files list > /run/e2e-before; wc -l < /run/e2e-before' > /tmp/n
evid "s7 guest: $(cat /tmp/n) files outside the project's packages before the purge"
r=$(gcmd 200 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q xen-channel libxenchannel0 libxenchannel-glib0 > /run/e2e-purge.log 2>&1; echo rc=$?; grep -E "^(Purging|Removing)" /run/e2e-purge.log')
evid "s7 guest: apt-get purge: $r"
case $r in rc=0*) ;; *) ok=0; evid "s7 guest: $(gcmd 10 'tail -n 8 /run/e2e-purge.log')";; esac
sleep 3
A=$(state); evid "s7 guest after: $A"
g=$(gcmd 30 'for p in /dev/xen-channel /run/xen-channel /usr/libexec/xen-channel-helper /usr/bin/xen-channel; do [ -e $p ] && echo "left: $p"; done; ls /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system 2>/dev/null | grep -i "xen-channel" | grep -v example; pidof qemu-ga xen-channel-example-agent; ls /dev/hvc1 /dev/hvc2 >/dev/null && echo hvc-ok')
evid "s7 guest: leftovers: '$g'"
[ "$g" = hvc-ok ] || ok=0
for u in $U_QGA $U_AG; do
        case $(field "$A" $u) in */active/*) ok=0; evid "s7 guest: $u still active";; esac
done
d=$(gcmd 60 'e2e-files list > /run/e2e-after; diff /run/e2e-before /run/e2e-after | grep "^[<>]" | head -n 20; e2e-files left')
evid "s7 guest: other files changed by the purge: '${d}'"
[ -z "$d" ] || ok=0
evid "s7 guest: $(gcmd 10 "dpkg-query -W qemu-guest-agent | tr '\t' ' '") still installed"
verdict s7 $ok "purge: links, units, run folder gone, agents stopped, nothing else touched"

# ------------------------------------------------------------------ end
t0=$(up)
timeout 120 xl shutdown -w $N > /dev/null 2>&1; ts "xl shutdown -w: rc=$? after $(since $t0)s"
finish "dom0 uptime $(up)s"
