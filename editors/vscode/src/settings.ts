/**
 * The settings object sent to the server (docs/lsp.md, "Settings"), as
 * `initializationOptions`, in `workspace/didChangeConfiguration` and as the
 * answer to `workspace/configuration` for the `aviato` section. Unset values
 * are left out so the project's `[tool.aviato-lsp]` table and the server's
 * defaults apply.
 */
export interface ServerSettings {
  select?: string[];
  ignore?: string[];
  severity?: Record<string, string>;
  sdk?: string;
  run?: {
    backend?: string;
    baseUrl?: string;
    timeout?: number;
    limits?: Partial<Record<LimitKey, number>>;
    interpreter?: string;
    images?: Record<string, string>;
  };
  codeLens?: { enable?: boolean; showResults?: boolean };
  inlayHints?: { showResults?: boolean };
}

/** The keys of `run.limits`, each its own `aviato.run.limits.*` setting. */
export const LIMIT_KEYS = ["cpuSeconds", "memoryMb", "processes", "fileSizeMb", "tmpfsMb", "outputKb"] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

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

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function booleanOrUndefined(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

export function serverSettings(get: SettingReader): ServerSettings {
  const limits = Object.fromEntries(LIMIT_KEYS.map((key) => [key, numberOrUndefined(get(`run.limits.${key}`))]));
  const settings: ServerSettings = {
    select: stringList(get("select")),
    ignore: stringList(get("ignore")),
    severity: nonEmptyObject<string>(get("severity")),
    sdk: nonBlank(get("sdk")),
    run: defined({
      backend: nonBlank(get("run.backend")),
      baseUrl: nonBlank(get("run.baseUrl")),
      timeout: numberOrUndefined(get("run.timeout")),
      limits: defined(limits),
      interpreter: nonBlank(get("run.interpreter")),
      images: nonEmptyObject<string>(get("run.images")),
    }),
    codeLens: defined({
      enable: booleanOrUndefined(get("codeLens.enable")),
      showResults: booleanOrUndefined(get("codeLens.showResults")),
    }),
    inlayHints: defined({ showResults: booleanOrUndefined(get("inlayHints.showResults")) }),
  };
  return defined(settings) ?? {};
}
