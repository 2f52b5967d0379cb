import assert from "node:assert/strict";
import { test } from "node:test";
import { callLabel, clip, isRunOutcome, summarize, type RunOutcome } from "../src/outcome";
import { formatRunReport, frameLinks } from "../src/traceback";

const source = [
  "@session.function()",
  "def check(x: int) -> int:",
  "    if x < 0:",
  '        raise ValueError("x must be non-negative")',
  "    return x",
];
const lineText = (file: string, line: number) => (file === "/ws/app.py" ? source[line - 1] : undefined);

const raised: RunOutcome = {
  outcome: "raised",
  exception_type: "ValueError",
  exception_message: "x must be non-negative",
  traceback: [
    { file: "/ws/app.py", line: 4, function: "check" },
    { file: "<sandbox>", line: 9, function: "helper" },
  ],
  stdout: "checking\n",
  stderr: "",
  duration_ms: 84.4,
  backend: "local",
};

test("a raised outcome reads like a Python traceback with source lines", () => {
  const report = formatRunReport("check(-1)", raised, lineText);
  assert.equal(
    report,
    [
      "check(-1) raised ValueError in 84 ms (local backend)",
      "",
      "Traceback (most recent call last):",
      '  File "/ws/app.py", line 4, in check',
      '    raise ValueError("x must be non-negative")',
      '  File "<sandbox>", line 9, in helper',
      "ValueError: x must be non-negative",
      "",
      "--- stdout ---",
      "checking",
      "",
    ].join("\n"),
  );
});

test("an exception without a message prints its type alone", () => {
  const report = formatRunReport("f()", { outcome: "raised", exception_type: "KeyError", traceback: [] }, lineText);
  assert.match(report, /\nKeyError\n$/);
});

test("refusals and timeouts carry their message", () => {
  const refused = formatRunReport(
    "f()",
    { outcome: "refused", code: "AV201", message: "`math` is imported at module level" },
    lineText,
  );
  assert.match(refused, /^f\(\) was refused \(AV201\)\n\n`math` is imported at module level\n$/);
});

test("frame links point at each File line's path and number", () => {
  const report = formatRunReport("check(-1)", raised, lineText);
  const links = frameLinks(report);
  assert.deepEqual(
    links.map(({ file, target }) => [file, target]),
    [
      ["/ws/app.py", 4],
      ["<sandbox>", 9],
    ],
  );
  const first = report.split("\n")[links[0].line];
  assert.equal(first.slice(links[0].start, links[0].end), 'File "/ws/app.py", line 4');
});

test("summaries for each outcome", () => {
  assert.equal(summarize("add", { outcome: "ok", value_repr: "5", duration_ms: 84 }), "add → 5 · 84 ms");
  assert.equal(summarize("check", raised), "check raised ValueError: x must be non-negative");
  assert.equal(summarize("f", { outcome: "timeout", timeout_s: 30 }), "f timed out after 30 s");
  assert.equal(summarize("f", { outcome: "killed", limit: "memory" }), "f was killed (memory limit)");
  assert.equal(
    summarize("f", { outcome: "refused", code: "AV101", message: "async functions cannot run" }),
    "f cannot run: async functions cannot run (AV101)",
  );
  assert.equal(summarize("f", { outcome: "error", message: "bwrap not found" }), "f could not run: bwrap not found");
});

test("long values are clipped to one line", () => {
  assert.equal(clip("[1,\n 2]"), "[1, 2]");
  assert.equal(clip("x".repeat(100), 10), `${"x".repeat(9)}…`);
});

test("only objects with a known outcome are outcomes", () => {
  assert.ok(isRunOutcome({ outcome: "ok" }));
  assert.ok(!isRunOutcome({ outcome: "finished" }));
  assert.ok(!isRunOutcome(null));
  assert.ok(!isRunOutcome("ok"));
});

test("runs are named by their arguments or the call site they used", () => {
  assert.equal(callLabel("add", "7, 8", 30), "add(7, 8)");
  assert.equal(callLabel("add", "", undefined), "add()");
  assert.equal(callLabel("add", undefined, 30), "add · call site line 30");
  assert.equal(callLabel("add", undefined, null), "add()");
});
