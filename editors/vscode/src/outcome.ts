/**
 * The run outcome the server returns from `aviato.run`: the same object as
 * `aviato-lsp run --output-format json`. Fields beyond `outcome` are optional
 * here so that an older or newer server degrades to a plainer message.
 */
export type OutcomeKind = "ok" | "raised" | "refused" | "timeout" | "killed" | "error";

export interface TracebackFrame {
  file: string;
  line: number;
  function: string;
}

export interface RunOutcome {
  outcome: OutcomeKind;
  value_repr?: string | null;
  value_json?: unknown;
  type_name?: string | null;
  exception_type?: string | null;
  exception_message?: string | null;
  traceback?: TracebackFrame[] | null;
  stdout?: string | null;
  stderr?: string | null;
  duration_ms?: number | null;
  call_site?: number | null;
  code?: string | null;
  message?: string | null;
  limit?: string | null;
  timeout_s?: number | null;
  backend?: string | null;
  interpreter?: string | null;
  image?: string | null;
  notes?: string[] | null;
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
  const type = outcome.exception_type || "Exception";
  return outcome.exception_message ? `${type}: ${outcome.exception_message}` : type;
}

function duration(outcome: RunOutcome): string {
  return typeof outcome.duration_ms === "number" ? ` · ${Math.round(outcome.duration_ms)} ms` : "";
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
      return `${functionName} → ${clip(outcome.value_repr ?? "None")}${duration(outcome)}`;
    case "raised":
      return `${functionName} raised ${clip(exceptionLine(outcome), 120)}`;
    case "refused":
      return `${functionName} cannot run: ${outcome.message ?? outcome.exception_message ?? "refused"}${
        outcome.code ? ` (${outcome.code})` : ""
      }`;
    case "timeout": {
      const limit = outcome.timeout_s ?? (outcome.duration_ms ? Math.round(outcome.duration_ms / 1000) : undefined);
      return `${functionName} timed out${limit !== undefined ? ` after ${limit} s` : ""}`;
    }
    case "killed":
      return `${functionName} was killed${outcome.limit ? ` (${outcome.limit} limit)` : ""}${
        outcome.message ? `: ${outcome.message}` : ""
      }`;
    case "error":
      return `${functionName} could not run: ${outcome.message ?? outcome.exception_message ?? "sandbox error"}`;
  }
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
