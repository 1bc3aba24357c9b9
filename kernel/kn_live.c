/*
 * Live displays (see kn_live.h). One kl_disp per running query, found by the
 * query's id in a small locked list; everything inside a kl_disp is touched
 * only by its query's thread (the runtime never calls one query's ops
 * concurrently), so drawing takes no lock. Each chart keeps its own
 * plot_renderer, so redraws reuse the cairo surface and encoder buffers.
 */
#include "kn_live.h"

#include "kn_chart.h"
#include "kn_display.h"
#include "kn_utf8.h"
#include "plot.h"
#include "rt_base64.h"
#include "rt_clock.h"
#include "rt_log.h"
#include "rt_mem.h"
#include "kn_table.h"
#include "rt_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum {
  KL_MAX_CELLS = 256,     /* cells whose parent headers are remembered */
  KL_FOOTER_EVERY = 5,    /* status-only redraws: every this many refreshes */
};

/* A cell that ran: where its queries' outputs go. */
typedef struct kl_cell {
  char *id;         /* owned cell id, NULL when the slot is free */
  kn_frame parent;  /* owned copy of its execute_request header */
  kn_iopub *iopub;  /* borrowed publisher */
  uint64_t stamp;   /* last use, for eviction */
} kl_cell;

/* One query's display. */
typedef struct kl_disp {
  uint64_t qid;            /* the query's id */
  kn_display *disp;        /* the notebook output */
  kn_iopub *iopub;         /* publisher, for the failure note */
  kn_frame parent;         /* owned copy of the cell's parent */
  const rt_output_desc *desc; /* borrowed from the query */
  kn_chart *chart;         /* charts: the ring of frames */
  plot_renderer *renderer; /* charts: kept between redraws */
  kn_table *table;         /* tables: the rows shown */
  int64_t refresh_ms;      /* redraw interval: the query's refresh */
  int64_t slack_ms;        /* a redraw this early counts as on time: half a batch */
  int64_t last_draw_ms;    /* monotonic time of the last redraw */
  bool dirty;              /* results arrived since the last redraw */
  bool have_stats;         /* st holds a status */
  rt_query_stats st;       /* the latest counters */
  int64_t newest_end;      /* newest window end seen, 0 none */
  uint64_t partial;        /* windows cut short by a stop (not drawn in
                            * charts; shown in tables; the footer counts them) */
  char footer[512];        /* the footer drawn last */
} kl_disp;

struct kn_live {
  pthread_mutex_t mu;       /* guards cells, disps and the stamp */
  kl_cell cells[KL_MAX_CELLS];
  uint64_t stamp;
  kl_disp **disps;          /* open displays */
  size_t ndisps, capdisps;
  atomic_llong refresh_ms;  /* redraw interval of queries that give none */
  const rt_clock *clock;    /* times the redraws (NULL: the system's); borrowed */
  atomic_size_t ring;       /* chart ring size */
  atomic_ullong redraws, deferred, render_errors;
};

/* Now on the displays' clock, in ms. */
static int64_t now_ms(const kn_live *l) { return rt_clock_mono_ns(l->clock) / 1000000; }

/* -------------------------------------------------------------- session */

kn_live *kn_live_new(void) {
  kn_live *l = rt_xcalloc(1, sizeof(*l));
  pthread_mutex_init(&l->mu, NULL);
  atomic_init(&l->refresh_ms, 1000);
  atomic_init(&l->ring, KN_CHART_DEFAULT_RING);
  atomic_init(&l->redraws, 0);
  atomic_init(&l->deferred, 0);
  atomic_init(&l->render_errors, 0);
  return l;
}

static void disp_free(kl_disp **dp) {
  kl_disp *d = *dp;
  kn_display_free(&d->disp);
  kn_chart_free(&d->chart);
  plot_renderer_free(&d->renderer);
  kn_table_free(&d->table);
  rt_free(d->parent.data);
  rt_free(d);
  *dp = NULL;
}

void kn_live_free(kn_live **live) {
  if (!live || !*live)
    return;
  kn_live *l = *live;
  for (size_t i = 0; i < l->ndisps; i++)
    disp_free(&l->disps[i]);
  rt_free(l->disps);
  for (int i = 0; i < KL_MAX_CELLS; i++) {
    rt_free(l->cells[i].id);
    rt_free(l->cells[i].parent.data);
  }
  pthread_mutex_destroy(&l->mu);
  rt_free(l);
  *live = NULL;
}

void kn_live_set_clock(kn_live *l, const rt_clock *c) { l->clock = c; }

