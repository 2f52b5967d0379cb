--- Reading the run outcome the server returns from `aviato.run`: the JSON of
--- `aviato-lsp run --output-format json` (docs/run-output.md), whose fields are
--- always present, `null` (vim.NIL) when they have nothing to say. The server
--- words it (`summary`, `report`); this only reads it.
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

local function clip(text, max)
  text = tostring(text):gsub('%s*\n%s*', ' ')
  if vim.fn.strchars(text) > max then
    return vim.fn.strcharpart(text, 0, max - 1) .. '…'
  end
  return text
end
M.clip = clip

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

return M
