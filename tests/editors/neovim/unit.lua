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

test('the real outcome has exactly the fields docs/run-output.md documents', function()
  local doc = read(repo .. '/docs/run-output.md')
  local table_text = doc:sub(doc:find('## Outcome\n', 1, true), doc:find('## Outcomes', 1, true))
  local documented = {}
  for name in table_text:gmatch('\n| `([%l_]+)` |') do
    table.insert(documented, name)
  end
  table.sort(documented)
  eq(#documented, 28, 'documented fields')
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
  eq(read_fields.summary and read_fields.report and true, true, 'summary and report are read')
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

test('what a run shows is worded by the server', function()
  for _, name in ipairs(CASES) do
    eq(type(outcomes[name].summary), 'string', name)
    eq(outcomes[name].report:sub(-1), '\n', name)
  end
  eq(outcomes.ok.summary, string.format('✓ 5 · %d ms', outcomes.ok.duration_ms))
  eq(outcomes.killed.limit, 'memory')
  eq(outcomes.killed.cancelled, false)
  eq(outcomes.timeout.limit, 'time')
  local raised = vim.split(outcomes.raised.report, '\n', { plain = true })
  eq(vim.list_contains(raised, 'Traceback (most recent call last):'), true, outcomes.raised.report)
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
