--- "Run in sandbox": the `aviato.run` command from a code lens or `:AviatoRun`,
--- cancellation, streamed output, and what to show when a run ends. The value
--- inline (inlay hint) and the error at the raising line (diagnostic) come
--- from the server; virtual text stands in when the server has no inlay hints.
local functions = require('aviato.functions')
local outcome_view = require('aviato.outcome')
local output = require('aviato.output')

local M = {}

local namespace = vim.api.nvim_create_namespace('aviato.run')
local in_flight = {} ---@type table<string, {id: integer, args: table, bufnr: integer, client_id: integer, streamed: boolean}>
local next_id = 0
local remembered_args = {} ---@type table<string, string>

--- The outcome of the last run that finished, `{args = ..., outcome = ...}`.
M.last = nil

local function run_key(args)
  return string.format('%s#%s@%s', args.uri, args['function'], args.line)
end

--- The aviato-lsp client attached to `bufnr`.
function M.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = 'aviato' })[1]
end

local function supports_command(client, command)
  local provider = client.server_capabilities.executeCommandProvider
  return type(provider) == 'table' and vim.list_contains(provider.commands or {}, command)
end

--- The runs in flight, oldest first.
function M.in_flight()
  local runs = vim.tbl_values(in_flight)
  table.sort(runs, function(a, b)
    return a.id < b.id
  end)
  return runs
end

--- Statusline text: `Running add…`, `2 sandbox runs…`, or ''.
function M.status()
  local runs = M.in_flight()
  if #runs == 0 then
    return ''
  elseif #runs == 1 then
    return 'Running ' .. runs[1].args['function'] .. '…'
  end
  return #runs .. ' sandbox runs…'
end

local function changed()
  vim.api.nvim_exec_autocmds('User', { pattern = 'AviatoRunStatus', modeline = false })
end

local function show_value(run, result)
  local client = vim.lsp.get_client_by_id(run.client_id)
  if not client or client:supports_method('textDocument/inlayHint') then
    return -- the server shows the value as an inlay hint
  end
  local bufnr = run.bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  -- `line` of aviato.run is the 1-based line of the function's name.
  local def_line = run.args.line - 1
  if def_line >= vim.api.nvim_buf_line_count(bufnr) then
    return
  end
  local text = '→ ' .. outcome_view.clip(outcome_view.field(result, 'value_repr') or 'None', 60)
  vim.api.nvim_buf_clear_namespace(bufnr, namespace, def_line, def_line + 1)
  vim.api.nvim_buf_set_extmark(bufnr, namespace, def_line, 0, {
    virt_text = { { text, 'DiagnosticHint' } },
    virt_text_pos = 'eol',
  })
end

--- The outcome as the server words it: its report in the output buffer, its
--- summary as a message.
local function present(run, result)
  local args = run.args
  M.last = { args = args, outcome = result }
  if not run.streamed then
    for _, stream in ipairs({ 'stdout', 'stderr' }) do
      local text = outcome_view.field(result, stream)
      if text and text ~= '' then
        M.on_run_output(nil, { uri = args.uri, ['function'] = args['function'], line = args.line, stream = stream, text = text })
      end
    end
    M.flush_partial(args)
  end
  local report = vim.split(((outcome_view.field(result, 'report') or ''):gsub('\n$', '')), '\n', { plain = true })
  output.append(vim.tbl_map(function(line)
    return line == '' and '' or ('  ' .. line)
  end, report))
  local summary = args['function'] .. ' ' .. (outcome_view.field(result, 'summary') or result.outcome)
  if result.outcome == 'ok' then
    show_value(run, result)
    vim.notify('aviato: ' .. summary, vim.log.levels.INFO)
    return
  end
  local level = (result.outcome == 'raised' or result.outcome == 'refused') and vim.log.levels.WARN
    or vim.log.levels.ERROR
  vim.notify('aviato: ' .. summary .. ' (:AviatoOutput for details)', level)
end

--- Sends `aviato.run` with `args` and shows the outcome. A new run of the same
--- function replaces the old one, as on the server. `label` is the call as the
--- output's header shows it (`add(2, 3)`), when known before the run.
function M.execute(args, bufnr, client, label)
  next_id = next_id + 1
  local run = { id = next_id, args = args, bufnr = bufnr, client_id = client.id, streamed = false }
  local key = run_key(args)
  in_flight[key] = run
  changed()
  local call_site = args.callSite ~= vim.NIL and args.callSite or nil
  output.append({
    string.format(
      '▶ %s · %s:%d',
      label or outcome_view.call_label(args['function'], args.args, call_site),
      vim.fs.basename(vim.uri_to_fname(args.uri)),
      args.line
    ),
  })
  client:request('workspace/executeCommand', { command = functions.RUN_COMMAND, arguments = { args } }, function(err, result)
    if in_flight[key] ~= run then
      return -- replaced by a newer run of the same function
    end
    in_flight[key] = nil
    changed()
    M.flush_partial(args)
    if err then
      output.append({ '  run failed: ' .. err.message })
      vim.notify(string.format('aviato: running %s failed: %s', args['function'], err.message), vim.log.levels.ERROR)
    elseif outcome_view.is_outcome(result) then
      present(run, result)
    end
    if vim.api.nvim_buf_is_valid(bufnr) and client:supports_method('textDocument/codeLens') then
      vim.lsp.codelens.refresh({ bufnr = bufnr })
    end
  end, bufnr)
