--- :checkhealth aviato
local M = {}

function M.check()
  vim.health.start('aviato')
  if vim.fn.has('nvim-0.11') == 1 then
    vim.health.ok('Neovim ' .. tostring(vim.version()))
  else
    vim.health.error('Neovim 0.11 or newer is required (vim.lsp.config, vim.lsp.enable)')
  end

  local cmd = require('aviato').command()
  if vim.fn.executable(cmd[1]) == 1 then
    local version = vim.system({ cmd[1], '--version' }, { text = true }):wait()
    vim.health.ok(string.format('%s: %s', vim.fn.exepath(cmd[1]), vim.trim(version.stdout or '')))
  else
    vim.health.error(cmd[1] .. ' is not executable', {
      'cargo build --release -p aviato-lsp',
      "require('aviato').setup({ server = { path = '/path/to/target/release/aviato-lsp' } })",
    })
  end

  local clients = vim.lsp.get_clients({ name = 'aviato' })
  if #clients > 0 then
    local commands = (clients[1].server_capabilities.executeCommandProvider or {}).commands or {}
    vim.health.ok(string.format('running (client %d); commands: %s', clients[1].id, table.concat(commands, ', ')))
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
