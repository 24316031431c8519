/**
 * A wasm module whose one function, `f`, reads far outside its 64 KiB memory: the trap a wasm
 * backend's kernel hits when its heap ran out, or when it has a bug.
 * @module
 */

/** The module's bytes. */
// deno-fmt-ignore
export const OUT_OF_BOUNDS_WASM: readonly number[] = [
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3,
  2, 1, 0, 5, 3, 1, 0, 1, 7, 5, 1, 1, 102, 0, 0, 10,
  12, 1, 10, 0, 65, 128, 194, 215, 47, 40, 2, 0, 11,
];

/** Calls the module's function: throws the `WebAssembly.RuntimeError` of the trap. */
export async function trapOutOfBounds(): Promise<never> {
  const { instance } = await WebAssembly.instantiate(new Uint8Array(OUT_OF_BOUNDS_WASM));
  (instance.exports.f as () => number)();
  throw new Error("trapOutOfBounds: the module read within its memory");
}

/** The `WebAssembly.RuntimeError` that {@linkcode trapOutOfBounds} throws, caught. */
export function outOfBoundsTrap(): Promise<unknown> {
  return trapOutOfBounds().catch((error: unknown) => error);
}
