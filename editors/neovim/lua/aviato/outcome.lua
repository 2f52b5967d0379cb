--- Reading the run outcome the server returns from `aviato.run`: the JSON of
--- `aviato-lsp run --output-format json` (docs/run-output.md), whose fields are
--- always present, `null` (vim.NIL) when they have nothing to say. One-line
--- summaries and a Python-style report.
local M = {}

--- The field `name` of `outcome`, nil for JSON null.
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
  -- The exception raised in the sandbox, as Python prints it; the SDK's view of
  -- it (exception_type, which may be nil) is explained in the notes.
  local real = field(outcome, 'real_exception_type')
  local kind = real or field(outcome, 'exception_type') or 'Exception'
  local message = field(outcome, real and 'real_exception_message' or 'exception_message')
  if message and message ~= '' then
    return kind .. ': ' .. message
  end
  return kind
end

--- The notes of an outcome (its `note`, one note per line).
function M.notes(outcome)
  return vim.tbl_filter(function(line)
    return vim.trim(line) ~= ''
  end, vim.split(field(outcome, 'note') or '', '\n', { plain = true }))
end

--- How long a `timeout` outcome ran before it was stopped, in seconds as the
--- server wrote them in `message` (`wall-clock limit of 30 s reached`, `... did
--- not exit within 30 s ...`, `... still creating after 120 s`), else the
--- run's duration.
function M.timeout_seconds(outcome)
  local message = field(outcome, 'message') or ''
  for _, lead in ipairs({ 'limit of ', 'within ', 'after ' }) do
    local seconds = message:match(vim.pesc(lead) .. '(%d+%.?%d*) s%f[%W]')
    if seconds then
      return seconds
    end
  end
  local tenths = math.floor((field(outcome, 'duration_ms') or 0) / 100 + 0.5)
  return tenths % 10 == 0 and tostring(math.floor(tenths / 10)) or string.format('%.1f', tenths / 10)
end

--- Whether a `killed` outcome was a cancellation rather than a limit or a signal.
function M.was_cancelled(outcome)
  local message = field(outcome, 'message') or ''
  return outcome.outcome == 'killed' and (message == 'cancelled' or message:sub(1, 10) == 'cancelled:')
end

--- `5 (int)`: a value's repr with its type.
function M.value_line(outcome)
  local repr = field(outcome, 'value_repr') or 'None'
  local kind = field(outcome, 'value_type')
  if kind and kind ~= 'NoneType' then
    return string.format('%s (%s)', repr, kind)
  end
  return repr
end

--- The line that says `stream` was cut, or nil when it was not.
function M.truncation_note(outcome, stream)
  if field(outcome, stream .. '_truncated') == true then
    return string.format('… %s truncated: the run printed more than is kept (run.limits.outputKb)', stream)
  end
end

local function clip(text, max)
  text = tostring(text):gsub('%s*\n%s*', ' ')
  if vim.fn.strchars(text) > max then
    return vim.fn.strcharpart(text, 0, max - 1) .. '…'
  end
  return text
end
M.clip = clip

--- One line saying how a run of `name` ended.
function M.summarize(name, outcome)
  local kind = outcome.outcome
  local message = field(outcome, 'message')
  if kind == 'ok' then
    return string.format(
      '%s → %s · %d ms',
      name,
      clip(field(outcome, 'value_repr') or 'None', 80),
      field(outcome, 'duration_ms') or 0
    )
  elseif kind == 'raised' then
    return string.format('%s raised %s', name, clip(M.exception_line(outcome), 120))
  elseif kind == 'refused' then
    local code = field(outcome, 'code')
    return string.format(
      '%s cannot run: %s%s',
      name,
      message or field(outcome, 'exception_message') or 'refused',
      code and (' (' .. code .. ')') or ''
    )
  elseif kind == 'timeout' then
    return string.format('%s timed out after %s s', name, M.timeout_seconds(outcome))
  elseif kind == 'killed' then
    if M.was_cancelled(outcome) then
      return string.format('%s was %s', name, message)
    end
    return string.format('%s was killed: %s', name, message or 'by the sandbox')
  end
  return string.format('%s could not run: %s', name, message or field(outcome, 'exception_message') or 'sandbox error')
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

local function describe(outcome)
  local kind = outcome.outcome
  local ms = string.format(' in %d ms', field(outcome, 'duration_ms') or 0)
  if kind == 'ok' then
    return 'returned' .. ms
  elseif kind == 'raised' then
    return 'raised ' .. (field(outcome, 'real_exception_type') or field(outcome, 'exception_type') or 'an exception') .. ms
  elseif kind == 'refused' then
    local code = field(outcome, 'code')
    return 'was refused' .. (code and (' (' .. code .. ')') or '')
  elseif kind == 'timeout' then
    return string.format('timed out after %s s', M.timeout_seconds(outcome))
  elseif kind == 'killed' then
    return M.was_cancelled(outcome) and ('was ' .. field(outcome, 'message')) or ('was killed' .. ms)
  end
  return 'could not run'
end

--- Where it ran: `local backend, python:3.11, Python 3.11.7`.
local function where(outcome)
  local parts = {}
  local backend = field(outcome, 'backend')
  if backend then
    table.insert(parts, backend .. ' backend')
  end
  table.insert(parts, field(outcome, 'image'))
  local version = field(outcome, 'python_version')
  table.insert(parts, version and ('Python ' .. version) or field(outcome, 'interpreter'))
  return table.concat(parts, ', ')
end

--- The report as lines: what ended the run, the traceback with source lines and
--- the exception, the value, the notes, then stdout and stderr.
--- `line_text(file, line)` returns a frame's source line when known.
function M.report(call, outcome, line_text)
  local place = where(outcome)
  local lines = { string.format('%s %s%s', call, describe(outcome), place ~= '' and (' (' .. place .. ')') or '') }
  local kind = outcome.outcome
  local message = field(outcome, 'message')
  if message and kind ~= 'ok' and kind ~= 'raised' and not M.was_cancelled(outcome) then
    vim.list_extend(lines, vim.split(message, '\n', { plain = true }))
  end
  local traceback = field(outcome, 'traceback') or {}
  -- A memory limit, or a timeout after the function raised, keeps the exception.
  if field(outcome, 'exception_type') or field(outcome, 'real_exception_type') or #traceback > 0 then
    table.insert(lines, 'Traceback (most recent call last):')
    for _, frame in ipairs(traceback) do
      table.insert(lines, string.format('  File "%s", line %d, in %s', frame.file, frame.line, frame['function']))
      local source = line_text(frame.file, frame.line)
      if source and vim.trim(source) ~= '' then
        table.insert(lines, '    ' .. vim.trim(source))
      end
    end
    table.insert(lines, M.exception_line(outcome))
  elseif field(outcome, 'value_repr') then
    table.insert(lines, M.value_line(outcome))
  end
  for _, note in ipairs(M.notes(outcome)) do
    table.insert(lines, 'note: ' .. note)
  end
  for _, stream in ipairs({ 'stdout', 'stderr' }) do
    local text = field(outcome, stream) or ''
    local truncated = M.truncation_note(outcome, stream)
    if text ~= '' or truncated then
      table.insert(lines, '--- ' .. stream .. ' ---')
      if text ~= '' then
        vim.list_extend(lines, vim.split((text:gsub('\n$', '')), '\n', { plain = true }))
      end
      if truncated then
        table.insert(lines, truncated)
      end
    end
  end
  return lines
end

return M
