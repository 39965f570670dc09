#!/usr/bin/env bash
# Installs CesiumJS from the npm registry for `zwilling view` (run once; no internet is needed
# afterwards). Usage: scripts/fetch-cesium.sh [DIR]   (default: ~/.cache/zwilling/cesium)
# `zwilling view` finds it there, or wherever $ZW_CESIUM points (the folder holding Cesium.js).
set -euo pipefail
dir=${1:-$HOME/.cache/zwilling/cesium}
version=1.135.0
mkdir -p "$dir"
if [ ! -f "$dir/node_modules/cesium/Build/Cesium/Cesium.js" ]; then
  (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --silent --no-audit --no-fund "cesium@$version" >/dev/null)
fi
echo "$dir/node_modules/cesium/Build/Cesium"
