import * as path from "node:path";

/** Where the server binary came from, in the order they are tried. */
export type ServerSource = "setting" | "PATH" | "bundled";

export type ServerResolution =
  | { kind: "found"; path: string; source: ServerSource }
  | {
      kind: "missing";
      /** One paragraph: what was looked at, and how to install. */
      reason: string;
      /** Every file that was tried, in order. */
      searched: string[];
    };

export interface ResolveInput {
  /** `aviato.server.path`, unset when null, undefined or blank. */
  configuredPath: string | null | undefined;
  /** Base for a relative `aviato.server.path` and `${workspaceFolder}`. */
  workspaceFolder: string | undefined;
  homeDir: string;
  /** The `PATH` environment variable. */
  envPath: string | undefined;
  extensionPath: string;
  platform: NodeJS.Platform;
  isExecutableFile(candidate: string): boolean;
}

export const SERVER_NAME = "aviato-lsp";

function executableName(platform: NodeJS.Platform): string {
  return platform === "win32" ? `${SERVER_NAME}.exe` : SERVER_NAME;
}

/** Expands `~` and `${workspaceFolder}` and anchors a relative path at the workspace. */
export function expandConfiguredPath(configured: string, input: ResolveInput): string {
  let expanded = configured.trim();
  if (expanded === "~" || expanded.startsWith("~/")) {
    expanded = path.join(input.homeDir, expanded.slice(1));
  }
  if (input.workspaceFolder !== undefined) {
    expanded = expanded.replaceAll("${workspaceFolder}", input.workspaceFolder);
    if (!path.isAbsolute(expanded)) {
      expanded = path.join(input.workspaceFolder, expanded);
    }
  }
  return expanded;
}

/**
 * Finds the server: the setting when given (and then only the setting, so a
 * typo is reported instead of silently running another binary), else
 * `aviato-lsp` on PATH, else the binary shipped inside the extension.
 */
export function resolveServer(input: ResolveInput): ServerResolution {
  const configured = input.configuredPath?.trim();
  if (configured) {
    const candidate = expandConfiguredPath(configured, input);
    if (input.isExecutableFile(candidate)) {
      return { kind: "found", path: candidate, source: "setting" };
    }
    return {
      kind: "missing",
      reason:
        `aviato.server.path is set to "${configured}", but ${candidate} is not an executable file. ` +
        "Only that path is tried while the setting is set: fix it, or clear it to use aviato-lsp on PATH or the bundled one.",
      searched: [candidate],
    };
  }

  const name = executableName(input.platform);
  const separator = input.platform === "win32" ? ";" : ":";
  const directories = (input.envPath ?? "").split(separator).filter((dir) => dir !== "");
  const searched: string[] = [];
  for (const dir of directories) {
    const candidate = path.join(dir, name);
    searched.push(candidate);
    if (input.isExecutableFile(candidate)) {
      return { kind: "found", path: candidate, source: "PATH" };
    }
  }

  const bundled = path.join(input.extensionPath, "bundled", name);
  searched.push(bundled);
  if (input.isExecutableFile(bundled)) {
    return { kind: "found", path: bundled, source: "bundled" };
  }

  const onPath =
    directories.length === 0
      ? "the extension host's PATH is empty"
      : `not in any directory of the extension host's PATH (${directories.join(separator)})`;
  return {
    kind: "missing",
    reason:
      `${SERVER_NAME} was not found: aviato.server.path is unset; ${name} is ${onPath}; ` +
      `and ${bundled} does not exist (this build of the extension bundles no server). ` +
      "Install it with `pip install aviato-lsp` (or `uv tool install aviato-lsp`), install the platform build of the extension, " +
      "or set aviato.server.path.",
    searched,
  };
}
