// End-to-end test of the VS Code extension in a real VS Code (code-server),
// driven through headless Chromium with playwright-core, against the real
// aviato-lsp. Run it through tests/editors/run-vscode.sh, which installs the
// extension, starts code-server and sets:
//   AVIATO_E2E_URL          code-server's address (http://127.0.0.1:PORT)
//   AVIATO_E2E_WORKSPACE    folder holding sandbox_app.py
//   AVIATO_E2E_SCREENSHOTS  where the PNG screenshots go
//   AVIATO_E2E_PROFILE      Chromium's profile folder
//   AVIATO_LSP_BIN          the server binary (probed for its capabilities)
//   AVIATO_E2E_USER_DATA    code-server's user data folder (settings, logs)
//   AVIATO_E2E_WRAPPER      a script that starts AVIATO_LSP_BIN, leaving a mark
//   AVIATO_E2E_WRAPPER_MARK the file it appends to each time it starts
//   PLAYWRIGHT_DIR, CHROMIUM_BIN
//
// Checks for server features not built yet print `SKIP: <why>`; they turn on
// by themselves once the server advertises the feature. With
// AVIATO_E2E_NO_SKIP=1 a skip is a failure.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const url = env("AVIATO_E2E_URL");
const workspace = env("AVIATO_E2E_WORKSPACE");
const screenshots = env("AVIATO_E2E_SCREENSHOTS");
const server = env("AVIATO_LSP_BIN");
const fixture = path.join(workspace, "sandbox_app.py");
const userData = env("AVIATO_E2E_USER_DATA");
const wrapper = env("AVIATO_E2E_WRAPPER");
const wrapperMark = env("AVIATO_E2E_WRAPPER_MARK");
const WAIT_MS = Number(process.env.AVIATO_E2E_WAIT_MS ?? 20000);
const RUN_WAIT_MS = 60000;
// Set once the server has every feature: a check that would skip then fails.
const NO_SKIP = Boolean(process.env.AVIATO_E2E_NO_SKIP);

const { chromium } = createRequire(path.join(env("PLAYWRIGHT_DIR"), "package.json"))("playwright-core");

// ---------------------------------------------------------------------------
// What the server can do, asked the way the editor asks: `initialize`.

function serverCapabilities() {
  return new Promise((resolve, reject) => {
    const child = spawn(server, ["server"], { stdio: ["pipe", "pipe", "ignore"] });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error("aviato-lsp did not answer initialize in 10 s"));
    }, 10000);
    let buffer = Buffer.alloc(0);
    const send = (message) => {
      const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }));
      child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
      child.stdin.write(body);
    };
    child.stdout.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0) return;
        const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, headerEnd).toString())[1]);
        if (buffer.length < headerEnd + 4 + length) return;
        const message = JSON.parse(buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString());
        buffer = buffer.subarray(headerEnd + 4 + length);
        if (message.id === 1) {
          send({ id: 2, method: "shutdown" });
        } else if (message.id === 2) {
          send({ method: "exit" });
        }
        if (message.id === 1) initialized = message.result;
      }
    });
    let initialized;
    child.on("exit", () => {
      clearTimeout(timer);
      if (initialized) resolve(initialized.capabilities);
      else reject(new Error("aviato-lsp exited before answering initialize"));
    });
    send({ id: 1, method: "initialize", params: { processId: process.pid, rootUri: null, capabilities: {} } });
  });
}

const capabilities = await serverCapabilities();
// What `aviato-lsp check` reports on the fixture (exit 1 means it found errors).
const checked = spawnSync(server, ["check", "--output-format", "json", fixture], { encoding: "utf8" });
if (checked.status !== 0 && checked.status !== 1) throw new Error(`aviato-lsp check failed: ${checked.stderr}`);
const expected = JSON.parse(checked.stdout);
const hasLenses = capabilities.codeLensProvider !== undefined && capabilities.codeLensProvider !== null;
const canRun = (capabilities.executeCommandProvider?.commands ?? []).includes("aviato.run");
const hasQuickFixes = Boolean(capabilities.codeActionProvider);

// ---------------------------------------------------------------------------
// A tiny check runner: PASS / FAIL / SKIP lines and a closing count.

const counts = { passed: 0, failed: 0, skipped: 0 };
class Skip extends Error {}
const skip = (reason) => {
  throw new Skip(reason);
};
let shot = 0;

