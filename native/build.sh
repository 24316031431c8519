#!/usr/bin/env sh
# Builds the optional native libraries with the system's C compiler:
# - native/build/libface_kernels.so: the training kernels, on OpenBLAS
#   (Debian: apt-get install gcc libopenblas-dev); without it training runs on this project's
#   wasm kernels;
# - native/build/libface_decode.so: the grey JPEG decoder of prepare and compare, on libjpeg
#   (Debian: apt-get install libjpeg62-turbo-dev); without it they decode with sharp.
# A missing compiler or library is a warning (exit 0); a failed compilation is an error. The
# kernels are tuned for the CPU they are built on (-march=native): rebuild them on each machine.
# Each library carries the SHA-256 of its source: a stale build is refused when loaded.
set -eu
cd "$(dirname "$0")"
CC="${CC:-cc}"
mkdir -p build
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "build-native: warning: no C compiler ($CC); training will use the wasm kernels, prepare sharp" >&2
  exit 0
fi

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

# Whether a program including $1 links against -l$2.
links() {
  printf '#include <stdio.h>\n#include <%s>\nint main(void){return 0;}\n' "$1" |
    "$CC" -x c - "-l$2" -o build/.probe 2>/dev/null
  status=$?
  rm -f build/.probe
  return $status
}

if links cblas.h openblas; then
  # -ffp-contract=off: no fused multiply-adds, so element-wise kernels round as tfjs's ops do
  # (fc_adam_step equals the tfjs Adam bit for bit); -fno-math-errno lets sqrtf vectorise.
  "$CC" -O3 -march=native -ffp-contract=off -fno-math-errno -fPIC -shared -Wall -Wextra \
    -DFC_SOURCE_SHA256="\"$(sha256 conv_kernels.c)\"" \
    -o build/libface_kernels.so.tmp conv_kernels.c -lopenblas -lm -pthread
  mv build/libface_kernels.so.tmp build/libface_kernels.so
  echo "build-native: native/build/libface_kernels.so"
else
  echo "build-native: warning: OpenBLAS not found (Debian: apt-get install libopenblas-dev); training will use the wasm kernels" >&2
fi

if links jpeglib.h jpeg; then
  "$CC" -O2 -fPIC -shared -Wall -Wextra -DFC_SOURCE_SHA256="\"$(sha256 face_decode.c)\"" \
    -o build/libface_decode.so.tmp face_decode.c -ljpeg
  mv build/libface_decode.so.tmp build/libface_decode.so
  echo "build-native: native/build/libface_decode.so"
else
  echo "build-native: warning: libjpeg not found (Debian: apt-get install libjpeg62-turbo-dev); prepare and compare will decode with sharp" >&2
fi
