/*
 * The syntax tree of the Eddy stream language (docs/language.md is the
 * contract).
 *
 * dsl_parse() builds it; the checker and dsl_compile() read it. Nodes are
 * plain structs because both sides walk them; they all live in the arena of
 * the dsl_program that owns them and die with it. Every node keeps the byte
 * span of the source text it came from, so any later stage can point a caret
 * at it.
 */
#ifndef EDDY_DSL_AST_H
#define EDDY_DSL_AST_H

#include <stdbool.h>
#include <stdint.h>

/* A byte range [off, off + len) of the program text. */
typedef struct dsl_span {
  int off;
  int len;
} dsl_span;

/* Operators of unary and binary expressions. */
typedef enum dsl_op {
  DSL_OP_NEG,         /* -x */
  DSL_OP_NOT,         /* not x */
  DSL_OP_ADD,         /* x + y */
  DSL_OP_SUB,         /* x - y */
  DSL_OP_MUL,         /* x * y */
  DSL_OP_DIV,         /* x / y (floating point) */
  DSL_OP_MOD,         /* x % y */
  DSL_OP_EQ,          /* x = y (null is a value) */
  DSL_OP_NE,          /* x != y */
  DSL_OP_LT,          /* x < y (false when either side is null) */
  DSL_OP_LE,          /* x <= y */
  DSL_OP_GT,          /* x > y */
  DSL_OP_GE,          /* x >= y */
  DSL_OP_AND,         /* x and y */
  DSL_OP_OR,          /* x or y */
  DSL_OP_CONTAINS,    /* s contains "x" */
  DSL_OP_STARTS_WITH, /* s starts_with "x" */
  DSL_OP_MATCHES,     /* s matches "regex" (POSIX extended) */
} dsl_op;

typedef enum dsl_expr_kind {
  DSL_EX_NUMBER,   /* u.num */
  DSL_EX_DURATION, /* u.num holds milliseconds; `250ms`, `5m` */
  DSL_EX_STRING,   /* u.str, escapes already decoded */
  DSL_EX_BOOL,     /* u.boolean */
  DSL_EX_NULL,     /* null */
  DSL_EX_FIELD,    /* u.field: a name, or a.b.c into nested JSON */
  DSL_EX_UNARY,    /* u.unary */
  DSL_EX_BINARY,   /* u.binary */
  DSL_EX_IN,       /* u.in: x in (a, b, ...) */
  DSL_EX_CALL,     /* u.call: a scalar function or, inside agg, an aggregate */
} dsl_expr_kind;

typedef struct dsl_expr dsl_expr;
struct dsl_expr {
  dsl_expr_kind kind;
  dsl_span span; /* the whole expression's text */
  union {
    double num;
    bool boolean;
    struct {
      const char *s; /* decoded bytes, NUL-terminated (may contain no NUL) */
      int len;
    } str;
    struct {
      const char **parts; /* path components: "a","b","c" for a.b.c */
      int nparts;
      const char *text; /* the whole dotted name, "a.b.c" */
    } field;
    struct {
      dsl_op op;
      dsl_expr *arg;
    } unary;
    struct {
      dsl_op op;
      dsl_expr *lhs, *rhs;
    } binary;
    struct {
      dsl_expr *lhs;
      dsl_expr **items;
      int nitems;
    } in;
    struct {
      const char *name; /* function name as written, lower case */
      dsl_span name_span;
      dsl_expr **args;
      int nargs;
    } call;
  } u;
};

/* An expression with an output name: select/extend items, group keys, chart
 * series. name is the `as` name, or for select/by without `as` the source
 * text of the expression ("avg(temperature)", "device_id"). */
typedef struct dsl_named {
  dsl_expr *expr;
  const char *name;
  dsl_span name_span; /* the `as NAME` text, or the expression's span */
} dsl_named;

typedef enum dsl_agg_fn {
  DSL_AGG_COUNT,
  DSL_AGG_COUNT_DISTINCT,
  DSL_AGG_SUM,
  DSL_AGG_AVG,
  DSL_AGG_MIN,
  DSL_AGG_MAX,
  DSL_AGG_STDDEV,
  DSL_AGG_FIRST,
  DSL_AGG_LAST,
  DSL_AGG_P50,
  DSL_AGG_P90,
  DSL_AGG_P95,
  DSL_AGG_P99,
} dsl_agg_fn;

/* One aggregate of an `agg` stage: `avg(temperature) as avg_t`. */
typedef struct dsl_agg {
  dsl_agg_fn fn;
  dsl_expr *arg; /* NULL for count() */
  const char *name; /* `as` name, or the source text "avg(temperature)" */
  dsl_span span;
} dsl_agg;

typedef enum dsl_type {
  DSL_TY_ANY,    /* untyped CSV column: a string */
  DSL_TY_NUMBER, /* :number */
  DSL_TY_STRING, /* :string */
  DSL_TY_BOOL,   /* :bool */
  DSL_TY_TIME,   /* :time (ISO-8601 or epoch, kept as ms) */
} dsl_type;

typedef struct dsl_column {
  const char *name;
  dsl_type type;
  dsl_span span;
} dsl_column;

typedef struct dsl_sort_key {
  dsl_expr *expr;
  bool desc;
} dsl_sort_key;