void kn_live_set_refresh(kn_live *l, int64_t ms) {
  atomic_store(&l->refresh_ms, ms > 0 ? ms : 1);
}

void kn_live_set_ring(kn_live *l, size_t ring) {
  atomic_store(&l->ring, ring ? ring : KN_CHART_DEFAULT_RING);
}

size_t kn_live_ring(kn_live *l) { return atomic_load(&l->ring); }

void kn_live_get_stats(kn_live *l, kn_live_stats *out) {
  out->redraws = atomic_load(&l->redraws);
  out->deferred = atomic_load(&l->deferred);
  out->render_errors = atomic_load(&l->render_errors);
}

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

void kn_live_display_id(const char *cell, int index, char *out, size_t outsz) {
  snprintf(out, outsz, "eddy-%016llx-%d",
           (unsigned long long)fnv1a(cell ? cell : ""), index);
}

void kn_live_begin_cell(kn_live *l, const char *cell, kn_iopub *iopub,
                        const kn_frame *parent) {
  pthread_mutex_lock(&l->mu);
  kl_cell *slot = NULL, *spare = NULL;
  for (int i = 0; i < KL_MAX_CELLS && !slot; i++) {
    kl_cell *c = &l->cells[i];
    if (c->id && strcmp(c->id, cell) == 0)
      slot = c;
    else if (!spare || (spare->id && (!c->id || c->stamp < spare->stamp)))
      spare = c; /* a free slot, else the least recently used */
  }
  if (!slot) {
    slot = spare;
    rt_free(slot->id);
    slot->id = rt_xstrdup(cell);
  }
  rt_free(slot->parent.data);
  slot->parent.len = parent ? parent->len : 2;
  slot->parent.data = rt_xstrndup(parent ? parent->data : "{}", slot->parent.len);
  slot->iopub = iopub;
  slot->stamp = ++l->stamp;
  pthread_mutex_unlock(&l->mu);
}

/* Copies the parent and publisher of cell into d. Returns false when the
 * cell is unknown (nothing to publish to). */
static bool take_cell(kn_live *l, const char *cell, kl_disp *d) {
  bool found = false;
  pthread_mutex_lock(&l->mu);
  for (int i = 0; i < KL_MAX_CELLS && !found; i++) {
    kl_cell *c = &l->cells[i];
    if (c->id && strcmp(c->id, cell) == 0) {
      d->parent.len = c->parent.len;
      d->parent.data = rt_xstrndup(c->parent.data, c->parent.len);
      d->iopub = c->iopub;
      found = true;
    }
  }
  pthread_mutex_unlock(&l->mu);
  return found;
}

static kl_disp *find(kn_live *l, uint64_t qid, bool remove) {
  kl_disp *d = NULL;
  pthread_mutex_lock(&l->mu);
  for (size_t i = 0; i < l->ndisps && !d; i++)
    if (l->disps[i]->qid == qid) {
      d = l->disps[i];
      if (remove)
        l->disps[i] = l->disps[--l->ndisps];
    }
  pthread_mutex_unlock(&l->mu);
  return d;
}

/* --------------------------------------------------------------- drawing */

static json_t *text_json(const rt_buf *b) {
  return kn_utf8_json(b->data ? b->data : "", b->len);
}

/* The footer: the query, its rate, lag, late and bad records, the newest
 * window, and how it ended. */
static void make_footer(const kl_disp *d, const rt_query_info *q, const rt_err *err,
                        char *out, size_t outsz) {
  size_t n = (size_t)snprintf(out, outsz, "query %llu", (unsigned long long)q->id);
  const rt_query_stats *st = &d->st;
  if (d->have_stats && n < outsz) {
    n += (size_t)snprintf(out + n, outsz - n, " \xc2\xb7 %.0f rec/s \xc2\xb7 %llu in",
                          st->records_per_s, (unsigned long long)st->records_in);
    if (st->lag_ms >= 0 && n < outsz)
      n += (size_t)snprintf(out + n, outsz - n, " \xc2\xb7 lag %lld ms", (long long)st->lag_ms);
    if (n < outsz)
      n += (size_t)snprintf(out + n, outsz - n, " \xc2\xb7 late %llu \xc2\xb7 bad %llu",
                            (unsigned long long)st->late, (unsigned long long)st->bad);
  }
  if (d->newest_end && n < outsz) {
    char t[RT_TIME_ISO_MS_LEN];
    n += (size_t)snprintf(out + n, outsz - n, " \xc2\xb7 window to %s",
                          rt_time_format_ms(d->newest_end, t));
  }
  if (d->partial && n < outsz)
    n += (size_t)snprintf(out + n, outsz - n, " \xc2\xb7 %llu partial window%s %s",
                          (unsigned long long)d->partial, d->partial == 1 ? "" : "s",
                          d->chart ? "not drawn" : "(stopped early)");
  if (d->have_stats && st->cred_failing && n < outsz)
    n += (size_t)snprintf(out + n, outsz - n, " \xc2\xb7 AWS credentials renewal failing (%%aws)");
  if (d->have_stats && st->state >= RT_QUERY_DONE && n < outsz)
    n += (size_t)snprintf(out + n, outsz - n, " \xc2\xb7 %s", rt_query_state_name(st->state));
  if (err && n < outsz)
    snprintf(out + n, outsz - n, ": %.200s", err->msg);
}

