#!/usr/bin/env bash
# Peak RSS and CPU time of `zwilling grid` (dtm,dsm,intensity at 0.5 m) on straight synthetic drives of
# several lengths, for one or two binaries in the same run (issue 8: memory flat in the drive length).
#
#   benches/compare/grid_memory.sh [KM ...]        default: 10 20
#   NEW=target/release/zwilling  OLD=path/to/older/zwilling (optional)  WORK=dir  THREADS=n  MEMORY=MB
set -euo pipefail
cd "$(dirname "$0")/../.."
NEW=${NEW:-target/release/zwilling}
OLD=${OLD:-}
WORK=${WORK:-/tmp/zwilling-grid-memory}
THREADS=${THREADS:-$(nproc)}
KMS=("$@"); [ ${#KMS[@]} -eq 0 ] && KMS=(10 20)
mkdir -p "$WORK"
echo "# zwilling grid memory — $(nproc) cores, $THREADS threads, $(date -u +%FT%TZ)"
echo "| binary | km | points | wall s | CPU s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|---:|"
for km in "${KMS[@]}"; do
  d="$WORK/d$km"
  [ -f "$d/scene.laz" ] || "$NEW" -q synth --out "$d" --length $((km * 1000)) --heading 90 --no-images
  for bin in $OLD $NEW; do
    extra=(); [ "$bin" = "$NEW" ] && [ -n "${MEMORY:-}" ] && extra=(--memory "$MEMORY")
    /usr/bin/time -v -o "$d/time.txt" "$bin" -q --threads "$THREADS" grid "$d/scene.laz" --product dtm,dsm,intensity \
      -o "$d/dtm.tif" -o "$d/dsm.tif" -o "$d/int.tif" "${extra[@]}"
    python3 - "$bin" "$km" "$d/time.txt" "$("$NEW" info "$d/scene.laz" | awk '/points/{gsub(/ /,"",$0); sub("points","",$0); print; exit}')" <<'PY'
import re, sys
b, km, t, n = sys.argv[1], sys.argv[2], open(sys.argv[3]).read(), sys.argv[4]
g = lambda k: re.search(k + r".*?: (.*)", t).group(1)
wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(g("Elapsed \\(wall clock\\) time").split(":"))))
cpu = float(g("User time")) + float(g("System time"))
print(f"| {b} | {km} | {n} | {wall:.1f} | {cpu:.1f} | {int(g('Maximum resident set size')) / 1024:.0f} |")
PY
  done
done
