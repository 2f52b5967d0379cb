#!/usr/bin/env bash
# Unit tests of editors/neovim, then its end-to-end test in the real Neovim
# 0.11 against the real aviato-lsp. Installs Neovim first if needed
# (tests/editors/setup.sh neovim).
#
#   tests/editors/run-neovim.sh            # builds target/debug/aviato-lsp
#   AVIATO_LSP_BIN=/path/aviato-lsp tests/editors/run-neovim.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
source "$here/lib.sh"

"$here/setup.sh" neovim
locate_server
make_workdir neovim
marker="$E2E_DIR/started"
touch "$marker"
trap 'stop_groups || true' EXIT

echo "neovim e2e: server $AVIATO_LSP_BIN"
echo "neovim e2e: workspace $E2E_DIR/workspace"
echo "neovim e2e: screenshots (text snapshots) in $E2E_DIR/screenshots"

status=0
"$here/capture-outcomes.sh" "$E2E_DIR/outcomes"
# shellcheck disable=SC2046
env $(editor_env) AVIATO_OUTCOMES="$E2E_DIR/outcomes" "$NVIM_BIN" --clean --headless -l "$here/neovim/unit.lua" \
  "$AVIATO_REPO/editors/neovim" || status=1

start="$EPOCHREALTIME"
# shellcheck disable=SC2046
start_group env $(editor_env) AVIATO_E2E_FILE="$E2E_DIR/workspace/sandbox_app.py" \
  AVIATO_PLUGIN_DIR="$AVIATO_REPO/editors/neovim" AVIATO_E2E_SNAPSHOTS="$E2E_DIR/screenshots" \
  timeout 300 "$NVIM_BIN" --clean --headless -l "$here/neovim/e2e.lua"
wait "$GROUP_PID" || status=$?
echo "neovim e2e: took $(seconds_since "$start") s"

if ! stop_groups report; then
  echo "FAIL: processes were left behind"
  status=1
fi
changes="$(home_changes "$marker")"
if [[ -n "$changes" ]]; then
  echo "FAIL: the test wrote into \$HOME:"
  echo "$changes"
  status=1
fi
exit "$status"
