/*
 * JPEG decoding straight to 8-bit grey with libjpeg(-turbo), for `prepare` and `compare`
 * (lib/data/native_jpeg.ts, through Deno's FFI). Asking libjpeg for grey output skips the
 * chroma planes entirely (for YCbCr files it returns the luma plane), which makes a 250x250 LFW
 * image about five times cheaper than a full RGB decode through sharp. Built by native/build.sh
 * into native/build/libface_decode.so when jpeglib.h is installed.
 */
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <setjmp.h>
#include <string.h>
#include <jpeglib.h>

#ifndef FC_SOURCE_SHA256
#define FC_SOURCE_SHA256 "unknown"
#endif

typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf escape;
  char message[JMSG_LENGTH_MAX];
} error_manager;

static void on_error(j_common_ptr info) {
  error_manager *errors = (error_manager *)info->err;
  (*info->err->format_message)(info, errors->message);
  longjmp(errors->escape, 1);
}

/* Warnings (corrupt data libjpeg can recover from) are errors here, like sharp's "truncated". */
static void on_warning(j_common_ptr info, int level) {
  if (level < 0) on_error(info);
}

/*
 * Reads the size of a JPEG: dims = {width, height}. Returns 0, or 1 with the reason in
 * message (capacity bytes) when the data is not a readable JPEG.
 */
int fd_jpeg_size(const unsigned char *data, int length, int *dims, char *message, int capacity) {
  struct jpeg_decompress_struct info;
  error_manager errors;
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  errors.base.emit_message = on_warning;
  if (setjmp(errors.escape)) {
    snprintf(message, (size_t)capacity, "%s", errors.message);
    jpeg_destroy_decompress(&info);
    return 1;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, (unsigned long)length);
  jpeg_read_header(&info, TRUE);
  dims[0] = (int)info.image_width;
  dims[1] = (int)info.image_height;
  jpeg_destroy_decompress(&info);
  return 0;
}

/*
 * Decodes a JPEG to grey into out (capacity bytes, at least width x height). Returns 0, 2 when
 * out is too small, or 1 with the reason in message when the data is corrupt or truncated.
 */
int fd_decode_jpeg_grey(const unsigned char *data, int length, unsigned char *out, int capacity,
                        char *message, int message_capacity) {
  struct jpeg_decompress_struct info;
  error_manager errors;
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  errors.base.emit_message = on_warning;
  if (setjmp(errors.escape)) {
    snprintf(message, (size_t)message_capacity, "%s", errors.message);
    jpeg_destroy_decompress(&info);
    return 1;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, (unsigned long)length);
  jpeg_read_header(&info, TRUE);
  info.out_color_space = JCS_GRAYSCALE;
  /* The same inverse DCT as libvips's default, so the two decoders agree closely. */
  info.dct_method = JDCT_ISLOW;
  jpeg_start_decompress(&info);
  const int width = (int)info.output_width, height = (int)info.output_height;
  if ((long)width * height > capacity || info.output_components != 1) {
    jpeg_destroy_decompress(&info);
    return 2;
  }
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out + (size_t)info.output_scanline * (size_t)width;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return 0;
}

/* Writes "<sha256 of this source>|<libjpeg version>" into text; returns its length. */
int fd_build_info(char *text, int size) {
  int length = snprintf(text, (size_t)size, "%s|libjpeg %d", FC_SOURCE_SHA256, JPEG_LIB_VERSION);
  return length < size ? length : size - 1;
}
