import { exceptionLine, type RunOutcome } from "./outcome";

/** Returns the text of a 1-based line of a file, when the editor knows it. */
export type LineText = (file: string, line: number) => string | undefined;

function section(title: string, text: string | null | undefined): string[] {
  if (!text) return [];
  return ["", `--- ${title} ---`, text.replace(/\n$/, "")];
}

/**
 * A Python-style report of a run: the traceback with each frame's source line
 * (most recent call last), the exception, then the captured stdout and stderr.
 */
export function formatRunReport(call: string, outcome: RunOutcome, lineText: LineText): string {
  const lines: string[] = [];
  const where = [outcome.backend && `${outcome.backend} backend`, outcome.image ?? outcome.interpreter]
    .filter(Boolean)
    .join(", ");
  const header = `${call} ${describe(outcome)}${where ? ` (${where})` : ""}`;
  lines.push(header);

  if (outcome.outcome === "raised") {
    lines.push("", "Traceback (most recent call last):");
    for (const frame of outcome.traceback ?? []) {
      lines.push(`  File "${frame.file}", line ${frame.line}, in ${frame.function}`);
      const source = lineText(frame.file, frame.line)?.trim();
      if (source) lines.push(`    ${source}`);
    }
    lines.push(exceptionLine(outcome));
  } else if (outcome.outcome === "ok") {
    lines.push("", outcome.value_repr ?? "None");
  } else if (outcome.message) {
    lines.push("", outcome.message);
  }
  for (const note of outcome.notes ?? []) lines.push(`note: ${note}`);

  lines.push(...section("stdout", outcome.stdout), ...section("stderr", outcome.stderr));
  return `${lines.join("\n")}\n`;
}

function describe(outcome: RunOutcome): string {
  const ms = typeof outcome.duration_ms === "number" ? ` in ${Math.round(outcome.duration_ms)} ms` : "";
  switch (outcome.outcome) {
    case "ok":
      return `returned${ms}`;
    case "raised":
      return `raised ${outcome.exception_type || "an exception"}${ms}`;
    case "refused":
      return `was refused${outcome.code ? ` (${outcome.code})` : ""}`;
    case "timeout":
      return "timed out";
    case "killed":
      return `was killed${outcome.limit ? ` (${outcome.limit} limit)` : ""}`;
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
