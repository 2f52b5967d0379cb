# Helpers shared by run-vscode.sh and run-neovim.sh. Sourced, not executed.

# Seconds since the timestamp `$1` (from $EPOCHREALTIME), one decimal.
seconds_since() { awk -v start="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - start }'; }

# The server binary: $AVIATO_LSP_BIN, else a fresh `cargo build -p aviato-lsp`.
locate_server() {
  if [[ -n "${AVIATO_LSP_BIN:-}" ]]; then
    [[ -x "$AVIATO_LSP_BIN" ]] || { echo "AVIATO_LSP_BIN=$AVIATO_LSP_BIN is not executable" >&2; return 1; }
  else
    (cd "$AVIATO_REPO" && cargo build --quiet -p aviato-lsp) >&2
    AVIATO_LSP_BIN="$AVIATO_REPO/target/debug/aviato-lsp"
  fi
  export AVIATO_LSP_BIN
}

# A temporary folder with a workspace holding a copy of the fixture, private
# XDG and HOME folders for the editor, and a folder for screenshots.
make_workdir() {
  E2E_DIR="$(mktemp -d "${TMPDIR:-/tmp}/aviato-$1-e2e.XXXXXX")"
  mkdir -p "$E2E_DIR"/{workspace,home,screenshots} "$E2E_DIR"/xdg/{config,data,state,cache,runtime}
  chmod 700 "$E2E_DIR/xdg/runtime"
  cp "$AVIATO_REPO/tests/editors/fixtures/sandbox_app.py" "$E2E_DIR/workspace/"
  printf '[project]\nname = "sandbox-app"\nversion = "0.1.0"\n' >"$E2E_DIR/workspace/pyproject.toml"
  export E2E_DIR
}

# Environment for an editor process: nothing it writes can land in the real $HOME.
editor_env() {
  echo HOME="$E2E_DIR/home" XDG_CONFIG_HOME="$E2E_DIR/xdg/config" XDG_DATA_HOME="$E2E_DIR/xdg/data" \
    XDG_STATE_HOME="$E2E_DIR/xdg/state" XDG_CACHE_HOME="$E2E_DIR/xdg/cache" XDG_RUNTIME_DIR="$E2E_DIR/xdg/runtime"
}

# Process groups started with start_group, killed on exit.
E2E_GROUPS=()
start_group() { # start_group CMD...: runs CMD in a new session; sets GROUP_PID
  setsid "$@" &
  GROUP_PID=$!
  E2E_GROUPS+=("$GROUP_PID")
}

# Kills what is left of each group; fails (returns 1) when something was left.
stop_groups() {
  local leftover=0 group
  for group in "${E2E_GROUPS[@]}"; do
    if pgrep -g "$group" >/dev/null 2>&1; then
      if [[ "${1:-}" == report ]]; then
        echo "left behind in process group $group:" >&2
        ps -o pid,args -g "$group" >&2 || true
        leftover=1
      fi
      kill -TERM -- "-$group" 2>/dev/null || true
      sleep 0.5
      kill -KILL -- "-$group" 2>/dev/null || true
    fi
  done
  E2E_GROUPS=()
  return "$leftover"
}

# Lists what the editors and their tools wrote into the real $HOME since the
# marker file. Only their own locations are looked at: other programs on a
# developer's machine may write into $HOME meanwhile.
home_changes() {
  local places=(.config/code-server .local/share/code-server .vscode-server .vscode .npm
    .config/nvim .local/share/nvim .local/state/nvim .cache/nvim .config/chromium .cache/chromium
    .pki .cache/ms-playwright .cache/node-gyp .cache/pip)
  local place
  for place in "${places[@]}"; do
    if [[ -e "$HOME/$place" ]]; then find "$HOME/$place" -newer "$1" -print 2>/dev/null; fi
  done | head -20
}
