import type { RunArguments } from "./sandboxFunctions";

/** A run the server is executing, as the client sees it. */
export interface InFlightRun {
  id: number;
  args: RunArguments;
  startedAt: number;
}

function runKey(args: Pick<RunArguments, "uri" | "function" | "line">): string {
  return `${args.uri}#${args.function}@${args.line}`;
}

/**
 * The runs in flight, one per function like the server (a new run of the
 * same function replaces the old one), so that the status bar can show them
 * and Cancel Run knows what to cancel.
 */
export class RunTracker {
  private readonly runs = new Map<string, InFlightRun>();
  private nextId = 1;
  private readonly listeners: (() => void)[] = [];

  onDidChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  start(args: RunArguments, now = Date.now()): InFlightRun {
    const run = { id: this.nextId++, args, startedAt: now };
    this.runs.set(runKey(args), run);
    this.changed();
    return run;
  }

  /** Ends `run`; false when a newer run of the same function replaced it. */
  finish(run: InFlightRun): boolean {
    const key = runKey(run.args);
    if (this.runs.get(key)?.id !== run.id) return false;
    this.runs.delete(key);
    this.changed();
    return true;
  }

  isCurrent(run: InFlightRun): boolean {
    return this.runs.get(runKey(run.args))?.id === run.id;
  }

  list(): InFlightRun[] {
    return [...this.runs.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  clear(): void {
    this.runs.clear();
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** The status bar text for the runs in flight, or undefined when there are none. */
export function runStatusText(runs: InFlightRun[]): string | undefined {
  if (runs.length === 0) return undefined;
  if (runs.length === 1) return `$(sync~spin) Running ${runs[0].args.function} in sandbox`;
  return `$(sync~spin) ${runs.length} sandbox runs`;
}
