#!/usr/bin/env bash
# Build the default guest from Debian's own i386 packages:
#   cache/guest/vmlinuz      the linux-image-*-686 kernel (bzImage, as shipped)
#   cache/guest/initrd.img   initramfs (cpio newc, gzip): busybox-static, tulip.ko
#   cache/guest/initrd.cpio  the same archive uncompressed (saves in-guest gunzip)
#   cache/guest/VERSION      kernel release, e.g. 6.1.0-50-686
#   cache/guest/PACKAGES     the exact .deb files used
# Usage (root on Debian 12): scripts/build-guest.sh [--refresh]
#   --refresh  resolve and download the current kernel even when the cache is
#              complete (the default is to keep a complete cache as it is).
# Nothing here is committed: cache/ is ignored by git.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=cache/guest
DEBS=$OUT/debs
refresh=0
for arg in "$@"; do
    case $arg in
    --refresh) refresh=1 ;;
    *) echo "build-guest: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done

say() { echo "build-guest: $*"; }
die() { echo "build-guest: error: $*" >&2; exit 1; }

# The stamp ties the cache to this script's content (init, udhcpc script).
script_sum=$(sha256sum "$0" | cut -d' ' -f1)
if [ $refresh = 0 ] && [ -s $OUT/vmlinuz ] && [ -s $OUT/initrd.img ] &&
   [ -s $OUT/initrd.cpio ] && [ -s $OUT/VERSION ] &&
   [ "$(cat $OUT/.stamp 2>/dev/null)" = "$script_sum" ]; then
    say "cache is current: kernel $(cat $OUT/VERSION) in $OUT"
    exit 0
fi

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive

if ! command -v cpio >/dev/null; then
    say "installing cpio (archive tool for the initramfs)"
    $SUDO apt-get install -y -qq --no-install-recommends cpio ||
        { $SUDO apt-get update -qq || true
          $SUDO apt-get install -y -qq --no-install-recommends cpio; }
fi

if ! dpkg --print-foreign-architectures | grep -qx i386; then
    say "adding the i386 architecture"
    $SUDO dpkg --add-architecture i386
fi
# One index failing (a mirror mid-sync) must not stop us: the packages are
# checked below instead.
$SUDO apt-get update -qq || say "apt-get update reported errors; continuing"

kpkg=$(apt-cache depends linux-image-686:i386 2>/dev/null |
       awk '!found && $1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {
                sub(/:i386$/, "", $2); print $2; found = 1 }')
[ -n "$kpkg" ] || die "cannot resolve linux-image-686:i386 (is the i386 index there?)"
kver=${kpkg#linux-image-}
say "kernel package $kpkg (release $kver)"

mkdir -p $DEBS
# apt's sandbox user must be able to write the download directory.
chown _apt $DEBS 2>/dev/null || true
fetch() {
    local pkg=$1 f
    f=$(find $DEBS -name "${pkg}_*_i386.deb" -print -quit)
    if [ -z "$f" ] || [ $refresh = 1 ]; then
        say "downloading $pkg:i386" >&2
        (cd $DEBS && apt-get download -q "$pkg:i386" >/dev/null) ||
            die "apt-get download $pkg:i386 failed"
        f=$(ls -t $DEBS/${pkg}_*_i386.deb 2>/dev/null | sed -n 1p)
    fi
    echo "$f"
}
kdeb=$(fetch "$kpkg")
bdeb=$(fetch busybox-static)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kdeb" "$work/kernel"
dpkg-deb -x "$bdeb" "$work/busybox"

vmlinuz=$work/kernel/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "$kdeb has no boot/vmlinuz-$kver"
moddir=$(find "$work/kernel" -type d -path "*/lib/modules/$kver" -print -quit)
[ -n "$moddir" ] || die "$kdeb has no lib/modules/$kver"
busybox=$work/busybox/bin/busybox
[ -f "$busybox" ] || die "$bdeb has no bin/busybox"

# tulip.ko and what it depends on.  Debian's package does not ship
# modules.dep (depmod runs at install time), so the module's own
# "depends=" entry is read when there is no modules.dep.
find_module() {
    find "$moddir/kernel" \( -name "$1.ko" -o -name "$1.ko.xz" \) -print -quit
}
module_deps() {
    local ko=$1 rel
    if [ -f "$moddir/modules.dep" ]; then
        rel=${ko#$moddir/}
        awk -F: -v m="$rel" '$1 == m { print $2 }' "$moddir/modules.dep" |
            tr ' ' '\n' | sed -n 's#.*/\([^/]*\)\.ko\(\.xz\)\?$#\1#p'
    else
        if [[ $ko == *.xz ]]; then xz -dc "$ko"; else cat "$ko"; fi |
            tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' '\n' | sed '/^$/d'
    fi
}
load_order=()
add_module() { # depth-first: dependencies first
    local name=$1 ko dep
    for m in "${load_order[@]:-}"; do [ "$m" = "$name" ] && return 0; done
    ko=$(find_module "$name")
    [ -n "$ko" ] || die "module $name not found in $kpkg"
    for dep in $(module_deps "$ko"); do add_module "${dep//-/_}"; done
    load_order+=("$name")
    MODFILES[$name]=$ko
}
declare -A MODFILES
add_module tulip
say "modules (load order): ${load_order[*]}"

root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,lib/modules,usr/bin,usr/sbin}
install -m 0755 "$busybox" "$root/bin/busybox"
for m in "${load_order[@]}"; do
    f=${MODFILES[$m]}
    if [[ $f == *.xz ]]; then xz -dc "$f" >"$root/lib/modules/$m.ko"
    else cp "$f" "$root/lib/modules/$m.ko"; fi
done
printf '%s\n' "${load_order[@]}" >"$root/lib/modules/load-order"
echo "$kver" >"$root/etc/kernel-release"
# The kernel opens /dev/console before /init runs, before devtmpfs exists.
mknod -m 0600 "$root/dev/console" c 5 1
mknod -m 0666 "$root/dev/null" c 1 3

cat >"$root/etc/udhcpc.script" <<'EOS'
#!/bin/sh
# udhcpc event script: configure $interface and tell the console.
case "$1" in
deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" ${broadcast:+broadcast $broadcast} dev "$interface"
    for r in $router; do
        ip route replace default via "$r" dev "$interface"
        echo "$r" >"/tmp/router.$interface"
        break
    done
    : >/etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
    echo "udhcpc: $interface $1 $ip/${mask:-24} router ${router:-none} lease ${lease:-?}s"
    ;;
leasefail|nak)
    echo "udhcpc: $interface $1"
    ;;
