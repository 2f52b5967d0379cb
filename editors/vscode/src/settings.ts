/**
 * The settings object sent to the server, as `initializationOptions`, in
 * `workspace/didChangeConfiguration` and as the answer to `workspace/configuration`
 * for the `aviato` section. Unset values are left out so the project's
 * `[tool.aviato-lsp]` table and the server's defaults apply.
 */
export interface ServerSettings {
  select?: string[];
  ignore?: string[];
  severity?: Record<string, string>;
  run?: {
    backend?: string;
    timeout?: number;
    limits?: Record<string, number>;
    interpreter?: string;
    images?: Record<string, string>;
  };
  codeLens?: { enable?: boolean };
  inlayHints?: { showResults?: boolean };
}

/** Reads one `aviato.*` setting, e.g. `get("run.timeout")`. */
export type SettingReader = (key: string) => unknown;

function defined<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, item]) => item !== undefined && item !== null);
  return entries.length ? (Object.fromEntries(entries) as T) : undefined;
}

function nonEmptyObject<T>(value: unknown): Record<string, T> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length
    ? (value as Record<string, T>)
    : undefined;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : undefined;
}

function nonBlank(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

export function serverSettings(get: SettingReader): ServerSettings {
  const settings: ServerSettings = {
    select: stringList(get("select")),
    ignore: stringList(get("ignore")),
    severity: nonEmptyObject<string>(get("severity")),
    run: defined({
      backend: nonBlank(get("run.backend")),
      timeout: typeof get("run.timeout") === "number" ? (get("run.timeout") as number) : undefined,
      limits: nonEmptyObject<number>(get("run.limits")),
      interpreter: nonBlank(get("run.interpreter")),
      images: nonEmptyObject<string>(get("run.images")),
    }),
    codeLens: defined({ enable: booleanOrUndefined(get("codeLens.enable")) }),
    inlayHints: defined({ showResults: booleanOrUndefined(get("inlayHints.showResults")) }),
  };
  return defined(settings) ?? {};
}

function booleanOrUndefined(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/** Settings whose change needs a new server process rather than a notification. */
export const RESTART_SETTINGS = ["aviato.server.path", "aviato.server.extraEnv"];
