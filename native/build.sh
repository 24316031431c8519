#!/usr/bin/env sh
# Builds the native kernels (native/build/libface_kernels.so) with the system's C compiler
# and OpenBLAS (Debian: apt-get install gcc libopenblas-dev). The library is optional: without
# it the wasm backend runs on this project's wasm kernels alone, so a missing compiler or
# OpenBLAS is a warning (exit 0); a failed compilation is an error. Tuned for the CPU it is
# built on (-march=native); rebuild it on each machine.
set -eu
cd "$(dirname "$0")"
CC="${CC:-cc}"
mkdir -p build
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "build-native: warning: no C compiler ($CC); training will use the wasm kernels" >&2
  exit 0
fi
if ! printf '#include <cblas.h>\nint main(void){return 0;}\n' | "$CC" -x c - -lopenblas -o build/.probe 2>/dev/null; then
  echo "build-native: warning: OpenBLAS not found (Debian: apt-get install libopenblas-dev); training will use the wasm kernels" >&2
  rm -f build/.probe
  exit 0
fi
rm -f build/.probe
# The library carries the hash of the source it was built from: a stale build is refused.
if command -v sha256sum >/dev/null 2>&1; then
  SOURCE_SHA256=$(sha256sum conv_kernels.c | cut -d ' ' -f 1)
else
  SOURCE_SHA256=$(shasum -a 256 conv_kernels.c | cut -d ' ' -f 1)
fi
# -ffp-contract=off: no fused multiply-adds, so element-wise kernels round as tfjs's ops do
# (fc_adam_step equals the tfjs Adam bit for bit); -fno-math-errno lets sqrtf vectorise.
"$CC" -O3 -march=native -ffp-contract=off -fno-math-errno -fPIC -shared -Wall -Wextra -DFC_SOURCE_SHA256="\"$SOURCE_SHA256\"" -o build/libface_kernels.so.tmp conv_kernels.c -lopenblas -lm
mv build/libface_kernels.so.tmp build/libface_kernels.so
echo "build-native: native/build/libface_kernels.so"
