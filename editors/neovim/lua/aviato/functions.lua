--- Finding the sandbox function under the cursor from the server's code lenses
--- and the buffer text. Pure functions over a list of lines (1-based indices in
--- Lua, 0-based `line` fields as in LSP lenses).
local M = {}

M.RUN_COMMAND = 'aviato.run'
M.CANCEL_COMMAND = 'aviato.cancelRun'

local function indentation(line)
  return #line:match('^%s*')
end

local function is_blank_or_comment(line)
  return line:match('^%s*$') ~= nil or line:match('^%s*#') ~= nil
end

--- The line without its `#` comment (quotes respected).
local function strip_comment(line)
  local quote
  local i = 1
  while i <= #line do
    local c = line:sub(i, i)
    if quote then
      if c == '\\' then
        i = i + 1
      elseif c == quote then
        quote = nil
      end
    elseif c == '"' or c == "'" then
      quote = c
    elseif c == '#' then
      return line:sub(1, i - 1)
    end
    i = i + 1
  end
  return line
end

--- Whether `value` is the argument object of `aviato.run`.
function M.is_run_arguments(value)
  return type(value) == 'table'
    and type(value.uri) == 'string'
    and type(value['function']) == 'string'
    and type(value.line) == 'number'
end

local function run_arguments(lens)
  for _, arg in ipairs((lens.command and lens.command.arguments) or {}) do
    if M.is_run_arguments(arg) then
      return arg
    end
  end
end
M.run_arguments = run_arguments

--- 0-based line of `def name(` at or below 0-based `from`.
function M.find_def_line(lines, name, from)
  local escaped = vim.pesc(name)
  for index = math.max(0, from), math.min(#lines, from + 40) - 1 do
    local line = lines[index + 1]
    if line:match('^%s*def%s+' .. escaped .. '%s*[%(%[]') or line:match('^%s*async%s+def%s+' .. escaped .. '%s*[%(%[]') then
      return index
    end
  end
end

--- 0-based line of the first decorator above the def at 0-based `def_line`.
function M.decorator_start(lines, def_line)
  local def_indent = indentation(lines[def_line + 1])
  local start = def_line
  for index = def_line - 1, 0, -1 do
    local line = lines[index + 1]
    local indent = indentation(line)
    local trimmed = vim.trim(line)
    if indent == def_indent and trimmed:sub(1, 1) == '@' then
      start = index
    elseif not (indent > def_indent or (indent == def_indent and trimmed:match('^[%)%]}]'))) then
      break -- neither a decorator nor the continuation of a multi-line one
    end
  end
  return start
end

--- 0-based last line of the block whose def is on 0-based `def_line`.
function M.block_end(lines, def_line)
  local def_indent = indentation(lines[def_line + 1])
  -- The header may continue over several lines until the brackets close.
  local index, depth = def_line, 0
  while index < #lines do
    local code = strip_comment(lines[index + 1])
    for c in code:gmatch('[%(%[{%)%]}]') do
      depth = depth + (c:match('[%(%[{]') and 1 or -1)
    end
    if depth <= 0 and code:find(':', 1, true) then
      break
    end
    index = index + 1
  end
  local last = math.min(index, #lines - 1)
  for next_index = index + 1, #lines - 1 do
    local line = lines[next_index + 1]
    if not is_blank_or_comment(line) then
      if indentation(line) <= def_indent then
        break
      end
      last = next_index
    end
  end
  return last
end

--- The text between the parentheses of the def on 0-based `def_line`, comments removed.
function M.parameter_text(lines, def_line)
  local parts = {}
  for index = def_line, math.min(#lines, def_line + 60) - 1 do
    parts[#parts + 1] = strip_comment(lines[index + 1])
  end
  local text = table.concat(parts, '\n')
  local def_at = text:find('%f[%w_]def%f[^%w_]')
  local open = def_at and text:find('(', def_at, true)
  if not open then
    return nil
  end
  local depth, quote = 0, nil
  local i = open
  while i <= #text do
    local c = text:sub(i, i)
    if quote then
      if c == '\\' then
        i = i + 1
      elseif c == quote then
        quote = nil
      end
    elseif c == '"' or c == "'" then
      quote = c
    elseif c:match('[%(%[{]') then
      depth = depth + 1
    elseif c:match('[%)%]}]') then
      depth = depth - 1
      if depth == 0 then
        local inner = text:sub(open + 1, i - 1)
        local pieces = vim.tbl_map(vim.trim, vim.split(inner, '\n', { plain = true }))
        return vim.trim((table.concat(pieces, ' '):gsub(',%s*$', '')))
      end
    end
    i = i + 1
  end
end

--- Whether a parameter list asks the caller for anything (`*` and `/` alone do not).
function M.takes_parameters(parameters)
  if not parameters then
    return false
  end
  for _, part in ipairs(vim.split(parameters, ',', { plain = true })) do
    local p = vim.trim(part)
    if p ~= '' and p ~= '*' and p ~= '/' then
      return true
    end
  end
  return false
end

--- Groups code lenses by sandbox function: `{name, start, def_line, last, lens, call_sites}`.
function M.sandbox_functions(lines, lenses)
  local functions, call_sites = {}, {}
  for _, lens in ipairs(lenses) do
    local args = run_arguments(lens)
    if args then
      if args.callSite ~= nil and args.callSite ~= vim.NIL then
        call_sites[#call_sites + 1] = { key = args['function'] .. '@' .. args.line, lens = lens }
      else
        local line = lens.range.start.line
        local def_line = M.find_def_line(lines, args['function'], line)
        if def_line then
          functions[#functions + 1] = {
            name = args['function'],
            start = math.min(line, M.decorator_start(lines, def_line)),
            def_line = def_line,
            last = M.block_end(lines, def_line),
            lens = lens,
            call_sites = {},
          }
        end
      end
    end
  end
  for _, site in ipairs(call_sites) do
    for _, fn in ipairs(functions) do
      local args = run_arguments(fn.lens)
      if args['function'] .. '@' .. args.line == site.key then
        table.insert(fn.call_sites, site.lens)
      end
    end
  end
  return functions
end

--- The innermost function whose lines contain 0-based `line`.
function M.function_at(functions, line)
  local best
  for _, fn in ipairs(functions) do
    if fn.start <= line and line <= fn.last and (not best or fn.start > best.start) then
      best = fn
    end
  end
  return best
end

return M
