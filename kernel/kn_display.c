/*
 * Live outputs. The display keeps its own copy of the parent header, so a
 * query thread can keep redrawing after the cell's request is gone. An
 * atomic flag picks display_data for the first frame and update_display_data
 * for the rest; callers show frames of one display from one thread at a time
 * (the runtime calls a query's outputs from its own thread), which keeps the
 * display_data first on the wire.
 */
#include "kn_display.h"

#include "kn_utf8.h"
#include "rt_mem.h"

#include <stdatomic.h>
#include <string.h>

struct kn_display {
  kn_iopub *iopub;    /* borrowed publisher */
  kn_frame parent;    /* owned copy of the parent header */
  char *id;           /* owned display_id */
  atomic_int shown;   /* the display_data was published */
};

kn_display *kn_display_new(kn_iopub *iopub, const kn_frame *parent,
                           const char *display_id) {
  kn_display *d = rt_xcalloc(1, sizeof(*d));
  d->iopub = iopub;
  d->parent.len = parent ? parent->len : 2;
  d->parent.data = rt_xstrndup(parent ? parent->data : "{}", d->parent.len);
  d->id = rt_xstrdup(display_id);
  atomic_init(&d->shown, 0);
  return d;
}

kn_display *kn_display_for_cell(const kn_cell *cell, const char *display_id) {
  return kn_display_new(kn_cell_iopub(cell), kn_cell_parent(cell), display_id);
}

int kn_display_show(kn_display *display, json_t *data, json_t *metadata) {
  json_t *c = json_pack("{sososo}", "data", data ? data : json_object(),
                        "metadata", metadata ? metadata : json_object(),
                        "transient", json_pack("{so}", "display_id",
                                               kn_utf8_json(display->id,
                                                            strlen(display->id))));
  if (!c)
    return RT_EINVAL;
  const char *type = atomic_exchange(&display->shown, 1) ? "update_display_data"
                                                         : "display_data";
  return kn_iopub_publish(display->iopub, type, &display->parent, c);
}

void kn_display_free(kn_display **display) {
  if (!display || !*display)
    return;
  rt_free((*display)->parent.data);
  rt_free((*display)->id);
  rt_free(*display);
  *display = NULL;
}
