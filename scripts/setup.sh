#!/usr/bin/env bash
# Installs what Tributary needs on Debian 12 (only packages that are missing) and builds it.
# Idempotent: a second run installs nothing and rebuilds incrementally.
#   BUILD_DIR   build folder (default: <repo>/build)
#   BUILD_TYPE  CMake build type (default: RelWithDebInfo)
#   BUILD_DEBUG_INFO  lines (default: -g1, line tables for backtraces and sanitizer reports, a
#               third less compile time) or full (-g, for a debugger); CMake's TRIB_DEBUG_INFO
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
build_type=${BUILD_TYPE:-RelWithDebInfo}
debug_info=${BUILD_DEBUG_INFO:-lines}

packages=(
  g++ cmake make pkg-config            # toolchain
  clang                                # clang 14 on Debian 12: the -Wthread-safety check (test.sh)
  libclang-rt-14-dev                   # clang's libFuzzer and sanitizer runtimes (scripts/fuzz.sh)
  libpoco-dev libssl-dev libpcre2-dev  # Poco Net/NetSSL/JSON/Util/Data, OpenSSL, PCRE2
  libboost-test-dev libyaml-cpp-dev    # Boost.Test, the registry's config.yml
  libhowardhinnant-date-dev tzdata     # cron in IANA time zones (libdate-tz reads zoneinfo)
  prometheus-cpp-dev                   # the service's /metrics (core: registry + text format)
  prometheus                           # promtool, to check /metrics in tests
  nodejs chromium                      # the admin page's browser test (playwright-core)
  docker-registry skopeo               # Distribution 2.8.2 and the reference client (tests, demo)
  swift swift-proxy swift-account swift-container swift-object memcached  # S3 store (s3api) for tests
  openssl apache2-utils python3 curl time ca-certificates  # test fixtures (CA, htpasswd), bench
  python3-jsonschema                   # the --json report checked against tests/schema/
  libpq-dev                            # libpq for Poco::DataPostgreSQL (shared serve state)
  postgresql                           # a throwaway cluster per fleet test (integ_serve_fleet)
)
# Debian's nodejs comes without npm (the `npm` package); NodeSource's includes it.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  # Tests and the demo start their own docker-registry processes on free loopback ports; a
  # system service the package may start on :5000 is not used.
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

# playwright-core for integration/browser (pinned by its lock file; drives Debian's chromium,
# downloads no browser).
if [ ! -d "$repo/integration/browser/node_modules/playwright-core" ]; then
  (cd "$repo/integration/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi

cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" \
  -DTRIB_DEBUG_INFO="$debug_info" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
echo "setup: built in $build_dir"
