import { exceptionLine, notes, timeoutSeconds, truncationNote, valueLine, wasCancelled, type RunOutcome } from "./outcome";

/** Returns the text of a 1-based line of a file, when the editor knows it. */
export type LineText = (file: string, line: number) => string | undefined;

function section(outcome: RunOutcome, stream: "stdout" | "stderr"): string[] {
  const text = outcome[stream];
  const truncated = truncationNote(outcome, stream);
  if (!text && !truncated) return [];
  return ["", `--- ${stream} ---`, ...(text ? [text.replace(/\n$/, "")] : []), ...(truncated ? [truncated] : [])];
}

/**
 * A Python-style report of a run: what ended it, the traceback with each
 * frame's source line (most recent call last) and the exception, the value,
 * the notes, then the captured stdout and stderr.
 */
export function formatRunReport(call: string, outcome: RunOutcome, lineText: LineText): string {
  const lines: string[] = [];
  const python = outcome.python_version ? `Python ${outcome.python_version}` : outcome.interpreter;
  const where = [outcome.backend && `${outcome.backend} backend`, outcome.image, python].filter(Boolean).join(", ");
  lines.push(`${call} ${describe(outcome)}${where ? ` (${where})` : ""}`);

  if (outcome.message && outcome.outcome !== "ok" && outcome.outcome !== "raised" && !wasCancelled(outcome)) {
    lines.push("", outcome.message);
  }
  // A memory limit, or a timeout after the function raised, keeps the exception.
  if (outcome.exception_type !== null || outcome.real_exception_type || outcome.traceback.length > 0) {
    lines.push("", "Traceback (most recent call last):");
    for (const frame of outcome.traceback) {
      lines.push(`  File "${frame.file}", line ${frame.line}, in ${frame.function}`);
      const source = lineText(frame.file, frame.line)?.trim();
      if (source) lines.push(`    ${source}`);
    }
    lines.push(exceptionLine(outcome));
  } else if (outcome.value_repr !== null) {
    lines.push("", valueLine(outcome));
  }
  const noteLines = notes(outcome);
  if (noteLines.length) lines.push("", ...noteLines.map((note) => `note: ${note}`));

  lines.push(...section(outcome, "stdout"), ...section(outcome, "stderr"));
  return `${lines.join("\n")}\n`;
}

function describe(outcome: RunOutcome): string {
  const ms = ` in ${outcome.duration_ms} ms`;
  switch (outcome.outcome) {
    case "ok":
      return `returned${ms}`;
    case "raised":
      return `raised ${outcome.real_exception_type || outcome.exception_type || "an exception"}${ms}`;
    case "refused":
      return `was refused${outcome.code ? ` (${outcome.code})` : ""}`;
    case "timeout":
      return `timed out after ${timeoutSeconds(outcome)} s`;
    case "killed":
      return wasCancelled(outcome) ? `was ${outcome.message}` : `was killed${ms}`;
    case "error":
      return "could not run";
  }
}

/** The frames of a report, located by the line they were printed on, for links. */
export function frameLinks(report: string): { line: number; file: string; target: number; start: number; end: number }[] {
  const links = [];
  const pattern = /^ {2}File "(.+)", line (\d+), in /;
  const lines = report.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const match = pattern.exec(lines[index]);
    if (match) {
      links.push({ line: index, file: match[1], target: Number(match[2]), start: 2, end: match[0].length - 5 });
    }
  }
  return links;
}
