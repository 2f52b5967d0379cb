import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RunOutcome } from "../src/outcome";

/** The repository's root (the tests run bundled from editors/vscode/dist-test). */
export const REPO = path.resolve(__dirname, "../../..");

/** The cases of tests/editors/capture-outcomes.sh, each a run of tests/editors/fixtures/outcomes.py. */
export const CASES = ["ok", "output", "truncated", "raised", "notes", "timeout", "killed", "refused", "error"] as const;
export type Case = (typeof CASES)[number];

/**
 * Outcomes of the real `aviato-lsp run --output-format json`: from
 * `$AVIATO_OUTCOMES` when the editor runner captured them already, else
 * captured now (with `$AVIATO_LSP_BIN`, else target/debug/aviato-lsp).
 */
export function capturedOutcomes(): Record<Case, RunOutcome> {
  let dir = process.env.AVIATO_OUTCOMES;
  let temporary: string | undefined;
  if (!dir) {
    temporary = dir = mkdtempSync(path.join(os.tmpdir(), "aviato-outcomes-"));
    execFileSync(path.join(REPO, "tests/editors/capture-outcomes.sh"), [dir], { stdio: ["ignore", "inherit", "inherit"] });
  }
  try {
    const read = (name: Case) => JSON.parse(readFileSync(path.join(dir, `${name}.json`), "utf8")) as RunOutcome;
    return Object.fromEntries(CASES.map((name) => [name, read(name)])) as Record<Case, RunOutcome>;
  } finally {
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  }
}
