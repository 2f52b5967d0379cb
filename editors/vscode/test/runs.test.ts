import assert from "node:assert/strict";
import { test } from "node:test";
import { RunTracker, runStatusText } from "../src/runs";

const add = { uri: "file:///a.py", function: "add", line: 7 };
const scale = { uri: "file:///a.py", function: "scale", line: 18 };

test("a new run of the same function replaces the old one", () => {
  const tracker = new RunTracker();
  const first = tracker.start(add, 1);
  const second = tracker.start({ ...add, args: "4, 5" }, 2);
  assert.ok(!tracker.isCurrent(first));
  assert.equal(tracker.finish(first), false, "the replaced run's reply is ignored");
  assert.deepEqual(tracker.list(), [second]);
  assert.equal(tracker.finish(second), true);
  assert.deepEqual(tracker.list(), []);
});

test("the status text counts the runs in flight", () => {
  const tracker = new RunTracker();
  let changes = 0;
  tracker.onDidChange(() => changes++);
  assert.equal(runStatusText(tracker.list()), undefined);
  tracker.start(add, 1);
  assert.equal(runStatusText(tracker.list()), "$(sync~spin) Running add in sandbox");
  tracker.start(scale, 2);
  assert.equal(runStatusText(tracker.list()), "$(sync~spin) 2 sandbox runs");
  tracker.clear();
  assert.equal(changes, 3);
});
