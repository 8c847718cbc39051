/* Makes the JPEG fixtures of the camera tests with libjpeg, as a USB camera's encoder would: the standard Huffman tables
   (optimize_coding off), no JFIF header, quality 95. The tests strip the DHT segments to get the frames a UVC camera sends.
     gcc make-frames.c -ljpeg -o make-frames
     tail -c 784 ../../../../../models/digits/samples/7_0000.pgm | ./make-frames 7_0000.jpg 28 28 1
     python3 -c "import sys; sys.stdout.buffer.write(bytes(v for y in range(16) for x in range(32)
       for v in ((x*8)%256, (y*16)%256, (255-x*8)%256)))" | ./make-frames colour-32x16.jpg 32 16 3 */
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: make-frames OUT.jpg WIDTH HEIGHT COMPONENTS < pixels\n"); return 2; }
  int w = atoi(argv[2]), h = atoi(argv[3]), c = atoi(argv[4]);
  unsigned char *px = malloc((size_t)w * h * c);
  if (fread(px, 1, (size_t)w * h * c, stdin) != (size_t)w * h * c) { fprintf(stderr, "short input\n"); return 1; }
  struct jpeg_compress_struct ci; struct jpeg_error_mgr err;
  ci.err = jpeg_std_error(&err); jpeg_create_compress(&ci);
  FILE *out = fopen(argv[1], "wb"); jpeg_stdio_dest(&ci, out);
  ci.image_width = w; ci.image_height = h; ci.input_components = c; ci.in_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&ci); jpeg_set_quality(&ci, 95, TRUE); ci.optimize_coding = FALSE; ci.write_JFIF_header = FALSE;
  jpeg_start_compress(&ci, TRUE);
  while (ci.next_scanline < ci.image_height) { JSAMPROW row = px + (size_t)ci.next_scanline * w * c; jpeg_write_scanlines(&ci, &row, 1); }
  jpeg_finish_compress(&ci); fclose(out); return 0;
}
