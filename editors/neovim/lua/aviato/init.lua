--- aviato.nvim: aviato-lsp in Neovim ≥ 0.11 — diagnostics, quick fixes and
--- "Run in sandbox" for aviato `@session.function()` code.
---
--- ```lua
--- require('aviato').setup({
---   server = { path = '/path/to/aviato-lsp' },   -- default: aviato-lsp on PATH or in a venv
---   settings = { ignore = { 'AV305' }, run = { timeout = 10 } },
--- })
--- ```
local run = require('aviato.run')

local M = {}

--- The server's settings (docs/lsp.md, "Settings"). A key left nil is not sent:
--- the rules then come from the project's `[tool.aviato-lsp]`, the limits from
--- the server's defaults.
---@class aviato.Settings
---@field select string[]? rules to enable, by code, code prefix or name
---@field ignore string[]? rules to disable
---@field severity table<string, 'error'|'warning'|'information'|'hint'>? severity per rule
---@field sdk 'auto'|'cwsandbox'|'aviato'? the SDK generation the rules model
---@field run aviato.RunSettings?
---@field codeLens { enable: boolean?, showResults: boolean? }?
---@field inlayHints { showResults: boolean? }?

---@class aviato.RunSettings
---@field backend 'auto'|'local'|'aviato'|'cwsandbox'?
---@field baseUrl string? the service of the `aviato` or `cwsandbox` backend; default AVIATO_BASE_URL or CWSANDBOX_BASE_URL, then the service
---@field timeout number? wall-clock seconds of one run
---@field limits { cpuSeconds: integer?, memoryMb: integer?, processes: integer?, fileSizeMb: integer?, tmpfsMb: integer?, outputKb: integer? }?
---@field interpreter string? the Python for images with no local `pythonX.Y`
---@field images table<string, string>? container image → local interpreter

---@class aviato.Options
M.defaults = {
  server = {
    path = nil, ---@type string? the aviato-lsp binary; default: on PATH, else $VIRTUAL_ENV/bin, else .venv/bin
    env = nil, ---@type table<string,string>? extra environment (AVIATO_LSP_LOG, AVIATO_API_KEY, AVIATO_BASE_URL)
  },
  cmd = nil, ---@type string[]? the full command, overriding `server.path`
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', '.git' },
  --- Sent as initializationOptions and as `settings.aviato`.
  ---@type aviato.Settings
  settings = {
    select = nil,
    ignore = nil,
    severity = nil,
    sdk = nil, -- 'auto', 'cwsandbox' or 'aviato'
    run = {
      backend = 'auto',
      baseUrl = nil,
      timeout = 30,
      -- nil: the server's defaults, 60, 2048, 256, 64, 256 and 1024
      limits = { cpuSeconds = nil, memoryMb = nil, processes = nil, fileSizeMb = nil, tmpfsMb = nil, outputKb = nil },
      interpreter = nil,
      images = nil,
    },
    codeLens = { enable = true, showResults = true }, -- the lenses (refreshed on edits), and outcomes in their titles
    inlayHints = { showResults = true }, -- run values as inlay hints
  },
  inlay_hints = { enable = true }, -- turn on Neovim's inlay hints in Python buffers
}

M.options = vim.deepcopy(M.defaults)

--- `settings` as the server reads them, nil when there is nothing to send:
--- empty tables left out, since Neovim sends an empty table as a JSON array;
--- `select` and `ignore` stay lists.
function M.server_settings(settings)
  local function prune(value, key)
    if type(value) ~= 'table' or key == 'select' or key == 'ignore' then
      return value
    end
    local kept = {}
    for name, item in pairs(value) do
      kept[name] = prune(item, name)
    end
    return next(kept) ~= nil and kept or nil
  end
  return prune(settings)
end

