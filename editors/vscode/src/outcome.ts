/**
 * The run outcome the server returns from `aviato.run`: the same object as
 * `aviato-lsp run --output-format json` (docs/run-output.md). Every field is
 * always present; one with nothing to say is `null`, `[]`, `""` or `false`.
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

/** `ValueError: x must be non-negative`, or `ValueError` when there is no message. */
export function exceptionLine(outcome: RunOutcome): string {
  // The exception raised in the sandbox, as Python prints it; the SDK's own view
  // of it (exception_type, which may be null) is explained in the notes.
  const type = outcome.real_exception_type || outcome.exception_type || "Exception";
  const message = outcome.real_exception_type ? outcome.real_exception_message : outcome.exception_message;
  return message ? `${type}: ${message}` : type;
}

/** The notes of an outcome, one per line. */
export function notes(outcome: RunOutcome): string[] {
  return (outcome.note ?? "").split("\n").filter((line) => line.trim() !== "");
}

/**
 * How long a `timeout` outcome ran before it was stopped, in seconds as the
 * server wrote them in `message` (`wall-clock limit of 30 s reached`, `... did
 * not exit within 30 s ...`, `... was still creating after 120 s`), else the
 * run's duration.
 */
export function timeoutSeconds(outcome: RunOutcome): string {
  const stated = /(?:limit of|within|after) (\d+(?:\.\d+)?) s\b/.exec(outcome.message ?? "");
  if (stated) return stated[1];
  return String(Math.round(outcome.duration_ms / 100) / 10);
}

/** Whether a `killed` outcome was a cancellation rather than a limit or a signal. */
export function wasCancelled(outcome: RunOutcome): boolean {
  return outcome.outcome === "killed" && /^cancelled\b/.test(outcome.message ?? "");
}

/** `5 (int)`: a value's repr with its type, unless the repr already says it. */
export function valueLine(outcome: RunOutcome): string {
  const repr = outcome.value_repr ?? "None";
  return outcome.value_type && outcome.value_type !== "NoneType" ? `${repr} (${outcome.value_type})` : repr;
}

/** Shortens a value's repr for one-line messages. */
export function clip(text: string, max = 80): string {
  const oneLine = text.replace(/\s*\n\s*/g, " ");
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** One line saying how a run of `functionName` ended, for the status bar and messages. */
export function summarize(functionName: string, outcome: RunOutcome): string {
  switch (outcome.outcome) {
    case "ok":
      return `${functionName} → ${clip(outcome.value_repr ?? "None")} · ${outcome.duration_ms} ms`;
    case "raised":
      return `${functionName} raised ${clip(exceptionLine(outcome), 120)}`;
    case "refused":
      return `${functionName} cannot run: ${outcome.message ?? outcome.exception_message ?? "refused"}${
        outcome.code ? ` (${outcome.code})` : ""
      }`;
    case "timeout":
      return `${functionName} timed out after ${timeoutSeconds(outcome)} s`;
    case "killed":
      if (wasCancelled(outcome)) return `${functionName} was ${outcome.message}`;
      return `${functionName} was killed: ${outcome.message ?? "by the sandbox"}`;
    case "error":
      return `${functionName} could not run: ${outcome.message ?? outcome.exception_message ?? "sandbox error"}`;
  }
}

/** The line that says a stream was cut, or undefined when it was not. */
export function truncationNote(outcome: RunOutcome, stream: "stdout" | "stderr"): string | undefined {
  const truncated = stream === "stdout" ? outcome.stdout_truncated : outcome.stderr_truncated;
  return truncated ? `… ${stream} truncated: the run printed more than is kept (run.limits.outputKb)` : undefined;
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
