#!/usr/bin/env bash
# Set-up (if needed), build, then every test: Boost.Test unit tests and the integration tests
# that run real docker-registry and skopeo on 127.0.0.1.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
"$repo/scripts/setup.sh"
ctest --test-dir "$build_dir" --output-on-failure -j2 "$@"
