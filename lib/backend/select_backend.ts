/**
 * Choosing the tfjs backend: the native TensorFlow binding (`@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node`) when the user has installed one, else WebGPU on a hardware adapter
 * (Deno's `navigator.gpu`: built in since Deno 2.9, `--unstable-webgpu` before), else the WebAssembly backend (with
 * this project's kernels: native ones through OpenBLAS when built, else wasm ones), or WebGPU
 * (also on a software adapter) and the pure-JS `cpu` backend on request.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { UserError } from "../util/errors.ts";
import { watchWasmHeap } from "../util/worker_failure.ts";
import { loadNativeKernels, useNativeKernels } from "./native_kernels.ts";
import { registerWasmBatchMatMul } from "./wasm_batch_matmul.ts";
import { registerWasmConvBackprop } from "./wasm_conv_backprop.ts";
import { registerWasmLeakyReluGrad } from "./wasm_leaky_relu_grad.ts";

/** Values of `--backend`. */
export const BACKEND_CHOICES = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;
/** One of {@linkcode BACKEND_CHOICES}. */
export type BackendChoice = typeof BACKEND_CHOICES[number];

/** The backend in use, for logs and manifests. */
export interface BackendInfo {
  /** tfjs backend name: "tensorflow", "webgpu", "wasm" or "cpu". */
  name: string;
  /** The package that provides it, with its version. */
  provider: string;
  /** Threads one instance of the backend computes with (training may run several). */
  threads: number;
  /**
   * Where the heavy kernels run: "native (OpenBLAS ...)", the backend's own, or for WebGPU the
   * adapter ("webgpu (vendor, architecture, description)", with "software" on a fallback one).
   */
  kernels: string;
  /** Why other backends were not used. */
  notes: string[];
}

// Kept in variables so that Deno does not try to resolve them before they are installed.
const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

async function tryNative(notes: string[]): Promise<BackendInfo | undefined> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      const mod = await import(pkg);
      if (await tf.setBackend("tensorflow")) {
        return {
          name: "tensorflow",
          provider: `${pkg}@${mod.version?.["tfjs-node"] ?? "?"}`,
          threads: navigator.hardwareConcurrency,
          kernels: "tensorflow",
          notes,
        };
      }
      notes.push(`${pkg} loaded but its backend did not start`);
    } catch (error) {
      const reason = String((error as Error).message).split("\n")[0];
      notes.push(
        `${pkg} is not available (${
          /not a dependency|not in import map/.test(reason)
            ? "not installed; see the README's GPU section"
            : reason
        })`,
      );
    }
  }
  return undefined;
}

/** The WebGPU adapter of this process, or why there is none. */
export type WebGpuProbe =
  | { adapter: GPUAdapter; description: string; software: boolean }
  | { adapter: undefined; reason: string };

let probed: Promise<WebGpuProbe> | undefined;

/** The graphics APIs WebGPU adapters are looked for on, unless DENO_WEBGPU_BACKEND says. */
export const NATIVE_GPU_APIS = "vulkan,metal,dx12";

/** Vendor names of the PCI ids Deno's WebGPU reports in decimal (65541 = 0x10005, Mesa). */
const PCI_VENDORS: Record<string, string> = {
  "4318": "NVIDIA",
  "4098": "AMD",
  "32902": "Intel",
  "65541": "Mesa",
};

/**
 * Makes sure XDG_RUNTIME_DIR names a folder before wgpu enumerates adapters: Mesa's Vulkan
 * drivers look for a Wayland display then, and where the variable is unset (or not an absolute
 * path) libwayland prints "error: XDG_RUNTIME_DIR is invalid or not set in the environment." to
 * stderr, twice, on every headless machine, container or cron job, for nothing the user did.
 * Unset, it is set to a private, empty folder of this user's (mode 0700, so no one else can put
 * a display socket there), where libwayland finds no display and says nothing. It stays set
 * for the rest of the process: tfjs's WebGPU backend asks for an adapter again, workers probe in
 * parallel (one putting the variable back would expose another's probe), and the programs this
 * one starts probe quietly too. A user's valid XDG_RUNTIME_DIR is left as it is.
 */
