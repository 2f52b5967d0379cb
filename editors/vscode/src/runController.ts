import * as path from "node:path";
import * as vscode from "vscode";
import { callLabel, isRunOutcome, type RunOutcome } from "./outcome";
import { RunReportView } from "./runReportView";
import { RunTracker, runStatusText, type InFlightRun } from "./runs";
import type { RunArguments } from "./sandboxFunctions";
import { reportDocument } from "./traceback";

/** The payload of the server's `aviato/runOutput` notification. */
export interface RunOutputParams {
  uri: string;
  function: string;
  line: number;
  stream: "stdout" | "stderr" | string;
  text: string;
}

function streamPrefix(stream: string): string {
  return stream === "stderr" ? "  stderr│ " : "  stdout│ ";
}

/**
 * Everything around one `aviato.run`: the status bar while it is in flight,
 * the run output channel, and what to offer when it ends. The value inline and
 * the error at the raising line come from the server (inlay hint, diagnostic).
 */
export class RunController implements vscode.Disposable {
  readonly tracker = new RunTracker();
  private readonly statusItem: vscode.StatusBarItem;
  private readonly streamed = new Set<number>();
  /** Per run and stream, output after its last newline. */
  private readonly partial = new Map<string, string>();
  private lastReport: vscode.Uri | undefined;

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly reports: RunReportView,
  ) {
    this.statusItem = vscode.window.createStatusBarItem("aviato.run", vscode.StatusBarAlignment.Left, 50);
    this.statusItem.name = "Aviato Run";
    this.statusItem.command = "aviato.cancelFunctionRun";
    this.tracker.onDidChange(() => this.updateStatus());
  }

  dispose(): void {
    this.statusItem.dispose();
  }

  /** Wraps the server's `aviato.run` (from a lens click or the palette). */
  async execute(args: RunArguments, send: () => Promise<unknown>): Promise<unknown> {
    const run = this.tracker.start(args);
    const where = `${path.basename(vscode.Uri.parse(args.uri).path)}:${args.line}`;
    this.output.appendLine(`▶ ${callLabel(args.function, args.args, args.callSite)} · ${where}`);
    let result: unknown;
    try {
      result = await send();
    } catch (error) {
      this.flushPartial(args);
      if (this.tracker.finish(run)) {
        const message = error instanceof Error ? error.message : String(error);
        this.output.appendLine(`  run failed: ${message}`);
        void vscode.window.showErrorMessage(`Aviato: running ${args.function} failed: ${message}`, "Show Output").then(
          (choice) => choice && this.output.show(true),
        );
      }
      throw error;
    }
    if (this.tracker.finish(run) && isRunOutcome(result)) {
      this.present(run, result);
    }
    this.streamed.delete(run.id);
    return result;
  }

  /**
   * Appends streamed stdout/stderr of a run in flight to the output channel as it
   * arrives: whole lines at once, the start of a line once it ends (or the run does).
   */
  onRunOutput(params: RunOutputParams): void {
    const run = this.tracker
      .list()
      .find((candidate) => candidate.args.uri === params.uri && candidate.args.function === params.function);
    if (run) this.streamed.add(run.id);
    const key = `${params.uri}#${params.function}#${params.stream}`;
    const lines = ((this.partial.get(key) ?? "") + params.text).split("\n");
    const rest = lines.pop() ?? "";
    if (rest) this.partial.set(key, rest);
    else this.partial.delete(key);
    for (const line of lines) this.output.appendLine(streamPrefix(params.stream) + line);
  }

  /** The end of a run's output that no newline ended. */
  private flushPartial(args: RunArguments): void {
    for (const stream of ["stdout", "stderr"]) {
      const key = `${args.uri}#${args.function}#${stream}`;
      const rest = this.partial.get(key);
      if (rest !== undefined) this.output.appendLine(streamPrefix(stream) + rest);
      this.partial.delete(key);
    }
  }

  /** Opens the report of the last failed run, if any. */
  async showLastReport(): Promise<void> {
    if (this.lastReport) {
      await this.reports.show(this.lastReport);
    } else {
      void vscode.window.showInformationMessage("Aviato: no run has failed yet.");
    }
  }

  private present(run: InFlightRun, outcome: RunOutcome): void {
    const { args } = run;
    if (!this.streamed.has(run.id)) {
      // The server did not stream this run's output: show what the outcome carries.
      for (const [stream, text] of [["stdout", outcome.stdout], ["stderr", outcome.stderr]] as const) {
        if (text) this.onRunOutput({ uri: args.uri, function: args.function, line: args.line, stream, text });
      }
    }
    this.flushPartial(args);
    for (const line of outcome.report.replace(/\n$/, "").split("\n")) this.output.appendLine(line && `  ${line}`);
    const summary = `${args.function} ${outcome.summary}`;

    if (outcome.outcome === "ok") {
      vscode.window.setStatusBarMessage(`$(check) ${summary}`, 8000);
      return;
    }

    const source = vscode.Uri.parse(args.uri);
    this.lastReport = this.reports.add(`${args.function} run report`, reportDocument(outcome), source);
    void vscode.commands.executeCommand("setContext", "aviato.hasTraceback", true);

    const reportUri = this.lastReport;
    const actions = outcome.outcome === "raised" ? ["Show Traceback", "Show Output"] : ["Show Details", "Show Output"];
    const show = outcome.outcome === "raised" || outcome.outcome === "refused"
      ? vscode.window.showWarningMessage
      : vscode.window.showErrorMessage;
    void show(`Aviato: ${summary}`, ...actions).then((choice) => {
      if (choice === "Show Output") this.output.show(true);
      else if (choice) void this.reports.show(reportUri);
    });
  }

  private updateStatus(): void {
    const runs = this.tracker.list();
    const text = runStatusText(runs);
    void vscode.commands.executeCommand("setContext", "aviato.runInFlight", text !== undefined);
    if (text === undefined) {
      this.statusItem.hide();
      return;
    }
    this.statusItem.text = text;
    this.statusItem.tooltip = `${runs.map((run) => run.args.function).join(", ")}: click to cancel`;
    this.statusItem.show();
  }
}
