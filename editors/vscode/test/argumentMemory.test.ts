import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentMemory, MAX_REMEMBERED, type StateStore } from "../src/argumentMemory";

/** An in-memory workspaceState that, like VS Code's, stores a JSON copy. */
class FakeState implements StateStore {
  readonly values = new Map<string, string>();
  get<T>(key: string): T | undefined {
    const raw = this.values.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, JSON.stringify(value));
  }
}

test("recalls the last arguments per document and function", async () => {
  const memory = new ArgumentMemory(new FakeState());
  assert.equal(memory.recall("file:///a.py", "add"), undefined);
  await memory.remember("file:///a.py", "add", " 2, 3 ");
  await memory.remember("file:///a.py", "add", "4, 5");
  await memory.remember("file:///a.py", "scale", "[1, 2], factor=3");
  await memory.remember("file:///b.py", "add", '"x", "y"');
  assert.equal(memory.recall("file:///a.py", "add"), "4, 5");
  assert.equal(memory.recall("file:///a.py", "scale"), "[1, 2], factor=3");
  assert.equal(memory.recall("file:///b.py", "add"), '"x", "y"');
});

test("an empty answer is remembered as such", async () => {
  const memory = new ArgumentMemory(new FakeState());
  await memory.remember("file:///a.py", "add", "1, 2");
  await memory.remember("file:///a.py", "add", "");
  assert.equal(memory.recall("file:///a.py", "add"), "");
});

test("survives a new instance over the same state", async () => {
  const state = new FakeState();
  await new ArgumentMemory(state).remember("file:///a.py", "add", "2, 3");
  assert.equal(new ArgumentMemory(state).recall("file:///a.py", "add"), "2, 3");
});

test("keeps the most recently used functions when full", async () => {
  const memory = new ArgumentMemory(new FakeState());
  for (let index = 0; index < MAX_REMEMBERED + 5; index++) {
    await memory.remember("file:///a.py", `f${index}`, String(index));
    if (index === 2) await memory.remember("file:///a.py", "f0", "used again");
  }
  assert.equal(memory.recall("file:///a.py", "f0"), undefined, "f0 was used before f3..f204");
  assert.equal(memory.recall("file:///a.py", "f1"), undefined);
  assert.equal(memory.recall("file:///a.py", "f5"), "5");
  assert.equal(memory.recall("file:///a.py", `f${MAX_REMEMBERED + 4}`), String(MAX_REMEMBERED + 4));
});
