#!/usr/bin/env bash
# Ground filtering: zwilling (noise + SMRF) vs. the reference CSF (PyPI cloth-simulation-filter 1.1.7,
# library defaults), same machine, same files, same run. Accuracy against the ISPRS reference labels;
# wall time, CPU time (user+sys) and peak RSS of both tools end to end (read LAZ, classify, write LAZ)
# via /usr/bin/time -v, plus CSF's filter-only time.
#
# Usage: benches/compare/ground_csf.sh [--grid] [--no-csf] [--labelled] [--json OUT.json] [FILES...]
#        (default FILES: the ../shared ISPRS samples + the Amsterdam MLS tile)
# Needs: python3 with venv, /usr/bin/time, a release build (cargo build --release).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c "import CSF, laspy, lazrs, numpy" 2>/dev/null; then
  "$venv/bin/pip" install --quiet cloth-simulation-filter==1.1.7 laspy==2.5.4 lazrs numpy
fi
bin="${ZWILLING_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/zwilling}"
[ -x "$bin" ] || { echo "build first: cargo build --release (looked for $bin)" >&2; exit 1; }
shared="${ZW_SHARED:-$repo/../shared}"
opts=()
while [ $# -gt 0 ] && [[ "$1" == --* ]]; do
  case "$1" in --json) opts+=("$1" "$2"); shift 2 ;; *) opts+=("$1"); shift ;; esac
done
if [ $# -eq 0 ]; then
  set -- "$shared"/data/isprs-filtertest/samp*.laz "$shared/data/amsterdam-mls/mls_run1_2386_9702.laz"
fi
exec "$venv/bin/python" "$here/ground_csf.py" --zwilling "$bin" "${opts[@]}" "$@"
