import assert from "node:assert/strict";
import { test } from "node:test";
import { ServerLogParser } from "../src/serverLog";

test("tracing lines keep their level, without the timestamp", () => {
  const parser = new ServerLogParser();
  assert.deepEqual(
    parser.parse("2026-12-05T01:31:48.123456Z  INFO aviato_lsp_server::handlers::initialize: initialized with Utf16 positions"),
    { level: "info", text: "aviato_lsp_server::handlers::initialize: initialized with Utf16 positions" },
  );
  assert.deepEqual(parser.parse("2026-12-05T01:31:48.2Z  WARN aviato_lsp_server: slow"), {
    level: "warn",
    text: "aviato_lsp_server: slow",
  });
  assert.equal(parser.parse("2026-12-05T01:31:48Z DEBUG x: y").level, "debug");
  assert.equal(parser.parse("2026-12-05T01:31:48Z TRACE x: y").level, "trace");
  assert.equal(parser.parse("2026-12-05T01:31:48Z ERROR x: y").level, "error");
  assert.equal(parser.parse("  INFO without a timestamp").level, "info");
});

test("indented lines continue the message before; anything else is an error", () => {
  const parser = new ServerLogParser();
  parser.parse("2026-12-05T01:31:48Z  INFO x: a message");
  assert.deepEqual(parser.parse("    on two lines"), { level: "info", text: "    on two lines" });
  assert.deepEqual(parser.parse("thread 'main' panicked at server/aviato-lsp-server/src/lib.rs:1:1:"), {
    level: "error",
    text: "thread 'main' panicked at server/aviato-lsp-server/src/lib.rs:1:1:",
  });
  assert.equal(parser.parse("  note: run with RUST_BACKTRACE=1").level, "error");
});
