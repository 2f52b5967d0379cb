--- The sandbox functions of a buffer as the server's analysis sees them
--- (`aviato/sandboxFunctions`, docs/lsp.md), and what running one asks of the
--- editor. The plugin parses no Python itself.
local M = {}

M.RUN_COMMAND = 'aviato.run'
M.CANCEL_COMMAND = 'aviato.cancelRun'
M.EXPLAIN_COMMAND = 'aviato.explain'
M.REQUEST = 'aviato/sandboxFunctions'

--- Whether `value` is the argument object of `aviato.run`.
function M.is_run_arguments(value)
  return type(value) == 'table'
    and type(value.uri) == 'string'
    and type(value['function']) == 'string'
    and type(value.line) == 'number'
end

--- The `aviato.run` arguments of a code lens, if it has them.
function M.run_arguments(lens)
  for _, arg in ipairs((lens.command and lens.command.arguments) or {}) do
    if M.is_run_arguments(arg) then
      return arg
    end
  end
end

--- Whether the client's server answers `aviato/sandboxFunctions`.
function M.supported(client)
  local experimental = client.server_capabilities.experimental
  return type(experimental) == 'table' and experimental.sandboxFunctions == true
end

local function present(value)
  return value ~= nil and value ~= vim.NIL
end

--- What running `fn` (one entry of the answer) asks of the editor:
--- `{ kind = 'explain' | 'run' | 'ask', args = <aviato.run arguments>, label = 'add(2, 3)',
---   prompt = ..., default_hint = ... }`. A function that cannot run is explained by the
--- server; one that runs without arguments runs with the first static call's (or its
--- defaults); otherwise the user is asked, with an example fitting the parameters.
function M.plan(fn)
  local args = { uri = fn.run.uri, ['function'] = fn.run['function'], line = fn.run.line }
  if present(fn.cannotRun) then
    return { kind = 'explain', args = args }
  end
  if fn.runsWithoutArguments then
    local label = fn.name .. '()'
    if present(fn.defaultCallSite) then
      for _, site in ipairs(fn.callSites or {}) do
        if site.line == fn.defaultCallSite then
          label = site.text:gsub('([%(%[{])%s*\n%s*', '%1'):gsub('%s*\n%s*([%)%]}])', '%1'):gsub('%s*\n%s*', ' ')
        end
      end
    end
    return { kind = 'run', args = args, label = label }
  end
  return {
    kind = 'ask',
    args = args,
    prompt = string.format('Arguments for %s: ', fn.signature),
    example = fn.exampleArguments ~= '' and fn.exampleArguments or nil,
  }
end

return M
