--- :checkhealth aviato
local M = {}

function M.check()
  vim.health.start('aviato')
  if vim.fn.has('nvim-0.11') == 1 then
    vim.health.ok('Neovim ' .. tostring(vim.version()))
  else
    vim.health.error('Neovim 0.11 or newer is required (vim.lsp.config, vim.lsp.enable)')
  end

  local aviato = require('aviato')
  local found = aviato.resolve()
  if found.cmd then
    local binary = found.cmd[1]
    local result = vim.system({ binary, '--version' }, { text = true }):wait()
    if result.code == 0 then
      vim.health.ok(string.format('%s (from %s): %s', vim.fn.exepath(binary), found.source, vim.trim(result.stdout or '')))
    else
      vim.health.error(string.format('%s --version failed: %s', binary, vim.trim(result.stderr or '')))
    end
  else
    vim.health.error('aviato-lsp was not found; looked at: ' .. table.concat(found.searched, '; '), {
      'pip install aviato-lsp   (in the venv Neovim is started from, or uv tool install aviato-lsp)',
      "require('aviato').setup({ server = { path = '/path/to/aviato-lsp' } })",
    })
  end

  local clients = vim.lsp.get_clients({ name = 'aviato' })
  if #clients > 0 then
    local client = clients[1]
    local info = client.server_info or {}
    vim.health.ok(string.format('running: %s %s (client %d)', info.name or 'aviato-lsp', info.version or '', client.id))
    vim.health.ok('position encoding: ' .. tostring(client.offset_encoding))
    local commands = (client.server_capabilities.executeCommandProvider or {}).commands or {}
    vim.health.info('commands: ' .. table.concat(commands, ', '))
    if require('aviato.functions').supported(client) then
      vim.health.ok(':AviatoRun finds functions through aviato/sandboxFunctions')
    else
      vim.health.warn('this aviato-lsp does not answer aviato/sandboxFunctions: :AviatoRun cannot find functions', {
        'update aviato-lsp',
      })
    end
  else
    vim.health.info('no aviato client running (open a Python file)')
  end

  if vim.fn.executable('bwrap') == 1 then
    vim.health.ok('bubblewrap found: the local sandbox backend can run functions')
  else
    vim.health.warn('bwrap not found: "Run in sandbox" on the local backend needs it', { 'sudo apt-get install bubblewrap' })
  end
end

return M
