/**
 * The sandbox functions of a document as the server's analysis sees them
 * (`aviato/sandboxFunctions`, docs/lsp.md), and what "run the function under
 * the cursor" does with one. No VS Code types, so it can be unit-tested; the
 * extension parses no Python itself.
 */

/** The argument object of the server's `aviato.run` command. */
export interface RunArguments {
  uri: string;
  function: string;
  line: number;
  args?: string;
  callSite?: number;
}

export const RUN_COMMAND = "aviato.run";
export const CANCEL_COMMAND = "aviato.cancelRun";
export const EXPLAIN_COMMAND = "aviato.explain";
export const SANDBOX_FUNCTIONS_REQUEST = "aviato/sandboxFunctions";

export function isRunArguments(value: unknown): value is RunArguments {
  const candidate = value as Partial<RunArguments> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.uri === "string" &&
    typeof candidate.function === "string" &&
    typeof candidate.line === "number"
  );
}

interface Position {
  line: number;
  character: number;
}

interface Range {
  start: Position;
  end: Position;
}

/** One entry of the `aviato/sandboxFunctions` answer. */
export interface SandboxFunction {
  name: string;
  line: number;
  range: Range;
  nameRange: Range;
  signature: string;
  parameters: { name: string; kind: string; annotation: string | null; default: string | null }[];
  needsArguments: boolean;
  exampleArguments: string;
  callSites: {
    range: Range;
    line: number;
    text: string;
    kind: "direct" | "remote" | "map";
    arguments: string | null;
    notStatic: string | null;
    usable: boolean;
  }[];
  defaultCallSite: number | null;
  runsWithoutArguments: boolean;
  cannotRun: { code: string; message: string } | null;
  run: RunArguments;
}

/** What running a function asks of the editor. */
export type RunPlan =
  | { kind: "explain"; args: RunArguments }
  | { kind: "run"; args: RunArguments }
  | { kind: "ask"; args: RunArguments; prompt: string; placeHolder: string };

/**
 * A function that cannot run is explained by the server; one that runs without
 * arguments runs (with the first static call's, or its defaults); otherwise
 * the user is asked for arguments, with an example fitting the parameters.
 */
export function runPlan(fn: SandboxFunction): RunPlan {
  const args: RunArguments = { uri: fn.run.uri, function: fn.run.function, line: fn.run.line };
  if (fn.cannotRun) return { kind: "explain", args };
  if (fn.runsWithoutArguments) return { kind: "run", args };
  return {
    kind: "ask",
    args,
    prompt: `Arguments for ${fn.signature}, as in a Python call`,
    placeHolder: fn.exampleArguments ? `e.g. ${fn.exampleArguments}` : 'e.g. 2, 3   or   "b", x=[1, 2]',
  };
}
