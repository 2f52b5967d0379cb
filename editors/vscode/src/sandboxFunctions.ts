/**
 * Finding the sandbox function under the cursor from the server's code lenses
 * and the document text, with no VS Code types so it can be unit-tested.
 */

/** The argument object of the server's `aviato.run` command. */
export interface RunArguments {
  uri: string;
  function: string;
  line: number;
  args?: string;
  callSite?: number;
}

/** A code lens as the server sent it, reduced to what is needed here. */
export interface Lens {
  /** 0-based line of the lens range start. */
  line: number;
  title: string;
  command: string;
  arguments: unknown[];
}

export const RUN_COMMAND = "aviato.run";
export const CANCEL_COMMAND = "aviato.cancelRun";

export function isRunArguments(value: unknown): value is RunArguments {
  const candidate = value as Partial<RunArguments> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.uri === "string" &&
    typeof candidate.function === "string" &&
    typeof candidate.line === "number"
  );
}

/** A sandbox function known from a lens: where it starts, its def line, and its lenses. */
export interface SandboxFunction {
  name: string;
  /** 0-based first line (the first decorator, or the lens line). */
  start: number;
  /** 0-based `def` line. */
  defLine: number;
  /** 0-based last line of the body. */
  end: number;
  /** The function's own lens (run, or the reason it cannot run). */
  lens: Lens;
  /** Lenses that run it from a call site with literal arguments. */
  callSiteLenses: Lens[];
}

function indentation(line: string): number {
  return line.length - line.trimStart().length;
}

function isBlankOrComment(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === "" || trimmed.startsWith("#");
}

/** 0-based line of `def name(` at or below `from`, looking a few lines down past decorators. */
export function findDefLine(lines: string[], name: string, from: number): number | undefined {
  const pattern = new RegExp(`^\\s*(?:async\\s+)?def\\s+${name.replace(/[$]/g, "\\$")}\\s*[(\\[]`);
  for (let index = Math.max(0, from); index < Math.min(lines.length, from + 40); index++) {
    if (pattern.test(lines[index])) return index;
  }
  return undefined;
}

/**
 * The text between the parentheses of the `def` starting at `defLine` (which
 * may span lines), without comments: `"x: int, y: int"`.
 */
export function parameterText(lines: string[], defLine: number): string | undefined {
  const text = lines.slice(defLine, defLine + 60).map((line) => stripComment(line)).join("\n");
  const open = text.indexOf("(", text.search(/\bdef\b/));
  if (open < 0) return undefined;
  let depth = 0;
  let quote: string | undefined;
  for (let index = open; index < text.length; index++) {
    const char = text[index];
    if (quote) {
      if (char === "\\") index++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if ("([{".includes(char)) {
      depth++;
    } else if (")]}".includes(char)) {
      depth--;
      if (depth === 0) {
        return text
          .slice(open + 1, index)
          .split("\n")
          .map((part) => part.trim())
          .join(" ")
          .replace(/,\s*$/, "")
          .trim();
      }
    }
  }
  return undefined;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (quote) {
      if (char === "\\") index++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === "#") {
      return line.slice(0, index);
    }
  }
  return line;
}

/** Whether a parameter list asks the caller for anything (`*` and `/` alone do not). */
export function takesParameters(parameters: string | undefined): boolean {
  if (parameters === undefined) return false;
  return parameters
    .split(",")
    .map((part) => part.trim())
    .some((part) => part !== "" && part !== "*" && part !== "/");
}

/** 0-based last line of the block that starts with the `def` at `defLine`. */
export function blockEnd(lines: string[], defLine: number): number {
  const defIndent = indentation(lines[defLine]);
  // The header may continue over several lines until the parentheses close.
  let index = defLine;
  let depth = 0;
  for (; index < lines.length; index++) {
    for (const char of stripComment(lines[index])) {
      if ("([{".includes(char)) depth++;
      else if (")]}".includes(char)) depth--;
    }
    if (depth <= 0 && /:\s*(\S.*)?$/.test(stripComment(lines[index]).trimEnd())) break;
  }
  let end = Math.min(index, lines.length - 1);
  for (let next = index + 1; next < lines.length; next++) {
    if (isBlankOrComment(lines[next])) continue;
    if (indentation(lines[next]) <= defIndent) break;
    end = next;
  }
  return end;
}

/** 0-based line of the first decorator above the `def` at `defLine` (the def line if none). */
export function decoratorStart(lines: string[], defLine: number): number {
  const defIndent = indentation(lines[defLine]);
  let start = defLine;
  for (let index = defLine - 1; index >= 0; index--) {
    const line = lines[index];
    const indent = indentation(line);
    if (indent === defIndent && line.trimStart().startsWith("@")) {
      start = index;
    } else if (!(indent > defIndent || (indent === defIndent && /^[)\]}]/.test(line.trimStart())))) {
      // Not a decorator nor the continuation of a multi-line one.
      break;
    }
  }
  return start;
}

function runArguments(lens: Lens): RunArguments | undefined {
  return lens.arguments.find(isRunArguments);
}

/** Groups the lenses by function: each function's own lens and its call-site lenses. */
export function sandboxFunctions(lines: string[], lenses: Lens[]): SandboxFunction[] {
  const functions: SandboxFunction[] = [];
  const callSites: { key: string; lens: Lens }[] = [];
  for (const lens of lenses) {
    const args = runArguments(lens);
    if (!args) continue;
    if (args.callSite !== undefined && args.callSite !== null) {
      callSites.push({ key: `${args.function}@${args.line}`, lens });
      continue;
    }
    const defLine = findDefLine(lines, args.function, lens.line);
    if (defLine === undefined) continue;
    functions.push({
      name: args.function,
      start: Math.min(lens.line, decoratorStart(lines, defLine)),
      defLine,
      end: blockEnd(lines, defLine),
      lens,
      callSiteLenses: [],
    });
  }
  for (const callSite of callSites) {
    const owner = functions.find((fn) => {
      const args = runArguments(fn.lens);
      return args !== undefined && `${args.function}@${args.line}` === callSite.key;
    });
    owner?.callSiteLenses.push(callSite.lens);
  }
  return functions;
}

/** The innermost sandbox function whose lines contain `cursorLine`. */
export function functionAt(functions: SandboxFunction[], cursorLine: number): SandboxFunction | undefined {
  return functions
    .filter((fn) => fn.start <= cursorLine && cursorLine <= fn.end)
    .sort((a, b) => b.start - a.start)[0];
}
