#!/bin/sh
# /init of the e2e PV domU (xen-channel project).
#
# Boots like a distribution guest as far as this project is concerned: syslog,
# the real systemd-udevd with the project's installed rules, coldplug
# (udevadm trigger + settle). Then it serves commands that dom0 writes to
# xenstore (e2e/cmd = "SEQ VERB ARGS"); each result goes to e2e/res and the
# sequence number to e2e/ack. Everything is also printed on the console (hvc0),
# which dom0 copies to the serial log. Every wait is bounded.
export PATH=/usr/bin:/usr/sbin
umask 022
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/e2e /run/udev /run/lock /tmp
E=/run/e2e
exec 9>&1   # the console, for reports printed while a result is captured
up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "[domU +$(up)s] $*" >&9; }
ROLE=unknown
for a in $(cat /proc/cmdline); do case $a in e2e_role=*) ROLE=${a#e2e_role=};; esac; done
say "E2E-DOMU-BEGIN role=$ROLE domid=$(xenstore-read domid 2>/dev/null) kernel=$(uname -r)"
. /e2e/project.txt
say "project: rules=$rules helpers=$helpers"

# ---------------------------------------------------------------- boot (verb "boot")
# what a distribution guest does at boot for this project: syslog, systemd-udevd
# with the installed rules, coldplug. dom0 calls it after the "truth" check.
boot() {
  local i t0 rc
  syslogd -n -O $E/syslog < /dev/null > /dev/null 2>&1 &
  i=0; while [ ! -S /dev/log ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  [ -S /dev/log ] || say "WARNING: syslogd did not create /dev/log"
  # a monitor of what udevd processed (with the imported properties). udevadm
  # monitor makes its stdout line buffered and prints the "UDEV - ..." header
  # once it has subscribed: wait (bounded) for it, so no event can precede it
  udevadm monitor --udev --property --subsystem-match=xen < /dev/null > $E/udev-monitor.log 2>&1 &
  i=0; until grep -q '^UDEV - ' $E/udev-monitor.log; do
    [ $i -ge 100 ] && { say "WARNING: udevadm monitor did not subscribe within 10s"; break; }
    sleep 0.1; i=$((i+1))
  done
  SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=info \
    /usr/lib/systemd/systemd-udevd --resolve-names=early < /dev/null > $E/udevd.log 2>&1 &
  UDEVD=$!
  t0=$(up)
  i=0; until udevadm control --ping >/dev/null 2>&1; do
    [ $i -ge 60 ] && { say "WARNING: udevd did not answer a ping within 30s"; break; }
    sleep 0.5; i=$((i+1))
  done
  say "systemd-udevd pid $UDEVD running ($(udevadm --version)); rules: $(ls /usr/lib/udev/rules.d /etc/udev/rules.d 2>/dev/null | grep rules | tr '\n' ' ')"
  udevadm trigger --type=subsystems --action=add
  udevadm trigger --type=devices --action=add
  timeout 90 udevadm settle --timeout=60; rc=$?
  say "coldplug done: trigger+settle rc=$rc in $(awk "BEGIN{print $(up)-$t0}")s"
  services
  report "after coldplug" >&9
  echo "udevd pid $UDEVD; coldplug (trigger + settle) rc=$rc in $(awk "BEGIN{print $(up)-$t0}")s"
}

# the project's systemd services that a distribution starts at boot (this
# guest has no systemd): run each installed unit's ExecStart in the background,
# the way its [Service] says, except the oneshot sync (udev did the coldplug)
services() {
  local u
  # /lib is /usr/lib here: each unit once
  for u in $(ls /usr/lib/systemd/system/xen-channel-*.service /lib/systemd/system/xen-channel-*.service 2>/dev/null |
             xargs -r -n1 readlink -f | sort -u); do
    [ -f "$u" ] || continue
    grep -q '^Type=oneshot' "$u" && continue
    start_unit "$u"
  done
}
# start_unit FILE: its ExecStart in the background, the pid in $E/pid.<unit>
start_unit() {
  local x
  x=$(sed -n 's/^ExecStart=//p' "$1" | head -n 1)
  [ -n "$x" ] || return 0
  ( exec $x ) < /dev/null >> $E/services.log 2>&1 &
  echo $! > "$E/pid.${1##*/}"
  say "started ${1##*/}: $x (pid $!)"
}

# ---------------------------------------------------------------- truth
# Ground truth without any project code: read every live hvc1..7 in raw mode
# (open fails on slots with no console behind them) while dom0 writes
# "WHO-<socket>" into every channel socket; report which tty got which.
truth_start() {
  local n t
  rm -rf $E/truth; mkdir -p $E/truth
  for n in 1 2 3 4 5 6 7; do
    t=/dev/hvc$n
    ( exec 6<>$t || exit 0
      echo $t >> $E/truth/opened
      stty raw -echo <&6
      read -t 30 -r l <&6 && printf '%s\n' "$l" | tr -d '\r' > $E/truth/hvc$n
    ) < /dev/null > /dev/null 2>&1 &
    echo $! >> $E/truth/pids
  done
  sleep 1
  echo "reading: $(cat $E/truth/opened 2>/dev/null | tr '\n' ' ')"
}
truth_got() { # N: wait (bounded) until N ttys got a line, then stop the readers
  local i=0 res="" f
  while [ "$(ls $E/truth | grep -c '^hvc')" -lt "$1" ] && [ $i -lt 20 ]; do sleep 0.5; i=$((i+1)); done
  for f in $(cat $E/truth/pids); do kill $f 2>/dev/null; done
  for f in $E/truth/hvc*; do [ -f "$f" ] && res="$res${res:+|}${f##*/}=$(cat $f)"; done
  echo "${res:-(none)}"
}

# ---------------------------------------------------------------- reports
links() { # NAME=>RAW=>RESOLVED|...
  local l out=""
  for l in /dev/xen-channel/* /dev/xen-channel/.[!.]*; do
    [ -e "$l" ] || [ -L "$l" ] || continue
    out="$out${out:+|}${l#/dev/xen-channel/}=>$(readlink "$l")=>$(readlink -f "$l")"
  done
  echo "${out:-(none)}"
}
linkstat() { # NAME:INODE:RAW|...
  local l out=""
  for l in /dev/xen-channel/* /dev/xen-channel/.[!.]*; do
    [ -L "$l" ] || continue
    out="$out${out:+|}${l#/dev/xen-channel/}:$(stat -c %i "$l"):$(readlink "$l")"
  done
  echo "${out:-(none)}"
}
report() {
  say "---- report: $*"
  echo "  ls -l /dev/xen-channel:"; ls -la /dev/xen-channel 2>&1 | sed 's/^/    /'
  echo "  xen-channel list:"; timeout 10 xen-channel list 2>&1 | sed 's/^/    /'
  for d in /sys/bus/xen/devices/console-*; do
    [ -e "$d" ] || continue
    echo "  ${d##*/}: nodename=$(cat $d/nodename) state=$(cat $d/state 2>/dev/null) name=$(xenstore-read $(cat $d/nodename)/name 2>&1)"
    udevadm info -q property "$d" 2>/dev/null | grep -E '^(XEN_|SYSTEMD_|TAGS|CURRENT_TAGS|DRIVER)' | sed 's/^/      /'
  done
  echo "  syslog:"; sed 's/^/    /' $E/syslog 2>/dev/null | tail -n 40
}

# ---------------------------------------------------------------- commands
# serve NAME...: for each NAME run `xen-channel connect NAME` bridged to a
# responder that reads one line (the token) and answers
# "ANSWER name=NAME token=TOKEN tty=TTY" through the same channel.
responder() { # NAME DIR TTY
  local tok
  if read -t 40 -r tok; then
    tok=$(printf '%s' "$tok" | tr -d '\r')
    printf '%s\n' "$tok" > "$2/token"
    printf 'ANSWER name=%s token=%s tty=%s\n' "$1" "$tok" "$3"
    sleep 2
  else
    echo "(nothing within 40s)" > "$2/token"
  fi
}
holders() { # TTY: pid(comm) of every process that has TTY open
  local p
  for p in $(ls -l /proc/[0-9]*/fd/* 2>/dev/null | grep -F " -> $1" | sed 's#.*/proc/\([0-9]*\)/.*#\1#' | sort -u); do
    echo -n "$p($(cat /proc/$p/comm 2>/dev/null)) "
  done
}
serve() {
  local n d t res="" i
  for n in "$@"; do
    d=$E/srv/$n; rm -rf "$d"; mkdir -p "$d"; mkfifo "$d/in"
    t=$(readlink -f "/dev/xen-channel/$n" 2>/dev/null)
    echo "$t" > "$d/tty"
    ( timeout 60 xen-channel connect "$n" < "$d/in" 2> "$d/err" | responder "$n" "$d" "$t" > "$d/in"
      echo "connect exit" > "$d/done" ) < /dev/null > /dev/null 2>&1 &
  done
  # ready when some process holds the channel's tty open (the tool opened it)
  for n in "$@"; do
    d=$E/srv/$n; t=$(cat "$d/tty"); i=0; who=""
    while [ $i -lt 100 ] && [ -n "$t" ]; do
      who=$(ls -l /proc/[0-9]*/fd/* 2>/dev/null | grep -F " -> $t" | grep -v "/proc/$$/" | sed -n 's#.* /proc/\([0-9]*\)/fd/.*#\1#p' | head -1)
      [ -n "$who" ] && break
      sleep 0.1; i=$((i+1))
    done
    res="$res${res:+|}$n:tty=${t:-none}:open-by=$(holders $t)"
  done
  sleep 0.5  # the tool switches the tty to raw mode right after open
  echo "$res"
}
collect() { # NAME... -> NAME:token|...
  local n res="" i
  for n in "$@"; do
    i=0; while [ ! -s "$E/srv/$n/token" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
    res="$res${res:+|}$n:$(cat "$E/srv/$n/token" 2>/dev/null || echo '(no token)')"
    [ -s "$E/srv/$n/err" ] && res="$res (connect stderr: $(tr '\n' ' ' < "$E/srv/$n/err"))"
  done
  echo "$res"
}
waitlink() { # NAME SECS
  local r rc
  r=$(timeout $(($2 + 5)) xen-channel wait "$1" --timeout "$2" 2>&1); rc=$?
  echo "rc=$rc link=$(readlink "/dev/xen-channel/$1" 2>/dev/null) tool-said=$(echo "$r" | tr '\n' ' ')"
}
# opens PATH: PATH is (a link to) a tty and open() of it succeeds; never
# creates anything (a plain "exec 3<>" makes a file where the link is not)
opens() {
  [ -c "$1" ] || { echo "no tty at $1" > $E/lat.err; return 1; }
  ( exec 3<>"$1" ) 2>$E/lat.err
}
waitopen() { # SECS NAME...: wait until every NAME's link opens (an empty hvc
  # slot gives ENODEV, a dangling link ENOENT); say how long it took
  local t0 end n bad; t0=$(up); end=$(awk "BEGIN{print $t0 + $1}"); shift
  while :; do
    bad=""
    for n in "$@"; do
      opens "/dev/xen-channel/$n" || bad="$bad $n"
    done
    [ -z "$bad" ] && { echo "all open after $(awk "BEGIN{print $(up) - $t0}")s"; return; }
    awk "BEGIN{exit !($(up) >= $end)}" && { echo "not open after $(awk "BEGIN{print $(up) - $t0}")s:$bad"; return; }
    sleep 0.5
  done
}
# The hot-add latency (s8): an agent started before dom0 adds the channel
# writes e2e/lat once its open() of /dev/xen-channel/NAME returned; dom0
# (which removes the key before) times it on its own clock.
#   latstart inotify NAME  the project: the rules and helper make the link,
#                          the agent waits with "xen-channel wait" (inotify)
#   latstart poll NAME     the baseline: the project's rules masked by a rule
#                          that runs bench/reference-shell.sh on "add" (what
#                          distro scripts do; the watch service stopped), the
#                          agent tries open() once a second
#   latstop NAME           the project's rules and watch back, the baseline's
#                          link gone
latstart() { # MODE NAME
  local l=/dev/xen-channel/$2
  if [ "$1" = poll ]; then
    printf '#!/bin/sh\nPATH=/usr/sbin:/usr/bin:/sbin:/bin exec /bin/sh /e2e/reference-shell.sh "$@"\n' > $E/shell-rule.sh
    chmod 755 $E/shell-rule.sh
    # a file of the same name in /run/udev/rules.d masks the installed one
    mkdir -p /run/udev/rules.d
    echo 'SUBSYSTEM=="xen", KERNEL=="console-[0-9]*", ACTION=="add", RUN+="'$E'/shell-rule.sh add $devpath /dev"' \
      > /run/udev/rules.d/${rules##*/}
    udevadm control --reload
    # and no watch service: its sync would make the project's link
    kill $(cat $E/pid.xen-channel-watch.service 2>/dev/null) 2>/dev/null
    ( i=0; until opens "$l"; do i=$((i + 1)); [ $i -ge 120 ] && break; sleep 1; done
      opens "$l" && o=ok || o="failed: $(cat $E/lat.err)"
      xenstore-write e2e/lat "poll: open $o after $i polls; link -> $(readlink "$l")" ) < /dev/null > /dev/null 2>&1 &
  else
    ( timeout 125 xen-channel wait "$2" --timeout 120 > /dev/null 2>&1; r=$?
      opens "$l" && o=ok || o="failed: $(cat $E/lat.err)"
      xenstore-write e2e/lat "inotify: wait rc=$r, open $o; link -> $(readlink "$l")" ) < /dev/null > /dev/null 2>&1 &
  fi
  echo "agent ($1) waiting for $l; runtime rules: $(ls /run/udev/rules.d 2>/dev/null | tr '\n' ' ')"
}
latstop() { # NAME: the baseline's link stays (its rule runs on add only)
  rm -f /run/udev/rules.d/${rules##*/} "/dev/xen-channel/$1"
  udevadm control --reload
  # the watch service again, where latstart stopped one
  local u
  u=$(ls /usr/lib/systemd/system/xen-channel-watch.service /lib/systemd/system/xen-channel-watch.service 2>/dev/null | head -n 1)
  [ -f $E/pid.xen-channel-watch.service ] && [ -n "$u" ] && start_unit "$u"
  echo "project rules back: $rules; runtime rules: $(ls /run/udev/rules.d 2>/dev/null | tr '\n' ' ')"
}
status() { # the project's own diagnosis, where the tool has it
  if timeout 20 xen-channel status --help >/dev/null 2>&1; then
    timeout 20 xen-channel status "$@" 2>&1; echo "(exit $?)"
  else
    echo "(no xen-channel status here)"
  fi
}
waitgone() { # NAME SECS
  local i=0
  while [ -e "/dev/xen-channel/$1" ] || [ -L "/dev/xen-channel/$1" ]; do
    [ $i -ge $(($2 * 10)) ] && { echo "still-there after ${2}s"; return; }
    sleep 0.1; i=$((i+1))
  done
  echo "gone after $((i * 100))ms (seen gone at uptime $(up)s)"
}
# The udev events (after rules) of a device, as udevadm monitor recorded them.
# udevd broadcasts an event to monitors only after the event's RUN programs have
# finished, and the kernel's remove follows unbind, which udevd runs only after
# unbind is done: so a link is already gone (or there) before the event that
# did it reaches the log. Only complete records (ended by their blank line) count.
evawk() { # MODE(list|has) DEVPATH [ACTION]
  awk -v mode=$1 -v dev="$2" -v want="$3" '
    /^UDEV +\[/ {act=""; dp=""; props=""; seq=""; t=$2; gsub(/\[|\]/, "", t); inrec=1; next}
    !inrec {next}
    /^ACTION=/ {act=substr($0,8)}
    /^DEVPATH=/ {dp=substr($0,9)}
    /^SEQNUM=/ {seq=substr($0,8)}
    /^(XEN_CHANNEL_[A-Z_]*|DRIVER|SYSTEMD_ALIAS)=/ {props=props" "$0}
    /^$/ {inrec=0
          if (dp != dev) next
          if (mode == "has") { if (act == want) found=1; next }
          printf "%s%s: seq=%s t=%s%s", (n++ ? "|" : ""), act, seq, t, props}
    END {if (mode == "has") exit !found; print ""}' $E/udev-monitor.log
}
events() { # console-N [ACTION...]: "ACTION: seq=N t=MONOTONIC PROPS|..."; with ACTIONs,
  # first wait (bounded: settle 20 s, then 20 s) until each has a complete record
  local dev=/devices/$1 i=0 a missing=""; shift
  if [ $# -gt 0 ]; then
    timeout 25 udevadm settle --timeout=20 >/dev/null 2>&1
    while :; do
      missing=""
      for a in "$@"; do evawk has $dev $a || missing="$missing $a"; done
      [ -z "$missing" ] || [ $i -ge 200 ] && break
      sleep 0.1; i=$((i+1))
    done
  fi
  echo "$(evawk list $dev)${missing:+ (NOT recorded within 20s:$missing)}"
}
rawserve() { # TTY: control path without the project's tool: the shell reads the tty itself
  ( exec 6<>"$1" || exit 1
    stty raw -echo <&6
    if read -t 20 -r l <&6; then echo "RAW $1 got $l" >&6; echo "$l" > $E/raw.got; sleep 2
    else echo "(nothing)" > $E/raw.got; fi ) < /dev/null > /dev/null 2>&1 &
  sleep 0.5
  echo "raw reader on $1: $(grep -c . /proc/interrupts) irq lines; hvc irqs: $(grep -i hvc /proc/interrupts | tr -s ' ' | tr '\n' ';')"
}
probe() { # MODE TTY NAME: start one kind of reader (debugging aid, E2E_PROBE=1)
  rm -f $E/probe.out $E/probe.err
  case $1 in
    A) ( exec 3<>"$2"; stty raw -echo <&3; exec cat <&3 ) < /dev/null > $E/probe.out 2> $E/probe.err & ;;
    B) ( exec 3<>"$2"; stty raw -echo <&3; cat <&3 & cat >&3 ) < /dev/null > $E/probe.out 2> $E/probe.err & ;;
    C) ( timeout 30 xen-channel connect "$3" ) < /dev/null > $E/probe.out 2> $E/probe.err & ;;
  esac
  echo $! > $E/probe.pid
  sleep 1
  echo "probe $1 started pid $(cat $E/probe.pid); tty holders: $(holders $2)"
}
hold() { # TTY: a process keeps TTY open and never reads it, as an agent
  # slow to exit after its console went (qemu-ga ignores SIGTERM for 5 s)
  ( trap '' HUP; exec sleep 600 ) <>"$1" >/dev/null 2>&1 &
  echo $! > $E/hold.pid; sleep 0.3
  echo "holding $1: $(holders $1)"
}
findname() { # PATTERN: every path in the guest whose name contains PATTERN
  find / \( -path /proc -o -path /sys \) -prune -o -name "*$1*" -print 2>/dev/null | tr '\n' '|'
  echo
}
logmatch() { # PATTERN (ERE): matching syslog lines
  grep -E "$1" $E/syslog 2>/dev/null | tail -n 8 | tr '\n' '|'
  echo
}
run() {
  local verb=$1; shift
  case $verb in
    links)    links ;;
    linkstat) linkstat ;;
    serve)    serve "$@" ;;
    collect)  collect "$@" ;;
    waitlink) waitlink "$@" ;;
    waitgone) waitgone "$@" ;;
    events)   events "$@" ;;
    find)     findname "$@" ;;
    rawserve) rawserve "$@" ;;
    probe)    probe "$@" ;;
    probegot) sleep 1; echo "out=[$(cat $E/probe.out 2>/dev/null | tr '\n' ' ')] err=[$(cat $E/probe.err 2>/dev/null | tr '\n' ' ')] alive=$(cat /proc/$(cat $E/probe.pid)/comm 2>/dev/null)"; kill $(cat $E/probe.pid) 2>/dev/null ;;
    kick)     printf 'KICK\n' > "$1"; sleep 1; echo "wrote KICK to $1; raw reader got: $(cat $E/raw.got 2>/dev/null); responder tokens: $(cat $E/srv/*/token 2>/dev/null | tr '\n' ' ')" ;;
    rawgot)   cat $E/raw.got 2>/dev/null; grep -i hvc /proc/interrupts | tr -s ' ' | tr '\n' ';' ;;
    log)      logmatch "$*" ;;
    report)   report "$@" >&9; echo ok ;;
    boot)     boot ;;
    truth_start) truth_start ;;
    truth_got) truth_got "$@" ;;
    waitopen) waitopen "$@" ;;
    hold)     hold "$@" ;;
    release)  kill $(cat $E/hold.pid) 2>/dev/null; echo "released pid $(cat $E/hold.pid): rc $?" ;;
    latstart) latstart "$@" ;;
    latstop)  latstop "$@" ;;
    status)   status "$@" | tr '\n' '|' ;;
    hello)    echo "domid $(xenstore-read domid) up $(up)s; services: $(cat $E/services.log 2>/dev/null | tr '\n' ' ' | cut -c1-300)" ;;
    poweroff) echo bye ;;
    *)        echo "unknown command $verb" ;;
  esac
}

