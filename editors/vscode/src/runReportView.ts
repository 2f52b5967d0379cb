import * as path from "node:path";
import * as vscode from "vscode";
import { frameLinks } from "./traceback";

export const REPORT_SCHEME = "aviato-run";

interface Report {
  text: string;
  /** The document the run came from, to link frames that name it. */
  source: vscode.Uri;
}

/**
 * Read-only virtual documents holding run reports (traceback, stdout,
 * stderr), with each `File "...", line N` linked to its place.
 */
export class RunReportView implements vscode.TextDocumentContentProvider, vscode.DocumentLinkProvider {
  private readonly reports = new Map<string, Report>();
  private nextId = 1;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  register(): vscode.Disposable {
    return vscode.Disposable.from(
      vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this),
      vscode.languages.registerDocumentLinkProvider({ scheme: REPORT_SCHEME }, this),
      this.changed,
    );
  }

  /** Stores a report and returns the URI that shows it. */
  add(title: string, text: string, source: vscode.Uri): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${title}`, query: String(this.nextId++) });
    this.reports.set(uri.toString(), { text, source });
    // Keep the last few; older report tabs then show a note instead of stale text.
    const keys = [...this.reports.keys()];
    for (const old of keys.slice(0, Math.max(0, keys.length - 20))) this.reports.delete(old);
    return uri;
  }

  async show(uri: vscode.Uri): Promise<void> {
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.reports.get(uri.toString())?.text ?? "This run report is no longer kept; run the function again.\n";
  }

  provideDocumentLinks(document: vscode.TextDocument): vscode.DocumentLink[] {
    const report = this.reports.get(document.uri.toString());
    if (!report) return [];
    return frameLinks(report.text).flatMap((frame) => {
      const target = frameTarget(frame.file, report.source);
      if (!target) return [];
      const range = new vscode.Range(frame.line, frame.start, frame.line, frame.end);
      const link = new vscode.DocumentLink(range, target.with({ fragment: `L${frame.target}` }));
      link.tooltip = `Go to line ${frame.target}`;
      return [link];
    });
  }
}

/** The file a traceback frame points at: the run's own document, or an absolute path. */
export function frameTarget(file: string, source: vscode.Uri): vscode.Uri | undefined {
  if (source.scheme === "file" && (file === source.fsPath || path.basename(file) === path.basename(source.fsPath))) {
    return source;
  }
  if (source.scheme !== "file" && file === source.toString()) return source;
  return path.isAbsolute(file) ? vscode.Uri.file(file) : undefined;
}
