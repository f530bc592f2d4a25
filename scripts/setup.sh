#!/usr/bin/env bash
# Install what tulipvm needs on a Debian 12 machine and build it.
#   scripts/setup.sh [BUILD_DIR [extra cmake args...]]
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
    build-essential cmake pkg-config clang-format git cpio
    libglib2.0-dev libslirp-dev libsdl2-dev libcriterion-dev
    # x86 interpreter: differential tests against the host CPU in 32-bit mode
    gcc-multilib nasm
    # network services: VDE segments, namespaces and veth pairs for tests
    libvdeplug-dev iproute2 tcpdump
    # NAT benchmark: QEMU's slirp backend as the same-machine baseline
    qemu-system-x86
    # SDL frontend: text rendering, a font, and a virtual display for tests
    libsdl2-ttf-dev fonts-dejavu-core xvfb xdotool libpng-dev
    # control socket: line-delimited JSON
    libjson-glib-dev
    # Linux loader: host-side decompression of the kernel payload
    liblzma-dev zlib1g-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    SUDO=
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || echo "setup: apt-get update reported errors; trying the install anyway"
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The default guest (Debian's i386 kernel, tulip.ko, busybox) in cache/guest.
scripts/build-guest.sh

build=${1:-build}
shift || true
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
# Editors and clang-tidy find the compile database at the top level.
ln -sf "$build/compile_commands.json" compile_commands.json
