import assert from "node:assert/strict";
import { test } from "node:test";
import { serverSettings } from "../src/settings";

test("unset values are left out so project settings apply", () => {
  const defaults: Record<string, unknown> = {
    select: null,
    ignore: null,
    severity: null,
    "run.backend": "local",
    "run.timeout": 30,
    "run.limits": {},
    "run.interpreter": null,
    "run.images": {},
    "codeLens.enable": true,
    "inlayHints.showResults": true,
  };
  assert.deepEqual(serverSettings((key) => defaults[key]), {
    run: { backend: "local", timeout: 30 },
    codeLens: { enable: true },
    inlayHints: { showResults: true },
  });
});

test("every setting reaches the server object", () => {
  const values: Record<string, unknown> = {
    select: ["AV2", "pickle-trust"],
    ignore: ["AV305"],
    severity: { AV302: "error" },
    "run.backend": "aviato",
    "run.timeout": 5,
    "run.limits": { memoryMb: 256 },
    "run.interpreter": " /usr/bin/python3.12 ",
    "run.images": { "python:3.11": "/usr/bin/python3.11" },
    "codeLens.enable": false,
    "inlayHints.showResults": false,
  };
  assert.deepEqual(serverSettings((key) => values[key]), {
    select: ["AV2", "pickle-trust"],
    ignore: ["AV305"],
    severity: { AV302: "error" },
    run: {
      backend: "aviato",
      timeout: 5,
      limits: { memoryMb: 256 },
      interpreter: "/usr/bin/python3.12",
      images: { "python:3.11": "/usr/bin/python3.11" },
    },
    codeLens: { enable: false },
    inlayHints: { showResults: false },
  });
});

test("nothing set gives an empty object", () => {
  assert.deepEqual(serverSettings(() => undefined), {});
});
