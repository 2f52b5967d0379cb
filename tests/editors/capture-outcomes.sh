#!/usr/bin/env bash
# Captures one run outcome of each kind from the real `aviato-lsp run
# --output-format json` on fixtures/outcomes.py, one JSON file per case, for the
# editor clients' unit tests: they read these instead of hand-written objects,
# so a change of the outcome's fields breaks them.
#
#   AVIATO_LSP_BIN=/path/aviato-lsp tests/editors/capture-outcomes.sh OUTDIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: capture-outcomes.sh OUTDIR}"
bin="${AVIATO_LSP_BIN:-$here/../../target/debug/aviato-lsp}"
[[ -x "$bin" ]] || { echo "capture-outcomes: $bin is not executable (build it or set AVIATO_LSP_BIN)" >&2; exit 1; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# case  function  extra arguments
cases=(
  "ok add"
  "output greet"
  "truncated flood"
  "raised check_positive"
  "notes stop"
  "timeout wait --timeout 1.5"
  "killed hog --memory-mb 256"
  "refused fetch"
  "error add --args nope"
)

cd "$here/fixtures"
pids=()
for entry in "${cases[@]}"; do
  read -r name function extra <<<"$entry"
  # shellcheck disable=SC2086
  "$bin" run outcomes.py --function "$function" $extra --output-format json >"$out/$name.json" 2>"$out/$name.stderr" &
  pids+=("$!")
done
status=0
for index in "${!pids[@]}"; do
  read -r name _ <<<"${cases[$index]}"
  # Exit status 0, 1 or 2 all come with an outcome; anything else is a failure to run.
  wait "${pids[$index]}" || code=$?
  if ((${code:-0} > 2)) || ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$out/$name.json" 2>/dev/null; then
    echo "capture-outcomes: $name: no outcome (exit ${code:-0}):" >&2
    cat "$out/$name.stderr" >&2
    status=1
  else
    rm -f "$out/$name.stderr"
  fi
  unset code
done
exit "$status"
