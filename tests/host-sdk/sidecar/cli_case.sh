#!/usr/bin/env bash
# Runs the built `tributary` binary in a fresh temp registry and checks its exit code and
# output: cli_case.sh <tributary> <expected exit> <stdout regex|-> <stderr regex|-> -- <args>
# In <args>, @DIR@ is the temp directory (holding config.yml, ok.json, invalid.json).
set -u
tributary=$1 expected=$2 out_re=$3 err_re=$4
shift 5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/root"
printf 'storage:\n  filesystem:\n    rootdirectory: %s/root\n' "$dir" > "$dir/config.yml"
printf '{"name":"ok"}\n' > "$dir/ok.json"
printf '{"name":"INVALID"}\n' > "$dir/invalid.json"
args=()
for a in "$@"; do args+=("${a//@DIR@/$dir}"); done
"$tributary" "${args[@]}" > "$dir/out" 2> "$dir/err"
code=$?
status=0
if [ "$code" != "$expected" ]; then echo "exit $code, expected $expected"; status=1; fi
if [ "$out_re" != "-" ] && ! grep -Eq -- "$out_re" "$dir/out"; then
  echo "stdout does not match /$out_re/"; status=1
fi
if [ "$err_re" != "-" ] && ! grep -Eq -- "${err_re//@DIR@/$dir}" "$dir/err"; then
  echo "stderr does not match /$err_re/"; status=1
fi
if [ $status != 0 ]; then echo "--- stdout"; cat "$dir/out"; echo "--- stderr"; cat "$dir/err"; fi
exit $status
