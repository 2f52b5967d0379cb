// Packages the extension for one platform with the server inside it, at
// bundled/aviato-lsp, as dist/aviato-<target>.vsix:
//
//   npm run package:linux-x64
//   node scripts/package-platform.mjs linux-x64
//
// The binary is $AVIATO_LSP_BIN when set, else a fresh
// `cargo build --release -p aviato-lsp` of this checkout (only for the machine's
// own platform: cargo does not cross-build here). Its debug info is stripped from
// the copy, when `strip` is there, to keep the .vsix small.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const extension = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const repo = path.resolve(extension, "../..");
const target = process.argv[2];
const TARGETS = ["linux-x64", "linux-arm64", "alpine-x64", "alpine-arm64", "darwin-x64", "darwin-arm64", "win32-x64", "win32-arm64"];
if (!TARGETS.includes(target)) {
  console.error(`usage: node scripts/package-platform.mjs TARGET (one of ${TARGETS.join(", ")})`);
  process.exit(2);
}
const windows = target.startsWith("win32");
const exe = windows ? "aviato-lsp.exe" : "aviato-lsp";

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`${command} ${args.join(" ")} exited ${result.status}`);
    process.exit(1);
  }
}

let binary = process.env.AVIATO_LSP_BIN;
if (!binary) {
  const host = `${process.platform}-${process.arch}`;
  if (host !== target && !(target === "alpine-x64" && host === "linux-x64")) {
    console.error(`cannot build the server for ${target} on ${host}: build it there, or set AVIATO_LSP_BIN`);
    process.exit(2);
  }
  console.log("package: cargo build --release -p aviato-lsp");
  run("cargo", ["build", "--release", "--locked", "-p", "aviato-lsp"], { cwd: repo });
  const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(repo, process.env.CARGO_TARGET_DIR) : path.join(repo, "target");
  binary = path.join(targetDir, "release", exe);
}
if (!existsSync(binary)) {
  console.error(`package: no server at ${binary}`);
  process.exit(1);
}

const bundled = path.join(extension, "bundled");
rmSync(bundled, { recursive: true, force: true });
mkdirSync(bundled);
const dest = path.join(bundled, exe);
copyFileSync(binary, dest);
chmodSync(dest, 0o755);
if (!windows && spawnSync("strip", ["--version"], { stdio: "ignore" }).status === 0) {
  spawnSync("strip", ["--strip-debug", dest], { stdio: "inherit" });
}
console.log(`package: bundled ${binary} (${(statSync(dest).size / 2 ** 20).toFixed(1)} MiB)`);

mkdirSync(path.join(extension, "dist"), { recursive: true });
run(process.execPath, ["esbuild.mjs", "--production"], { cwd: extension });
const vsix = path.join("dist", `aviato-${target}.vsix`);
const vsce = path.join(extension, "node_modules", ".bin", windows && process.platform === "win32" ? "vsce.cmd" : "vsce");
run(vsce, ["package", "--no-dependencies", "--target", target, "-o", vsix], { cwd: extension });
console.log(`package: ${path.join(extension, vsix)}`);
