#!/usr/bin/env bash
# Ground filtering: zwilling (SMRF) vs. the reference CSF (PyPI cloth-simulation-filter 1.1.7),
# same machine, same files, same run. Accuracy against the ISPRS reference labels, throughput in
# points/s end to end (read LAZ, classify, write LAZ) and for the filter alone.
#
# Usage: benches/compare/ground_csf.sh [FILES...]   (default: ../shared ISPRS samples + Amsterdam MLS)
# Needs: python3 with venv, a release build (cargo build --release).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet cloth-simulation-filter==1.1.7 laspy==2.5.4 lazrs numpy
fi
bin="${ZWILLING_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/zwilling}"
[ -x "$bin" ] || { echo "build first: cargo build --release (looked for $bin)" >&2; exit 1; }
shared="${ZW_SHARED:-$repo/../shared}"
if [ $# -eq 0 ]; then
  set -- "$shared"/data/isprs-filtertest/samp*.laz "$shared/data/amsterdam-mls/mls_run1_2386_9702.laz"
fi
exec "$venv/bin/python" "$here/ground_csf.py" --zwilling "$bin" "$@"
