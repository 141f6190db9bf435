#!/usr/bin/env bash
# Node tools for publishing (glTF validator, gltfpack, model-viewer, the tiles viewer), pinned
# by tools/node/package-lock.json. Idempotent: does nothing when everything is in place.
#   scripts/node-deps.sh            install node/npm (Debian packages) if missing, then `npm ci`
#   scripts/node-deps.sh --vendor   also copy model-viewer's UMD bundle into assets/web/, and
#                                   bundle three.js + 3d-tiles-renderer (esbuild) into
#                                   assets/web/tiles-viewer/ for pages of tiled point clouds
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=tools/node

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq nodejs npm
fi

stamp="$TOOLS/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$TOOLS/package-lock.json" -nt "$stamp" ]; then
    (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "${1:-}" = "--vendor" ]; then
    mv_dir="$TOOLS/node_modules/@google/model-viewer"
    dest=assets/web/model-viewer
    mkdir -p "$dest"
    cp "$mv_dir/dist/model-viewer-umd.min.js" "$dest/"
    cp "$mv_dir/LICENSE" "$dest/LICENSE"
    cp "$TOOLS/node_modules/three/LICENSE" "$dest/LICENSE.three"
    cp "$TOOLS/node_modules/lit/LICENSE" "$dest/LICENSE.lit"
    cp "$TOOLS/node_modules/@monogrid/gainmap-js/LICENSE" "$dest/LICENSE.gainmap-js"
    echo "vendored model-viewer $(node -p "require('./$mv_dir/package.json').version") into $dest"

    # One classic script (pages opened from file:// may not load modules); the page logic is
    # assets/web/tiles.js. Same pinned inputs, same bytes.
    tv=assets/web/tiles-viewer
    mkdir -p "$tv"
    "$TOOLS/node_modules/.bin/esbuild" "$TOOLS/tiles-viewer.entry.js" --bundle --minify --format=iife \
        --target=es2020 --legal-comments=eof --log-level=warning --outfile="$tv/tiles-viewer.min.js"
    cp "$TOOLS/node_modules/3d-tiles-renderer/LICENSE" "$tv/LICENSE.3d-tiles-renderer"
    cp "$TOOLS/node_modules/three/LICENSE" "$tv/LICENSE.three"
    echo "bundled three $(node -p "require('./$TOOLS/node_modules/three/package.json').version") and" \
         "3d-tiles-renderer $(node -p "require('./$TOOLS/node_modules/3d-tiles-renderer/package.json').version")" \
         "into $tv"
fi
