/**
 * OpenBLAS's float64 routines, called through Deno's FFI, for the fits over training people
 * (LDA, Joint Bayesian, WCCN) and the PCA's small eigenproblems: products (`dgemm`), Gram
 * matrices (`dsyrk`) and symmetric eigen-decompositions (LAPACK's divide and conquer, `dsyevd`).
 * The system's OpenBLAS is opened directly (the project's native library need not be built);
 * where it is missing, or with `FACE_COMPARER_NATIVE=off`, {@linkcode openBlas} gives undefined
 * and `dense.ts`, `person_covariance.ts` and `symmetric_eigen.ts` compute the same in
 * JavaScript. Matrices are row-major `Float64Array`s. The number of threads is OpenBLAS's, one
 * process-wide setting: the native kernels set it to one when they load, and `withBlasThreads`
 * raises it for a fit's steps; without the native kernels it is OpenBLAS's default (every core).
 * The integers are 32-bit (OpenBLAS's usual LP64 build, Debian's).
 *
 * @example
 * ```ts
 * import { openBlas } from "./openblas.ts";
 * const blas = openBlas();
 * const c = blas?.multiply(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6), 2, 2, 1); // [17, 39]
 * ```
 * @module
 */
import { nativeSwitchedOff } from "../util/native_library.ts";
import { dlopenWithOpenBlasCore } from "../util/openblas_core.ts";
import { symmetricEigenQl } from "./symmetric_eigen.ts";

/** The library's name for the dynamic loader (Debian: libopenblas0, libopenblas-dev). */
export const OPENBLAS_LIBRARY = "libopenblas.so.0";

const SYMBOLS = {
  cblas_dgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f64",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f64",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  cblas_dsyrk: {
    parameters: ["i32", "i32", "i32", "i32", "i32", "f64", "buffer", "i32", "f64", "buffer", "i32"],
    result: "void",
  },
  // Fortran: every argument by reference, then the two character arguments' hidden lengths.
  dsyevd_: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "usize",
      "usize",
    ],
    result: "void",
  },
} as const;

// CBLAS's enumerations.
const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112, UPPER = 121;

/** The float64 routines the fits use. */
export interface OpenBlas {
  /** `a` (n x k) times `b` (k x m), or times `b`'s transpose (b: m x k) with `transposeB`. */
  multiply(
    a: Float64Array,
    b: Float64Array,
    n: number,
    k: number,
    m: number,
    transposeB?: boolean,
  ): Float64Array;
  /** `x^T x` of `x` (rows x dim): dim x dim, both triangles filled. */
  gram(x: Float64Array, rows: number, dim: number): Float64Array;
  /**
   * Eigenvalues (ascending) and unit eigenvectors of the symmetric `matrix` (n x n; its upper
   * triangle is read): column j of `vectors` (row-major n x n) belongs to `values[j]`.
   */
  symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array };
}

let opened: OpenBlas | null | undefined;

/**
 * OpenBLAS's routines, or undefined when FACE_COMPARER_NATIVE=off or the library cannot be
 * opened (not installed, another OS, no FFI permission). Opened once per thread.
 */
export function openBlas(): OpenBlas | undefined {
  if (opened === undefined) opened = tryOpen();
  return opened ?? undefined;
}

function tryOpen(): OpenBlas | null {
  try {
    if (nativeSwitchedOff()) return null;
    return routines(dlopenWithOpenBlasCore(OPENBLAS_LIBRARY, SYMBOLS).symbols);
  } catch {
    return null; // Absent or not permitted: the JavaScript routines do the same work.
  }
}

function routines(lib: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"]): OpenBlas {
  return {
    multiply(a, b, n, k, m, transposeB = false) {
      // C reads what the sizes say: a short buffer would be read past its end.
      requireLength(a, n * k, "multiply: a");
      requireLength(b, k * m, "multiply: b");
      const out = new Float64Array(n * m);
      if (n === 0 || m === 0) return out;
      if (k === 0) return out;
      lib.cblas_dgemm(
        ROW_MAJOR,
        NO_TRANS,
        transposeB ? TRANS : NO_TRANS,
        n,
        m,
        k,
        1,
        a,
        k,
        b,
        transposeB ? k : m,
        0,
        out,
        m,
      );
      return out;
    },
    gram(x, rows, dim) {
      requireLength(x, rows * dim, "gram: x");
      const out = new Float64Array(dim * dim);
      if (dim === 0 || rows === 0) return out;
      lib.cblas_dsyrk(ROW_MAJOR, UPPER, TRANS, dim, rows, 1, x, dim, 0, out, dim);
      for (let r = 0; r < dim; r++) {
        for (let c = r + 1; c < dim; c++) out[c * dim + r] = out[r * dim + c];
      }
      return out;
    },
    symmetricEigen(matrix, n) {
      requireLength(matrix, n * n, "symmetricEigen: matrix");
      const values = new Float64Array(n);
      if (n === 0) return { values, vectors: new Float64Array(0) };
      // Row-major in, column-major to LAPACK: the transpose, which for a symmetric matrix is
      // itself; "L" for LAPACK's lower triangle is the row-major upper one.
      const a = Float64Array.from(matrix);
      const work = new Float64Array(1 + 6 * n + 2 * n * n);
      const iwork = new Int32Array(3 + 5 * n);
      const info = new Int32Array(1);
      lib.dsyevd_(
        Uint8Array.of(86),
        Uint8Array.of(76),
        Int32Array.of(n),
        a,
        Int32Array.of(n),
        values,
        work,
        Int32Array.of(work.length),
        iwork,
        Int32Array.of(iwork.length),
        info,
        1n,
        1n,
      );
      // A failure to converge (never seen on these matrices): the JavaScript solver instead.
      if (info[0] !== 0) return symmetricEigenQl(Float64Array.from(matrix), n);
      // Column j of the column-major result is row j of `a` read row-major: transpose it.
      const vectors = new Float64Array(n * n);
      for (let j = 0; j < n; j++) for (let r = 0; r < n; r++) vectors[r * n + j] = a[j * n + r];
      return { values, vectors };
    },
  };
}

function requireLength(x: Float64Array, length: number, what: string): void {
  if (x.length < length) {
    throw new Error(`OpenBLAS ${what}: ${x.length} values where ${length} are needed`);
  }
}
