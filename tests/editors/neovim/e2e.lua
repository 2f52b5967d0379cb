-- End-to-end test of the aviato Neovim plugin against the real aviato-lsp, in
-- the real Neovim 0.11, headless:
--
--   nvim --clean --headless -l tests/editors/neovim/e2e.lua
--
-- Run it through tests/editors/run-neovim.sh, which sets:
--   AVIATO_LSP_BIN      the server binary
--   AVIATO_E2E_FILE     a copy of fixtures/sandbox_app.py in a temporary workspace
--   AVIATO_PLUGIN_DIR   editors/neovim
--   AVIATO_E2E_SNAPSHOTS  folder for text snapshots of what the buffer shows
--
-- Checks for server features not built yet print `SKIP: <why>` instead of
-- failing; they turn on by themselves when the server advertises the feature.
-- With AVIATO_E2E_NO_SKIP=1 a skip is a failure.

local bin = assert(os.getenv('AVIATO_LSP_BIN'), 'AVIATO_LSP_BIN')
local file = assert(os.getenv('AVIATO_E2E_FILE'), 'AVIATO_E2E_FILE')
local plugin_dir = assert(os.getenv('AVIATO_PLUGIN_DIR'), 'AVIATO_PLUGIN_DIR')
local snapshots = assert(os.getenv('AVIATO_E2E_SNAPSHOTS'), 'AVIATO_E2E_SNAPSHOTS')
local WAIT_MS = tonumber(os.getenv('AVIATO_E2E_WAIT_MS') or '') or 15000
-- Set once the server has every feature: a check that would skip then fails.
local NO_SKIP = (os.getenv('AVIATO_E2E_NO_SKIP') or '') ~= ''

vim.opt.runtimepath:prepend(plugin_dir)
vim.o.swapfile = false
vim.o.shadafile = 'NONE'

local counts = { passed = 0, failed = 0, skipped = 0 }

