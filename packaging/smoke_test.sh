#!/bin/sh
# Smoke test of the one-folder bundle from a clean environment (no venv, no PYTHONPATH):
#   packaging/smoke_test.sh build/bundle/dist/heritage-archive
# The frozen CLI runs demo, import, verify and export --format glb; the frozen app opens
# its window under Xvfb and saves a picture of it (--screenshot quits after it).
set -eu
BUNDLE=$(cd "$1" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
clean() { env -i PATH=/usr/bin:/bin HOME="$WORK/home" HERITAGE_USER=smoke "$@"; }
mkdir -p home
SAMPLE=$(ls "$BUNDLE"/_internal/trimesh/resources/templates/*.obj 2>/dev/null | head -1 || true)

start=$(date +%s.%N)
clean "$BUNDLE/heritage" --help > /dev/null
echo "cold start (heritage --help): $(echo "$(date +%s.%N) - $start" | bc) s"
clean "$BUNDLE/heritage" demo "$WORK/demo"
printf 'v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n' > "$WORK/tetra.obj"
clean "$BUNDLE/heritage" --archive "$WORK/demo" import "$WORK/tetra.obj"
clean "$BUNDLE/heritage" --archive "$WORK/demo" verify
clean "$BUNDLE/heritage" --archive "$WORK/demo" export 1 --format glb --no-poster --to "$WORK/out"
ls "$WORK"/out/*.glb "$WORK"/out/*/*.glb 2>/dev/null | head -1 | grep -q . || { echo "no GLB written"; exit 1; }
echo "CLI: demo, import, verify, export --format glb ok${SAMPLE:+}"

start=$(date +%s.%N)
env -i PATH=/usr/bin:/bin HOME="$WORK/home" HERITAGE_USER=smoke \
  xvfb-run -a "$BUNDLE/heritage-app" --archive "$WORK/demo" --screenshot "$WORK/window.png" --screenshot-delay 500
echo "app: window opened and painted in $(echo "$(date +%s.%N) - $start" | bc) s (incl. Xvfb start and 0.5 s delay)"
test -s "$WORK/window.png" || { echo "the app saved no picture of its window"; exit 1; }
echo "smoke test passed"
