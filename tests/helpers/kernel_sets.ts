/**
 * The kernel sets the wasm backend can run with in this checkout: this project's wasm kernels
 * always, the native ones when built. Tests that compare kernels run once per set.
 * @module
 */
import {
  loadNativeKernels,
  useNativeKernels,
  useWasmKernels,
} from "../../lib/backend/native_kernels.ts";

/** A kernel set and how to put it in place. */
export interface KernelSet {
  name: string;
  use: () => void;
}

/** The available sets (call after selectBackend("wasm")). */
export function kernelSets(): KernelSet[] {
  const sets: KernelSet[] = [{ name: "wasm kernels", use: useWasmKernels }];
  if (loadNativeKernels().available) {
    sets.push({ name: "native kernels", use: () => void useNativeKernels() });
  }
  return sets;
}

/** Runs `body` once per kernel set, then puts the default set (native when built) back. */
export function forEachKernelSet(body: (set: KernelSet) => void): void {
  try {
    for (const set of kernelSets()) {
      set.use();
      body(set);
    }
  } finally {
    useNativeKernels();
  }
}
