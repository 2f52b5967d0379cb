-- Unit tests of the Neovim plugin's own logic (what to do with the function
-- under the cursor, reading outcomes, the settings it sends), in headless Neovim:
--
--   nvim --clean --headless -l tests/editors/neovim/unit.lua <editors/neovim>
--
-- The outcomes are the real server's: from $AVIATO_OUTCOMES when the runner
-- captured them (tests/editors/capture-outcomes.sh), else captured now with
-- $AVIATO_LSP_BIN or target/debug/aviato-lsp.
local plugin_dir = assert(arg[1], 'usage: unit.lua <editors/neovim>')
vim.opt.runtimepath:prepend(plugin_dir)
local repo = vim.fn.fnamemodify(plugin_dir, ':p:h:h:h')
assert(vim.uv.fs_stat(repo .. '/docs/lsp.md'), 'no docs/lsp.md under ' .. repo)

local functions = require('aviato.functions')
local outcome = require('aviato.outcome')

local passed, failed = 0, 0
local function test(name, body)
  local ok, err = pcall(body)
  if ok then
    passed = passed + 1
    io.stdout:write('PASS: ' .. name .. '\n')
  else
    failed = failed + 1
    io.stdout:write('FAIL: ' .. name .. '\n  ' .. tostring(err) .. '\n')
  end
end

