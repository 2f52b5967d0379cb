-- Unit tests of the Neovim plugin's own logic (finding the function under the
-- cursor, reading outcomes), in headless Neovim:
--
--   nvim --clean --headless -l tests/editors/neovim/unit.lua <editors/neovim>
local plugin_dir = assert(arg[1], 'usage: unit.lua <editors/neovim>')
vim.opt.runtimepath:prepend(plugin_dir)

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

local lines = vim.split(
  [[import asyncio
from aviato import Sandbox

async def main():
    async with Sandbox.session() as session:
        @session.function()
        def add(x: int, y: int) -> int:
            return x + y

        @session.function()
        def hello():
            # nothing to pass
            return "hi"

        @session.function(
            container_image="python:3.12",
        )
        def scale(
            values: list[int],  # the input (with a paren)
            factor: int = 2,
        ) -> list[int]:
            def inner(v):
                return v * factor
            return [inner(v) for v in values]

        print(await add(2, 3))

asyncio.run(main())]],
  '\n'
)
local uri = 'file:///ws/app.py'

local function lens(line, name, def_line, call_site)
  return {
    range = { start = { line = line, character = 0 }, ['end'] = { line = line, character = 0 } },
    command = {
      title = '▶ Run in sandbox',
      command = 'aviato.run',
      arguments = { { uri = uri, ['function'] = name, line = def_line, callSite = call_site } },
    },
  }
end

local lenses = { lens(6, 'add', 7), lens(10, 'hello', 11), lens(17, 'scale', 18), lens(25, 'add', 7, 26) }

test('each function spans from its first decorator to the end of its body', function()
  local found = vim.tbl_map(function(fn)
    return { fn.name, fn.start, fn.def_line, fn.last, #fn.call_sites }
  end, functions.sandbox_functions(lines, lenses))
  eq(found, { { 'add', 5, 6, 7, 1 }, { 'hello', 9, 10, 12, 0 }, { 'scale', 14, 17, 23, 0 } })
end)

test('the function under the cursor, including its decorators and nested defs', function()
  local fns = functions.sandbox_functions(lines, lenses)
  local function at(line)
    local fn = functions.function_at(fns, line)
    return fn and fn.name
  end
  eq(at(5), 'add', 'decorator line')
  eq(at(7), 'add', 'body')
  eq(at(8), nil, 'blank line between functions')
  eq(at(15), 'scale', 'multi-line decorator')
  eq(at(22), 'scale', 'nested def')
  eq(at(25), nil, 'call site')
end)

test('parameter text spans lines and drops comments', function()
  eq(functions.parameter_text(lines, 6), 'x: int, y: int')
  eq(functions.parameter_text(lines, 10), '')
  eq(functions.parameter_text(lines, 17), 'values: list[int], factor: int = 2')
end)

test('which parameter lists need arguments', function()
  eq(functions.takes_parameters('x: int'), true)
  eq(functions.takes_parameters('*, key'), true)
  eq(functions.takes_parameters(''), false)
  eq(functions.takes_parameters('*'), false)
  eq(functions.takes_parameters(nil), false)
end)

test('adjacent functions keep their own decorators', function()
  local packed = { '@s.function()', 'def a(x):', '    return x', '@s.function()', '@staticmethod', 'def b():', '    return 1' }
  local found = vim.tbl_map(function(fn)
    return { fn.name, fn.start, fn.last }
  end, functions.sandbox_functions(packed, { lens(1, 'a', 2), lens(5, 'b', 6) }))
  eq(found, { { 'a', 0, 2 }, { 'b', 3, 6 } })
end)

test('summaries of each outcome', function()
  eq(outcome.summarize('add', { outcome = 'ok', value_repr = '5', duration_ms = 84.4 }), 'add → 5 · 84 ms')
  eq(
    outcome.summarize('f', { outcome = 'raised', exception_type = 'ValueError', exception_message = 'bad' }),
    'f raised ValueError: bad'
  )
  eq(outcome.summarize('f', { outcome = 'raised', exception_type = 'KeyError', exception_message = vim.NIL }), 'f raised KeyError')
  eq(outcome.summarize('f', { outcome = 'timeout', timeout_s = 30 }), 'f timed out after 30 s')
  eq(outcome.summarize('f', { outcome = 'refused', code = 'AV101', message = 'async' }), 'f cannot run: async (AV101)')
end)

test('a raised outcome reads like a Python traceback', function()
  local report = outcome.report('check(-1)', {
    outcome = 'raised',
    exception_type = 'ValueError',
    exception_message = 'x must be non-negative',
    traceback = { { file = '/ws/app.py', line = 4, ['function'] = 'check' } },
    stdout = 'checking\n',
    stderr = vim.NIL,
  }, function(file, line)
    return file == '/ws/app.py' and line == 4 and '        raise ValueError("x must be non-negative")' or nil
  end)
  eq(report, {
    'check(-1) · raised',
    'Traceback (most recent call last):',
    '  File "/ws/app.py", line 4, in check',
    '    raise ValueError("x must be non-negative")',
    'ValueError: x must be non-negative',
    '--- stdout ---',
    'checking',
  })
end)

test('runs are named by their arguments or call site', function()
  eq(outcome.call_label('add', '7, 8', 30), 'add(7, 8)')
  eq(outcome.call_label('add', nil, 30), 'add · call site line 30')
  eq(outcome.call_label('add', nil, nil), 'add()')
end)

io.stdout:write(string.format('neovim unit: %d passed, %d failed\n', passed, failed))
os.exit(failed == 0 and 0 or 1)