local function say(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

--- Runs one named check: an error inside it is a failure, `skip(...)` a skip.
local SKIP = {}
local function check(name, body)
  local ok, err = xpcall(body, function(e)
    if type(e) == 'table' and e[1] == SKIP then
      return e
    end
    return debug.traceback(tostring(e), 2)
  end)
  if ok then
    counts.passed = counts.passed + 1
    say('PASS: ' .. name)
  elseif type(err) == 'table' and err[1] == SKIP and not NO_SKIP then
    counts.skipped = counts.skipped + 1
    say('SKIP: ' .. err[2])
  elseif type(err) == 'table' and err[1] == SKIP then
    counts.failed = counts.failed + 1
    say('FAIL: ' .. name .. '\n  ' .. err[2] .. ' (AVIATO_E2E_NO_SKIP is set)')
  else
    counts.failed = counts.failed + 1
    say('FAIL: ' .. name .. '\n  ' .. tostring(err):gsub('\n', '\n  '))
  end
  return ok
end

local function skip(reason)
  error({ SKIP, reason }, 0)
end

local function wait_for(what, condition, ms)
  local value
  local ok = vim.wait(ms or WAIT_MS, function()
    value = condition()
    return value ~= nil and value ~= false
  end, 20)
  if not ok then
    error('timed out waiting for ' .. what, 2)
  end
  return value
end

local function line_of(buf, pattern)
  for index, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if line:find(pattern) then
      return index - 1
    end
  end
  error('no line matches ' .. pattern, 2)
end

local function find(list, predicate)
  for _, item in ipairs(list) do
    if predicate(item) then
      return item
    end
  end
end

-- A text picture of the buffer as a user sees it: each line with its inlay
-- hints «» and virtual text ⟨⟩ (code lenses, values), then its diagnostics.
local function snapshot(buf, name)
  local out = {}
  local hints = {}
  for _, item in ipairs(vim.lsp.inlay_hint.get({ bufnr = buf }) or {}) do
    local hint = item.inlay_hint
    local label = type(hint.label) == 'string' and hint.label
      or table.concat(vim.tbl_map(function(part)
        return part.value
      end, hint.label))
    hints[hint.position.line] = (hints[hint.position.line] or '') .. ' «' .. label .. '»'
  end
  local diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    diagnostics[d.lnum] = diagnostics[d.lnum] or {}
    table.insert(diagnostics[d.lnum], d)
  end
  local extmarks = vim.api.nvim_buf_get_extmarks(buf, -1, 0, -1, { details = true })
  local virt = {}
  for _, mark in ipairs(extmarks) do
    local details = mark[4]
    if details.virt_text and not details.virt_text_pos:match('inline') then
      local text = table.concat(vim.tbl_map(function(chunk)
        return chunk[1]
      end, details.virt_text))
      virt[mark[2]] = (virt[mark[2]] or '') .. ' ⟨' .. text .. '⟩'
    end
  end
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  table.insert(lines, '') -- where diagnostics at the end of the file are reported
  for index, line in ipairs(lines) do
    local l = index - 1
    table.insert(out, string.format('%4d │ %s%s%s', index, line, hints[l] or '', virt[l] or ''))
    for _, d in ipairs(diagnostics[l] or {}) do
      table.insert(out, string.format('     ┆ %s^ %s %s [%s]: %s', string.rep(' ', d.col), vim.diagnostic.severity[d.severity], d.code or '', d.source or '', d.message))
    end
  end
  vim.fn.writefile(out, snapshots .. '/' .. name .. '.txt')
end

-- Notifications go to the test output, one per line.
local notifications = {}
vim.notify = function(message, level)
  table.insert(notifications, message)
  local name = 'INFO'
  for key, value in pairs(vim.log.levels) do
    if value == level then
      name = key
    end
  end
  say(string.format('  notify[%s]: %s', name, message))
end

local hard_stop = vim.uv.new_timer()
hard_stop:start(240000, 0, function()
  io.stdout:write('FAIL: the whole test took over 240 s\n')
  os.exit(3)
end)

-- ---------------------------------------------------------------------------

local aviato = require('aviato')
local run = require('aviato.run')

aviato.setup({ server = { path = bin }, settings = { run = { timeout = 20 } } })
vim.cmd.edit(vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local client

check('aviato-lsp starts and attaches to the Python buffer', function()
  client = wait_for('the aviato client', function()
    local c = run.client(buf)
    return c and c.initialized and c
  end)
  assert(client.name == 'aviato', client.name)
  assert(client.server_capabilities.textDocumentSync, 'no textDocumentSync capability')
  say('  server: ' .. vim.inspect(client.server_info or {}, { newline = ' ', indent = '' }))
end)
if not client then
  say(string.format('neovim: %d passed, %d failed, %d skipped', counts.passed, counts.failed, counts.skipped))
  os.exit(1)
end
local caps = client.server_capabilities

local function aviato_diagnostics(code)
  return vim.tbl_filter(function(d)
    return d.code == code
  end, vim.diagnostic.get(buf))
end

check('a syntax error shows AV001 through vim.diagnostic, and fixing it clears it', function()
  local last = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_buf_set_lines(buf, last, last, false, { 'broken = (' })
  local diagnostics = wait_for('AV001', function()
    local found = aviato_diagnostics('AV001')
    return #found > 0 and found
  end)
  local d = diagnostics[1]
  assert(d.severity == vim.diagnostic.severity.ERROR, 'severity ' .. tostring(d.severity))
  assert(d.lnum >= last, string.format('AV001 at line %d, expected at or after %d', d.lnum + 1, last + 1))
  assert(d.source == nil or d.source:find('aviato'), 'source ' .. tostring(d.source))
  snapshot(buf, '01-syntax-error')
  vim.api.nvim_buf_set_lines(buf, last, last + 1, false, {})
  wait_for('AV001 to clear', function()
    return #aviato_diagnostics('AV001') == 0
  end)
end)

-- The CLI and the server share the analysis: what `aviato-lsp check` reports on
-- the fixture is what the editor must show.
local expected = vim.json.decode(vim.system({ bin, 'check', '--output-format', 'json', file }, { text = true }):wait().stdout)

check('the rule diagnostics of `aviato-lsp check` appear in the editor', function()
  if #expected == 0 then
    skip('server reports no rule diagnostics on the fixture yet (aviato-lsp check finds none)')
  end
  for _, want in ipairs(expected) do
    wait_for(want.code .. ' at line ' .. want.range.start.line, function()
      return find(vim.diagnostic.get(buf), function(d)
        return d.code == want.code and d.lnum == want.range.start.line - 1
      end)
    end)
  end
  snapshot(buf, '02-rule-diagnostics')
end)

local function lens_at(pattern, line)
  return find(vim.lsp.codelens.get(buf), function(lens)
    return lens.range.start.line == line and lens.command and lens.command.title:find(pattern)
  end)
end

local function function_lens_line(name)
  local def = line_of(buf, 'def ' .. name .. '%(')
  local decorator = def - 1
  return wait_for('a lens on ' .. name, function()
    for _, line in ipairs({ decorator, def }) do
      if lens_at('Run', line) or lens_at('▶', line) then
        return line
      end
    end
  end)
end

local has_lenses = caps.codeLensProvider ~= nil
local can_run = vim.list_contains(((caps.executeCommandProvider or {}).commands or {}), 'aviato.run')

check('"Run in sandbox" lenses above each sandbox function and literal call site', function()
  if not has_lenses then
    skip('server has no code lenses yet')
  end
  vim.lsp.codelens.refresh({ bufnr = buf })
  for _, name in ipairs({ 'add', 'check_positive', 'scale' }) do
    function_lens_line(name)
  end
  local call = line_of(buf, 'await add%(2, 3%)')
  wait_for('the call-site lens "Run add(2, 3)"', function()
    return lens_at('add%(2, 3%)', call)
  end)
  snapshot(buf, '03-lenses')
end)

local function wait_outcome(name, after)
  return wait_for('the outcome of ' .. name, function()
    local last = run.last
    return last and last ~= after and last.args['function'] == name and last
  end, 60000)
end

local function hint_labels_at(line)
  local labels = {}
  for _, item in ipairs(vim.lsp.inlay_hint.get({ bufnr = buf }) or {}) do
    local hint = item.inlay_hint
    if hint.position.line == line then
      local label = hint.label
      if type(label) ~= 'string' then
        label = table.concat(vim.tbl_map(function(part)
          return part.value
        end, label))
      end
      table.insert(labels, label)
    end
  end
  return labels
end

local function virtual_text_at(line)
  local texts = {}
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, -1, { line, 0 }, { line, -1 }, { details = true })) do
    for _, chunk in ipairs(mark[4].virt_text or {}) do
      table.insert(texts, chunk[1])
    end
  end
  return table.concat(texts, ' ')
