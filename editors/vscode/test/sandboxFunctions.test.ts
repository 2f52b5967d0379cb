import assert from "node:assert/strict";
import { test } from "node:test";
import { isRunArguments, runPlan, type SandboxFunction } from "../src/sandboxFunctions";

// What the server answers for `scale` (tests/lsp/sandbox_functions.rs checks the
// answer itself; finding functions and their parameters is the server's job).
function scale(overrides: Partial<SandboxFunction> = {}): SandboxFunction {
  const range = { start: { line: 10, character: 8 }, end: { line: 15, character: 50 } };
  return {
    name: "scale",
    line: 12,
    range,
    nameRange: range,
    signature: "scale(values: list[float], factor: float)",
    parameters: [
      { name: "values", kind: "positionalOrKeyword", annotation: "list[float]", default: null },
      { name: "factor", kind: "positionalOrKeyword", annotation: "float", default: null },
    ],
    needsArguments: true,
    exampleArguments: "[1.0], 1.0",
    callSites: [],
    defaultCallSite: null,
    runsWithoutArguments: false,
    cannotRun: null,
    run: { uri: "file:///app.py", function: "scale", line: 12 },
    ...overrides,
  };
}

test("a function that needs arguments and has no static call asks for them", () => {
  assert.deepEqual(runPlan(scale()), {
    kind: "ask",
    args: { uri: "file:///app.py", function: "scale", line: 12 },
    prompt: "Arguments for scale(values: list[float], factor: float), as in a Python call",
    placeHolder: "e.g. [1.0], 1.0",
  });
});

test("a static call or defaults run without asking", () => {
  assert.deepEqual(runPlan(scale({ runsWithoutArguments: true, defaultCallSite: 20 })), {
    kind: "run",
    args: { uri: "file:///app.py", function: "scale", line: 12 },
  });
});

test("a function that cannot run is explained, not run", () => {
  const plan = runPlan(scale({ cannotRun: { code: "AV101", message: "async def" }, runsWithoutArguments: true }));
  assert.equal(plan.kind, "explain");
});

test("run arguments are recognised in lens arguments", () => {
  assert.ok(isRunArguments({ uri: "file:///a.py", function: "f", line: 3 }));
  assert.ok(!isRunArguments({ uri: "file:///a.py", function: "f" }));
  assert.ok(!isRunArguments(null));
});
