/*
 * libFuzzer target for the Kinesis GetRecords response decoder (JSON, base64
 * Data, timestamps, ChildShards). Every decoded record must point inside the
 * result's own pool, and data must be NUL-terminated.
 */
#include "rt_kinesis.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rt_kin_get_result g;
  memset(&g, 0, sizeof(g));
  if (rt_kin_get_records_decode((const char *)data, size, &g, NULL) == 0) {
    size_t bytes = 0;
    for (size_t i = 0; i < g.n; i++) {
      const rt_kin_record *r = &g.records[i];
      if (!r->partition_key || !r->sequence || r->data[r->data_len] != '\0')
        abort();
      bytes += r->data_len + strlen(r->partition_key) + strlen(r->sequence);
    }
    if (bytes < g.data_bytes)
      abort();
  }
  rt_kin_get_result_clear(&g);
  return 0;
}
