import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { callLabel, isRunOutcome, type RunOutcome } from "../src/outcome";
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
  limit: true,
  cancelled: true,
  summary: true,
  report: true,
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

test("what a run shows is worded by the server", () => {
  const { ok, raised, timeout, killed } = outcomes;
  assert.equal(ok.summary, `✓ 5 · ${ok.duration_ms} ms`);
  assert.equal(raised.summary, "✗ ValueError: x must be non-negative, got -4");
  assert.equal(timeout.summary, "⏱ timed out after 1.5 s");
  assert.deepEqual([timeout.limit, killed.limit, killed.cancelled], ["time", "memory", false]);
  for (const name of CASES) assert.ok(outcomes[name].report.endsWith("\n"), name);
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
