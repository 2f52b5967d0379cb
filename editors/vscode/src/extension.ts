import * as vscode from "vscode";
import { CodeLensRequest, CodeLensResolveRequest, type CodeLens } from "vscode-languageclient/node";
import { ArgumentMemory } from "./argumentMemory";
import { RunController } from "./runController";
import { RunReportView } from "./runReportView";
import {
  CANCEL_COMMAND,
  RUN_COMMAND,
  functionAt,
  isRunArguments,
  parameterText,
  sandboxFunctions,
  takesParameters,
  type Lens,
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

async function documentLenses(document: vscode.TextDocument): Promise<Lens[]> {
  const client = server?.running;
  if (!client) return [];
  const resolves = client.initializeResult?.capabilities.codeLensProvider?.resolveProvider ?? false;
  const lenses: CodeLens[] =
    (await client.sendRequest(CodeLensRequest.type, { textDocument: { uri: document.uri.toString() } })) ?? [];
  const resolved = await Promise.all(
    lenses.map((lens) => (lens.command || !resolves ? lens : client.sendRequest(CodeLensResolveRequest.type, lens))),
  );
  return resolved.flatMap((lens) =>
    lens.command
      ? [{ line: lens.range.start.line, title: lens.command.title, command: lens.command.command, arguments: lens.command.arguments ?? [] }]
      : [],
  );
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

  const document = editor.document;
  const lines = document.getText().split(/\r?\n/);
  const functions = sandboxFunctions(lines, await documentLenses(document));
  const target = functionAt(functions, editor.selection.active.line);
  if (!target && vscode.workspace.getConfiguration("aviato").get("codeLens.enable") === false) {
    // The server lists sandbox functions only through its lenses.
    void vscode.window.showInformationMessage(
      "Aviato: Run Function in Sandbox finds functions through the server's code lenses, which aviato.codeLens.enable turns off.",
    );
    return;
  }
  if (!target) {
    void vscode.window.showInformationMessage(
      "Aviato: the cursor is not inside a sandbox function (a function decorated with @session.function()).",
    );
    return;
  }
  if (target.lens.command !== RUN_COMMAND) {
    // The server explains why this function cannot run.
    await vscode.commands.executeCommand(target.lens.command, ...target.lens.arguments);
    return;
  }

  let args = target.lens.arguments.find(isRunArguments);
  if (!args) return;
  const parameters = parameterText(lines, target.defLine);
  if (takesParameters(parameters) && target.callSiteLenses.length === 0) {
    const uri = document.uri.toString();
    const typed = await vscode.window.showInputBox({
      title: `Run ${target.name} in sandbox`,
      prompt: `Arguments for ${target.name}(${parameters}), as in a Python call`,
      placeHolder: 'e.g. 2, 3   or   "b", x=[1, 2]',
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
