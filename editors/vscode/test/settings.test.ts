import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { serverSettings } from "../src/settings";
import { REPO } from "./capturedOutcomes";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const lspDoc = readFileSync(path.join(REPO, "docs/lsp.md"), "utf8");
const settingsSection = lspDoc.slice(lspDoc.indexOf("## Settings"));
/** The example settings object of docs/lsp.md, which names every key. */
const example = JSON.parse(/```json\n([\s\S]*?)```/.exec(settingsSection)![1]) as Record<string, Json>;

const manifest = JSON.parse(readFileSync(path.join(__dirname, "../package.json"), "utf8"));
const properties: Record<string, { default?: unknown }> = manifest.contributes.configuration.properties;
/** The `aviato.*` settings that go to the server, without the `aviato.` prefix. */
const serverKeys = Object.keys(properties)
  .filter((key) => !key.startsWith("aviato.server.") && key !== "aviato.trace.server")
  .map((key) => key.slice("aviato.".length));

/** The example's values by setting key: `run.limits.tmpfsMb`, `severity` (a map is one setting)... */
function byKey(value: Record<string, Json>, prefix = ""): Map<string, Json> {
  const found = new Map<string, Json>();
  for (const [name, item] of Object.entries(value)) {
    const key = prefix + name;
    if (serverKeys.includes(key)) {
      found.set(key, item);
    } else if (typeof item === "object" && item !== null && !Array.isArray(item)) {
      for (const [inner, innerValue] of byKey(item, `${key}.`)) found.set(inner, innerValue);
    } else {
      assert.fail(`docs/lsp.md's setting ${key} has no aviato.${key} in package.json`);
    }
  }
  return found;
}

test("every server setting of docs/lsp.md is a VS Code setting, and no other", () => {
  assert.deepEqual([...byKey(example).keys()].sort(), [...serverKeys].sort());
});

test("every key in docs/lsp.md's settings table is a VS Code setting", () => {
  const table = [...settingsSection.matchAll(/^\| (`[^|]+`) \|/gm)].flatMap((row) =>
    [...row[1].matchAll(/`([^`]+)`/g)].map((match) => match[1]),
  );
  assert.ok(table.includes("run.limits.tmpfsMb"), table.join(", "));
  for (const key of table) {
    const setting = serverKeys.find((candidate) => key === candidate || key.startsWith(`${candidate}.`));
    assert.ok(setting, `docs/lsp.md's ${key} has no VS Code setting`);
  }
});

test("the settings reach the server in the shape docs/lsp.md gives", () => {
  const values = byKey(example);
  assert.deepEqual(serverSettings((key) => values.get(key)), example);
});

test("the defaults send only what the server needs to know", () => {
  const defaults = (key: string) => properties[`aviato.${key}`]?.default;
  assert.deepEqual(serverSettings(defaults), {
    run: { backend: "auto", timeout: 30 },
    codeLens: { enable: true, showResults: true },
    inlayHints: { showResults: true },
  });
});

test("blank and malformed values are left out", () => {
  const values: Record<string, unknown> = {
    select: ["AV2", 7],
    "run.baseUrl": "  ",
    "run.interpreter": " /usr/bin/python3.12 ",
    "run.timeout": "30",
    "run.limits.memoryMb": 512,
    "run.limits.tmpfsMb": null,
    "run.images": {},
    "codeLens.showResults": false,
  };
  assert.deepEqual(serverSettings((key) => values[key]), {
    select: ["AV2"],
    run: { interpreter: "/usr/bin/python3.12", limits: { memoryMb: 512 } },
    codeLens: { showResults: false },
  });
});

test("the guide and the README list every setting", () => {
  for (const file of ["docs/editors/vscode.md", "editors/vscode/README.md"]) {
    const text = readFileSync(path.join(REPO, file), "utf8");
    for (const key of Object.keys(properties)) assert.ok(text.includes(`\`${key}\``), `${file} does not list ${key}`);
  }
});

test("nothing set gives an empty object", () => {
  assert.deepEqual(serverSettings(() => undefined), {});
});
