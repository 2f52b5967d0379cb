import assert from "node:assert/strict";
import { test } from "node:test";
import {
  blockEnd,
  functionAt,
  parameterText,
  sandboxFunctions,
  takesParameters,
  type Lens,
} from "../src/sandboxFunctions";

const text = `import asyncio
from aviato import Sandbox

async def main():
    async with Sandbox.session() as session:
        @session.function()
        def add(x: int, y: int) -> int:
            return x + y

        @session.function()
        def hello():
            # nothing to pass
            return "hi"

        @session.function(
            container_image="python:3.12",
        )
        def scale(
            values: list[int],  # the input (with a paren)
            factor: int = 2,
        ) -> list[int]:
            def inner(v):
                return v * factor
            return [inner(v) for v in values]

        print(await add(2, 3))

asyncio.run(main())
`;
const lines = text.split("\n");
const uri = "file:///ws/app.py";

function runLens(line: number, fn: string, defLine: number, callSite?: number): Lens {
  const args: Record<string, unknown> = { uri, function: fn, line: defLine };
  if (callSite !== undefined) args.callSite = callSite;
  return { line, title: "▶ Run in sandbox", command: "aviato.run", arguments: [args] };
}

const lenses = [
  runLens(6, "add", 7),
  runLens(10, "hello", 11),
  runLens(17, "scale", 18),
  runLens(25, "add", 7, 26),
];

test("each function spans from its lens to the end of its body", () => {
  const functions = sandboxFunctions(lines, lenses);
  assert.deepEqual(
    functions.map((fn) => [fn.name, fn.start, fn.defLine, fn.end, fn.callSiteLenses.length]),
    [
      ["add", 5, 6, 7, 1],
      ["hello", 9, 10, 12, 0],
      ["scale", 14, 17, 23, 0],
    ],
  );
});

test("a lens placed on the decorator line still finds the def below", () => {
  const functions = sandboxFunctions(lines, [runLens(14, "scale", 18)]);
  assert.equal(functions[0].defLine, 17);
  assert.equal(functions[0].start, 14);
});

test("the function under the cursor, including its decorators", () => {
  const functions = sandboxFunctions(lines, lenses);
  assert.equal(functionAt(functions, 5)?.name, "add");
  assert.equal(functionAt(functions, 7)?.name, "add");
  assert.equal(functionAt(functions, 8), undefined, "blank line between functions");
  assert.equal(functionAt(functions, 11)?.name, "hello");
  assert.equal(functionAt(functions, 15)?.name, "scale");
  assert.equal(functionAt(functions, 22)?.name, "scale", "inside a nested def");
  assert.equal(functionAt(functions, 25), undefined, "the call site is outside");
});

test("parameter text spans lines and drops comments", () => {
  assert.equal(parameterText(lines, 6), "x: int, y: int");
  assert.equal(parameterText(lines, 10), "");
  assert.equal(parameterText(lines, 17), "values: list[int], factor: int = 2");
});

test("which parameter lists need arguments", () => {
  assert.ok(takesParameters("x: int, y: int"));
  assert.ok(takesParameters("*, key"));
  assert.ok(!takesParameters(""));
  assert.ok(!takesParameters("*"));
  assert.ok(!takesParameters(undefined));
});

test("a one-line def ends on its own line", () => {
  const oneLiner = ["def f(): return 1", "x = f()"];
  assert.equal(blockEnd(oneLiner, 0), 0);
});

test("lenses that are not runs or name no function are ignored", () => {
  const other: Lens = { line: 6, title: "2 references", command: "editor.action.showReferences", arguments: [uri] };
  assert.deepEqual(sandboxFunctions(lines, [other]), []);
});

test("adjacent functions without blank lines keep their own decorators", () => {
  const packed = ["@s.function()", "def a(x):", "    return x", "@s.function()", "@staticmethod", "def b():", "    return 1"];
  const functions = sandboxFunctions(packed, [runLens(1, "a", 2), runLens(5, "b", 6)]);
  assert.deepEqual(
    functions.map((fn) => [fn.name, fn.start, fn.end]),
    [
      ["a", 0, 2],
      ["b", 3, 6],
    ],
  );
});