end

check('clicking "Run in sandbox" on add shows → 5 inline', function()
  if not has_lenses then
    skip('server has no code lenses yet: cannot click "Run in sandbox"')
  end
  if not can_run then
    skip('server does not offer the aviato.run command yet')
  end
  local lens_line = function_lens_line('add')
  local def = line_of(buf, 'def add%(')
  vim.api.nvim_win_set_cursor(0, { lens_line + 1, 0 })
  local before = run.last
  vim.lsp.codelens.run()
  local last = wait_outcome('add', before)
  assert(last.outcome.outcome == 'ok', 'outcome ' .. vim.inspect(last.outcome))
  assert(last.outcome.value_repr == '5', 'value ' .. tostring(last.outcome.value_repr))
  local call = line_of(buf, 'await add%(2, 3%)')
  if caps.inlayHintProvider then
    wait_for('an inlay hint with 5 after the def line or the call site', function()
      for _, line in ipairs({ def, call }) do
        for _, label in ipairs(hint_labels_at(line)) do
          if label:find('5', 1, true) then
            return true
          end
        end
      end
    end)
  else
    assert(virtual_text_at(def):find('→ 5', 1, true), 'virtual text: ' .. virtual_text_at(def))
  end
  wait_for('the lens of add to show ✓ 5 · N ms', function()
    return lens_at('^✓ 5 · %d+ ms$', lens_line)
  end)
  snapshot(buf, '04-run-add')
end)