# wait for commands without polling: xenstore-watch writes a line into a fifo
# for every change of e2e/cmd; a read on it (bounded) wakes us up
# After a save/restore (s7) the domain has a new domid: the watch on the old
# path goes quiet, so the loop also looks every 2 s and watches again.
mkfifo $E/watch; exec 8<>$E/watch
watchcmd() {
  DOMID=$(xenstore-read domid)
  [ -n "${WPID:-}" ] && kill $WPID 2>/dev/null
  xenstore-watch /local/domain/$DOMID/e2e/cmd >&8 2>/dev/null &
  WPID=$!
}
watchcmd
xenstore-write e2e/state ready
say "E2E-DOMU-READY (waiting for commands in xenstore e2e/cmd; udevd not started yet)"
last=""; idle=0
while :; do
  c=$(xenstore-read e2e/cmd 2>/dev/null)
  seq=${c%% *}
  if [ -n "$c" ] && [ "$seq" != "$last" ]; then
    last=$seq; idle=0
    set -f; set -- ${c#* }; set +f
    say "cmd $seq: $*"
    res=$(run "$@" 2>&1 | cut -c1-3000)
    say "res $seq: $res"
    xenstore-write e2e/res "$res"
    xenstore-write e2e/ack "$seq"
    [ "$1" = poweroff ] && break
    continue
  fi
  # bounded: give up when nobody talked to us for 10 minutes
  read -t 2 -r _ <&8 || idle=$((idle + 2))
  [ $idle -ge 600 ] && { say "no command for 10 minutes: giving up"; break; }
  [ "$(xenstore-read domid 2>/dev/null)" = "$DOMID" ] || { say "domid changed (restored): watching again"; watchcmd; }
done
report "final"
echo "---- udevd log (tail)"; tail -n 30 $E/udevd.log
say "E2E-DOMU-DONE"
sync
poweroff -f