local function eq(actual, expected, what)
  if not vim.deep_equal(actual, expected) then
    error(string.format('%s: expected %s, got %s', what or 'value', vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

-- Finding sandbox functions and their parameters is the server's job
-- (aviato/sandboxFunctions, tests/lsp/sandbox_functions.rs); the plugin only
-- decides what to do with an entry of the answer.
local uri = 'file:///ws/app.py'
local function entry(overrides)
  return vim.tbl_extend('force', {
    name = 'scale',
    line = 12,
    signature = 'scale(values: list[float], factor: float)',
    needsArguments = true,
    exampleArguments = '[1.0], 1.0',
    callSites = {},
    defaultCallSite = vim.NIL,
    runsWithoutArguments = false,
    cannotRun = vim.NIL,
    run = { uri = uri, ['function'] = 'scale', line = 12 },
  }, overrides or {})
end

test('a function that needs arguments and has no static call asks for them', function()
  eq(functions.plan(entry()), {
    kind = 'ask',
    args = { uri = uri, ['function'] = 'scale', line = 12 },
    prompt = 'Arguments for scale(values: list[float], factor: float): ',
    example = '[1.0], 1.0',
  })
end)

test('a static call runs it, labelled with the call', function()
  local plan = functions.plan(entry({
    runsWithoutArguments = true,
    defaultCallSite = 30,
    callSites = {
      { line = 29, text = 'scale(data, k)', arguments = vim.NIL },
      { line = 30, text = 'scale(\n    [1, 2], 3)', arguments = '([1, 2]), (3)' },
    },
  }))
  eq(plan, { kind = 'run', args = { uri = uri, ['function'] = 'scale', line = 12 }, label = 'scale([1, 2], 3)' })
end)

test('defaults run it with no arguments', function()
  eq(functions.plan(entry({ needsArguments = false, runsWithoutArguments = true })).label, 'scale()')
end)

test('a function that cannot run is explained', function()
  local plan = functions.plan(entry({ cannotRun = { code = 'AV101', message = 'async' }, runsWithoutArguments = true }))
  eq(plan.kind, 'explain')
end)

test('run arguments in a lens', function()
  local lens = { command = { arguments = { { uri = uri, ['function'] = 'add', line = 7 } } } }
  eq(functions.run_arguments(lens), { uri = uri, ['function'] = 'add', line = 7 })
  eq(functions.run_arguments({ command = { arguments = { 'x' } } }), nil)
end)

test('the server is asked only when it says it answers', function()
  eq(functions.supported({ server_capabilities = { experimental = { sandboxFunctions = true } } }), true)
  eq(functions.supported({ server_capabilities = {} }), false)
end)

local function read(path)
  return table.concat(vim.fn.readfile(path), '\n')
end

local CASES = { 'ok', 'output', 'truncated', 'raised', 'notes', 'timeout', 'killed', 'refused', 'error' }

--- The captured outcomes, decoded as Neovim's LSP client decodes a reply
--- (JSON null → nil) and, for `raw`, keeping nulls as vim.NIL.
local outcomes, raw = {}, {}
do
  local dir = os.getenv('AVIATO_OUTCOMES')
  local temporary
  if not dir or dir == '' then
    temporary = vim.fn.tempname()
    dir = temporary
    local captured = vim.system({ repo .. '/tests/editors/capture-outcomes.sh', dir }, { text = true }):wait()
    assert(captured.code == 0, 'capture-outcomes.sh failed:\n' .. (captured.stderr or ''))
  end
  for _, name in ipairs(CASES) do
    local text = read(dir .. '/' .. name .. '.json')
    raw[name] = vim.json.decode(text)
    outcomes[name] = vim.json.decode(text, { luanil = { object = true } })
  end
  if temporary then
    vim.fn.delete(temporary, 'rf')
  end
end

local function fixture_line(line)
  return vim.fn.readfile(repo .. '/tests/editors/fixtures/outcomes.py')[line]
end
local function line_text(file, line)
  return file:find('outcomes%.py$') and fixture_line(line) or nil
end

test('the real outcome has exactly the fields docs/run-output.md documents', function()
  local doc = read(repo .. '/docs/run-output.md')
  local table_text = doc:sub(doc:find('## Outcome\n', 1, true), doc:find('## Outcomes', 1, true))
  local documented = {}
  for name in table_text:gmatch('\n| `([%l_]+)` |') do
    table.insert(documented, name)
  end
  table.sort(documented)
  eq(#documented, 24, 'documented fields')
  for _, name in ipairs(CASES) do
    local keys = vim.tbl_keys(raw[name])
    table.sort(keys)
    eq(keys, documented, 'fields of the ' .. name .. ' outcome')
    eq(outcome.is_outcome(outcomes[name]), true, name)
  end
end)

test('the plugin reads only fields the outcome has', function()
  local read_fields = {}
  for _, file in ipairs(vim.fn.globpath(plugin_dir, 'lua/aviato/*.lua', false, true)) do
    for name in read(file):gmatch("field%([%w_]+, '([%w_]+)'%)") do
      read_fields[name] = true
    end
  end
  eq(read_fields.value_type and read_fields.note and true, true, 'value_type and note are read')
  for name in pairs(read_fields) do
    eq(raw.ok[name] ~= nil, true, 'the plugin reads `' .. name .. '`, which the outcome does not have')
  end
end)

test('each captured case is the outcome it stands for', function()
  eq(
    vim.tbl_map(function(name)
      return outcomes[name].outcome
    end, CASES),
    { 'ok', 'ok', 'ok', 'raised', 'raised', 'timeout', 'killed', 'refused', 'error' }
  )
end)

test('summaries of each outcome', function()
  eq(outcome.summarize('add', outcomes.ok), string.format('add → 5 · %d ms', outcomes.ok.duration_ms))
  eq(outcome.summarize('check_positive', outcomes.raised), 'check_positive raised ValueError: x must be non-negative, got -4')
  eq(outcome.summarize('wait', outcomes.timeout), 'wait timed out after 1.5 s')
  eq(outcome.summarize('hog', outcomes.killed), 'hog was killed: memory limit of 256 MiB reached (MemoryError)')
  eq(outcome.summarize('fetch', outcomes.refused), 'fetch cannot run: ' .. outcomes.refused.message .. ' (AV101)')
  eq(outcome.summarize('add', outcomes['error']), 'add could not run: --args: argument 1: `nope` is not defined')
  for _, name in ipairs(CASES) do
    eq(outcome.summarize('f', raw[name]), outcome.summarize('f', outcomes[name]), 'JSON null read as vim.NIL: ' .. name)
  end
end)

test('a cancelled run reads as cancelled, not killed', function()
  local cancelled = vim.tbl_extend('force', outcomes.killed, { message = 'cancelled' })
  eq(outcome.summarize('hog', cancelled), 'hog was cancelled')
  local replaced = vim.tbl_extend('force', outcomes.killed, { message = 'cancelled: replaced by a newer run' })
  eq(outcome.summarize('hog', replaced), 'hog was cancelled: replaced by a newer run')
end)

test('the timeout comes from the server message, else the duration', function()
  eq(outcome.timeout_seconds(outcomes.timeout), '1.5')
  local finished = vim.tbl_extend('force', outcomes.timeout, {
    message = 'the function finished, but the interpreter did not exit within 30 s (a thread still running?)',
  })
  eq(outcome.timeout_seconds(finished), '30')
  eq(outcome.timeout_seconds(vim.tbl_extend('force', outcomes.timeout, { message = vim.NIL, duration_ms = 2049 })), '2')
  eq(outcome.timeout_seconds(vim.tbl_extend('force', outcomes.timeout, { message = vim.NIL, duration_ms = 2549 })), '2.5')
end)

test('the note is split into one note per line', function()
  local notes = outcome.notes(outcomes.notes)
  eq(#notes, 3, 'notes')
  assert(notes[1]:find('^image registry%.example%.com/ml:latest has no local equivalent'), notes[1])
  assert(notes[2]:find('SystemExit', 1, true), notes[2])
  assert(notes[3]:find('exception_type None', 1, true), notes[3])
  eq(outcome.notes(outcomes.ok), {})
  eq(outcome.notes(raw.ok), {})
end)

test('a value is shown with its type', function()
  eq(outcome.value_line(outcomes.ok), '5 (int)')
  eq(outcome.value_line(outcomes.output), "'hello ada' (str)")
end)

local function where(o)
  return string.format('(%s backend, %s, Python %s)', o.backend, o.image, o.python_version)
end

test('a raised outcome reads like a Python traceback with source lines', function()
  local raised = outcomes.raised
  local outer, inner = raised.traceback[1], raised.traceback[2]
  eq({ outer['function'], inner['function'] }, { 'check_positive', 'fail' })
  eq(outcome.report('check_positive(-4)', raised, line_text), {
    string.format('check_positive(-4) raised ValueError in %d ms %s', raised.duration_ms, where(raised)),
    'Traceback (most recent call last):',
    string.format('  File "%s", line %d, in check_positive', outer.file, outer.line),
    '    fail(x)',
    string.format('  File "%s", line %d, in fail', inner.file, inner.line),
    '    raise ValueError(f"x must be non-negative, got {value}")',
    'ValueError: x must be non-negative, got -4',
  })
end)

test('output on both streams follows the value', function()
  local o = outcomes.output
  eq(outcome.report('greet()', o, line_text), {
    string.format('greet() returned in %d ms %s', o.duration_ms, where(o)),
    "'hello ada' (str)",
    '--- stdout ---',
    'greeting ada',
    '--- stderr ---',
    'about to return',
  })
end)

test('truncated output is marked where it is cut', function()
  local report = outcome.report('flood()', outcomes.truncated, line_text)
  local last = report[#report]
  assert(last:find('^… stdout truncated'), last)
  assert(report[#report - 1]:find('^x+$'), 'the marker follows the kept output')
  eq(outcome.truncation_note(outcomes.truncated, 'stderr'), nil)
  eq(outcome.truncation_note(outcomes.output, 'stdout'), nil)
end)

test('notes, timeouts, limits, refusals and errors in the report', function()
  local notes = vim.tbl_filter(function(line)
    return line:find('^note: ') ~= nil
  end, outcome.report('stop()', outcomes.notes, line_text))
  eq(#notes, 3, 'note lines')
  -- The exception raised, as Python prints it, though the SDK reports none.
  local stop = table.concat(outcome.report('stop()', outcomes.notes, line_text), '\n')
  assert(stop:find('\nSystemExit: 3\n', 1, true), stop)
  local timeout = outcome.report('wait()', outcomes.timeout, line_text)
  assert(timeout[1]:find('^wait%(%) timed out after 1%.5 s %('), timeout[1])
  eq(timeout[2], 'wall-clock limit of 1.5 s reached')
  local killed = table.concat(outcome.report('hog()', outcomes.killed, line_text), '\n')
  assert(killed:find('\nmemory limit of 256 MiB reached (MemoryError)\n', 1, true), killed)
  assert(killed:find('in hog\n    blocks = [bytearray', 1, true), killed)
  eq(outcome.report('fetch()', outcomes.refused, line_text), { 'fetch() was refused (AV101)', outcomes.refused.message })
  eq(outcome.report('add(nope)', outcomes['error'], line_text), { 'add(nope) could not run', '--args: argument 1: `nope` is not defined' })
end)

test('runs are named by their arguments or call site', function()
  eq(outcome.call_label('add', '7, 8', 30), 'add(7, 8)')
  eq(outcome.call_label('add', nil, outcomes.ok.call_site), 'add · call site line ' .. outcomes.ok.call_site)
  eq(outcome.call_label('add', nil, nil), 'add()')
end)

-- Settings ------------------------------------------------------------------

local aviato = require('aviato')
local lsp_doc = read(repo .. '/docs/lsp.md')
local settings_section = lsp_doc:sub((lsp_doc:find('## Settings', 1, true)))
--- The example settings object of docs/lsp.md, which names every key.
local example = vim.json.decode(settings_section:match('```json\n(.-)```'))

--- What the configured client would send, as JSON text decoded again.
local function sent(key)
  return vim.json.decode(vim.json.encode(vim.lsp.config.aviato[key]))
end

local function setup(settings)
  aviato.setup({ server = { path = vim.v.progpath }, settings = settings })
end

test('the settings reach the server in the shape docs/lsp.md gives', function()
  setup(vim.deepcopy(example))
  eq(sent('init_options'), example, 'initializationOptions')
  eq(sent('settings'), { aviato = example }, 'settings')
end)

test('the defaults send only what the server needs to know, as JSON objects', function()
  setup(nil)
  local defaults = {
    run = { backend = 'auto', timeout = 30 },
    codeLens = { enable = true, showResults = true },
    inlayHints = { showResults = true },
  }
  eq(sent('init_options'), defaults)
  setup({ ignore = { 'AV305' }, severity = { AV302 = 'error' }, run = { images = {}, limits = { tmpfsMb = 64 } } })
  eq(vim.json.encode(vim.lsp.config.aviato.init_options.run.limits), '{"tmpfsMb":64}')
  eq(vim.lsp.config.aviato.init_options.run.images, nil, 'an empty map is not sent as []')
  setup({ severity = {} })
  eq(vim.lsp.config.aviato.init_options.severity, nil, 'a later setup() replaces the settings')
  eq(vim.lsp.config.aviato.init_options.ignore, nil, 'a later setup() replaces the settings')
  eq(vim.json.encode(aviato.server_settings({ select = {} })), '{"select":[]}')
  eq(aviato.server_settings({ run = { limits = {} } }), nil)
end)

test('docs/editors/neovim.md lists every server setting with the plugin options', function()
  local guide = read(repo .. '/docs/editors/neovim.md')
  local options = guide:match('All options, with their defaults:\n\n```lua\n(.-)```')
  assert(options, 'no "All options" block in neovim.md')
  local count = 0
  for keys in settings_section:gmatch('\n| (`[^|]+`) |') do
    for key in keys:gmatch('`([^`]+)`') do
      count = count + 1
      local leaf = key:match('([%w_]+)$')
      assert(options:find('%f[%w_]' .. leaf .. ' =') , 'neovim.md does not show ' .. key)
    end
  end
  assert(count >= 17, 'read ' .. count .. ' keys from docs/lsp.md')
end)

io.stdout:write(string.format('neovim unit: %d passed, %d failed\n', passed, failed))
os.exit(failed == 0 and 0 or 1)
