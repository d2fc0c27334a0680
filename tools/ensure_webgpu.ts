/**
 * Makes sure a WebGPU adapter exists before a task runs. Where none is found on a
 * Debian/Ubuntu machine as root, installs Mesa's software Vulkan driver (llvmpipe) with
 * `tools/install_mesa.sh`; elsewhere stops with the exact command to run.
 *
 * Usage: `deno run -A tools/ensure_webgpu.ts [--quiet]`
 *
 * @module
 */

import { INSTALL_HINT } from "../core/device.ts";

async function adapterInSubprocess(): Promise<string | undefined> {
  const probe = "const a = await navigator.gpu?.requestAdapter();" +
    "console.log(a ? (a.info.description || a.info.vendor || 'adapter') : '');";
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", probe],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim();
  return text || undefined;
}

function isDebianLike(): boolean {
  try {
    const release = Deno.readTextFileSync("/etc/os-release");
    return /^(ID|ID_LIKE)=.*(debian|ubuntu)/m.test(release);
  } catch {
    return false;
  }
}

const quiet = Deno.args.includes("--quiet");
if (!Deno.env.get("XDG_RUNTIME_DIR")) {
  console.error("note: set XDG_RUNTIME_DIR (any writable directory) to silence a Vulkan warning");
}
let adapter = await adapterInSubprocess();
if (!adapter) {
  const root = Deno.uid?.() === 0;
  if (Deno.build.os === "linux" && root && isDebianLike()) {
    console.error("No WebGPU adapter found: installing Mesa's software Vulkan driver (llvmpipe)…");
    const script = new URL("./install_mesa.sh", import.meta.url).pathname;
    const status = await new Deno.Command("bash", { args: [script] }).spawn().status;
    if (!status.success) Deno.exit(1);
    adapter = await adapterInSubprocess();
  }
  if (!adapter) {
    console.error(INSTALL_HINT);
    Deno.exit(1);
  }
}
if (!quiet) console.error(`WebGPU adapter: ${adapter}`);
