/* libFuzzer target for the JSON field scanner: any bytes must scan to a
 * value set or RT_EBADREC, never crash or read past the input. The paths
 * cover top-level keys, a nested path and a key with an escape. */
#include "rt_json_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const t[] = {"temperature"}, *const d[] = {"device_id"},
                           *const abc[] = {"a", "b", "c"}, *const ab[] = {"a", "b"},
                           *const q[] = {"k\"q"};
  rt_json_paths *p = rt_json_paths_new();
  rt_json_paths_add(p, t, 1);
  rt_json_paths_add(p, d, 1);
  rt_json_paths_add(p, abc, 3);
  rt_json_paths_add(p, ab, 2);
  rt_json_paths_add(p, q, 1);
  rt_arena *a = rt_arena_new(0);
  /* a private copy so the sanitizer sees the exact end of the input */
  char *copy = malloc(size ? size : 1);
  memcpy(copy, data, size);
  rt_value out[5];
  if (rt_json_scan(p, copy, size, out, a) == 0) {
    for (int i = 0; i < 5; i++)
      if (out[i].type == RT_STRING && out[i].u.str.len)
        (void)*(volatile const char *)(out[i].u.str.ptr + out[i].u.str.len - 1);
  }
  free(copy);
  rt_arena_free(&a);
  rt_json_paths_free(&p);
  return 0;
}
