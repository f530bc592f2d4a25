#!/usr/bin/env bash
# Write the decompressed vmlinux (ELF) inside a bzImage to a file, for
# inspection with objdump/readelf.  The emulator does the same in C
# (core/loader.c, linux_bzimage_extract); this is only a developer aid.
#   scripts/extract-vmlinux.sh [BZIMAGE [OUT]]
# Defaults: cache/guest/vmlinuz -> cache/guest/vmlinux.
set -euo pipefail
cd "$(dirname "$0")/.."

in=${1:-cache/guest/vmlinuz}
out=${2:-$(dirname "$in")/vmlinux}
[ -f "$in" ] || { echo "extract-vmlinux: $in not found" >&2; exit 1; }

u8() { od -An -tu1 -j "$1" -N1 "$in" | tr -d ' '; }
le32() { od -An -tu4 -j "$1" -N4 "$in" | tr -d ' '; }
hex() { od -An -tx1 -j "$1" -N"$2" "$in" | tr -d ' \n'; }

[ "$(hex $((0x202)) 4)" = 48647253 ] ||
    { echo "extract-vmlinux: $in has no bzImage header (HdrS)" >&2; exit 1; }
sects=$(u8 $((0x1f1)))
[ "$sects" != 0 ] || sects=4
off=$(( (sects + 1) * 512 + $(le32 $((0x248))) ))
len=$(le32 $((0x24c)))
# Every payload ends with the decompressed size (le32); xz must not see it.
cut() { dd if="$in" iflag=skip_bytes,count_bytes skip="$off" count="$1" status=none; }
case $(hex "$off" 6) in
fd377a585a00) cut $((len - 4)) | xz -dc >"$out" ;;
1f8b*) cut "$len" | gzip -dc >"$out" ;;
*) echo "extract-vmlinux: payload is neither xz nor gzip" >&2; exit 1 ;;
esac
echo "extract-vmlinux: $out ($(stat -c %s "$out") bytes)"