export async function ensureRuntimeDir(): Promise<void> {
  if (Deno.env.get("XDG_RUNTIME_DIR")?.startsWith("/")) return;
  // Wayland is a Unix display protocol; elsewhere the variable means nothing.
  if (Deno.build.os === "windows" || Deno.build.os === "darwin") return;
  const uid = Deno.uid();
  if (uid === null) return;
  try {
    // One folder per user, made once and reused, instead of a new temporary folder per run.
    const tmp = (Deno.env.get("TMPDIR") ?? "").startsWith("/") ? Deno.env.get("TMPDIR")! : "/tmp";
    let folder = `${tmp.replace(/\/+$/, "")}/face-comparer-runtime-${uid}`;
    await Deno.mkdir(folder, { mode: 0o700 }).catch((error) => {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    });
    // A folder of that name that is a link, someone else's or open to others is not used.
    const info = await Deno.lstat(folder);
    if (!info.isDirectory || info.uid !== uid || ((info.mode ?? 0) & 0o077) !== 0) {
      folder = await Deno.makeTempDir({ prefix: "face-comparer-runtime-" });
    }
    // Set only now: a concurrent probe sees either no variable or a folder that exists.
    if (!Deno.env.get("XDG_RUNTIME_DIR")?.startsWith("/")) Deno.env.set("XDG_RUNTIME_DIR", folder);
  } catch {
    // No folder could be made: the probe still runs, with libwayland's lines.
  }
}

/**
 * Asks `navigator.gpu` for an adapter (once per process, with the high-performance preference
 * tfjs's WebGPU backend uses) and describes it: vendor, architecture and description as the
 * driver gives them, and whether it is a software (fallback) adapter such as Mesa's lavapipe.
 */
