#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan into build-fuzz/, then
# runs each for a bounded time from its seed corpus (tests/fuzz/corpus/<target>/, read only:
# new inputs go to a scratch copy). Prints executions per target; any crash, leak, timeout or
# property failure fails the run and leaves the reproducer in $TRIB_FUZZ_ARTIFACTS.
#   TRIB_FUZZ_SECONDS    seconds per target (default 20, the bounded mode scripts/test.sh uses;
#                        the long mode is e.g. TRIB_FUZZ_SECONDS=1800 ./scripts/fuzz.sh)
#   TRIB_FUZZ_TARGETS    space-separated subset (default: all)
#   TRIB_FUZZ_ARTIFACTS  where crashes are kept (default: build-fuzz/artifacts)
#   TRIB_FUZZ_CONFIGURE_ONLY=1  configure build-fuzz/ and stop (scripts/test.sh with TRIB_FUZZ=0)
# The build is also clang's thread-safety check (-Werror=thread-safety, scripts/test.sh builds
# its objects from here), and keeps line tables only (-gline-tables-only: crash stacks print
# file:line) rather than full -g.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${FUZZ_BUILD_DIR:-$repo/build-fuzz}
seconds=${TRIB_FUZZ_SECONDS:-20}
artifacts=${TRIB_FUZZ_ARTIFACTS:-$build_dir/artifacts}
all_targets="fuzz_rule fuzz_manifest fuzz_www_authenticate fuzz_link_header fuzz_rfc3339 fuzz_registry_config fuzz_admin_api"
targets=${TRIB_FUZZ_TARGETS:-$all_targets}

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
flags="$flags -Wthread-safety -Werror=thread-safety"
CC=clang CXX=clang++ cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTRIB_FUZZ=ON -DBUILD_TESTING=OFF -DTRIB_DEBUG_INFO=lines \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
[ "${TRIB_FUZZ_CONFIGURE_ONLY:-0}" = 0 ] || exit 0
# shellcheck disable=SC2086
cmake --build "$build_dir" -j"$(nproc)" --target $targets

mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
printf '%-24s %12s %10s %s\n' target executions exec/s result
for t in $targets; do
  mkdir -p "$scratch/$t"
  log="$scratch/$t.log"
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     "$build_dir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
       "$scratch/$t" "$repo/tests/fuzz/corpus/$t" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (log: $artifacts/$t.log)"
    cp "$log" "$artifacts/$t.log"
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-24s %12s %10s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
done
exit $status
