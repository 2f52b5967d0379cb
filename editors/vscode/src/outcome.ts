/**
 * The run outcome the server returns from `aviato.run`: the same object as
 * `aviato-lsp run --output-format json` (docs/run-output.md). Every field is
 * always present; one with nothing to say is `null`, `[]`, `""` or `false`.
 * The server words it (`summary`, `report`); the extension only shows it.
 */
export type OutcomeKind = "ok" | "raised" | "refused" | "timeout" | "killed" | "error";

export interface TracebackFrame {
  file: string;
  line: number;
  function: string;
}

export interface RunOutcome {
  outcome: OutcomeKind;
  value_repr: string | null;
  value_json: unknown;
  value_type: string | null;
  exception_type: string | null;
  exception_message: string | null;
  /** For raised: the exception raised in the sandbox (the SDK reports exception_type instead). */
  real_exception_type: string | null;
  real_exception_message: string | null;
  /** For a cwsandbox `.map` run: the 1-based item this outcome is about, and how many there are. */
  map_item: number | null;
  map_items: number | null;
  /** Frames in the user's file, outermost first. */
  traceback: TracebackFrame[];
  stdout: string;
  stderr: string;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  duration_ms: number;
  backend: string | null;
  interpreter: string | null;
  python_version: string | null;
  image: string | null;
  /** Where the run differs from the SDK, one note per line. */
  note: string | null;
  call_site: number | null;
  code: string | null;
  /** For refused, timeout, killed and error: what happened, naming the limit. */
  message: string | null;
  /** The limit that ended the run. */
  limit: "time" | "memory" | "cpu" | "file_size" | "processes" | null;
  /** The run was stopped on request. */
  cancelled: boolean;
  /** How the run ended on one line, as a lens shows it (`✓ 5 · 84 ms`). */
  summary: string;
  /** What the output panel shows once the run is over, ending in a newline. */
  report: string;
}

const KINDS: ReadonlySet<string> = new Set(["ok", "raised", "refused", "timeout", "killed", "error"]);

export function isRunOutcome(value: unknown): value is RunOutcome {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { outcome?: unknown }).outcome === "string" &&
    KINDS.has((value as { outcome: string }).outcome)
  );
}

/**
 * How a run is named in reports: `add(7, 8)` with typed arguments, `add · call
 * site line 30` when the server took a call site's arguments, else `add()`.
 */
export function callLabel(functionName: string, args: string | undefined, callSite: number | null | undefined): string {
  if (args !== undefined) return `${functionName}(${args})`;
  if (typeof callSite === "number") return `${functionName} · call site line ${callSite}`;
  return `${functionName}()`;
}
