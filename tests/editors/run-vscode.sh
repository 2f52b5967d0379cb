#!/usr/bin/env bash
# Type check and unit tests of editors/vscode, then its end-to-end test in a
# real VS Code (code-server) driven by headless Chromium, against the real
# aviato-lsp. Installs what it needs first
# (tests/editors/setup.sh vscode), packages the platform extension
# (`npm run package:linux-x64`, the server inside it at bundled/aviato-lsp) and
# installs it into a throwaway profile. aviato.server.path is unset and no
# aviato-lsp is on code-server's PATH: the extension runs its bundled server.
#
#   tests/editors/run-vscode.sh            # builds target/debug/aviato-lsp
#   AVIATO_LSP_BIN=/path/aviato-lsp tests/editors/run-vscode.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
source "$here/lib.sh"

"$here/setup.sh" vscode
locate_server
make_workdir vscode
marker="$E2E_DIR/started"
touch "$marker"
trap 'stop_groups || true' EXIT
node24="$NODE24_DIR/bin/node"
extension="$AVIATO_REPO/editors/vscode"

timer_start() { step_start="$EPOCHREALTIME"; }
timer_report() { printf 'vscode e2e: %-28s %5s s\n' "$1" "$(seconds_since "$step_start")"; }

status=0
timer_start
"$here/capture-outcomes.sh" "$E2E_DIR/outcomes"
timer_report "outcomes captured"

timer_start
(cd "$extension" && export PATH="$NODE24_DIR/bin:$PATH" AVIATO_OUTCOMES="$E2E_DIR/outcomes" &&
  npm run --silent typecheck && npm test) || { echo "FAIL: extension type check or unit tests"; status=1; }
timer_report "extension unit tests"

timer_start
# The platform .vsix, with the server under test inside it (npm run
# package:linux-x64 alone bundles a fresh release build).
(cd "$extension" && PATH="$NODE24_DIR/bin:$PATH" npm run --silent package:linux-x64 >"$E2E_DIR/package.log" 2>&1) ||
  { cat "$E2E_DIR/package.log"; exit 1; }
vsix="$extension/dist/aviato-linux-x64.vsix"
timer_report "platform extension packaged"

# A wrapper the test points aviato.server.path at while VS Code runs: it
# leaves a mark each time it starts, so the restart is seen.
mkdir -p "$E2E_DIR/bin"
cat >"$E2E_DIR/bin/aviato-lsp-wrapper" <<SH
#!/bin/sh
echo started >>"$E2E_DIR/wrapper-started"
exec "$AVIATO_LSP_BIN" "\$@"
SH
chmod +x "$E2E_DIR/bin/aviato-lsp-wrapper"
# code-server's PATH without any directory holding an aviato-lsp.
editor_path=""
IFS=: read -ra path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  [[ -n "$dir" && ! -e "$dir/aviato-lsp" ]] && editor_path="${editor_path:+$editor_path:}$dir"
done

user_data="$E2E_DIR/vscode/user-data"
extensions="$E2E_DIR/vscode/extensions"
mkdir -p "$user_data/User" "$user_data/Machine" "$extensions"
# The extension host runs on code-server's side, where machine-scoped settings
# such as aviato.server.path are read from the Machine settings: none at first.
echo '{}' >"$user_data/Machine/settings.json"
cat >"$user_data/User/settings.json" <<JSON
{
  "aviato.run.timeout": 20,
  "aviato.server.extraEnv": { "AVIATO_LSP_LOG": "info" },
  "editor.autoClosingBrackets": "never",
  "editor.autoClosingQuotes": "never",
  "editor.quickSuggestions": { "other": false, "comments": false, "strings": false },
  "editor.suggestOnTriggerCharacters": false,
  "editor.acceptSuggestionOnEnter": "off",
  "editor.inlayHints.enabled": "on",
  "editor.minimap.enabled": false,
  "editor.stickyScroll.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "git.enabled": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "chat.disableAIFeatures": true
}
JSON

timer_start
# shellcheck disable=SC2046
env $(editor_env) "$node24" "$CODE_SERVER_BIN" --install-extension "$vsix" \
  --extensions-dir "$extensions" --user-data-dir "$user_data" >"$E2E_DIR/install-extension.log" 2>&1 \
  || { cat "$E2E_DIR/install-extension.log"; exit 1; }
timer_report "extension installed"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat >"$E2E_DIR/vscode/config.yaml" <<YAML
bind-addr: 127.0.0.1:$port
auth: none
cert: false
disable-telemetry: true
disable-update-check: true
YAML

echo "vscode e2e: server $AVIATO_LSP_BIN"
echo "vscode e2e: workspace $E2E_DIR/workspace"
echo "vscode e2e: screenshots in $E2E_DIR/screenshots"
echo "vscode e2e: code-server log $E2E_DIR/code-server.log"

timer_start
# shellcheck disable=SC2046
start_group env $(editor_env) PATH="$editor_path" "$node24" "$CODE_SERVER_BIN" --config "$E2E_DIR/vscode/config.yaml" \
  --user-data-dir "$user_data" --extensions-dir "$extensions" --disable-workspace-trust \
  --disable-getting-started-override "$E2E_DIR/workspace" >"$E2E_DIR/code-server.log" 2>&1
code_server_group=$GROUP_PID
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$code_server_group" 2>/dev/null || { cat "$E2E_DIR/code-server.log"; exit 1; }
  sleep 0.1
done
timer_report "code-server up"

timer_start
# shellcheck disable=SC2046
start_group env $(editor_env) AVIATO_E2E_URL="http://127.0.0.1:$port" AVIATO_E2E_WORKSPACE="$E2E_DIR/workspace" \
  AVIATO_E2E_SCREENSHOTS="$E2E_DIR/screenshots" AVIATO_E2E_PROFILE="$E2E_DIR/chromium" \
  AVIATO_E2E_USER_DATA="$user_data" AVIATO_E2E_WRAPPER="$E2E_DIR/bin/aviato-lsp-wrapper" \
  AVIATO_E2E_WRAPPER_MARK="$E2E_DIR/wrapper-started" \
  timeout 360 "$node24" "$here/vscode/e2e.mjs"
wait "$GROUP_PID" || status=$?
timer_report "browser checks"

# The extension host keeps aviato-lsp running until code-server stops: stop
# code-server's whole group, then make sure nothing of it is left.
kill -TERM -- "-$code_server_group" 2>/dev/null || true
for _ in $(seq 1 50); do pgrep -g "$code_server_group" >/dev/null || break; sleep 0.1; done
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