check(':AviatoRun 7, 8 runs the function under the cursor with those arguments', function()
  if not (has_lenses and can_run) then
    skip('server cannot run functions yet (no code lenses / aviato.run)')
  end
  vim.api.nvim_win_set_cursor(0, { line_of(buf, 'return x %+ y') + 1, 4 })
  local before = run.last
  vim.cmd('AviatoRun 7, 8')
  local last = wait_outcome('add', before)
  assert(last.args.args == '7, 8', vim.inspect(last.args))
  assert(last.outcome.value_repr == '15', 'value ' .. tostring(last.outcome.value_repr))
end)

check(':AviatoRun asks for the arguments of a function with no call site', function()
  if not (has_lenses and can_run) then
    skip('server cannot run functions yet (no code lenses / aviato.run)')
  end
  local asked
  local original = vim.ui.input
  vim.ui.input = function(opts, on_confirm)
    asked = opts.prompt
    on_confirm('[1, 2], 3')
  end
  vim.api.nvim_win_set_cursor(0, { line_of(buf, 'def scale%(') + 1, 0 })
  local before = run.last
  vim.cmd('AviatoRun')
  local ok, last = pcall(wait_outcome, 'scale', before)
  vim.ui.input = original
  assert(ok, last)
  assert(asked and asked:find('scale%(values'), 'prompt: ' .. tostring(asked))
  assert(last.outcome.value_repr == '[3, 6]', 'value ' .. tostring(last.outcome.value_repr))
end)

check(':AviatoRun runs the function under the cursor with code lenses off; the header shows the call used', function()
  if not can_run then
    skip('server does not offer the aviato.run command yet')
  end
  local function settings(code_lens)
    client:notify('workspace/didChangeConfiguration', {
      settings = { aviato = { run = { timeout = 20 }, codeLens = { enable = code_lens } } },
    })
  end
  local function lens_count()
    local reply = client:request_sync('textDocument/codeLens', { textDocument = vim.lsp.util.make_text_document_params(buf) }, 5000, buf)
    return reply and reply.result and #reply.result or 0
  end
  settings(false)
  wait_for('the server to list no lenses', function()
    return lens_count() == 0
  end)
  vim.api.nvim_win_set_cursor(0, { line_of(buf, 'return x %+ y') + 1, 4 })
  local before = run.last
  vim.cmd('AviatoRun')
  local last = wait_outcome('add', before)
  settings(true)
  assert(last.outcome.value_repr == '5', 'value ' .. tostring(last.outcome.value_repr))
  local output = require('aviato.output').lines()
  local header = find(vim.fn.reverse(vim.deepcopy(output)), function(line)
    return line:find('^▶ add')
  end)
  assert(header and header:find('^▶ add%(2, 3%) · '), 'header: ' .. tostring(header))
  wait_for('the lenses to come back', function()
    return lens_count() > 0
  end)
end)

check(':checkhealth aviato reports the server version and the position encoding', function()
  local version = vim.trim(vim.system({ bin, '--version' }, { text = true }):wait().stdout)
  vim.cmd('silent checkhealth aviato')
  local health = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  vim.fn.writefile(vim.split(health, '\n'), snapshots .. '/checkhealth.txt')
  vim.cmd('bwipeout!')
  vim.api.nvim_set_current_buf(buf)
  assert(health:find(version, 1, true), 'no ' .. version .. ' in:\n' .. health)
  assert(health:find('position encoding: ' .. client.offset_encoding, 1, true), 'no position encoding in:\n' .. health)
  assert(not health:find('ERROR'), 'an error in:\n' .. health)
end)

check('without server.path, the server is found in the active venv when it is not on PATH', function()
  local venv = vim.fn.tempname()
  vim.fn.mkdir(venv .. '/bin', 'p')
  vim.uv.fs_symlink(bin, venv .. '/bin/aviato-lsp')
  local saved_path, saved_venv = vim.env.PATH, vim.env.VIRTUAL_ENV
  vim.env.PATH = '/usr/bin:/bin'
  vim.env.VIRTUAL_ENV = venv
  local found = aviato.resolve({ server = {} })
  vim.env.PATH, vim.env.VIRTUAL_ENV = saved_path, saved_venv
  vim.fn.delete(venv, 'rf')
  assert(found.source == '$VIRTUAL_ENV' and found.cmd[1] == venv .. '/bin/aviato-lsp', vim.inspect(found))
end)

