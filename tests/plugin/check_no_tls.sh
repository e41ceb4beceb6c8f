#!/bin/sh
# The plugin must carry no thread-local storage (no PT_TLS segment). It is dlopen()ed, so any
# thread_local in it lives in glibc's dynamic TLS: every access goes through __tls_get_addr,
# the static-TLS surplus is small and shared with every other dlopen()ed library, and GCC 12's
# LeakSanitizer guesses the bounds of such blocks with a glibc-2.19 heuristic that reads
# garbage on current glibc and crashes the leak check at exit (the ASan pass of
# scripts/test.sh). Keep per-thread state out of the provider; use atomics or per-object state.
set -eu
lib="$1"
if readelf -lW "$lib" | grep -q '^ *TLS '; then
  echo "$lib has a TLS segment (a thread_local or __thread variable); remove it:" >&2
  readelf -lW "$lib" | grep '^ *TLS ' >&2
  nm -C "$lib" 2>/dev/null | grep -i ' [bdv] .*\(TLS\|thread\)' >&2 || true
  exit 1
fi
echo "ok: $lib has no thread-local storage"
