--- Reading the run outcome the server returns from `aviato.run` (the JSON of
--- `aviato-lsp run --output-format json`): one-line summaries and a
--- Python-style report.
local M = {}

local function field(outcome, name)
  local value = outcome[name]
  if value == vim.NIL then
    return nil
  end
  return value
end
M.field = field

function M.is_outcome(value)
  return type(value) == 'table'
    and vim.list_contains({ 'ok', 'raised', 'refused', 'timeout', 'killed', 'error' }, value.outcome)
end

--- `ValueError: message`, or the type alone when there is no message.
function M.exception_line(outcome)
  local kind = field(outcome, 'exception_type') or 'Exception'
  local message = field(outcome, 'exception_message')
  if message and message ~= '' then
    return kind .. ': ' .. message
  end
  return kind
end

local function clip(text, max)
  text = tostring(text):gsub('%s*\n%s*', ' ')
  if vim.fn.strchars(text) > max then
    return vim.fn.strcharpart(text, 0, max - 1) .. '…'
  end
  return text
end
M.clip = clip

local function duration(outcome)
  local ms = field(outcome, 'duration_ms')
  return ms and string.format(' · %d ms', math.floor(ms + 0.5)) or ''
end

--- One line saying how a run of `name` ended.
function M.summarize(name, outcome)
  local kind = outcome.outcome
  if kind == 'ok' then
    return string.format('%s → %s%s', name, clip(field(outcome, 'value_repr') or 'None', 80), duration(outcome))
  elseif kind == 'raised' then
    return string.format('%s raised %s', name, clip(M.exception_line(outcome), 120))
  elseif kind == 'refused' then
    local code = field(outcome, 'code')
    return string.format(
      '%s cannot run: %s%s',
      name,
      field(outcome, 'message') or field(outcome, 'exception_message') or 'refused',
      code and (' (' .. code .. ')') or ''
    )
  elseif kind == 'timeout' then
    local limit = field(outcome, 'timeout_s')
    return string.format('%s timed out%s', name, limit and string.format(' after %s s', limit) or '')
  elseif kind == 'killed' then
    local limit = field(outcome, 'limit')
    return string.format('%s was killed%s', name, limit and (' (' .. limit .. ' limit)') or '')
  end
  return string.format('%s could not run: %s', name, field(outcome, 'message') or 'sandbox error')
end

--- How a run is named: `add(7, 8)` with typed arguments, `add · call site
--- line 30` when the server took a call site's arguments, else `add()`.
function M.call_label(name, args, call_site)
  if args ~= nil then
    return string.format('%s(%s)', name, args)
  elseif type(call_site) == 'number' then
    return string.format('%s · call site line %d', name, call_site)
  end
  return name .. '()'
end

--- The report as lines: traceback with source lines, exception, stdout, stderr.
--- `line_text(file, line)` returns a frame's source line when known.
function M.report(call, outcome, line_text)
  local lines = { call .. ' · ' .. outcome.outcome }
  if outcome.outcome == 'raised' then
    table.insert(lines, 'Traceback (most recent call last):')
    for _, frame in ipairs(field(outcome, 'traceback') or {}) do
      table.insert(lines, string.format('  File "%s", line %d, in %s', frame.file, frame.line, frame['function']))
      local source = line_text(frame.file, frame.line)
      if source and vim.trim(source) ~= '' then
        table.insert(lines, '    ' .. vim.trim(source))
      end
    end
    table.insert(lines, M.exception_line(outcome))
  elseif outcome.outcome == 'ok' then
    table.insert(lines, field(outcome, 'value_repr') or 'None')
  elseif field(outcome, 'message') then
    vim.list_extend(lines, vim.split(field(outcome, 'message'), '\n', { plain = true }))
  end
  for _, stream in ipairs({ 'stdout', 'stderr' }) do
    local text = field(outcome, stream)
    if text and text ~= '' then
      table.insert(lines, '--- ' .. stream .. ' ---')
      vim.list_extend(lines, vim.split((text:gsub('\n$', '')), '\n', { plain = true }))
    end
  end
  return lines
end

return M
