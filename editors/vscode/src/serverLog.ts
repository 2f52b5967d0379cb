/**
 * The server's stderr, line by line, at the level it was logged at: aviato-lsp
 * logs with `tracing` (`2026-01-02T03:04:05.678Z  INFO target: message`), and a
 * routine INFO line is not an error. No VS Code types, so it can be unit-tested.
 */

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

export interface LogLine {
  level: LogLevel;
  /** The line without the timestamp and level, which the channel adds itself. */
  text: string;
}

const LEVELS: Record<string, LogLevel> = {
  TRACE: "trace",
  DEBUG: "debug",
  INFO: "info",
  WARN: "warn",
  ERROR: "error",
};

const TRACING_LINE = /^\s*(?:\d{4}-\d\d-\d\dT[\d:.]+Z?\s+)?(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$/;

/**
 * Reads stderr lines in order: a line with a level is logged at it; an indented
 * line continues the one before (a multi-line message); anything else (a panic,
 * a message from outside the logger) is an error.
 */
export class ServerLogParser {
  private last: LogLevel | undefined;

  parse(line: string): LogLine {
    const match = TRACING_LINE.exec(line);
    if (match) {
      this.last = LEVELS[match[1]];
      return { level: this.last, text: match[2] };
    }
    if (this.last !== undefined && /^\s/.test(line)) {
      return { level: this.last, text: line };
    }
    this.last = undefined;
    return { level: "error", text: line };
  }
}
