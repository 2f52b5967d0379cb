import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import {
  callLabel,
  clip,
  isRunOutcome,
  notes,
  summarize,
  timeoutSeconds,
  truncationNote,
  valueLine,
  type RunOutcome,
} from "../src/outcome";
import { CASES, REPO, capturedOutcomes } from "./capturedOutcomes";

const outcomes = capturedOutcomes();

// Every field of RunOutcome, and no other: `tsc` fails when the interface and
// this list disagree, the tests below when the server's object does.
const FIELDS: Record<keyof RunOutcome, true> = {
  outcome: true,
  value_repr: true,
  value_json: true,
  value_type: true,
  exception_type: true,
  exception_message: true,
  traceback: true,
  stdout: true,
  stderr: true,
  stdout_truncated: true,
  stderr_truncated: true,
  duration_ms: true,
  backend: true,
  interpreter: true,
  python_version: true,
  image: true,
  note: true,
  call_site: true,
  code: true,
  message: true,
  real_exception_type: true,
  real_exception_message: true,
  map_item: true,
  map_items: true,
};

test("the client reads exactly the fields the real server sends", () => {
  for (const name of CASES) {
    assert.deepEqual(Object.keys(outcomes[name]).sort(), Object.keys(FIELDS).sort(), `fields of the ${name} outcome`);
    assert.ok(isRunOutcome(outcomes[name]), name);
  }
});

test("the client's fields are the ones docs/run-output.md documents", () => {
  const doc = readFileSync(path.join(REPO, "docs/run-output.md"), "utf8");
  const table = doc.slice(doc.indexOf("## Outcome\n"), doc.indexOf("## Outcomes"));
  const documented = [...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]);
  assert.deepEqual(documented.sort(), Object.keys(FIELDS).sort());
});

test("each captured case is the outcome it stands for", () => {
  assert.deepEqual(
    CASES.map((name) => outcomes[name].outcome),
    ["ok", "ok", "ok", "raised", "raised", "timeout", "killed", "refused", "error"],
  );
});

test("summaries of each outcome", () => {
  const { ok, raised, timeout, killed, refused, error } = outcomes;
  assert.equal(summarize("add", ok), `add → 5 · ${ok.duration_ms} ms`);
  assert.equal(summarize("check_positive", raised), "check_positive raised ValueError: x must be non-negative, got -4");
  assert.equal(summarize("wait", timeout), "wait timed out after 1.5 s");
  assert.equal(summarize("hog", killed), "hog was killed: memory limit of 256 MiB reached (MemoryError)");
  assert.equal(summarize("fetch", refused), `fetch cannot run: ${refused.message} (AV101)`);
  assert.match(summarize("fetch", refused), /^fetch cannot run: line \d+: `fetch` is an `async def`.*\(AV101\)$/);
  assert.equal(summarize("add", error), "add could not run: --args: argument 1: `nope` is not defined");
});

test("a cancelled run reads as cancelled, not killed", () => {
  // The two messages docs/lsp.md gives for cancellations.
  const cancelled = { ...outcomes.killed, message: "cancelled" };
  assert.equal(summarize("hog", cancelled), "hog was cancelled");
  const replaced = { ...outcomes.killed, message: "cancelled: replaced by a newer run" };
  assert.equal(summarize("hog", replaced), "hog was cancelled: replaced by a newer run");
});

test("the timeout comes from the server's message, else the duration", () => {
  assert.equal(timeoutSeconds(outcomes.timeout), "1.5");
  const finished = {
    ...outcomes.timeout,
    message: "the function finished, but the interpreter did not exit within 30 s (a thread still running?)",
  };
  assert.equal(timeoutSeconds(finished), "30");
  assert.equal(timeoutSeconds({ ...outcomes.timeout, message: null, duration_ms: 2049 }), "2");
});

test("the note is split into one note per line", () => {
  const split = notes(outcomes.notes);
  assert.equal(split.length, 3, outcomes.notes.note ?? "no note");
  assert.match(split[0], /^image registry\.example\.com\/ml:latest has no local equivalent/);
  assert.match(split[1], /SystemExit/);
  assert.match(split[2], /exception_type None/);
  assert.deepEqual(notes(outcomes.ok), []);
});

test("truncated output is said so, per stream", () => {
  assert.ok(outcomes.truncated.stdout_truncated);
  assert.match(truncationNote(outcomes.truncated, "stdout") ?? "", /stdout truncated/);
  assert.equal(truncationNote(outcomes.truncated, "stderr"), undefined);
  assert.equal(truncationNote(outcomes.output, "stdout"), undefined);
});

test("a value is shown with its type", () => {
  assert.equal(valueLine(outcomes.ok), "5 (int)");
  assert.equal(valueLine(outcomes.output), "'hello ada' (str)");
  assert.equal(valueLine({ ...outcomes.ok, value_repr: "None", value_type: "NoneType" }), "None");
});

test("long values are clipped to one line", () => {
  assert.equal(clip("[1,\n 2]"), "[1, 2]");
  assert.equal(clip("x".repeat(100), 10), `${"x".repeat(9)}…`);
});

test("only objects with a known outcome are outcomes", () => {
  assert.ok(!isRunOutcome({ outcome: "finished" }));
  assert.ok(!isRunOutcome(null));
  assert.ok(!isRunOutcome("ok"));
});

test("runs are named by their arguments or the call site they used", () => {
  assert.equal(callLabel("add", "7, 8", 30), "add(7, 8)");
  assert.equal(callLabel("add", "", undefined), "add()");
  assert.equal(callLabel("add", undefined, outcomes.ok.call_site), `add · call site line ${outcomes.ok.call_site}`);
  assert.equal(callLabel("add", undefined, null), "add()");
});
