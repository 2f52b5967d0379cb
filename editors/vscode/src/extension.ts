import * as vscode from "vscode";
import { ArgumentMemory } from "./argumentMemory";
import { RunController } from "./runController";
import { RunReportView } from "./runReportView";
import {
  CANCEL_COMMAND,
  EXPLAIN_COMMAND,
  RUN_COMMAND,
  SANDBOX_FUNCTIONS_REQUEST,
  runPlan,
  type SandboxFunction,
} from "./sandboxFunctions";
import { Server } from "./server";

let server: Server | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel("Aviato", { log: true });
  const runOutput = vscode.window.createOutputChannel("Aviato Run Output");
  const reports = new RunReportView();
  const runs = new RunController(runOutput, reports);
  const memory = new ArgumentMemory(context.workspaceState);
  server = new Server(context, log, runs);

  context.subscriptions.push(
    log,
    runOutput,
    reports.register(),
    runs,
    server,
    vscode.commands.registerCommand("aviato.runFunction", () => runFunctionAtCursor(memory)),
    vscode.commands.registerCommand("aviato.cancelFunctionRun", () => cancelRun(runs)),
    vscode.commands.registerCommand("aviato.restartServer", () => server?.restart()),
    vscode.commands.registerCommand("aviato.showOutput", () => runOutput.show(true)),
    vscode.commands.registerCommand("aviato.showLogs", () => log.show(true)),
    vscode.commands.registerCommand("aviato.showTraceback", () => runs.showLastReport()),
    vscode.workspace.onDidChangeConfiguration((event) => server?.onConfigurationChanged(event)),
  );
  await server.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}

/** Runs the sandbox function under the cursor, asking for arguments when it needs them. */
async function runFunctionAtCursor(memory: ArgumentMemory): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "python") {
    void vscode.window.showInformationMessage("Aviato: open a Python file and put the cursor in a sandbox function.");
    return;
  }
  if (!server?.running) {
    void vscode.window.showErrorMessage("Aviato: the language server is not running.", "Show Logs").then(
      (choice) => choice && vscode.commands.executeCommand("aviato.showLogs"),
    );
    return;
  }
  if (!server.supportsCommand(RUN_COMMAND)) {
    void vscode.window.showInformationMessage(
      `Aviato: this aviato-lsp cannot run functions (it does not offer the ${RUN_COMMAND} command); update it.`,
    );
    return;
  }

  if (!server.supportsSandboxFunctions()) {
    void vscode.window.showInformationMessage(
      `Aviato: this aviato-lsp cannot list sandbox functions (no ${SANDBOX_FUNCTIONS_REQUEST} request); update it.`,
    );
    return;
  }

  const client = server.running;
  const document = editor.document;
  // The server's analysis finds the function around the cursor, lenses or not.
  const found: SandboxFunction[] =
    (await client?.sendRequest(SANDBOX_FUNCTIONS_REQUEST, {
      textDocument: { uri: document.uri.toString() },
      position: { line: editor.selection.active.line, character: editor.selection.active.character },
    })) ?? [];
  const target = found[0];
  if (!target) {
    void vscode.window.showInformationMessage(
      "Aviato: the cursor is not inside a sandbox function (a function decorated with @session.function()).",
    );
    return;
  }

  const plan = runPlan(target);
  if (plan.kind === "explain") {
    // The server says why this function cannot run.
    await vscode.commands.executeCommand(EXPLAIN_COMMAND, plan.args);
    return;
  }
  let args = plan.args;
  if (plan.kind === "ask") {
    const uri = document.uri.toString();
    const typed = await vscode.window.showInputBox({
      title: `Run ${target.name} in sandbox`,
      prompt: plan.prompt,
      placeHolder: plan.placeHolder,
      value: memory.recall(uri, target.name) ?? "",
      ignoreFocusOut: true,
    });
    if (typed === undefined) return;
    await memory.remember(uri, target.name, typed);
    args = { ...args, args: typed.trim() };
  }
  await vscode.commands.executeCommand(RUN_COMMAND, args);
}

async function cancelRun(runs: RunController): Promise<void> {
  const inFlight = runs.tracker.list();
  if (inFlight.length === 0) {
    void vscode.window.showInformationMessage("Aviato: no run in flight.");
    return;
  }
  const picked =
    inFlight.length === 1
      ? inFlight[0]
      : (
          await vscode.window.showQuickPick(
            inFlight.map((run) => ({
              label: run.args.function,
              description: `${vscode.workspace.asRelativePath(vscode.Uri.parse(run.args.uri))}:${run.args.line}`,
              run,
            })),
            { title: "Cancel which run?" },
          )
        )?.run;
  if (!picked || !server?.running) return;
  const { uri, function: name, line } = picked.args;
  await vscode.commands.executeCommand(CANCEL_COMMAND, { uri, function: name, line });
}