check('a failing function shows its error at the raising line, traceback in :AviatoOutput', function()
  if not (has_lenses and can_run) then
    skip('server cannot run functions yet (no code lenses / aviato.run)')
  end
  vim.api.nvim_win_set_cursor(0, { line_of(buf, 'if x < 0') + 1, 8 })
  local before = run.last
  vim.cmd('AviatoRun')
  local last = wait_outcome('check_positive', before)
  assert(last.outcome.outcome == 'raised', 'outcome ' .. vim.inspect(last.outcome))
  assert(last.outcome.exception_type == 'ValueError', tostring(last.outcome.exception_type))
  local raise_line = line_of(buf, 'raise ValueError')
  local d = wait_for('an aviato-run diagnostic at the raise line', function()
    return find(vim.diagnostic.get(buf), function(item)
      return item.source == 'aviato-run' and item.lnum == raise_line
    end)
  end)
  assert(d.message:find('x must be non-negative', 1, true), d.message)
  local def = line_of(buf, 'def check_positive%(')
  wait_for('the lens of check_positive to show the exception', function()
    local title = '^✗ ValueError: x must be non%-negative$'
    return lens_at(title, def - 1) or lens_at(title, def)
  end)
  local text = table.concat(require('aviato.output').lines(), '\n')
  assert(text:find('Traceback (most recent call last):', 1, true), text)
  assert(text:find('ValueError: x must be non-negative', 1, true), text)
  vim.cmd('AviatoOutput')
  assert(vim.api.nvim_buf_get_name(0):find('aviato://output', 1, true), 'output window not shown')
  vim.cmd('close')
  snapshot(buf, '05-run-failing')
end)

check('the quick fix for AV201 moves the import and its diagnostic goes', function()
  if not find(expected, function(d)
    return d.code == 'AV201'
  end) then
    skip('server does not report AV201 on the fixture yet')
  end
  if not caps.codeActionProvider then
    skip('server has no code actions (quick fixes) yet')
  end
  local diagnostic = wait_for('AV201 in the editor', function()
    return aviato_diagnostics('AV201')[1]
  end)
  local lsp_diagnostic = diagnostic.user_data and diagnostic.user_data.lsp
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(buf),
    range = lsp_diagnostic.range,
    context = { diagnostics = { lsp_diagnostic }, only = { 'quickfix' } },
  }
  local reply = assert(client:request_sync('textDocument/codeAction', params, 5000, buf))
  assert(not reply.err, vim.inspect(reply.err))
  local action = find(reply.result or {}, function(item)
    return item.title and not item.title:lower():find('ignore') and not item.title:lower():find('noqa')
  end)
  assert(action, 'no quick fix offered: ' .. vim.inspect(reply.result))
  if not action.edit and not action.command and client:supports_method('codeAction/resolve') then
    action = assert(client:request_sync('codeAction/resolve', action, 5000, buf)).result
  end
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  end
  if action.command then
    client:exec_cmd(action.command, { bufnr = buf })
  end
  wait_for('AV201 to clear', function()
    return #aviato_diagnostics('AV201') == 0
  end)
  local body = line_of(buf, 'def hypotenuse%(')
  assert(line_of(buf, '^%s+import math') > body, 'import math was not moved into hypotenuse')
  snapshot(buf, '06-quick-fix')
end)

