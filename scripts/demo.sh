#!/usr/bin/env bash
# The Tributary demo: set-up (installs missing Debian packages, builds into build/), then
# integration/demo/demo.py, which syncs sample images from a loopback source registry into a
# fresh storage root, serves it with a stock docker-registry and pulls it back with skopeo.
#   BUILD_DIR  build folder (default: <repo>/build)
#   extra arguments go to demo.py (e.g. --keep to keep its temp dir)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$repo/build}
"$repo/scripts/setup.sh"
exec python3 "$repo/integration/demo/demo.py" --build-dir "$BUILD_DIR" "$@"
