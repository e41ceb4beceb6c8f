#!/usr/bin/env bash
# Set-up (if needed), build, then every test: Boost.Test unit tests and the integration tests
# that run real docker-registry, skopeo and chromium on 127.0.0.1. Then a bounded fuzzing run
# (TRIB_FUZZ=0 skips it; TRIB_FUZZ_SECONDS per target, default 15), clang's thread-safety check
# (on the fuzz build's objects), and the same suite again on an AddressSanitizer + UndefinedBehaviorSanitizer build
# (build-asan/), so memory errors fail CI rather than production; TRIB_SANITIZERS=0 skips that
# second pass. TRIB_TEST_JOBS: tests run at once (default 4 — most of an integration test's
# time is spent waiting on its servers, not on a core).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
jobs=${TRIB_TEST_JOBS:-4}
"$repo/scripts/setup.sh"
ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" "$@"

# ---- Fuzzing, bounded (scripts/fuzz.sh; TRIB_FUZZ_SECONDS per target, TRIB_FUZZ=0 skips) ----
fuzz_dir=${FUZZ_BUILD_DIR:-$repo/build-fuzz}
export FUZZ_BUILD_DIR=$fuzz_dir
if [ "${TRIB_FUZZ:-1}" != 0 ]; then
  TRIB_FUZZ_SECONDS=${TRIB_FUZZ_SECONDS:-15} "$repo/scripts/fuzz.sh"
else
  TRIB_FUZZ_CONFIGURE_ONLY=1 "$repo/scripts/fuzz.sh"
fi

# ---- Thread-safety check (clang -Wthread-safety) -------------------------------------------
# Shared state is annotated (common/include/tributary/Mutex.h: GUARDED_BY, REQUIRES); gcc
# ignores the annotations, so the sources that use them are compiled with clang, warnings on
# those annotations as errors. The fuzz build is that clang build (scripts/fuzz.sh compiles
# everything with -Werror=thread-safety): its fuzz targets link all of these objects, so after
# fuzzing each line below only confirms the object is there (and builds it with TRIB_FUZZ=0
# or a TRIB_FUZZ_TARGETS subset), with no configuration of its own.
for object in common:src/WorkerPool.cpp.o common:src/JsonFileCache.cpp.o \
              common:src/SecretRedactor.cpp.o \
              adapters/custom:src/TagListMemory.cpp.o \
              plugin/host:src/ProgressReporter.cpp.o \
              plugin/source:src/SourceEndpoints.cpp.o \
              adapters/registry-v2:src/SocketWatchdog.cpp.o \
              adapters/registry-v2:src/TlsContexts.cpp.o \
              adapters/registry-v2:src/IdleConnections.cpp.o \
              plugin/transfer:src/BlobTransfer.cpp.o \
              plugin/transfer:src/RangedBlobFetcher.cpp.o \
              host-sdk/sidecar/state:src/StateStore.cpp.o \
              host-sdk/sidecar/scheduler:src/TaskService.cpp.o \
              host-sdk/storage/s3:src/S3Client.cpp.o \
              host-sdk/storage/s3:src/S3BlobWriter.cpp.o \
              host-sdk/storage/s3:src/S3PartUploader.cpp.o; do
  make -s -C "$fuzz_dir/${object%%:*}" "${object#*:}"
done
# --------------------------------------------------------------------------------------------

if [ "${TRIB_SANITIZERS:-1}" != 0 ]; then
  asan_dir=${ASAN_BUILD_DIR:-$repo/build-asan}
  flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  cmake -S "$repo" -B "$asan_dir" -DCMAKE_BUILD_TYPE=Debug -DTRIB_DEBUG_INFO=lines \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" \
    -DCMAKE_MODULE_LINKER_FLAGS="$flags" >/dev/null
  cmake --build "$asan_dir" -j"$(nproc)"
  # Leak checking stays on for everything, with no LSAN_OPTIONS. GCC 12's LeakSanitizer
  # measures a dlopen()ed library's dynamic TLS block with a glibc-2.19 heuristic that, on
  # current glibc, reads garbage bounds when the block happens to start 16 bytes past a page
  # boundary, and the tracer then crashes at exit ("Tracer caught signal 11", heap-layout
  # dependent, so it came and went between machines). Upstream compiler-rt now asks its
  # allocator for the block's bounds instead. The provider therefore carries no thread-local
  # storage at all (test plugin_has_no_thread_local_storage), rather than turning off
  # use_tls / intercept_tls_get_addr and with them the scan of every thread's TLS.
  # The crash, kill and soak entries SIGKILL processes on purpose or measure resource use over
  # time: what they check (the storage after each kill, flat fds/threads/RSS) does not depend on
  # the sanitizer, a killed process reports nothing, and ASan's shadow and quarantine make the
  # resource figures meaningless. They are the slowest entries, so the sanitizer pass leaves
  # them to the first pass; every other entry runs again here.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$asan_dir" --output-on-failure -j"$jobs" \
      -E '^(integ_storage_crash|integ_s3_storage_crash|integ_sync_kill|integ_crash_trials|integ_soak)$' "$@"
fi