--- Where the server is looked for, in order: `cmd`, `server.path`, `aviato-lsp`
--- on PATH, the active venv (`$VIRTUAL_ENV`), a `.venv` in the current
--- directory or above it. Returns `{ cmd = ..., source = ... }`, or
--- `{ searched = { ... } }` when nothing is executable.
function M.resolve(options)
  options = options or M.options
  if options.cmd then
    return { cmd = options.cmd, source = 'cmd' }
  end
  if options.server.path then
    local path = vim.fs.normalize(options.server.path)
    if vim.fn.executable(path) == 1 then
      return { cmd = { path, 'server' }, source = 'server.path' }
    end
    return { searched = { 'server.path = ' .. path } }
  end
  local searched = {}
  local on_path = vim.fn.exepath('aviato-lsp')
  if on_path ~= '' then
    return { cmd = { on_path, 'server' }, source = 'PATH' }
  end
  table.insert(searched, 'aviato-lsp on PATH')
  local candidates = {}
  if vim.env.VIRTUAL_ENV and vim.env.VIRTUAL_ENV ~= '' then
    table.insert(candidates, { vim.fs.joinpath(vim.env.VIRTUAL_ENV, 'bin', 'aviato-lsp'), '$VIRTUAL_ENV' })
  end
  local venv = vim.fs.find('.venv', { upward = true, type = 'directory', path = vim.fn.getcwd() })[1]
  if venv then
    table.insert(candidates, { vim.fs.joinpath(venv, 'bin', 'aviato-lsp'), '.venv' })
  else
    table.insert(searched, '.venv/bin/aviato-lsp in ' .. vim.fn.getcwd() .. ' and above')
  end
  for _, candidate in ipairs(candidates) do
    if vim.fn.executable(candidate[1]) == 1 then
      return { cmd = { candidate[1], 'server' }, source = candidate[2] }
    end
    table.insert(searched, candidate[1])
  end
  return { searched = searched }
end

local function lsp_cmd(options)
  local found = M.resolve(options)
  return found.cmd
end

local function refresh_lenses_later(bufnr)
  local timer = assert(vim.uv.new_timer())
  return function()
    timer:stop()
    timer:start(250, 0, vim.schedule_wrap(function()
      if vim.api.nvim_buf_is_valid(bufnr) and run.client(bufnr) then
        vim.lsp.codelens.refresh({ bufnr = bufnr })
      end
    end))
  end
end

local function on_attach(client, bufnr)
  local group = vim.api.nvim_create_augroup('aviato.buffer.' .. bufnr, { clear = true })
  if M.lenses_enabled() and client:supports_method('textDocument/codeLens') then
    vim.lsp.codelens.refresh({ bufnr = bufnr })
    vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'TextChanged' }, {
      group = group,
      buffer = bufnr,
      callback = refresh_lenses_later(bufnr),
    })
  end
  if M.options.inlay_hints.enable and client:supports_method('textDocument/inlayHint') then
    vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
  end
  vim.api.nvim_create_autocmd({ 'TextChanged', 'TextChangedI' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      run.clear_values(bufnr)
    end,
  })
end

local function create_commands()
  vim.api.nvim_create_user_command('AviatoRun', function(command)
    run.run_at_cursor({ args = command.args })
  end, {
    nargs = '?',
    desc = 'Run the sandbox function under the cursor (optional: its arguments, e.g. 2, 3)',
  })
  vim.api.nvim_create_user_command('AviatoCancel', run.cancel, { desc = 'Cancel the sandbox run in flight' })
  vim.api.nvim_create_user_command('AviatoOutput', function()
    require('aviato.output').open()
  end, { desc = 'Show the stdout, stderr and tracebacks of runs' })
end

--- Configures and enables the `aviato` language server for Python buffers.
---@param opts aviato.Options?
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  local found = M.resolve(M.options)
  if not found.cmd then
    vim.notify(
      string.format(
        'aviato: aviato-lsp was not found (looked at: %s). Install it with `pip install aviato-lsp` '
          .. '(or `uv tool install aviato-lsp`), or set server.path in setup() (:checkhealth aviato)',
        table.concat(found.searched, '; ')
      ),
      vim.log.levels.ERROR
    )
    return
  end
  local cmd = found.cmd
  local settings = M.server_settings(M.options.settings)
  -- Assigned, not merged: calling setup() again replaces the settings (a map
  -- such as `severity` would otherwise keep the keys removed since).
  vim.lsp.config.aviato = {
    cmd = cmd,
    cmd_env = M.options.server.env,
    filetypes = M.options.filetypes,
    root_markers = M.options.root_markers,
    init_options = settings,
    settings = settings and { aviato = settings },
    commands = { ['aviato.run'] = run.lens_command },
    handlers = { ['aviato/runOutput'] = run.on_run_output },
    on_attach = on_attach,
  }
  vim.lsp.enable('aviato')
  create_commands()
end

--- Whether the server lists code lenses (`settings.codeLens.enable`).
function M.lenses_enabled()
  return vim.tbl_get(M.options.settings, 'codeLens', 'enable') ~= false
end

--- The server command `setup` uses, nil when none was found (for :checkhealth).
function M.command()
  return lsp_cmd(M.options)
end

M.run = run.run_at_cursor
M.cancel = run.cancel
M.status = run.status

return M