async function check(name, body) {
  try {
    await body();
    counts.passed++;
    console.log(`PASS: ${name}`);
  } catch (error) {
    if (error instanceof Skip && !NO_SKIP) {
      counts.skipped++;
      console.log(`SKIP: ${error.message}`);
      return;
    }
    counts.failed++;
    const why = error instanceof Skip ? `${error.message} (AVIATO_E2E_NO_SKIP is set)` : String(error?.stack ?? error);
    console.log(`FAIL: ${name}\n  ${why.replaceAll("\n", "\n  ")}`);
    await screenshot(`failed-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)}`).catch(() => {});
    // Leave no prompt or menu open for the next check.
    await page.keyboard.press("Escape").catch(() => {});
    await page.keyboard.press("Escape").catch(() => {});
  }
}

async function waitFor(what, condition, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await condition();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

// ---------------------------------------------------------------------------
// The browser and the workbench.

const context = await chromium.launchPersistentContext(env("AVIATO_E2E_PROFILE"), {
  executablePath: env("CHROMIUM_BIN"),
  headless: true,
  viewport: { width: 1500, height: 1200 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const page = context.pages()[0] ?? (await context.newPage());
const hardStop = setTimeout(() => {
  console.log("FAIL: the whole test took over 300 s");
  process.exit(3);
}, 300000);

async function screenshot(name) {
  shot++;
  const file = path.join(screenshots, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

const editor = () => page.locator(".editor-instance .monaco-editor").first();

/** The visible lines of the editor: text and vertical position. */
async function viewLines() {
  return editor().evaluate((root) =>
    [...root.querySelectorAll(".view-lines .view-line")]
      .map((line) => ({ text: line.textContent.replace(/\u00a0/g, " "), top: line.getBoundingClientRect().top }))
      .sort((a, b) => a.top - b.top),
  );
}

async function lineContaining(text) {
  return waitFor(`a line with ${JSON.stringify(text)}`, async () =>
    (await viewLines()).find((line) => line.text.includes(text)),
  );
}

/** The links of the code lens rendered right above a line at `top` (page pixels). */
async function lensLinksAbove(top) {
  return editor().evaluate((root, lineTop) => {
    const above = [...root.querySelectorAll(".codelens-decoration")]
      .map((element) => ({ element, rect: element.getBoundingClientRect() }))
      .filter(({ rect }) => rect.bottom <= lineTop + 2 && rect.bottom > lineTop - 40)
      .sort((a, b) => b.rect.bottom - a.rect.bottom)[0];
    return [...(above?.element.querySelectorAll("a") ?? [])].map((link) => {
      const rect = link.getBoundingClientRect();
      return { text: link.textContent, x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
    });
  }, top);
}

/** The lens links of sandbox function `name`: above its decorator, else above its def. */
async function functionLensLinks(name) {
  const lines = await viewLines();
  const def = lines.findIndex((line) => line.text.includes(`def ${name}(`));
  if (def < 0) return [];
  let first = def;
  while (first > 0 && lines[first - 1].text.trim().startsWith("@")) first--;
  for (const index of [first, def]) {
    const links = await lensLinksAbove(lines[index].top);
    if (links.length) return links;
  }
  return [];
}

async function callSiteLensLinks(text) {
  return lensLinksAbove((await lineContaining(text)).top);
}

async function clickFunctionLens(name, pattern = /Run/) {
  const link = (await functionLensLinks(name)).find((candidate) => pattern.test(candidate.text));
  if (!link) throw new Error(`no lens matching ${pattern} on ${name}`);
  await page.mouse.click(link.x, link.y);
}

async function problemsText() {
  return page.locator(".markers-panel").first().innerText().catch(() => "");
}

async function showProblems() {
  if (!(await page.locator(".markers-panel").first().isVisible().catch(() => false))) {
    await page.keyboard.press("Control+Shift+M");
  }
  await page.locator(".markers-panel").first().waitFor({ state: "visible", timeout: WAIT_MS });
}

async function hideProblems() {
  if (await page.locator(".markers-panel").first().isVisible().catch(() => false)) {
    await runPaletteCommand("View: Hide Panel");
    await page.locator(".markers-panel").first().waitFor({ state: "hidden", timeout: WAIT_MS });
  }
}

/** The text of an editor's visible lines, with Monaco's non-breaking spaces made plain. */
async function editorText(locator) {
  return (await locator.innerText()).replace(/\u00a0/g, " ");
}

async function focusEditor() {
  await runPaletteCommand("View: Focus First Editor Group");
  await waitFor("the editor to take the keyboard focus", () =>
    page.evaluate(() => Boolean(document.activeElement?.closest(".editor-instance .monaco-editor"))),
  );
}

async function runPaletteCommand(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: WAIT_MS });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor({ timeout: WAIT_MS });
  await page.keyboard.press("Enter");
}

/**
 * The fixture's lines as saved. The editor may be saving it at that moment (the
 * file is then briefly empty on disk): read again until it holds text.
 */
async function savedFixtureLines() {
  const text = await waitFor("the fixture to be readable", async () => readFileSync(fixture, "utf8") || undefined);
  return text.split("\n");
}

/** Puts the cursor on the first line of the fixture containing `text` (at 1-based `column`). */
async function goToLineWith(text, column = 1) {
  const number = (await savedFixtureLines()).findIndex((line) => line.includes(text)) + 1;
  if (number < 1) throw new Error(`no line with ${text} in the fixture`);
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: WAIT_MS });
  await input.fill(`:${number}:${column}`);
  await page.keyboard.press("Enter");
  return number;
}

/** The editor's lines; the fixture fits the viewport once the panel is hidden. */
async function fixtureLines() {
  return (await viewLines()).map((line) => line.text);
}

/** An output channel (`Aviato` by default), as VS Code writes it to its log folder. */
function aviatoLog(channel = "Aviato") {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      // A log channel is NAME.log; a plain output channel N-NAME.log.
      else if (entry.name === `${channel}.log` || entry.name.endsWith(`-${channel}.log`)) found.push(full);
    }
  };
  const logs = path.join(userData, "logs");
  if (existsSync(logs)) walk(logs);
  return found.map((file) => readFileSync(file, "utf8")).join("\n");
}

/** The `Starting ...` lines of the Aviato channel: one per server start. */
const serverStarts = () => aviatoLog().split("\n").filter((line) => /Starting \S+ \(from \w+\)/.test(line));

/** Writes code-server's Machine settings, where aviato.server.path is read from. */
function setMachineSettings(settings) {
  writeFileSync(path.join(userData, "Machine", "settings.json"), JSON.stringify(settings, null, 2));
}

// ---------------------------------------------------------------------------

console.log(`vscode e2e: screenshots in ${screenshots}`);

await check("VS Code opens the workspace and the fixture from the Explorer", async () => {
  await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
  const row = page.locator('.explorer-folders-view .monaco-list-row[aria-label*="sandbox_app.py"]').first();
  await row.waitFor({ timeout: 60000 });
  await row.click();
  await page.locator(".tab", { hasText: "sandbox_app.py" }).first().waitFor({ timeout: WAIT_MS });
  await lineContaining("def check_positive(");
  await screenshot("opened");
});

await check("with aviato.server.path unset and none on PATH, the server bundled in the .vsix runs", async () => {
  const start = await waitFor("the Aviato channel to say which server started", async () => serverStarts()[0]);
  if (!/bundled\/aviato-lsp \(from bundled\)/.test(start)) throw new Error(`not the bundled server: ${start}`);
  // The server logs at info here (aviato.server.extraEnv): routine lines stay info.
  const log = await waitFor("the server's own log lines", async () => {
    const text = aviatoLog();
    return /initialized with/.test(text) && text;
  });
  const initialized = log.split("\n").find((line) => /initialized with/.test(line));
  if (!/\[info\]/.test(initialized)) throw new Error(`an INFO line of the server is not shown as info: ${initialized}`);
  if (/\[error\]/.test(log)) throw new Error(`errors in the Aviato channel:\n${log}`);
});

/** The error count the status bar shows (the first number of its problems item). */
async function statusBarErrors() {
  const text = await page.locator("#status\\.problems").first().innerText().catch(() => "");
  const match = /\d+/.exec(text);
  return match ? Number(match[0]) : undefined;
}

/** Moves the cursor to the end of the fixture and waits until the status bar shows it there. */
async function cursorToEnd() {
  const last = (await savedFixtureLines()).length;
  await waitFor(`the cursor on line ${last}`, async () => {
    await page.keyboard.press("Control+End");
    const text = await page.locator("#status\\.editor\\.selection").first().innerText().catch(() => "");
    return new RegExp(`\\bLn ${last},`).test(text);
  });
}

await check("a syntax error shows the AV001 squiggle, status bar count and Problems entry", async () => {
  await focusEditor();
  await cursorToEnd();
  // Start from the settled state: the errors `aviato-lsp check` finds, no more.
  const errorsBefore = expected.filter((d) => d.severity === "error").length;
  await waitFor(`${errorsBefore} errors in the status bar`, async () => (await statusBarErrors()) === errorsBefore);
  const squigglesBefore = await editor().locator(".squiggly-error").count();
  await page.keyboard.type("broken = (", { delay: 10 });
  await waitFor("a new error squiggle", async () => (await editor().locator(".squiggly-error").count()) > squigglesBefore);
  await waitFor("the status bar error count to grow", async () => (await statusBarErrors()) > errorsBefore);
  await screenshot("syntax-error");
  await showProblems();
  const text = await waitFor("AV001 in Problems", async () => {
    const problems = await problemsText();
    return /AV001/.test(problems) && /SyntaxError/.test(problems) && problems;
  });
  if (!/aviato-lsp/.test(text)) throw new Error(`Problems entry does not name aviato-lsp:\n${text}`);
  await screenshot("syntax-error-problems");

  await focusEditor();
  await cursorToEnd();
  await page.keyboard.press("Shift+Home");
  await page.keyboard.press("Backspace");
  await waitFor("AV001 to leave Problems", async () => !/AV001/.test(await problemsText()));
  await waitFor("the status bar count to go back", async () => (await statusBarErrors()) === errorsBefore);
  await screenshot("syntax-error-fixed");
  await hideProblems();
});

await check("the rule diagnostics of `aviato-lsp check` appear in Problems", async () => {
  if (expected.length === 0) skip("server reports no rule diagnostics on the fixture yet (aviato-lsp check finds none)");
  await showProblems();
  for (const diagnostic of expected) {
    await waitFor(`${diagnostic.code} at line ${diagnostic.range.start.line}`, async () => {
      const problems = await problemsText();
      return problems.includes(diagnostic.code) && problems.includes(`Ln ${diagnostic.range.start.line}`);
    });
  }
  await screenshot("rule-diagnostics");
  await hideProblems();
});

await check('"Run in sandbox" lenses above each sandbox function and the literal call site', async () => {
  if (!hasLenses) skip("server has no code lenses yet");
  for (const name of ["add", "check_positive", "scale"]) {
    await waitFor(`the lens on ${name}`, async () => (await functionLensLinks(name)).some((link) => /Run/.test(link.text)));
  }
  await waitFor('"Run add(2, 3)" above the call', async () =>
    (await callSiteLensLinks("await add(2, 3)")).some((link) => /Run add\(2, 3\)/.test(link.text)),
  );
  await screenshot("lenses");
});

await check('clicking "Run in sandbox" on add shows → 5 inline', async () => {
  if (!hasLenses) skip('server has no code lenses yet: cannot click "Run in sandbox"');
  if (!canRun) skip("server does not offer the aviato.run command yet");
  await clickFunctionLens("add");
  await waitFor(
    "→ 5 after the def line or the call site",
    async () => (await viewLines()).some((line) => /def add\(|await add\(2, 3\)/.test(line.text) && /→\s*5\b/.test(line.text)),
    RUN_WAIT_MS,
  );
  await waitFor("the lens of add to show ✓ 5 · N ms", async () =>
    (await functionLensLinks("add")).some((link) => /^✓ 5 · \d+ ms$/.test(link.text)),
  );
  await screenshot("run-add");
});

await check("a failing function shows its error at the raising line; the traceback is one click away", async () => {
  if (!(hasLenses && canRun)) skip("server cannot run functions yet (no code lenses / aviato.run)");
  await clickFunctionLens("check_positive");
  const raiseLine = (await savedFixtureLines()).findIndex((line) => line.includes("raise ValueError")) + 1;
  await showProblems();
  await waitFor(
    "the aviato-run problem at the raise line",
    async () => {
      const problems = await problemsText();
      return problems.includes("x must be non-negative") && problems.includes("aviato-run") && problems.includes(`Ln ${raiseLine}`);
    },
    RUN_WAIT_MS,
  );
  await editor().locator(".squiggly-error").first().waitFor({ timeout: WAIT_MS });
  await waitFor("the lens of check_positive to show the exception", async () =>
    (await functionLensLinks("check_positive")).some((link) => link.text === "✗ ValueError: x must be non-negative"),
  );
  await screenshot("run-failing");
  const toast = page.locator(".notification-toast", { hasText: "check_positive ✗ ValueError" }).first();
  await toast.waitFor({ timeout: WAIT_MS });
  await toast.locator("a.monaco-button, .monaco-button", { hasText: "Show Traceback" }).first().click();
  await page.locator(".tab", { hasText: "check_positive run report" }).first().waitFor({ timeout: WAIT_MS });
  await waitFor("the traceback text", async () => {
    const text = await editorText(page.locator(".editor-instance .monaco-editor .view-lines").last());
    return text.includes("Traceback (most recent call last):") && text.includes("ValueError: x must be non-negative");
  });
  await screenshot("traceback");
  await page.keyboard.press("Control+W");
  await hideProblems();
});

await check("Run Function in Sandbox asks for arguments when there is no call site", async () => {
  if (!(hasLenses && canRun)) skip("server cannot run functions yet (no code lenses / aviato.run)");
  await focusEditor();
  await goToLineWith("return [value * factor");
  await runPaletteCommand("Aviato: Run Function in Sandbox");
  const input = page.locator(".quick-input-widget input");
  await waitFor("the arguments prompt for scale", async () =>
    /Arguments for scale\(values/.test(await page.locator(".quick-input-widget").innerText().catch(() => "")),
  );
  await input.fill("[1, 2], 3");
  await screenshot("arguments-prompt");
  await page.keyboard.press("Enter");
  await waitFor(
    "scale → [3, 6]",
    async () =>
      /scale → \[3, 6\]/.test(await page.locator(".statusbar").innerText()) ||
      (await viewLines()).some((line) => line.text.includes("def scale(") && line.text.includes("[3, 6]")),
    RUN_WAIT_MS,
  );
  await screenshot("arguments-run");
});

/** Writes the workspace's .vscode/settings.json (VS Code watches it). */
function setWorkspaceSettings(settings) {
  mkdirSync(path.join(workspace, ".vscode"), { recursive: true });
  writeFileSync(path.join(workspace, ".vscode", "settings.json"), JSON.stringify(settings, null, 2));
}

await check("Run Function in Sandbox runs the function under the cursor with code lenses off", async () => {
  const runsOfAdd = () => aviatoLog().split("\n").filter((line) => /add returned 5\b/.test(line)).length;
  const before = runsOfAdd();
  const sent = () => aviatoLog().split("\n").filter((line) => /settings changed: sending them/.test(line)).length;
  const sentBefore = sent();
  setWorkspaceSettings({ "aviato.codeLens.enable": false });
  await waitFor("the settings to reach the server", async () => sent() > sentBefore);
  await waitFor("the lenses to go", async () => (await functionLensLinks("add")).length === 0);
  await focusEditor();
  await goToLineWith("return x + y");
  await runPaletteCommand("Aviato: Run Function in Sandbox");
  await waitFor("add to run and return 5", async () => runsOfAdd() > before, RUN_WAIT_MS);
  await screenshot("run-at-cursor-no-lenses");
  setWorkspaceSettings({});
  await waitFor("the lenses to come back", async () => (await functionLensLinks("add")).length > 0);
});

await check("changing aviato.server.path while running restarts the server with the new binary", async () => {
  const errors = expected.filter((d) => d.severity === "error").length;
  const startsBefore = serverStarts().length;
  setMachineSettings({ "aviato.server.path": wrapper });
  await waitFor("the wrapper to be started", async () => existsSync(wrapperMark));
  await waitFor("the Aviato channel to say the new server started", async () =>
    serverStarts().slice(startsBefore).some((line) => line.includes(`Starting ${wrapper} (from setting)`)),
  );
  // The new server publishes the file's diagnostics; the old run's are gone with it.
  await waitFor(`${errors} errors in the status bar from the new server`, async () => (await statusBarErrors()) === errors);
  await screenshot("server-restarted");

  const marks = readFileSync(wrapperMark, "utf8").split("\n").filter(Boolean).length;
  setMachineSettings({});
  await waitFor("the bundled server to start again once the setting is cleared", async () =>
    serverStarts().slice(startsBefore).some((line) => /\(from bundled\)/.test(line)),
  );
  const marksAfter = readFileSync(wrapperMark, "utf8").split("\n").filter(Boolean).length;
  if (marksAfter !== marks) throw new Error("the wrapper was started again after the setting was cleared");
  await waitFor(`${errors} errors in the status bar again`, async () => (await statusBarErrors()) === errors);
});

await check("the quick fix for AV201 moves the import and its diagnostic goes", async () => {
  if (!expected.some((d) => d.code === "AV201")) skip("server does not report AV201 on the fixture yet");
  if (!hasQuickFixes) skip("server has no code actions (quick fixes) yet");
  const av201 = expected.find((d) => d.code === "AV201");
  await focusEditor();
  await goToLineWith("math.sqrt", av201.range.start.column);
  await page.keyboard.press("Control+.");
  const menu = page.locator(".action-widget").filter({ hasText: "Quick Fix" }).first();
  await menu.waitFor({ state: "visible", timeout: WAIT_MS });
  await screenshot("quick-fix-menu");
  const fix = menu.locator(".monaco-list-row.action").filter({ hasNotText: /ignore|noqa/i }).first();
  await fix.click();
  await showProblems();
  await waitFor("AV201 to leave Problems", async () => !/AV201/.test(await problemsText()));
  await hideProblems();
  const lines = await fixtureLines();
  const def = lines.findIndex((line) => line.includes("def hypotenuse("));
  if (!lines.slice(def + 1).some((line) => /^\s+import math/.test(line))) {
    throw new Error(`import math not moved into hypotenuse:\n${lines.join("\n")}`);
  }
  await screenshot("quick-fix-applied");
});

/** Writes `name` into the workspace and opens it from the Explorer. */
async function openNewFile(name, lines) {
  writeFileSync(path.join(workspace, name), lines.join("\n"));
  const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label*="${name}"]`).first();
  await row.waitFor({ timeout: WAIT_MS });
  await row.click();
  await page.locator(".tab", { hasText: name }).first().waitFor({ timeout: WAIT_MS });
}

await check("a cwsandbox file: diagnostics, a lens on .remote(...), the value after .result()", async () => {
  if (!(hasLenses && canRun)) skip("server cannot run functions yet (no code lenses / aviato.run)");
  await openNewFile("cw_job.py", [
    "from cwsandbox import Session",
    "",
    "with Session() as session:",
    "",
    "    @session.function()",
    "    def add(x, y):",
    "        return x + y",
    "",
    "    total = add.remote(2, 3).result()",
    "    add(1, 2)",
    "",
  ]);
  await showProblems();
  await waitFor("AV107 in Problems", async () => /AV107/.test(await problemsText()));
  await hideProblems();
  const lens = await waitFor("the lens ▶ Run add.remote(2, 3)", async () =>
    (await callSiteLensLinks("total = add.remote(2, 3)")).find((link) => link.text === "▶ Run add.remote(2, 3)"),
  );
  await page.mouse.click(lens.x, lens.y);
  await waitFor(
    "→ 5 after .result()",
    async () => (await viewLines()).some((line) => /add\.remote\(2, 3\)\.result\(\)\s*→\s*5\b/.test(line.text)),
    RUN_WAIT_MS,
  );
  await screenshot("cwsandbox");
});

await check("a run's output reaches the Aviato Run Output channel while the function runs", async () => {
  if (!canRun) skip("server does not offer the aviato.run command yet");
  const lines = [
    "from cwsandbox import Session",
    "",
    "with Session() as session:",
    "",
    "    @session.function()",
    "    def slow():",
    "        import time",
    "",
    '        print("first")',
    "        time.sleep(4)",
    '        print("second")',
    "        return 1",
    "",
    "    slow.remote().result()",
    "",
  ];
  await openNewFile("slow_job.py", lines);
  await focusEditor();
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: WAIT_MS });
  await input.fill(`:${lines.indexOf('        print("first")') + 1}:9`);
  await page.keyboard.press("Enter");
  await runPaletteCommand("Aviato: Run Function in Sandbox");
  const output = () => aviatoLog("Aviato Run Output");
  await waitFor("the first line in the channel", () => output().includes("stdout│ first"), RUN_WAIT_MS);
  if (output().includes("stdout│ second")) throw new Error(`the first line came only with the last:\n${output()}`);
  await waitFor("the second line, once the run goes on", () => output().includes("stdout│ second"), RUN_WAIT_MS);
  await screenshot("live-output");
});

clearTimeout(hardStop);
await context.close();
console.log(`vscode: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(counts.failed === 0 ? 0 : 1);
