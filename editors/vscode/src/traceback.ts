import type { RunOutcome } from "./outcome";

/** The report document of a run: the server's report, then what it printed. */
export function reportDocument(outcome: RunOutcome): string {
  const streams = (["stdout", "stderr"] as const)
    .filter((stream) => outcome[stream])
    .map((stream) => `\n--- ${stream} ---\n${outcome[stream].replace(/\n?$/, "\n")}`);
  return outcome.report + streams.join("");
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
