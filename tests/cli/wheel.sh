#!/usr/bin/env bash
# The Python wheel (pyproject.toml: maturin, `bindings = "bin"`): builds it, installs
# it into a fresh venv with nothing else, and uses the `aviato-lsp` that lands on the
# venv's PATH: `check examples/` (exit 1: examples/mistakes has errors) and a `run`.
#
#   tests/cli/wheel.sh            # a dev-profile wheel, reusing target/debug
#   tests/cli/wheel.sh --release  # the wheel a release publishes (cargo's release profile)
#
# Tools and venvs go under target/wheel-test; nothing is installed outside it.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
work="$target/wheel-test"
MATURIN_VERSION=1.16.0
profile=dev
[[ "${1:-}" == "--release" ]] && profile=release

seconds_since() { awk -v start="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - start }'; }
fail() { echo "FAIL: $*"; exit 1; }
start="$EPOCHREALTIME"

# maturin, once, in a venv of its own.
if [[ "$("$work/maturin/bin/maturin" --version 2>/dev/null)" != "maturin $MATURIN_VERSION" ]]; then
  rm -rf "$work/maturin"
  python3 -m venv "$work/maturin"
  "$work/maturin/bin/pip" install -q --disable-pip-version-check "maturin==$MATURIN_VERSION"
fi

rm -rf "$work/dist" "$work/venv"
step="$EPOCHREALTIME"
# With the dev profile this links target/debug's build into the wheel: the crates
# `cargo test` compiled are reused, only the binary is linked again.
"$work/maturin/bin/maturin" build --quiet --locked --profile "$profile" --out "$work/dist" \
  >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "maturin build"; }
wheel="$(ls "$work"/dist/aviato_lsp-*.whl)"
echo "wheel: $(basename "$wheel") ($(du -h "$wheel" | cut -f1)), built in $(seconds_since "$step") s"

# A fresh venv and nothing but the wheel: no index, no other package.
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check --no-index "$wheel"
python3 -c 'import sys, zipfile; names = zipfile.ZipFile(sys.argv[1]).namelist()
sys.exit(not any(name.endswith(".data/scripts/aviato-lsp") for name in names))' "$wheel" \
  || fail "the wheel does not carry the binary as a script"

# The binary is found on the venv's PATH, as `source venv/bin/activate` would set it.
export PATH="$work/venv/bin:/usr/bin:/bin"
found="$(command -v aviato-lsp)" || fail "aviato-lsp is not on the venv's PATH"
[[ "$found" == "$work/venv/bin/aviato-lsp" ]] || fail "aviato-lsp resolves to $found, not the venv's"
version="$(aviato-lsp --version)"
[[ "$version" == "aviato-lsp $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" ]] \
  || fail "unexpected version: $version"

status=0
aviato-lsp check examples/ >"$work/check.out" 2>&1 || status=$?
((status == 1)) || { cat "$work/check.out"; fail "check examples/ exited $status, expected 1"; }
grep -q '^Found [0-9]* errors\?' "$work/check.out" || { cat "$work/check.out"; fail "check examples/: no summary"; }
aviato-lsp check examples/correct >/dev/null || fail "check examples/correct reports errors"

# A run through the installed binary: its runner and sandbox are inside it.
status=0
aviato-lsp run examples/correct/ml_sweep.py --function plan_sweep --output-format json \
  >"$work/run.json" 2>"$work/run.err" || status=$?
((status == 0)) || { cat "$work/run.json" "$work/run.err"; fail "run plan_sweep exited $status"; }
python3 - "$work/run.json" <<'PY' || fail "run plan_sweep: unexpected outcome"
import json, sys
outcome = json.load(open(sys.argv[1]))
assert outcome["outcome"] == "ok", outcome
assert outcome["call_site"] == 49, outcome
assert "Decimal('3.32')" in outcome["value_repr"], outcome
PY

echo "wheel: installed into a fresh venv; check and run from it pass ($(seconds_since "$start") s in all)"
