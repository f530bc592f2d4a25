#!/usr/bin/env bash
# README's main command: set up, build, and run tulipvm.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec build/frontends/tulipvm "$@"
