/*
 * What the language side sees of a running cell: output callbacks and an
 * interrupt flag, never sockets. Each output goes to IOPub with the cell's
 * execute_request as parent. A kn_cell lives only while its execute request
 * is served; a live query that outlives the cell copies the parent with
 * kn_cell_parent() and publishes through kn_iopub_publish() from any thread.
 */
#ifndef EDDY_KN_CELL_H
#define EDDY_KN_CELL_H

#include "kn_iopub.h"
#include "kn_wire.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct kn_cell kn_cell;

/* Publishes len bytes of text on stream name ("stdout" or "stderr").
 * Invalid UTF-8 is repaired. Returns 0 or a negative RT_E* code. */
int kn_cell_stream(kn_cell *cell, const char *name, const char *text,
                   size_t len);

/*
 * Publishes a display_data with mimebundle data and metadata (both stolen;
 * metadata may be NULL for {}). display_id (may be NULL) names the output so
 * later kn_cell_update_display() or update_display_data messages redraw it in
 * place. Returns 0 or a negative RT_E* code.
 */
int kn_cell_display(kn_cell *cell, json_t *data, json_t *metadata,
                    const char *display_id);

/* Publishes an update_display_data for display_id (required); data and
 * metadata are stolen as above. */
int kn_cell_update_display(kn_cell *cell, json_t *data, json_t *metadata,
                           const char *display_id);

/* Publishes the cell's execute_result (data must hold text/plain; both
 * stolen). Suppressed for silent cells. */
int kn_cell_result(kn_cell *cell, json_t *data, json_t *metadata);

/* True once the user interrupted this cell (interrupt_request or SIGINT).
 * Cheap; poll it in long loops. Thread-safe. */
bool kn_cell_interrupted(const kn_cell *cell);

/* The cell's execution count (In[n]). */
int kn_cell_count(const kn_cell *cell);

/* True for a silent execute (no execute_result, no history). */
bool kn_cell_silent(const kn_cell *cell);

/* The front end's id of the notebook cell (execute_request metadata
 * "cellId", which JupyterLab and other recent front ends send), so a re-run of the
 * same cell can replace the queries it started; "" when the front end sent
 * none. Borrowed; valid while the cell runs. */
const char *kn_cell_id(const kn_cell *cell);

/* The raw header of the cell's execute_request: the parent of its outputs.
 * Borrowed; valid while the cell runs, copy it to publish later. */
const kn_frame *kn_cell_parent(const kn_cell *cell);

/* The publisher, for outputs after the cell ends. Borrowed; valid until the
 * kernel shuts down (after kn_lang_free()). */
kn_iopub *kn_cell_iopub(const kn_cell *cell);

#endif
