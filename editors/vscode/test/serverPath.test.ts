import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveServer, type ResolveInput } from "../src/serverPath";

function input(executables: string[], overrides: Partial<ResolveInput> = {}): ResolveInput {
  const present = new Set(executables);
  return {
    configuredPath: undefined,
    workspaceFolder: "/ws",
    homeDir: "/home/user",
    envPath: "/usr/local/bin:/usr/bin",
    extensionPath: "/ext",
    platform: "linux",
    isExecutableFile: (candidate) => present.has(candidate),
    ...overrides,
  };
}

test("the setting wins over PATH and the bundled binary", () => {
  const result = resolveServer(
    input(["/opt/aviato-lsp", "/usr/bin/aviato-lsp", "/ext/bundled/aviato-lsp"], { configuredPath: "/opt/aviato-lsp" }),
  );
  assert.deepEqual(result, { kind: "found", path: "/opt/aviato-lsp", source: "setting" });
});

test("a setting naming a missing file is an error, not a silent fallback", () => {
  const result = resolveServer(input(["/usr/bin/aviato-lsp"], { configuredPath: "/opt/typo" }));
  assert.equal(result.kind, "missing");
  assert.match(result.kind === "missing" ? result.reason : "", /aviato\.server\.path.*\/opt\/typo/);
});

test("the setting expands ~, ${workspaceFolder} and relative paths", () => {
  const executables = ["/home/user/bin/aviato-lsp", "/ws/target/debug/aviato-lsp"];
  assert.equal(
    resolveServer(input(executables, { configuredPath: "~/bin/aviato-lsp" })).kind === "found" &&
      (resolveServer(input(executables, { configuredPath: "~/bin/aviato-lsp" })) as { path: string }).path,
    "/home/user/bin/aviato-lsp",
  );
  for (const configured of ["${workspaceFolder}/target/debug/aviato-lsp", "target/debug/aviato-lsp"]) {
    assert.deepEqual(resolveServer(input(executables, { configuredPath: configured })), {
      kind: "found",
      path: "/ws/target/debug/aviato-lsp",
      source: "setting",
    });
  }
});

test("a blank setting counts as unset", () => {
  const result = resolveServer(input(["/usr/bin/aviato-lsp"], { configuredPath: "  " }));
  assert.deepEqual(result, { kind: "found", path: "/usr/bin/aviato-lsp", source: "PATH" });
});

test("PATH is searched in order", () => {
  const result = resolveServer(input(["/usr/local/bin/aviato-lsp", "/usr/bin/aviato-lsp"]));
  assert.deepEqual(result, { kind: "found", path: "/usr/local/bin/aviato-lsp", source: "PATH" });
});

test("the bundled binary is the last resort", () => {
  const result = resolveServer(input(["/ext/bundled/aviato-lsp"]));
  assert.deepEqual(result, { kind: "found", path: "/ext/bundled/aviato-lsp", source: "bundled" });
});

test("Windows looks for aviato-lsp.exe with ; separators", () => {
  const result = resolveServer(
    input(["C:\\tools/aviato-lsp.exe"], { platform: "win32", envPath: "C:\\nothing;C:\\tools" }),
  );
  assert.equal(result.kind, "found");
});

test("nothing found says exactly where it looked", () => {
  const result = resolveServer(input([], { envPath: "/usr/local/bin::/usr/bin" }));
  assert.equal(result.kind, "missing");
  if (result.kind !== "missing") return;
  assert.deepEqual(result.searched, ["/usr/local/bin/aviato-lsp", "/usr/bin/aviato-lsp", "/ext/bundled/aviato-lsp"]);
  assert.match(result.reason, /aviato\.server\.path is unset/);
  assert.match(result.reason, /extension host's PATH \(\/usr\/local\/bin:\/usr\/bin\)/);
  assert.match(result.reason, /\/ext\/bundled\/aviato-lsp does not exist/);
  assert.match(result.reason, /pip install aviato-lsp/);
});

test("an empty PATH is said to be empty", () => {
  const result = resolveServer(input([], { envPath: undefined }));
  assert.equal(result.kind, "missing");
  assert.match(result.kind === "missing" ? result.reason : "", /PATH is empty/);
});

test("a setting naming a missing file lists only that file", () => {
  const result = resolveServer(input(["/usr/bin/aviato-lsp"], { configuredPath: "bin/aviato-lsp" }));
  assert.equal(result.kind, "missing");
  assert.deepEqual(result.kind === "missing" ? result.searched : [], ["/ws/bin/aviato-lsp"]);
});
