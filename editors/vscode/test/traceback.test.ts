import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunOutcome } from "../src/outcome";
import { formatRunReport, frameLinks } from "../src/traceback";
import { capturedOutcomes, fixtureLine } from "./capturedOutcomes";

const outcomes = capturedOutcomes();
const lineText = (file: string, line: number) => (file.endsWith("outcomes.py") ? fixtureLine(line) : undefined);

/** `(local backend, python:3.11, Python 3.11.7)`, as this machine ran it. */
function where(outcome: RunOutcome): string {
  return `(${outcome.backend} backend, ${outcome.image}, Python ${outcome.python_version})`;
}

test("a raised outcome reads like a Python traceback with source lines", () => {
  const raised = outcomes.raised;
  const [outer, inner] = raised.traceback;
  assert.deepEqual([outer.function, inner.function], ["check_positive", "fail"]);
  const report = formatRunReport("check_positive(-4)", raised, lineText);
  assert.equal(
    report,
    [
      `check_positive(-4) raised ValueError in ${raised.duration_ms} ms ${where(raised)}`,
      "",
      "Traceback (most recent call last):",
      `  File "${outer.file}", line ${outer.line}, in check_positive`,
      "    fail(x)",
      `  File "${inner.file}", line ${inner.line}, in fail`,
      '    raise ValueError(f"x must be non-negative, got {value}")',
      "ValueError: x must be non-negative, got -4",
      "",
    ].join("\n"),
  );
});

test("output on both streams follows the value", () => {
  const output = outcomes.output;
  assert.equal(
    formatRunReport("greet · call site line 59", output, lineText),
    [
      `greet · call site line 59 returned in ${output.duration_ms} ms ${where(output)}`,
      "",
      "'hello ada' (str)",
      "",
      "--- stdout ---",
      "greeting ada",
      "",
      "--- stderr ---",
      "about to return",
      "",
    ].join("\n"),
  );
});

test("truncated output is marked where it is cut", () => {
  const report = formatRunReport("flood()", outcomes.truncated, lineText).split("\n");
  const marker = report.findIndex((line) => line.startsWith("… stdout truncated"));
  assert.ok(marker > 0, report.slice(-3).join("\n"));
  assert.match(report[marker - 1], /^x+$/, "the marker follows the kept output");
  assert.ok(!report.some((line) => line.startsWith("--- stderr")), "no stderr section for an empty stream");
});

test("every note gets its own line", () => {
  const report = formatRunReport("stop()", outcomes.notes, lineText);
  const noteLines = report.split("\n").filter((line) => line.startsWith("note: "));
  assert.equal(noteLines.length, 3, report);
  assert.match(report, /\nSystemExit: 3\n/);
});

test("a timeout says after how long and what the server said", () => {
  const timeout = outcomes.timeout;
  assert.equal(
    formatRunReport("wait()", timeout, lineText),
    `wait() timed out after 1.5 s (local backend, python:3.11, ${
      timeout.python_version ? `Python ${timeout.python_version}` : timeout.interpreter
    })\n\nwall-clock limit of 1.5 s reached\n`,
  );
});

test("a memory limit names the limit and keeps the traceback", () => {
  const report = formatRunReport("hog()", outcomes.killed, lineText);
  assert.match(report, /^hog\(\) was killed in \d+ ms /);
  assert.match(report, /\n\nmemory limit of 256 MiB reached \(MemoryError\)\n/);
  assert.match(report, /\n {2}File ".*outcomes\.py", line \d+, in hog\n {4}blocks = \[bytearray/);
  assert.match(report, /\nMemoryError\n/);
});

test("refusals and errors carry their message", () => {
  const refused = formatRunReport("fetch()", outcomes.refused, lineText);
  assert.equal(refused, `fetch() was refused (AV101)\n\n${outcomes.refused.message}\n`);
  const error = formatRunReport("add(nope)", outcomes.error, lineText);
  assert.equal(error, "add(nope) could not run\n\n--args: argument 1: `nope` is not defined\n");
});

test("a cancelled run says so once", () => {
  const cancelled = { ...outcomes.killed, message: "cancelled", exception_type: null, traceback: [] };
  assert.match(formatRunReport("hog()", cancelled, lineText), /^hog\(\) was cancelled \(/);
  assert.doesNotMatch(formatRunReport("hog()", cancelled, lineText), /\ncancelled\n/);
});

test("frame links point at each File line's path and number", () => {
  const report = formatRunReport("check_positive(-4)", outcomes.raised, lineText);
  const links = frameLinks(report);
  assert.deepEqual(
    links.map(({ file, target }) => [file, target]),
    outcomes.raised.traceback.map((frame) => [frame.file, frame.line]),
  );
  const first = report.split("\n")[links[0].line];
  const frame = outcomes.raised.traceback[0];
  assert.equal(first.slice(links[0].start, links[0].end), `File "${frame.file}", line ${frame.line}`);
});
