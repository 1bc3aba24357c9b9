/*
 * The inside of a compiled plan, shared by the compiler (dsl_compile.c) and
 * the runtime that executes it (rt_query.c, rt_pipeline.c) and nobody else.
 *
 * A plan has two phases. The record phase runs per micro-batch over batch
 * columns: parse, where, select/extend, dedup, record limit. Then either an
 * aggregation (window, session or running agg) turns records into results,
 * or the surviving records themselves form the batch's result. The result
 * phase runs per result over its rows: top, sort, limit, and where /
 * select / extend written after an agg. The output finally sees the result
 * (and, for a chart, its x/y/by columns).
 */
#ifndef EDDY_DSL_PLAN_INT_H
#define EDDY_DSL_PLAN_INT_H

#include "dsl_compile.h"
#include "dsl_eval.h"
#include "rt_arena.h"
#include "rt_json_scan.h"
#include "rt_window.h"

typedef enum pl_op_kind {
  PL_PARSE_JSON, /* data column -> JSON path columns */
  PL_PARSE_CSV,  /* data column -> CSV columns */
  PL_WHERE,      /* keeps rows where expr is true */
  PL_PROJECT,    /* select / extend: items into their columns */
  PL_DEDUP,      /* drops rows whose key was kept within D */
  PL_LIMIT,      /* keeps the first n records of the stream, then ends */
} pl_op_kind;

/* One record-phase operation. */
typedef struct pl_op {
  pl_op_kind kind;
  int in_col;            /* PARSE_*: the column holding the text */
  rt_json_paths *paths;  /* PARSE_JSON: paths to extract (owned) */
  int *slot_cols;        /* PARSE_JSON: batch column of each path slot (owned) */
  int nslots;            /* PARSE_JSON: slots so far; CSV: columns */
  int slots_cap;         /* PARSE_JSON: allocated entries of slot_cols */
  int *csv_cols;         /* PARSE_CSV: batch column of each CSV column */
  dsl_type *csv_types;   /* PARSE_CSV: their types */
  const char *header;    /* PARSE_CSV: the header line "a,b,c" to skip */
  dsl_cx *expr;          /* WHERE: predicate; DEDUP: key */
  dsl_cx *time;          /* DEDUP: event time, or NULL for processing time */
  int64_t within_ms;     /* DEDUP: period (0 = forever) */
  dsl_cx **items;        /* PROJECT: expressions */
  int *item_cols;        /* PROJECT: their columns */
  int nitems;            /* PROJECT: count */
  int64_t limit;         /* LIMIT: records */
} pl_op;

/* The aggregation: a window operator fed from the record phase. */
typedef struct pl_agg {
  rt_window_opts wopts;  /* names and specs below are the plan's */
  dsl_cx **keys;         /* group key expressions (nkeys in wopts) */
  dsl_cx **args;         /* distinct aggregate argument expressions */
  int nargs;             /* their count */
  dsl_cx *time;          /* event-time expression, or NULL */
} pl_agg;

typedef enum pl_rop_kind {
  PL_R_WHERE,   /* keeps result rows where expr is true */
  PL_R_PROJECT, /* select / extend over result rows */
  PL_R_TOP,     /* top n by expr */
  PL_R_SORT,    /* sort keys */
  PL_R_LIMIT,   /* first n rows */
} pl_rop_kind;

/* One result-phase operation; expressions see the result's columns. */
typedef struct pl_rop {
  pl_rop_kind kind;
  dsl_cx *expr;         /* WHERE, TOP */
  dsl_cx **items;       /* PROJECT items, SORT keys */
  bool *desc;           /* SORT: per key */
  int nitems;           /* PROJECT / SORT: count */
  bool top_desc;        /* TOP: descending */
  int64_t n;            /* TOP, LIMIT */
  int ncols_out;        /* PROJECT: columns of the new result */
  const char **cols_out; /* PROJECT: their names */
  int *src_col;         /* PROJECT: per output column, the input column it
                         * copies, or -1 when it is items[item_of[i]] */
  int *item_of;         /* PROJECT: per output column, its item */
} pl_rop;

/* The output stage. */
typedef struct pl_output {
  dsl_output_kind kind;
  int64_t table_limit;   /* -1 when not given */
  const char *path;      /* INTO_FILE */
  const char *stream;    /* INTO_KINESIS */
  int key_col;           /* INTO_KINESIS: result column of the partition key, or -1 */
  dsl_chart_kind chart_kind;
  const char *title;     /* CHART: or NULL */
  dsl_cx *x;             /* CHART: over the result's columns */
  dsl_cx **ys;
  int nys;
  dsl_cx *by;            /* or NULL */
  const char *x_name;
  const char **y_names;
  const char *by_name;   /* or NULL */
} pl_output;

struct dsl_plan {
  rt_arena *arena;        /* every array and string of the plan */
  dsl_cx_pool *pool;      /* compiled expressions */
  dsl_source source;      /* the root source, strings copied to arena */
  char *source_desc;      /* "file \"x\"", for %queries */
  int ncols;              /* batch columns the record phase uses */
  int nsrc_cols;          /* of which the source fills the first */
  pl_op *ops;             /* record phase */
  int nops;
  pl_agg *agg;            /* or NULL */
  int nvis;               /* visible record columns at the end of the record */
  const char **vis_names; /* phase (the result columns when there is no agg) */
  int *vis_cols;
  pl_rop *rops;           /* result phase */
  int nrops;
  int nres_cols;          /* result columns after the result phase */
  const char **res_cols;
  pl_output out;
  int64_t for_ms;         /* `for D`, or 0 */
  bool bounded;           /* see dsl_plan_bounded() */
};

/* The column names a source kind yields, in order; *n gets the count. */
const char *const *dsl_plan_source_cols(dsl_source_kind kind, int *n);

#endif
