--- The run output: a scratch buffer with each run's stdout, stderr and report,
--- shown on demand (`:AviatoOutput`).
local M = {}

local NAME = 'aviato://output'
local buf

local function buffer()
  if buf and vim.api.nvim_buf_is_valid(buf) then
    return buf
  end
  buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, NAME)
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  vim.bo[buf].filetype = 'aviato-output'
  vim.bo[buf].modifiable = false
  return buf
end

--- Appends lines, scrolling windows that show the end of the buffer.
function M.append(lines)
  local b = buffer()
  vim.bo[b].modifiable = true
  local count = vim.api.nvim_buf_line_count(b)
  local empty = count == 1 and vim.api.nvim_buf_get_lines(b, 0, 1, false)[1] == ''
  vim.api.nvim_buf_set_lines(b, empty and 0 or count, -1, false, lines)
  vim.bo[b].modifiable = false
  for _, win in ipairs(vim.fn.win_findbuf(b)) do
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(b), 0 })
  end
end

--- The buffer's lines (for tests and `:AviatoOutput`).
function M.lines()
  return vim.api.nvim_buf_get_lines(buffer(), 0, -1, false)
end

--- Shows the buffer in a split below, or focuses the window showing it.
function M.open()
  local b = buffer()
  local win = vim.fn.win_findbuf(b)[1]
  if win then
    vim.api.nvim_set_current_win(win)
  else
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, b)
    vim.api.nvim_win_set_height(0, math.max(8, math.floor(vim.o.lines / 4)))
  end
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(b), 0 })
end

return M