export function probeWebGpu(): Promise<WebGpuProbe> {
  probed ??= (async (): Promise<WebGpuProbe> => {
    const gpu = (navigator as { gpu?: GPU }).gpu;
    if (!gpu) {
      return {
        adapter: undefined,
        reason:
          "navigator.gpu is missing (this Deno needs --unstable-webgpu; Deno 2.9 has it without)",
      };
    }
    let adapter: GPUAdapter | null;
    // Deno reads DENO_WEBGPU_BACKEND when the first adapter is requested. Unless the user set
    // it, only the native graphics APIs are asked: wgpu's OpenGL backend starts an EGL display
    // and, with Mesa, a second software renderer (llvmpipe, its threads and shader-cache thread)
    // in every process that merely probes, and such threads still running while the libraries'
    // exit handlers run are a crash risk. DENO_WEBGPU_BACKEND=gl asks OpenGL too.
    const before = Deno.env.get("DENO_WEBGPU_BACKEND");
    if (before === undefined) Deno.env.set("DENO_WEBGPU_BACKEND", NATIVE_GPU_APIS);
    try {
      await ensureRuntimeDir();
      adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    } catch (error) {
      return {
        adapter: undefined,
        reason: `requesting an adapter failed (${String((error as Error).message).split("\n")[0]})`,
      };
    } finally {
      // Put back for the programs this one starts.
      if (before === undefined) Deno.env.delete("DENO_WEBGPU_BACKEND");
    }
    if (!adapter) {
      return {
        adapter: undefined,
        reason:
          `no WebGPU adapter (no Vulkan driver found; Debian: apt-get install mesa-vulkan-drivers for a software one, or the GPU vendor's driver${
            before === undefined ? "; DENO_WEBGPU_BACKEND=gl tries OpenGL too" : ""
          })`,
      };
    }
    const info = (adapter as { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
    const software = Boolean(
      info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
    );
    const vendor = (info?.vendor ?? "").trim();
    const parts = [PCI_VENDORS[vendor] ?? vendor, info?.architecture, info?.description]
      .map((x) => (x ?? "").trim())
      .filter((x) => x !== "");
    if (software) parts.push("software");
    return { adapter, description: parts.join(", ") || "unnamed adapter", software };
  })();
  return probed;
}

/**
 * Starts tfjs's WebGPU backend when an adapter exists (any adapter when `allowSoftware`, else a
 * hardware one only); otherwise notes why not and returns undefined.
 */
async function tryWebGpu(
  notes: string[],
  options: { allowSoftware: boolean },
): Promise<BackendInfo | undefined> {
  const probe = await probeWebGpu();
  if (!probe.adapter) {
    notes.push(`webgpu: ${probe.reason}`);
    return undefined;
  }
  if (probe.software && !options.allowSoftware) {
    notes.push(
      `webgpu: only a software adapter (${probe.description}), slower than wasm; --backend webgpu uses it`,
    );
    return undefined;
  }
  try {
    // Imported only here: loading the module registers a backend that tfjs would otherwise
    // prefer whenever navigator.gpu exists.
    await import("@tensorflow/tfjs-backend-webgpu");
    if (await tf.setBackend("webgpu")) {
      return {
        name: "webgpu",
        // The package exports no version; deno.json pins it to tfjs's own.
        provider: `@tensorflow/tfjs-backend-webgpu@${tf.version_core}`,
        threads: 1,
        kernels: `webgpu (${probe.description})`,
        notes,
      };
    }
    notes.push(`webgpu: the backend did not start on ${probe.description}`);
  } catch (error) {
    notes.push(
      `webgpu: the backend failed on ${probe.description} (${
        String((error as Error).message).split("\n")[0]
      })`,
    );
  }
  return undefined;
}

let selected: BackendInfo | undefined;

/**
 * Activates the backend for `choice` (once per process; later calls return the first choice's
 * result if compatible) and reports it through `log`.
 */
export async function selectBackend(
  choice: BackendChoice,
  options: { log?: (line: string) => void } = {},
): Promise<BackendInfo> {
  const log = options.log ?? console.log;
  if (selected && (choice === "auto" || choice === selected.name)) return selected;
  // PROD silences tfjs's console chatter (the "install tfjs-node" banner) and skips debug checks.
  tf.env().set("PROD", true);
  const notes: string[] = [];
  let info: BackendInfo | undefined;
  if (choice === "auto" || choice === "tensorflow") {
    info = await tryNative(notes);
    if (!info && choice === "tensorflow") {
      throw new UserError(
        `--backend tensorflow: no native TensorFlow backend is installed (${
          notes.join("; ")
        }); see the README's GPU section`,
      );
    }
  }
  if (!info && (choice === "auto" || choice === "webgpu")) {
    info = await tryWebGpu(notes, { allowSoftware: choice === "webgpu" });
    if (!info && choice === "webgpu") {
      throw new UserError(`--backend webgpu: ${notes.join("; ").replace(/^webgpu: /, "")}`);
    }
  }
  if (!info && (choice === "auto" || choice === "wasm")) {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    registerWasmConvBackprop();
    registerWasmBatchMatMul();
    registerWasmLeakyReluGrad();
    let kernels = "wasm (this project's convolution-gradient kernels)";
    if (useNativeKernels()) {
      const native = loadNativeKernels();
      if (native.available) kernels = `native (${native.description})`;
    } else {
      const native = loadNativeKernels();
      if (!native.available) notes.push(`native kernels: ${native.reason}`);
    }
    if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend failed to start");
    // The heap's size tells it running out from a kernel's fault (worker_failure.ts); tfjs
    // reads it as `wasm.HEAPU8` too, which the module's type omits.
    const started = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    watchWasmHeap(() => started.wasm.HEAPU8.length);
    const threaded = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    info = {
      name: "wasm",
      provider: `@tensorflow/tfjs-backend-wasm@${wasm.version_wasm}`,
      threads: threaded ? navigator.hardwareConcurrency : 1,
      kernels,
      notes,
    };
  }
  if (!info) {
    if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend failed to start");
    info = {
      name: "cpu",
      provider: `@tensorflow/tfjs-backend-cpu@${tf.version_core}`,
      threads: 1,
      kernels: "cpu",
      notes,
    };
  }
  await tf.ready();
  log(`backend: ${info.name} (${info.provider}), kernels: ${info.kernels}`);
  for (const note of notes) log(`backend: ${note}`);
  selected = info;
  return info;
}
