/*
 * A live output: one display_data, then update_display_data messages that
 * redraw it in place, from any thread and after the cell that created it has
 * finished. This is what a running query's chart or table is in the
 * notebook: the runtime's output callbacks (on its query threads) call
 * kn_display_show() with each new PNG or table.
 */
#ifndef EDDY_KN_DISPLAY_H
#define EDDY_KN_DISPLAY_H

#include "kn_cell.h"
#include "kn_iopub.h"
#include "kn_wire.h"

#include <jansson.h>

typedef struct kn_display kn_display;

/*
 * Makes a display named display_id (copied) whose messages have parent
 * (copied: usually the cell's execute_request header) and go out through
 * iopub (borrowed; must outlive the display). Caller owns it; free with
 * kn_display_free().
 */
kn_display *kn_display_new(kn_iopub *iopub, const kn_frame *parent,
                           const char *display_id);

/* kn_display_new() for the running cell's parent and publisher. */
kn_display *kn_display_for_cell(const kn_cell *cell, const char *display_id);

/*
 * Shows data (a mimebundle; include text/plain) with metadata (may be NULL),
 * both stolen: the first call publishes display_data, later calls
 * update_display_data for the same display_id. Thread-safe. Returns 0 or a
 * negative RT_E* code.
 */
int kn_display_show(kn_display *display, json_t *data, json_t *metadata);

/* Frees the display (the output stays in the notebook); NULLs *display.
 * Accepts NULL. */
void kn_display_free(kn_display **display);

#endif