static json_t *chart_bundle(kl_disp *d, kn_live *l, json_t **metadata) {
  plot_spec spec;
  kn_chart_spec(d->chart, d->footer, &spec);
  rt_buf text;
  rt_buf_init(&text, 0);
  kn_chart_summary(d->chart, &text);
  rt_buf_printf(&text, "%s\n", d->footer);
  json_t *data = json_pack("{so}", "text/plain", text_json(&text));
  rt_buf_free(&text);
  plot_png png = {0};
  plot_err perr;
  if (plot_render_png(d->renderer, &spec, &png, &perr) == PLOT_OK) {
    char *b64 = rt_xmalloc(rt_base64_encoded_size(png.len));
    size_t n = rt_base64_encode(png.data, png.len, b64);
    /* base64 is ASCII: skip the UTF-8 check over ~450 KB */
    json_object_set_new(data, "image/png", json_stringn_nocheck(b64, n));
    rt_free(b64);
    *metadata = json_pack("{s{sisi}}", "image/png", "width", png.width, "height", png.height);
    plot_png_free(&png);
  } else {
    atomic_fetch_add(&l->render_errors, 1);
    rt_log(RT_LOG_WARN, "query %llu: chart not drawn: %s", (unsigned long long)d->qid, perr.msg);
  }
  return data;
}

static json_t *table_bundle(kl_disp *d) {
  rt_buf html, text;
  rt_buf_init(&html, 0);
  rt_buf_init(&text, 0);
  kn_table_render(d->table, true, &html);
  kn_table_render(d->table, false, &text);
  rt_buf_printf(&html, "<p style=\"color:#888;font-size:smaller\">%s</p>", d->footer);
  rt_buf_printf(&text, "%s\n", d->footer);
  json_t *data = json_pack("{soso}", "text/html", text_json(&html), "text/plain",
                           text_json(&text));
  rt_buf_free(&html);
  rt_buf_free(&text);
  return data;
}

/* `into file|kinesis`: the status line is all there is to show. */
static json_t *status_bundle(kl_disp *d, const rt_query_info *q) {
  rt_buf text;
  rt_buf_init(&text, 0);
  rt_buf_printf(&text, "%s into %s \"%s\"\n%s\n", q->source,
                d->desc->kind == RT_OUT_INTO_FILE ? "file" : "kinesis",
                d->desc->path ? d->desc->path : "", d->footer);
  json_t *data = json_pack("{so}", "text/plain", text_json(&text));
  rt_buf_free(&text);
  return data;
}

/* Publishes the display as it is now. */
static void draw(kn_live *l, kl_disp *d, const rt_query_info *q, const rt_err *err) {
  make_footer(d, q, err, d->footer, sizeof(d->footer));
  json_t *metadata = NULL, *data;
  if (d->chart)
    data = chart_bundle(d, l, &metadata);
  else if (d->table)
    data = table_bundle(d);
  else
    data = status_bundle(d, q);
  int rc = kn_display_show(d->disp, data, metadata);
  if (rc < 0)
    rt_log(RT_LOG_WARN, "query %llu: display not sent: %s", (unsigned long long)d->qid,
           rt_strerror(rc));
  d->last_draw_ms = now_ms(l);
  d->dirty = false;
  atomic_fetch_add(&l->redraws, 1);
}

/* Draws when results are waiting and the refresh interval has passed.
 * Results come on the query's batch grid, so the interval is counted on that
 * grid: half a batch early is on time. To the millisecond, a window closing
 * every refresh found the last redraw (stamped after rendering, or by a thread
 * that woke late) a few ms too recent and waited for the next status tick,
 * up to a refresh later: ~40 redraws a minute for `refresh 1s`. */
