/*
 * execute_request, and the kn_cell the language side runs in. The protocol
 * parts of execution live here, once: the counter and its silent /
 * store_history rules, execute_input, history, the error reply, and the
 * stop_on_error abort of requests queued behind a failed cell. The language
 * only runs code and reports outputs through the cell.
 */
#include "kn_int.h"

#include "kn_cell.h"
#include "kn_utf8.h"
#include "rt_mem.h"

#include <string.h>

struct kn_cell {
  kn_req *req;    /* the execute request */
  int count;      /* execution count shown for this cell */
  bool silent;    /* no execute_result, no history */
  char *result;   /* text/plain of the execute_result, for history (owned) */
  char id[128];   /* the front end's cell id, "" if it sent none */
};

/* Copies metadata.cellId of the request (JupyterLab and other recent
 * front ends send one) into out, or "" when there is none or it does not fit. */
static void cell_id_of(const kn_msg *msg, char *out, size_t outsz) {
  out[0] = '\0';
  if (msg->raw[2].len <= 2)
    return;
  json_t *meta = json_loadb(msg->raw[2].data, msg->raw[2].len, 0, NULL);
  json_t *id = json_object_get(meta, "cellId");
  if (json_is_string(id) && json_string_length(id) < outsz)
    memcpy(out, json_string_value(id), json_string_length(id) + 1);
  json_decref(meta);
}

static int cell_publish(kn_cell *cell, const char *type, json_t *content) {
  if (!content)
    return RT_EINVAL;
  return kn_iopub_publish(cell->req->k->iopub, type, kn__parent(cell->req),
                          content);
}

int kn_cell_stream(kn_cell *cell, const char *name, const char *text,
                   size_t len) {
  if (strcmp(name, "stdout") != 0 && strcmp(name, "stderr") != 0)
    return RT_EINVAL;
  return cell_publish(cell, "stream",
                      json_pack("{ssso}", "name", name, "text",
                                kn_utf8_json(text, len)));
}

static json_t *display_content(json_t *data, json_t *metadata,
                               const char *display_id) {
  json_t *c = json_pack("{soso}", "data", data ? data : json_object(),
                        "metadata", metadata ? metadata : json_object());
  if (c && display_id)
    json_object_set_new(c, "transient",
                        json_pack("{so}", "display_id",
                                  kn_utf8_json(display_id, strlen(display_id))));
  return c;
}

int kn_cell_display(kn_cell *cell, json_t *data, json_t *metadata,
                    const char *display_id) {
  return cell_publish(cell, "display_data",
                      display_content(data, metadata, display_id));
}

int kn_cell_update_display(kn_cell *cell, json_t *data, json_t *metadata,
                           const char *display_id) {
  if (!display_id) {
    json_decref(data);
    json_decref(metadata);
    return RT_EINVAL;
  }
  return cell_publish(cell, "update_display_data",
                      display_content(data, metadata, display_id));
}

int kn_cell_result(kn_cell *cell, json_t *data, json_t *metadata) {
  if (cell->silent) {
    json_decref(data);
    json_decref(metadata);
    return 0;
  }
  const char *text = json_string_value(json_object_get(data, "text/plain"));
  if (text && !cell->result)
    cell->result = rt_xstrdup(text);
  json_t *c = display_content(data, metadata, NULL);
  if (c)
    json_object_set_new(c, "execution_count", json_integer(cell->count));
  return cell_publish(cell, "execute_result", c);
}

bool kn_cell_interrupted(const kn_cell *cell) {
  return atomic_load(&cell->req->k->interrupt) != 0;
}

int kn_cell_count(const kn_cell *cell) { return cell->count; }

bool kn_cell_silent(const kn_cell *cell) { return cell->silent; }

const char *kn_cell_id(const kn_cell *cell) { return cell->id; }

const kn_frame *kn_cell_parent(const kn_cell *cell) {
  return kn__parent(cell->req);
}

kn_iopub *kn_cell_iopub(const kn_cell *cell) { return cell->req->k->iopub; }

static bool flag(const json_t *content, const char *name, bool dflt) {
  json_t *v = json_object_get(content, name);
  return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static void reply_ok(kn_req *req, int count) {
  kn_reply_send(req, json_pack("{sssis[]s{}}", "status", "ok",
                               "execution_count", count, "payload",
                               "user_expressions"));
}

/* Runs code in a cell; returns the language's result code. */
static int run_cell(kn_req *req, kn_cell *cell, const char *code, size_t len,
                    rt_err *err) {
  kn_kernel *k = req->k;
  atomic_store(&k->interrupt, 0);
  if (!cell->silent)
    kn_iopub_publish(k->iopub, "execute_input", kn__parent(req),
                     json_pack("{sOsi}", "code",
                               json_object_get(req->msg->content, "code"),
                               "execution_count", cell->count));
  rt_err_clear(err);
  return kn_lang_execute(k->lang, cell, code, len, err);
}

void kn_on_execute_request(kn_req *req) {
  kn_kernel *k = req->k;
  json_t *content = req->msg->content;
  json_t *code_v = json_object_get(content, "code");
  rt_err err;
  if (req->aborting) {
    rt_err_set(&err, RT_ESTOPPED, "a previous cell failed; this one did not run");
    kn_reply_error(req, &err, NULL, k->execution_count, 0);
    return;
  }
  if (!json_is_string(code_v)) {
    rt_err_set(&err, RT_EPROTO, "execute_request without a \"code\" string");
    kn_reply_error(req, &err, NULL, k->execution_count, 0);
    return;
  }
  bool silent = flag(content, "silent", false);
  bool store = !silent && flag(content, "store_history", true);
  if (store)
    k->execution_count++;
  kn_cell cell = {req, k->execution_count, silent, NULL, ""};
  cell_id_of(req->msg, cell.id, sizeof(cell.id));
  const char *code = json_string_value(code_v);
  size_t len = json_string_length(code_v);
  int rc = run_cell(req, &cell, code, len, &err);
  if (store)
    kn_history_add(k->history, cell.count, code, len, cell.result);
  rt_free(cell.result);
  if (rc == 0) {
    reply_ok(req, cell.count);
    return;
  }
  if (err.code == 0)
    rt_err_set(&err, rc, "%s", rt_strerror(rc));
  if (atomic_load(&k->interrupt))
    err.code = RT_EINTR;
  if (flag(content, "stop_on_error", true))
    kn__hold_queue(k);
  kn_reply_error(req, &err, code, cell.count, KN_ERR_PUBLISH);
}
