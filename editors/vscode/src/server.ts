import * as fs from "node:fs";
import * as os from "node:os";
import * as readline from "node:readline";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import type { RunController, RunOutputParams } from "./runController";
import { RUN_COMMAND, isRunArguments } from "./sandboxFunctions";
import { ServerLogParser } from "./serverLog";
import { resolveServer, type ServerResolution } from "./serverPath";
import { serverSettings } from "./settings";

const CLIENT_ID = "aviato";
const CLIENT_NAME = "Aviato";

function isExecutableFile(candidate: string): boolean {
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

export function readServerSettings(): ReturnType<typeof serverSettings> {
  const config = vscode.workspace.getConfiguration("aviato");
  return serverSettings((key) => config.get(key));
}

/** Owns the language client: finds the binary, starts, restarts and stops it. */
export class Server implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private restarting: Promise<void> = Promise.resolve();
  private readonly status: vscode.LanguageStatusItem;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly runs: RunController,
  ) {
    this.status = vscode.languages.createLanguageStatusItem("aviato.server", { language: "python" });
    this.status.name = "Aviato";
    this.status.command = { title: "Show Logs", command: "aviato.showLogs" };
  }

  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  /** Whether the running server executes `command` (advertised in `executeCommandProvider`). */
  supportsCommand(command: string): boolean {
    return this.running?.initializeResult?.capabilities.executeCommandProvider?.commands.includes(command) ?? false;
  }

  /** Whether the running server answers `aviato/sandboxFunctions`. */
  supportsSandboxFunctions(): boolean {
    const experimental = this.running?.initializeResult?.capabilities.experimental as
      | { sandboxFunctions?: boolean }
      | undefined;
    return experimental?.sandboxFunctions === true;
  }

  resolve(): ServerResolution {
    return resolveServer({
      configuredPath: vscode.workspace.getConfiguration("aviato").get<string | null>("server.path"),
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      homeDir: os.homedir(),
      envPath: process.env.PATH,
      extensionPath: this.context.extensionPath,
      platform: process.platform,
      isExecutableFile,
    });
  }

  async start(): Promise<void> {
    const resolution = this.resolve();
    if (resolution.kind === "missing") {
      this.log.error(resolution.reason);
      for (const candidate of resolution.searched) this.log.info(`looked for ${candidate}: not an executable file`);
      this.setStatus("aviato-lsp not found", vscode.LanguageStatusSeverity.Error);
      void this.offerInstallHelp(resolution.reason);
      return;
    }
    this.log.info(`Starting ${resolution.path} (from ${resolution.source})`);

    const extraEnv = vscode.workspace.getConfiguration("aviato").get<Record<string, string>>("server.extraEnv") ?? {};
    const serverOptions: ServerOptions = {
      command: resolution.path,
      args: ["server"],
      options: { env: { ...process.env, ...extraEnv } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "untitled", language: "python" },
      ],
      outputChannel: this.log,
      traceOutputChannel: this.log,
      // The server's stderr at the level it logged each line at (the default
      // shows every stderr line as an error).
      stdioOptions: {
        stdout: (input, channel) => lines(input, (line) => channel.info(line)),
        stderr: (input, channel) => {
          const parser = new ServerLogParser();
          lines(input, (line) => {
            const { level, text } = parser.parse(line);
            channel[level](text);
          });
        },
      },
      initializationOptions: readServerSettings(),
      middleware: {
        executeCommand: (command, args, next) => {
          const runArgs = args[0];
          if (command === RUN_COMMAND && isRunArguments(runArgs)) {
            return this.runs.execute(runArgs, async () => next(command, args));
          }
          return next(command, args);
        },
        workspace: {
          configuration: (params, token, next) =>
            params.items.some((item) => item.section === "aviato")
              ? params.items.map((item) => (item.section === "aviato" ? readServerSettings() : null))
              : next(params, token),
        },
      },
    };

    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client.onNotification("aviato/runOutput", (params: RunOutputParams) => this.runs.onRunOutput(params));
    client.onDidChangeState(({ newState }) => {
      void vscode.commands.executeCommand("setContext", "aviato.serverRunning", newState === State.Running);
      if (newState === State.Stopped) this.runs.tracker.clear();
    });
    this.client = client;
    this.setStatus("aviato-lsp starting", vscode.LanguageStatusSeverity.Information);
    try {
      await client.start();
    } catch (error) {
      this.setStatus("aviato-lsp failed to start", vscode.LanguageStatusSeverity.Error);
      this.log.error(`aviato-lsp failed to start: ${error instanceof Error ? error.message : String(error)}`);
      void vscode.window.showErrorMessage(`Aviato: ${resolution.path} failed to start.`, "Show Logs").then((choice) => {
        if (choice) this.log.show(true);
      });
      return;
    }
    const info = client.initializeResult?.serverInfo;
    this.setStatus(`${info?.name ?? "aviato-lsp"} ${info?.version ?? ""}`.trim(), vscode.LanguageStatusSeverity.Information);
    this.status.detail = resolution.path;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.isRunning()) await client.stop();
    else await client?.dispose();
  }

  /** Stops the server and starts it again; restarts asked for meanwhile run after it, in order. */
  restart(): Promise<void> {
    this.restarting = this.restarting.then(async () => {
      await this.stop();
      await this.start();
    });
    return this.restarting;
  }

  /** Forwards a settings change: a new process for the binary, a notification for the rest. */
  async onConfigurationChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!event.affectsConfiguration("aviato")) return;
    if (event.affectsConfiguration("aviato.server")) {
      this.log.info("aviato.server settings changed: restarting the server");
      await this.restart();
      return;
    }
    this.log.info("aviato settings changed: sending them to the server");
    await this.running?.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { aviato: readServerSettings() },
    });
  }

  dispose(): void {
    this.status.dispose();
    void this.stop();
  }

  private setStatus(text: string, severity: vscode.LanguageStatusSeverity): void {
    this.status.text = text;
    this.status.severity = severity;
  }

  private async offerInstallHelp(reason: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(`Aviato: ${reason}`, "How to Install", "Open Settings");
    if (choice === "How to Install") {
      // vsce stores the README as readme.md; a development checkout has README.md.
      const readme = ["readme.md", "README.md"]
        .map((name) => vscode.Uri.joinPath(this.context.extensionUri, name))
        .find((uri) => fs.existsSync(uri.fsPath));
      if (readme) await vscode.commands.executeCommand("markdown.showPreview", readme);
    } else if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "aviato.server.path");
    }
  }
}

function lines(input: NodeJS.ReadableStream, each: (line: string) => void): void {
  readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on("line", each);
}