static void maybe_draw(kn_live *l, kl_disp *d, const rt_query_info *q) {
  if (!d->dirty)
    return;
  if (now_ms(l) - d->last_draw_ms + d->slack_ms >= d->refresh_ms)
    draw(l, d, q, NULL);
  else
    atomic_fetch_add(&l->deferred, 1);
}

/* ------------------------------------------------------------------- ops */

static void on_start(void *ud, const rt_query_info *q) {
  kn_live *l = ud;
  kl_disp *d = rt_xcalloc(1, sizeof(*d));
  d->qid = q->id;
  d->desc = q->output;
  d->refresh_ms = q->refresh_ms > 0 ? q->refresh_ms : atomic_load(&l->refresh_ms);
  d->slack_ms = q->batch_ms / 2 < d->refresh_ms / 2 ? q->batch_ms / 2 : d->refresh_ms / 2;
  if (d->slack_ms < 0)
    d->slack_ms = 0;
  if (!take_cell(l, q->cell, d)) {
    rt_log(RT_LOG_WARN, "query %llu: cell %s unknown; its output is not shown",
           (unsigned long long)q->id, q->cell);
    rt_free(d);
    return;
  }
  char id[64];
  kn_live_display_id(q->cell, q->index, id, sizeof(id));
  d->disp = kn_display_new(d->iopub, &d->parent, id);
  if (d->desc->kind == RT_OUT_CHART) {
    d->chart = kn_chart_new(d->desc, atomic_load(&l->ring));
    d->renderer = plot_renderer_new();
  } else if (d->desc->kind == RT_OUT_TABLE) {
    d->table = kn_table_new(d->desc);
  }
  pthread_mutex_lock(&l->mu);
  if (l->ndisps == l->capdisps) {
    l->capdisps = l->capdisps ? l->capdisps * 2 : 8;
    l->disps = rt_xrealloc(l->disps, l->capdisps * sizeof(*l->disps));
  }
  l->disps[l->ndisps++] = d;
  pthread_mutex_unlock(&l->mu);
  draw(l, d, q, NULL);
}

static void on_update(void *ud, const rt_query_info *q, const rt_update *u) {
  kn_live *l = ud;
  kl_disp *d = find(l, q->id, false);
  if (!d)
    return;
  if (u->partial)
    d->partial++;
  if (d->chart)
    kn_chart_add(d->chart, u); /* leaves partial windows out */
  else if (d->table)
    kn_table_update(d->table, u);
  if (u->kind == RT_RESULT_WINDOW && !(d->chart && u->partial) &&
      u->window_end > d->newest_end)
    d->newest_end = u->window_end;
  d->dirty = true;
  maybe_draw(l, d, q);
}

static void on_status(void *ud, const rt_query_info *q, const rt_query_stats *st) {
  kn_live *l = ud;
  kl_disp *d = find(l, q->id, false);
  if (!d)
    return;
  d->st = *st;
  d->have_stats = true;
  int64_t refresh = d->refresh_ms;
  /* Counters alone redraw a chart or table now and then; an `into` output
   * has nothing else to show, so its line follows every tick. */
  int64_t every = d->chart || d->table ? KL_FOOTER_EVERY * refresh : refresh;
  if (!d->dirty && now_ms(l) - d->last_draw_ms >= every)
    d->dirty = true;
  maybe_draw(l, d, q);
}

static void on_end(void *ud, const rt_query_info *q, const rt_query_stats *st,
                   const rt_err *err) {
  kn_live *l = ud;
  kl_disp *d = find(l, q->id, true);
  if (!d)
    return;
  d->st = *st;
  d->have_stats = true;
  draw(l, d, q, st->state == RT_QUERY_FAILED ? err : NULL);
  if (st->state == RT_QUERY_FAILED && !q->bounded) {
    /* Nobody waits for an endless query: say it failed where it started. */
    char line[sizeof(err->msg) + 64];
    snprintf(line, sizeof(line), "query %llu failed: %s\n", (unsigned long long)q->id,
             err ? err->msg : "unknown error");
    kn_iopub_publish(d->iopub, "stream", &d->parent,
                     json_pack("{ssso}", "name", "stderr", "text",
                               kn_utf8_json(line, strlen(line))));
  }
  disp_free(&d);
}

static const rt_output_ops live_ops = {on_start, on_update, on_status, on_end};

const rt_output_ops *kn_live_ops(void) { return &live_ops; }