typedef enum dsl_stage_kind {
  DSL_ST_PARSE_JSON, /* parse json */
  DSL_ST_PARSE_CSV,  /* parse csv(name[:type], ...) */
  DSL_ST_WHERE,      /* where EXPR */
  DSL_ST_SELECT,     /* select EXPR [as NAME], ... */
  DSL_ST_EXTEND,     /* extend NAME = EXPR, ... */
  DSL_ST_WINDOW,     /* window D [every S] [on FIELD [watermark W]] */
  DSL_ST_SESSION,    /* session GAP [on FIELD] */
  DSL_ST_AGG,        /* agg AGG [as NAME], ... [by EXPR [as NAME], ...] */
  DSL_ST_TOP,        /* top N by EXPR [asc|desc] */
  DSL_ST_SORT,       /* sort EXPR [asc|desc], ... */
  DSL_ST_LIMIT,      /* limit N */
  DSL_ST_DEDUP,      /* dedup EXPR [within D] [on FIELD] */
  DSL_ST_FOR,        /* for D */
} dsl_stage_kind;

typedef struct dsl_stage {
  dsl_stage_kind kind;
  dsl_span span; /* from the stage keyword to its last token */
  union {
    struct {
      dsl_column *cols;
      int ncols;
    } csv;
    dsl_expr *where;
    struct {
      dsl_named *items;
      int nitems;
    } select; /* SELECT and EXTEND */
    struct {
      int64_t size_ms;
      int64_t slide_ms;  /* == size_ms for tumbling windows */
      dsl_expr *on;      /* event-time field, or NULL for processing time */
      int64_t watermark_ms; /* allowed lateness with `on`; 0 if not given */
      int64_t pane_ms;   /* gcd(size_ms, slide_ms): the unit of partial state */
    } window;
    struct {
      int64_t gap_ms;
      dsl_expr *on; /* event-time field, or NULL */
    } session;
    struct {
      dsl_agg *aggs;
      int naggs;
      dsl_named *keys; /* `by` list */
      int nkeys;
    } agg;
    struct {
      int64_t n;
      dsl_expr *by;
      bool desc; /* true unless `asc` */
    } top;
    struct {
      dsl_sort_key *keys;
      int nkeys;
    } sort;
    int64_t limit;
    struct {
      dsl_expr *key;
      int64_t within_ms; /* 0 when not given: remember forever */
      dsl_expr *on;      /* event-time field, or NULL */
    } dedup;
    int64_t for_ms;
  } u;
} dsl_stage;

typedef enum dsl_from {
  DSL_FROM_DEFAULT,      /* not given: latest */
  DSL_FROM_LATEST,
  DSL_FROM_TRIM_HORIZON,
  DSL_FROM_TIMESTAMP,    /* from "ISO-8601" */
  DSL_FROM_CHECKPOINT,
} dsl_from;

typedef enum dsl_source_kind {
  DSL_SRC_KINESIS, /* kinesis "NAME" [from ...] [until now] [as "APP"] */
  DSL_SRC_FILE,    /* file "PATH" */
  DSL_SRC_DEMO,    /* demo sensors [rate N] [devices N] [seed N] [limit N] */
  DSL_SRC_REF,     /* NAME of a `let` */
} dsl_source_kind;

typedef struct dsl_source {
  dsl_source_kind kind;
  dsl_span span;
  union {
    struct {
      const char *stream;
      dsl_from from;
      int64_t from_ms; /* DSL_FROM_TIMESTAMP */
      bool until_now;
      const char *app; /* NULL when no `as` */
    } kinesis;
    struct {
      const char *path;
    } file;
    struct {
      const char *generator; /* "sensors" */
      double rate;           /* records per second; -1 when not given */
      int64_t devices;       /* -1 when not given */
      int64_t seed;          /* -1 when not given */
      int64_t limit;         /* -1 when not given: endless */
    } demo;
    struct {
      const char *name;
    } ref;
  } u;
} dsl_source;

typedef enum dsl_output_kind {
  DSL_OUT_TABLE,        /* table [limit N]; also the default */
  DSL_OUT_CHART,        /* chart KIND x=EXPR y=EXPR[, ...] [by EXPR] [title "..."] */
  DSL_OUT_INTO_KINESIS, /* into kinesis "NAME" [key EXPR] */
  DSL_OUT_INTO_FILE,    /* into file "PATH" */
} dsl_output_kind;

typedef enum dsl_chart_kind {
  DSL_CHART_LINE,
  DSL_CHART_AREA,
  DSL_CHART_BAR,
  DSL_CHART_SCATTER,
} dsl_chart_kind;

typedef struct dsl_output {
  dsl_output_kind kind;
  dsl_span span;
  bool implicit; /* true when the query had no output stage (default table) */
  union {
    struct {
      int64_t limit; /* -1 when not given */
    } table;
    struct {
      dsl_chart_kind kind;
      dsl_named x;
      dsl_named *ys;
      int nys;
      dsl_named by;      /* by.expr == NULL when not given */
      const char *title; /* NULL when not given */
    } chart;
    struct {
      const char *stream;
      dsl_expr *key; /* NULL: a partition key is chosen per row */
    } kinesis;
    struct {
      const char *path;
    } file;
  } u;
} dsl_output;

/* A source followed by stages and one output. */
typedef struct dsl_query {
  dsl_span span;
  dsl_source source;
  dsl_stage *stages;
  int nstages;
  dsl_output output;
} dsl_query;

typedef enum dsl_stmt_kind {
  DSL_STMT_LET,   /* let NAME = query (no output stage) */
  DSL_STMT_QUERY, /* query */
  DSL_STMT_MAGIC, /* %name args... */
} dsl_stmt_kind;

typedef struct dsl_stmt {
  dsl_stmt_kind kind;
  dsl_span span;
  union {
    struct {
      const char *name;
      dsl_span name_span;
      dsl_query query;
    } let;
    dsl_query query;
    struct {
      const char *name; /* without the %: "set", "stop", "help" */
      dsl_span name_span;
      dsl_expr **args;  /* words (DSL_EX_FIELD), numbers, durations, strings */
      int nargs;
      const char *rest; /* the raw text after the name, trimmed */
    } magic;
  } u;
} dsl_stmt;

#endif
