import assert from "node:assert/strict";
import { test } from "node:test";
import { frameLinks, reportDocument } from "../src/traceback";
import { capturedOutcomes } from "./capturedOutcomes";

const outcomes = capturedOutcomes();

test("the report document is the server's report, then what the run printed", () => {
  const output = outcomes.output;
  assert.equal(
    reportDocument(output),
    `${output.report}\n--- stdout ---\ngreeting ada\n\n--- stderr ---\nabout to return\n`,
  );
  assert.equal(reportDocument(outcomes.refused), outcomes.refused.report);
});

test("frame links point at each File line's path and number", () => {
  const report = reportDocument(outcomes.raised);
  const links = frameLinks(report);
  assert.deepEqual(
    links.map(({ file, target }) => [file, target]),
    outcomes.raised.traceback.map((frame) => [frame.file, frame.line]),
  );
  const first = report.split("\n")[links[0].line];
  const frame = outcomes.raised.traceback[0];
  assert.equal(first.slice(links[0].start, links[0].end), `File "${frame.file}", line ${frame.line}`);
});