esac
exit 0
EOS
chmod 0755 "$root/etc/udhcpc.script"

cat >"$root/init" <<'EOS'
#!/bin/busybox sh
# tulipvm default guest: load tulip, DHCP on every ethX, ping, shell.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "init: tulipvm guest, kernel $(uname -r)"
for m in $(cat /lib/modules/load-order); do
    insmod "/lib/modules/$m.ko" || echo "init: insmod $m failed"
done
ip link set lo up
summary=""
for dev in /sys/class/net/eth*; do
    [ -e "$dev" ] || continue
    i=${dev##*/}
    mac=$(cat "$dev/address")
    echo "init: $i ($mac): DHCP"
    ip link set "$i" up
    if udhcpc -i "$i" -s /etc/udhcpc.script -t 5 -T 2 -A 1 -n -q -S 2>&1; then
        addr=$(ip -4 -o addr show dev "$i" | awk '{print $4; exit}')
        gw=$(cat "/tmp/router.$i" 2>/dev/null)
        ping_res="no gateway"
        if [ -n "$gw" ]; then
            if ping -c 1 -W 2 "$gw" >/dev/null 2>&1; then
                ping_res="ping $gw ok"
            else
                ping_res="ping $gw FAILED"
            fi
        fi
        summary="$summary
  $i $mac $addr $ping_res"
    else
        summary="$summary
  $i $mac no DHCP lease"
    fi
done
[ -n "$summary" ] || summary="
  no ethX interface (tulip did not bind?)"
echo "init: summary:$summary"
echo "init: shell on the console (exit restarts it)"
export PS1='tulipvm:\w# '
while true; do
    setsid cttyhack sh -l
    sleep 1
done
EOS
chmod 0755 "$root/init"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc --owner=0:0 --reproducible --quiet) >"$work/initrd.cpio"
gzip -9n <"$work/initrd.cpio" >"$work/initrd.img"

mkdir -p $OUT
install -m 0644 "$vmlinuz" $OUT/vmlinuz
install -m 0644 "$work/initrd.cpio" $OUT/initrd.cpio
install -m 0644 "$work/initrd.img" $OUT/initrd.img
echo "$kver" >$OUT/VERSION
printf '%s\n' "$(basename "$kdeb")" "$(basename "$bdeb")" >$OUT/PACKAGES
echo "$script_sum" >$OUT/.stamp
say "done: kernel $kver, $(stat -c %s $OUT/vmlinuz) bytes vmlinuz," \
    "$(stat -c %s $OUT/initrd.img) bytes initrd.img" \
    "($(stat -c %s $OUT/initrd.cpio) uncompressed)"
