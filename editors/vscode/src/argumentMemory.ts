/** The part of VS Code's `Memento` (workspaceState) this module needs. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const STATE_KEY = "aviato.runArguments";

/** How many functions' arguments are kept; the least recently used go first. */
export const MAX_REMEMBERED = 200;

/**
 * The last arguments typed for each function, so that running it again offers
 * them. Keyed by document and function name, not line: lines move as the user
 * edits, names rarely do.
 */
export class ArgumentMemory {
  constructor(private readonly state: StateStore) {}

  recall(uri: string, functionName: string): string | undefined {
    return this.entries()[ArgumentMemory.key(uri, functionName)];
  }

  async remember(uri: string, functionName: string, args: string): Promise<void> {
    const key = ArgumentMemory.key(uri, functionName);
    const entries = this.entries();
    delete entries[key];
    entries[key] = args.trim();
    const keys = Object.keys(entries);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_REMEMBERED))) {
      delete entries[old];
    }
    await this.state.update(STATE_KEY, entries);
  }

  private entries(): Record<string, string> {
    return { ...(this.state.get<Record<string, string>>(STATE_KEY) ?? {}) };
  }

  private static key(uri: string, functionName: string): string {
    return `${uri}#${functionName}`;
  }
}