end

--- Client-side handler of `aviato.run` so that a code lens click goes through
--- `M.execute` (and shows its outcome) instead of the default reply handler.
function M.lens_command(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local args = vim.iter(command.arguments or {}):find(functions.is_run_arguments)
  if client and args then
    -- A call site's lens names the call: `▶ Run add(2, 3)`.
    local call = (command.title or ''):match('^▶ Run (.+%))$')
    M.execute(args, ctx.bufnr, client, call)
  end
end

local function stream_prefix(stream)
  return stream == 'stderr' and '  stderr│ ' or '  stdout│ '
end

--- Per run and stream, output after its last newline.
local partial = {} ---@type table<string, string>

--- `aviato/runOutput`: appends a run's stdout/stderr to the output buffer as it
--- arrives: whole lines at once, the start of a line once it ends (or the run does).
function M.on_run_output(_, params)
  for _, run in pairs(in_flight) do
    if run.args.uri == params.uri and run.args['function'] == params['function'] then
      run.streamed = true
    end
  end
  local key = params.uri .. '#' .. params['function'] .. '#' .. params.stream
  local lines = vim.split((partial[key] or '') .. (params.text or ''), '\n', { plain = true })
  local rest = table.remove(lines)
  partial[key] = rest ~= '' and rest or nil
  if #lines > 0 then
    local prefix = stream_prefix(params.stream)
    output.append(vim.tbl_map(function(line)
      return prefix .. line
    end, lines))
  end
end

--- The end of a run's output that no newline ended.
function M.flush_partial(args)
  for _, stream in ipairs({ 'stdout', 'stderr' }) do
    local key = args.uri .. '#' .. args['function'] .. '#' .. stream
    if partial[key] then
      output.append({ stream_prefix(stream) .. partial[key] })
      partial[key] = nil
    end
  end
end

local function ask_arguments(fn, plan, callback)
  local memory_key = fn.run.uri .. '#' .. fn.name
  vim.ui.input({
    prompt = plan.prompt,
    default = remembered_args[memory_key] or plan.example or '',
  }, function(input)
    if input == nil then
      return
    end
    remembered_args[memory_key] = vim.trim(input)
    callback(vim.trim(input))
  end)
end

--- Runs the sandbox function under the cursor, found by the server's analysis
--- (lenses or not). `opts.args` (Python call arguments, e.g. `2, 3`) skips the
--- prompt.
function M.run_at_cursor(opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    vim.notify('aviato: aviato-lsp is not attached to this buffer (:checkhealth aviato)', vim.log.levels.WARN)
    return
  end
  if not supports_command(client, functions.RUN_COMMAND) or not functions.supported(client) then
    vim.notify(
      'aviato: this aviato-lsp cannot run the function under the cursor (no aviato.run or aviato/sandboxFunctions); update it',
      vim.log.levels.WARN
    )
    return
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  client:request(functions.REQUEST, params, function(err, found)
    if err then
      vim.notify('aviato: finding the sandbox function failed: ' .. err.message, vim.log.levels.ERROR)
      return
    end
    local fn = (found or {})[1]
    if not fn then
      vim.notify('aviato: the cursor is not inside a sandbox function (@session.function())', vim.log.levels.WARN)
      return
    end
    local plan = functions.plan(fn)
    if plan.kind == 'explain' then
      -- The server says why it cannot run.
      client:exec_cmd({ title = 'explain', command = functions.EXPLAIN_COMMAND, arguments = { plan.args } }, { bufnr = bufnr })
      return
    end
    local args = plan.args
    if opts.args and opts.args ~= '' then
      remembered_args[fn.run.uri .. '#' .. fn.name] = opts.args
      args.args = opts.args
      M.execute(args, bufnr, client)
    elseif plan.kind == 'ask' then
      ask_arguments(fn, plan, function(input)
        args.args = input
        M.execute(args, bufnr, client)
      end)
    else
      M.execute(args, bufnr, client, plan.label)
    end
  end, bufnr)
end

local function cancel(run)
  local client = vim.lsp.get_client_by_id(run.client_id)
  if not client then
    return
  end
  local target = { uri = run.args.uri, ['function'] = run.args['function'], line = run.args.line }
  client:request('workspace/executeCommand', { command = functions.CANCEL_COMMAND, arguments = { target } }, function(err)
    if err then
      vim.notify('aviato: cancel failed: ' .. err.message, vim.log.levels.ERROR)
    end
  end, run.bufnr)
end

--- Cancels the run in flight (asks which when there are several).
function M.cancel()
  local runs = M.in_flight()
  if #runs == 0 then
    vim.notify('aviato: no run in flight', vim.log.levels.INFO)
  elseif #runs == 1 then
    cancel(runs[1])
  else
    vim.ui.select(runs, {
      prompt = 'Cancel which run?',
      format_item = function(run)
        return string.format('%s (line %d)', run.args['function'], run.args.line)
      end,
    }, function(run)
      if run then
        cancel(run)
      end
    end)
  end
end

--- Clears the fallback value text of `bufnr` (when the buffer changes).
function M.clear_values(bufnr)
  vim.api.nvim_buf_clear_namespace(bufnr, namespace, 0, -1)
end

return M
