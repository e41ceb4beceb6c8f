#!/bin/sh
# The plugin must export exactly one dynamic symbol: rp_provider_negotiate (CONVENTIONS: one
# exported function, everything else hidden).
set -eu
lib="$1"
symbols=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort)
if [ "$symbols" != "rp_provider_negotiate" ]; then
  echo "expected exactly rp_provider_negotiate to be exported by $lib, got:" >&2
  echo "$symbols" >&2
  exit 1
fi
echo "ok: $lib exports only rp_provider_negotiate"