check('a cwsandbox file: diagnostics, a lens on .remote(...), the value after .result()', function()
  if not (has_lenses and can_run) then
    skip('server cannot run functions yet (no code lenses / aviato.run)')
  end
  local cw_file = vim.fs.dirname(file) .. '/cw_job.py'
  vim.fn.writefile({
    'from cwsandbox import Session',
    '',
    'with Session() as session:',
    '',
    '    @session.function()',
    '    def add(x, y):',
    '        return x + y',
    '',
    '    total = add.remote(2, 3).result()',
    '    add(1, 2)',
  }, cw_file)
  vim.cmd('edit ' .. vim.fn.fnameescape(cw_file))
  local cw_buf = vim.api.nvim_get_current_buf()
  wait_for('aviato-lsp to attach to the cwsandbox file', function()
    local c = run.client(cw_buf)
    return c and c.initialized
  end)
  local direct = line_of(cw_buf, 'add%(1, 2%)')
  wait_for('AV107 on the direct call', function()
    return find(vim.diagnostic.get(cw_buf), function(d)
      return d.code == 'AV107' and d.lnum == direct
    end)
  end)
  local call = line_of(cw_buf, 'add%.remote%(2, 3%)')
  vim.lsp.codelens.refresh({ bufnr = cw_buf })
  wait_for('the lens "▶ Run add.remote(2, 3)"', function()
    return find(vim.lsp.codelens.get(cw_buf), function(lens)
      return lens.range.start.line == call and lens.command and lens.command.title == '▶ Run add.remote(2, 3)'
    end)
  end)
  vim.api.nvim_win_set_cursor(0, { call + 1, 0 })
  local before = run.last
  vim.lsp.codelens.run()
  local last = wait_outcome('add', before)
  assert(last.outcome.value_repr == '5', 'value ' .. tostring(last.outcome.value_repr))
  if caps.inlayHintProvider then
    local text = vim.api.nvim_buf_get_lines(cw_buf, call, call + 1, false)[1]
    local after_result = select(2, text:find('.result()', 1, true))
    wait_for('→ 5 after .result()', function()
      return find(vim.lsp.inlay_hint.get({ bufnr = cw_buf }) or {}, function(item)
        local hint = item.inlay_hint
        return hint.position.line == call and hint.position.character == after_result
      end)
    end)
  end
  snapshot(cw_buf, '07-cwsandbox')
  vim.cmd('buffer ' .. buf)
end)

check('output is appended to :AviatoOutput while the function runs', function()
  if not can_run then
    skip('server does not offer the aviato.run command yet')
  end
  local slow_file = vim.fs.dirname(file) .. '/slow_job.py'
  vim.fn.writefile({
    'from cwsandbox import Session',
    '',
    'with Session() as session:',
    '',
    '    @session.function()',
    '    def slow():',
    '        import time',
    '',
    '        print("first")',
    '        time.sleep(2)',
    '        print("second")',
    '        return 1',
    '',
    '    slow.remote().result()',
  }, slow_file)
  vim.cmd('edit ' .. vim.fn.fnameescape(slow_file))
  local slow_buf = vim.api.nvim_get_current_buf()
  wait_for('aviato-lsp to attach to the second file', function()
    local c = run.client(slow_buf)
    return c and c.initialized
  end)
  vim.api.nvim_win_set_cursor(0, { line_of(slow_buf, 'print%("first"%)') + 1, 8 })
  local before = run.last
  vim.cmd('AviatoRun')
  wait_for('the first line in the output while the run is in flight', function()
    local lines = require('aviato.output').lines()
    return lines[#lines] == '  stdout│ first'
  end, 20000)
  assert(#run.in_flight() > 0, 'the run was over before its first line was shown')
  local last = wait_outcome('slow', before)
  assert(last.outcome.value_repr == '1', 'value ' .. tostring(last.outcome.value_repr))
  local text = table.concat(require('aviato.output').lines(), '\n')
  assert(text:find('  stdout│ first\n  stdout│ second\n', 1, true), text)
  vim.cmd('buffer ' .. buf)
end)

-- Stop the server and wait for it to exit before leaving: os.exit skips
-- Neovim's own shutdown of language servers.
local exited = false
local pid = client.rpc and client.rpc.pid
vim.api.nvim_create_autocmd('LspDetach', {
  callback = function()
    exited = true
  end,
})
client:stop()
vim.wait(5000, function()
  return exited or client:is_stopped()
end, 20)
if pid and vim.uv.kill(pid, 0) == 0 then
  vim.wait(3000, function()
    return vim.uv.kill(pid, 0) ~= 0
  end, 50)
end
hard_stop:stop()

say(string.format('neovim: %d passed, %d failed, %d skipped', counts.passed, counts.failed, counts.skipped))
os.exit(counts.failed == 0 and 0 or 1)
