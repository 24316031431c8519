/**
 * Choosing the tfjs backend: the native TensorFlow binding (`@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node`) when the user has installed one, else the WebAssembly backend (with
 * this project's kernels: native ones through OpenBLAS when built, else wasm ones), or the
 * pure-JS `cpu` backend on request.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { UserError } from "../util/errors.ts";
import { loadNativeKernels, useNativeKernels } from "./native_kernels.ts";
import { registerWasmBatchMatMul } from "./wasm_batch_matmul.ts";
import { registerWasmConvBackprop } from "./wasm_conv_backprop.ts";
import { registerWasmLeakyReluGrad } from "./wasm_leaky_relu_grad.ts";

/** Values of `--backend`. */
export const BACKEND_CHOICES = ["auto", "tensorflow", "wasm", "cpu"] as const;
/** One of {@linkcode BACKEND_CHOICES}. */
export type BackendChoice = typeof BACKEND_CHOICES[number];

/** The backend in use, for logs and manifests. */
export interface BackendInfo {
  /** tfjs backend name: "tensorflow", "wasm" or "cpu". */
  name: string;
  /** The package that provides it, with its version. */
  provider: string;
  /** Threads one instance of the backend computes with (training may run several). */
  threads: number;
  /** Where the heavy kernels run: "native (OpenBLAS ...)" or the backend's own. */
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
