/*
 * Tests of the DSL parser: the syntax tree (and the spans) of every construct
 * of docs/language.md, a big example, magics, dsl_is_complete and the words
 * table. Error messages are pinned by the golden tests (tests/dsl/ files);
 * here only the codes and spans of a few.
 */
#include "test.h"

#include "dsl.h"

static dsl_program *parse_ok(const char *src) {
  dsl_program *prog = NULL;
  rt_err err;
  int rc = dsl_parse(src, strlen(src), &prog, &err);
  if (rc) {
    char out[1024];
    rt_err_render(&err, src, out, sizeof(out));
    fprintf(stderr, "unexpected error:\n%s\n", out);
  }
  ASSERT_EQ(rc, 0);
  ASSERT(prog != NULL);
  return prog;
}

/* The program text a span covers, in a static buffer. */
static const char *span_text(const dsl_program *p, dsl_span s) {
  static char buf[512];
  ASSERT(s.off >= 0 && s.len >= 0 && s.off + s.len <= p->srclen);
  ASSERT(s.len < (int)sizeof(buf));
  memcpy(buf, p->src + s.off, (size_t)s.len);
  buf[s.len] = '\0';
  return buf;
}

#define ASSERT_SPAN(prog, span, text) ASSERT_STR_EQ(span_text((prog), (span)), (text))

static const dsl_query *only_query(const dsl_program *p) {
  ASSERT_EQ(p->nstmts, 1);
  ASSERT_EQ(p->stmts[0].kind, DSL_STMT_QUERY);
  return &p->stmts[0].u.query;
}

/* ---------------------------------------------------------------- sources */

static void test_source_kinesis(void) {
  dsl_program *p = parse_ok("kinesis \"sensors\"");
  const dsl_source *s = &only_query(p)->source;
  ASSERT_EQ(s->kind, DSL_SRC_KINESIS);
  ASSERT_STR_EQ(s->u.kinesis.stream, "sensors");
  ASSERT_EQ(s->u.kinesis.from, DSL_FROM_DEFAULT);
  ASSERT(!s->u.kinesis.until_now);
  ASSERT(s->u.kinesis.app == NULL);
  ASSERT_SPAN(p, s->span, "kinesis \"sensors\"");
  const dsl_output *o = &only_query(p)->output;
  ASSERT_EQ(o->kind, DSL_OUT_TABLE);
  ASSERT(o->implicit);
  ASSERT_EQ(o->u.table.limit, -1);
  dsl_program_free(&p);
  ASSERT(p == NULL);

  p = parse_ok("kinesis \"s\" from trim_horizon until now as \"app\"");
  s = &only_query(p)->source;
  ASSERT_EQ(s->u.kinesis.from, DSL_FROM_TRIM_HORIZON);
  ASSERT(s->u.kinesis.until_now);
  ASSERT_STR_EQ(s->u.kinesis.app, "app");
  ASSERT_SPAN(p, s->span, "kinesis \"s\" from trim_horizon until now as \"app\"");
  dsl_program_free(&p);

  p = parse_ok("kinesis \"s\" from latest");
  ASSERT_EQ(only_query(p)->source.u.kinesis.from, DSL_FROM_LATEST);
  dsl_program_free(&p);

  p = parse_ok("kinesis \"s\" from checkpoint as \"dash\"");
  ASSERT_EQ(only_query(p)->source.u.kinesis.from, DSL_FROM_CHECKPOINT);
  dsl_program_free(&p);

  p = parse_ok("kinesis \"s\" from \"2026-11-20T10:00:03.250Z\"");
  s = &only_query(p)->source;
  ASSERT_EQ(s->u.kinesis.from, DSL_FROM_TIMESTAMP);
  ASSERT_EQ(s->u.kinesis.from_ms, 1795168803250LL);
  dsl_program_free(&p);
}

static void test_source_file_demo_ref(void) {
  dsl_program *p = parse_ok("file \"data/x.jsonl\"");
  const dsl_source *s = &only_query(p)->source;
  ASSERT_EQ(s->kind, DSL_SRC_FILE);
  ASSERT_STR_EQ(s->u.file.path, "data/x.jsonl");
  dsl_program_free(&p);

  p = parse_ok("demo sensors");
  s = &only_query(p)->source;
  ASSERT_EQ(s->kind, DSL_SRC_DEMO);
  ASSERT_STR_EQ(s->u.demo.generator, "sensors");
  ASSERT_NEAR(s->u.demo.rate, -1, 0);
  ASSERT_EQ(s->u.demo.devices, -1);
  ASSERT_EQ(s->u.demo.seed, -1);
  ASSERT_EQ(s->u.demo.limit, -1);
  dsl_program_free(&p);

  p = parse_ok("demo sensors rate 2.5 devices 3 seed 0 limit 100");
  s = &only_query(p)->source;
  ASSERT_NEAR(s->u.demo.rate, 2.5, 0);
  ASSERT_EQ(s->u.demo.devices, 3);
  ASSERT_EQ(s->u.demo.seed, 0);
  ASSERT_EQ(s->u.demo.limit, 100);
  ASSERT_SPAN(p, s->span, "demo sensors rate 2.5 devices 3 seed 0 limit 100");
  dsl_program_free(&p);

  p = parse_ok("hot | limit 3");
  s = &only_query(p)->source;
  ASSERT_EQ(s->kind, DSL_SRC_REF);
  ASSERT_STR_EQ(s->u.ref.name, "hot");
  ASSERT_SPAN(p, s->span, "hot");
  dsl_program_free(&p);
}

/* ------------------------------------------------------------ expressions */

static const dsl_expr *where_of(const dsl_program *p) {
  const dsl_query *q = only_query(p);
  ASSERT_EQ(q->nstages, 1);
  ASSERT_EQ(q->stages[0].kind, DSL_ST_WHERE);
  return q->stages[0].u.where;
}

static void test_precedence(void) {
  /* or < and < not < comparison < + - < * / % < unary - */
  dsl_program *p = parse_ok("demo sensors | where not a = 1 or b < -2 * 3 + 4 and c");
  const dsl_expr *e = where_of(p);
  ASSERT_EQ(e->kind, DSL_EX_BINARY);
  ASSERT_EQ(e->u.binary.op, DSL_OP_OR);
  ASSERT_SPAN(p, e->span, "not a = 1 or b < -2 * 3 + 4 and c");
  const dsl_expr *l = e->u.binary.lhs, *r = e->u.binary.rhs;
  ASSERT_EQ(l->kind, DSL_EX_UNARY);
  ASSERT_EQ(l->u.unary.op, DSL_OP_NOT);
  ASSERT_EQ(l->u.unary.arg->u.binary.op, DSL_OP_EQ);
  ASSERT_SPAN(p, l->span, "not a = 1");
  ASSERT_EQ(r->u.binary.op, DSL_OP_AND);
  const dsl_expr *lt = r->u.binary.lhs;
  ASSERT_EQ(lt->u.binary.op, DSL_OP_LT);
  const dsl_expr *sum = lt->u.binary.rhs;
  ASSERT_EQ(sum->u.binary.op, DSL_OP_ADD);
  ASSERT_SPAN(p, sum->span, "-2 * 3 + 4");
  const dsl_expr *prod = sum->u.binary.lhs;
  ASSERT_EQ(prod->u.binary.op, DSL_OP_MUL);
  ASSERT_EQ(prod->u.binary.lhs->kind, DSL_EX_UNARY);
  ASSERT_EQ(prod->u.binary.lhs->u.unary.op, DSL_OP_NEG);
  ASSERT_SPAN(p, prod->u.binary.lhs->span, "-2");
  ASSERT_EQ(r->u.binary.rhs->kind, DSL_EX_FIELD);
  dsl_program_free(&p);
}

static void test_left_assoc_and_parens(void) {
  dsl_program *p = parse_ok("demo sensors | where (a - b - c) / 2 % 3 >= 1");
  const dsl_expr *e = where_of(p);
  ASSERT_EQ(e->u.binary.op, DSL_OP_GE);
  const dsl_expr *mod = e->u.binary.lhs;
  ASSERT_EQ(mod->u.binary.op, DSL_OP_MOD);
  ASSERT_EQ(mod->u.binary.lhs->u.binary.op, DSL_OP_DIV);
  const dsl_expr *par = mod->u.binary.lhs->u.binary.lhs;
  ASSERT_SPAN(p, par->span, "(a - b - c)");
  ASSERT_EQ(par->u.binary.op, DSL_OP_SUB);
  ASSERT_EQ(par->u.binary.lhs->u.binary.op, DSL_OP_SUB); /* (a - b) - c */
  ASSERT_SPAN(p, par->u.binary.lhs->span, "a - b");
  dsl_program_free(&p);
}

static void test_literals(void) {
  dsl_program *p = parse_ok(
      "demo sensors | select 1.5, 250ms, \"a\\tb\", true, false, null, a.b.c");
  const dsl_stage *st = &only_query(p)->stages[0];
  ASSERT_EQ(st->kind, DSL_ST_SELECT);
  ASSERT_EQ(st->u.select.nitems, 7);
  const dsl_named *it = st->u.select.items;
  ASSERT_EQ(it[0].expr->kind, DSL_EX_NUMBER);
  ASSERT_NEAR(it[0].expr->u.num, 1.5, 0);
  ASSERT_EQ(it[1].expr->kind, DSL_EX_DURATION);
  ASSERT_NEAR(it[1].expr->u.num, 250, 0);
  ASSERT_EQ(it[2].expr->kind, DSL_EX_STRING);
  ASSERT_STR_EQ(it[2].expr->u.str.s, "a\tb");
  ASSERT_EQ(it[2].expr->u.str.len, 3);
  ASSERT_STR_EQ(it[2].name, "\"a\\tb\"");
  ASSERT_EQ(it[3].expr->kind, DSL_EX_BOOL);
  ASSERT(it[3].expr->u.boolean);
  ASSERT(!it[4].expr->u.boolean);
  ASSERT_EQ(it[5].expr->kind, DSL_EX_NULL);
  const dsl_expr *f = it[6].expr;
  ASSERT_EQ(f->kind, DSL_EX_FIELD);
  ASSERT_EQ(f->u.field.nparts, 3);
  ASSERT_STR_EQ(f->u.field.parts[0], "a");
  ASSERT_STR_EQ(f->u.field.parts[2], "c");
  ASSERT_STR_EQ(f->u.field.text, "a.b.c");
  ASSERT_STR_EQ(it[6].name, "a.b.c");
  ASSERT_SPAN(p, it[6].name_span, "a.b.c");
  dsl_program_free(&p);
}

static void test_string_tests_and_in(void) {
  dsl_program *p = parse_ok(
      "demo sensors | where s contains \"x\" and s starts_with \"y\" and s "
      "matches \"^d[0-9]+$\" and d in (\"a\", \"b\") and e not in (1)");
  const dsl_expr *e = where_of(p);
  /* ((((c and s) and m) and in) and not in) */
  const dsl_expr *notin = e->u.binary.rhs;
  ASSERT_EQ(notin->kind, DSL_EX_UNARY);
  ASSERT_EQ(notin->u.unary.op, DSL_OP_NOT);
  ASSERT_EQ(notin->u.unary.arg->kind, DSL_EX_IN);
  ASSERT_SPAN(p, notin->span, "e not in (1)");
  e = e->u.binary.lhs;
  const dsl_expr *in = e->u.binary.rhs;
  ASSERT_EQ(in->kind, DSL_EX_IN);
  ASSERT_EQ(in->u.in.nitems, 2);
  ASSERT_STR_EQ(in->u.in.lhs->u.field.text, "d");
  ASSERT_STR_EQ(in->u.in.items[1]->u.str.s, "b");
  ASSERT_SPAN(p, in->span, "d in (\"a\", \"b\")");
  e = e->u.binary.lhs;
  ASSERT_EQ(e->u.binary.rhs->u.binary.op, DSL_OP_MATCHES);
  e = e->u.binary.lhs;
  ASSERT_EQ(e->u.binary.rhs->u.binary.op, DSL_OP_STARTS_WITH);
  ASSERT_EQ(e->u.binary.lhs->u.binary.op, DSL_OP_CONTAINS);
  dsl_program_free(&p);
}

static void test_calls(void) {
  dsl_program *p = parse_ok(
      "demo sensors | extend a = lower(x), b = upper(x), c = len(x), d = "
      "abs(x), e = round(x), f = round(x, 2), g = floor(x), h = ceil(x), i = "
      "if(x > 1, \"a\", \"b\"), j = coalesce(x, y, 0), k = now(), l = "
      "to_number(x), m = to_string(x), n = to_time(x)");
  const dsl_stage *st = &only_query(p)->stages[0];
  ASSERT_EQ(st->kind, DSL_ST_EXTEND);
  ASSERT_EQ(st->u.select.nitems, 14);
  const dsl_named *f = &st->u.select.items[5];
  ASSERT_STR_EQ(f->name, "f");
  ASSERT_SPAN(p, f->name_span, "f");
  ASSERT_EQ(f->expr->kind, DSL_EX_CALL);
  ASSERT_STR_EQ(f->expr->u.call.name, "round");
  ASSERT_SPAN(p, f->expr->u.call.name_span, "round");
  ASSERT_EQ(f->expr->u.call.nargs, 2);
  ASSERT_SPAN(p, f->expr->span, "round(x, 2)");
  ASSERT_EQ(st->u.select.items[10].expr->u.call.nargs, 0);
  ASSERT_SPAN(p, st->u.select.items[10].expr->span, "now()");
  ASSERT_EQ(st->u.select.items[9].expr->u.call.nargs, 3);
  dsl_program_free(&p);

  /* A blank between a function's name and `(` is allowed. */
  p = parse_ok("demo sensors | select lower (x)");
  const dsl_named *it = only_query(p)->stages[0].u.select.items;
  ASSERT_EQ(it[0].expr->kind, DSL_EX_CALL);
  ASSERT_STR_EQ(it[0].name, "lower (x)");
  dsl_program_free(&p);
}

/* ----------------------------------------------------------------- stages */

static void test_parse_stages(void) {
  dsl_program *p = parse_ok(
      "file \"x.csv\" | parse csv(device_id, t:number, s:string, ok:bool, "
      "ts:time) | parse json");
  const dsl_query *q = only_query(p);
  ASSERT_EQ(q->nstages, 2);
  const dsl_stage *st = &q->stages[0];
  ASSERT_EQ(st->kind, DSL_ST_PARSE_CSV);
  ASSERT_EQ(st->u.csv.ncols, 5);
  ASSERT_STR_EQ(st->u.csv.cols[0].name, "device_id");
  ASSERT_EQ(st->u.csv.cols[0].type, DSL_TY_ANY);
  ASSERT_EQ(st->u.csv.cols[1].type, DSL_TY_NUMBER);
  ASSERT_SPAN(p, st->u.csv.cols[1].span, "t:number");
  ASSERT_EQ(st->u.csv.cols[2].type, DSL_TY_STRING);
  ASSERT_EQ(st->u.csv.cols[3].type, DSL_TY_BOOL);
  ASSERT_EQ(st->u.csv.cols[4].type, DSL_TY_TIME);
  ASSERT_SPAN(p, st->span,
              "parse csv(device_id, t:number, s:string, ok:bool, ts:time)");
  ASSERT_EQ(q->stages[1].kind, DSL_ST_PARSE_JSON);
  ASSERT_SPAN(p, q->stages[1].span, "parse json");
  dsl_program_free(&p);
}

static void test_select_extend(void) {
  dsl_program *p = parse_ok("demo sensors | select device_id, t * 2 as t2 | "
                            "extend f = t * 1.8 + 32");
  const dsl_query *q = only_query(p);
  const dsl_stage *sel = &q->stages[0];
  ASSERT_EQ(sel->kind, DSL_ST_SELECT);
  ASSERT_EQ(sel->u.select.nitems, 2);
  ASSERT_STR_EQ(sel->u.select.items[0].name, "device_id");
  ASSERT_STR_EQ(sel->u.select.items[1].name, "t2");
  ASSERT_SPAN(p, sel->u.select.items[1].name_span, "t2");
  ASSERT_SPAN(p, sel->u.select.items[1].expr->span, "t * 2");
  ASSERT_SPAN(p, sel->span, "select device_id, t * 2 as t2");
  const dsl_stage *ext = &q->stages[1];
  ASSERT_EQ(ext->kind, DSL_ST_EXTEND);
  ASSERT_STR_EQ(ext->u.select.items[0].name, "f");
  ASSERT_EQ(ext->u.select.items[0].expr->u.binary.op, DSL_OP_ADD);
  dsl_program_free(&p);
}

static void test_windows(void) {
  dsl_program *p = parse_ok("demo sensors | window 5m");
  const dsl_stage *st = &only_query(p)->stages[0];
  ASSERT_EQ(st->kind, DSL_ST_WINDOW);
  ASSERT_EQ(st->u.window.size_ms, 300000);
  ASSERT_EQ(st->u.window.slide_ms, 300000);
  ASSERT_EQ(st->u.window.pane_ms, 300000);
  ASSERT(st->u.window.on == NULL);
  ASSERT_EQ(st->u.window.watermark_ms, 0);
  dsl_program_free(&p);

  p = parse_ok("demo sensors | window 1m every 15s on ts watermark 5s");
  st = &only_query(p)->stages[0];
  ASSERT_EQ(st->u.window.size_ms, 60000);
  ASSERT_EQ(st->u.window.slide_ms, 15000);
  ASSERT_EQ(st->u.window.pane_ms, 15000);
  ASSERT_STR_EQ(st->u.window.on->u.field.text, "ts");
  ASSERT_SPAN(p, st->u.window.on->span, "ts");
  ASSERT_EQ(st->u.window.watermark_ms, 5000);
  ASSERT_SPAN(p, st->span, "window 1m every 15s on ts watermark 5s");
  dsl_program_free(&p);

  /* The pane is gcd(window, slide). */
  p = parse_ok("demo sensors | window 1m every 25s");
  ASSERT_EQ(only_query(p)->stages[0].u.window.pane_ms, 5000);
  dsl_program_free(&p);

  p = parse_ok("demo sensors | session 30s on event.time");
  st = &only_query(p)->stages[0];
  ASSERT_EQ(st->kind, DSL_ST_SESSION);
  ASSERT_EQ(st->u.session.gap_ms, 30000);
  ASSERT_EQ(st->u.session.on->u.field.nparts, 2);
  dsl_program_free(&p);

  p = parse_ok("demo sensors | session 1.5s");
  st = &only_query(p)->stages[0];
  ASSERT_EQ(st->u.session.gap_ms, 1500);
  ASSERT(st->u.session.on == NULL);
  dsl_program_free(&p);
}

static void test_agg(void) {
  dsl_program *p = parse_ok(
      "demo sensors | agg count(), count_distinct(d), sum(x), avg(x) as a, "
      "min(x), max(x), stddev(x), first(x), last(x), p50(x), p90(x), p95(x), "
      "p99(x) by device_id, lower(site) as s");
  const dsl_stage *st = &only_query(p)->stages[0];
  ASSERT_EQ(st->kind, DSL_ST_AGG);
  ASSERT_EQ(st->u.agg.naggs, 13);
  for (int i = 0; i < 13; i++)
    ASSERT_EQ(st->u.agg.aggs[i].fn, (dsl_agg_fn)i);
  ASSERT(st->u.agg.aggs[0].arg == NULL);
  ASSERT_STR_EQ(st->u.agg.aggs[0].name, "count()");
  ASSERT_SPAN(p, st->u.agg.aggs[0].span, "count()");
  ASSERT_STR_EQ(st->u.agg.aggs[3].name, "a");
  ASSERT_SPAN(p, st->u.agg.aggs[3].span, "avg(x) as a");
  ASSERT_STR_EQ(st->u.agg.aggs[3].arg->u.field.text, "x");
  ASSERT_STR_EQ(st->u.agg.aggs[12].name, "p99(x)");
  ASSERT_EQ(st->u.agg.nkeys, 2);
  ASSERT_STR_EQ(st->u.agg.keys[0].name, "device_id");
  ASSERT_SPAN(p, st->u.agg.keys[0].name_span, "device_id");
  ASSERT_STR_EQ(st->u.agg.keys[1].name, "s");
  ASSERT_EQ(st->u.agg.keys[1].expr->kind, DSL_EX_CALL);
  dsl_program_free(&p);

  /* An aggregate is named after its text as written. */
  p = parse_ok("demo sensors | agg avg(temperature)");
  st = &only_query(p)->stages[0];
  ASSERT_STR_EQ(st->u.agg.aggs[0].name, "avg(temperature)");
  ASSERT_EQ(st->u.agg.nkeys, 0);
  dsl_program_free(&p);
}

/* After `agg`, an unnamed aggregate or computed key is a column named after
 * its text; writing that text refers to the column (a one-part FIELD). */
static void test_agg_columns_by_text(void) {
  dsl_program *p = parse_ok(
      "demo sensors | agg count(), p95(x), avg(y) as a by lower(d), e | sort "
      "count() desc, (p95(x)) | chart line x=lower(d) y=p95( x ), lower(e)");
  const dsl_query *q = only_query(p);
  const dsl_sort_key *k = q->stages[1].u.sort.keys;
  ASSERT_EQ(k[0].expr->kind, DSL_EX_FIELD);
  ASSERT_EQ(k[0].expr->u.field.nparts, 1);
  ASSERT_STR_EQ(k[0].expr->u.field.parts[0], "count()");
  ASSERT_SPAN(p, k[0].expr->span, "count()");
  ASSERT_EQ(k[1].expr->kind, DSL_EX_FIELD);
  ASSERT_STR_EQ(k[1].expr->u.field.text, "p95(x)");
  ASSERT_SPAN(p, k[1].expr->span, "(p95(x))");
  const dsl_output *o = &q->output;
  ASSERT_EQ(o->u.chart.x.expr->kind, DSL_EX_FIELD);
  ASSERT_STR_EQ(o->u.chart.x.expr->u.field.text, "lower(d)");
  /* Blanks aside, the text must match: lower(e) is no column (e is). */
  ASSERT_EQ(o->u.chart.ys[0].expr->kind, DSL_EX_FIELD);
  ASSERT_STR_EQ(o->u.chart.ys[0].expr->u.field.text, "p95(x)");
  ASSERT_STR_EQ(o->u.chart.ys[0].name, "p95( x )");
  ASSERT_EQ(o->u.chart.ys[1].expr->kind, DSL_EX_CALL);
  dsl_program_free(&p);
  /* Before any agg, and in another query, an aggregate is an error. */
  rt_err err;
  const char *bad = "demo sensors | agg count()\ndemo sensors | sort count()";
  ASSERT_EQ(dsl_parse(bad, strlen(bad), &p, &err), RT_ETYPE);
  ASSERT_EQ(err.line, 2);
}

static void test_top_sort_limit_dedup_for(void) {
  dsl_program *p = parse_ok(
      "demo sensors | top 5 by t | top 2 by t asc | sort a, b desc, c asc | "
      "limit 7 | dedup id within 1m on ts | dedup id | for 10s");
  const dsl_query *q = only_query(p);
  ASSERT_EQ(q->nstages, 7);
  const dsl_stage *s = q->stages;
  ASSERT_EQ(s[0].kind, DSL_ST_TOP);
  ASSERT_EQ(s[0].u.top.n, 5);
  ASSERT(s[0].u.top.desc);
  ASSERT_STR_EQ(s[0].u.top.by->u.field.text, "t");
  ASSERT_SPAN(p, s[0].span, "top 5 by t");
  ASSERT(!s[1].u.top.desc);
  ASSERT_EQ(s[2].kind, DSL_ST_SORT);
  ASSERT_EQ(s[2].u.sort.nkeys, 3);
  ASSERT(!s[2].u.sort.keys[0].desc);
  ASSERT(s[2].u.sort.keys[1].desc);
  ASSERT(!s[2].u.sort.keys[2].desc);
  ASSERT_EQ(s[3].kind, DSL_ST_LIMIT);
  ASSERT_EQ(s[3].u.limit, 7);
  ASSERT_EQ(s[4].kind, DSL_ST_DEDUP);
  ASSERT_EQ(s[4].u.dedup.within_ms, 60000);
  ASSERT_STR_EQ(s[4].u.dedup.on->u.field.text, "ts");
  ASSERT_STR_EQ(s[4].u.dedup.key->u.field.text, "id");
  ASSERT_EQ(s[5].u.dedup.within_ms, 0);
  ASSERT(s[5].u.dedup.on == NULL);
  ASSERT_EQ(s[6].kind, DSL_ST_FOR);
  ASSERT_EQ(s[6].u.for_ms, 10000);
  ASSERT_SPAN(p, s[6].span, "for 10s");
  dsl_program_free(&p);
}

/* ---------------------------------------------------------------- outputs */

static void test_outputs(void) {
  dsl_program *p = parse_ok("demo sensors | table limit 20");
  const dsl_output *o = &only_query(p)->output;
  ASSERT_EQ(o->kind, DSL_OUT_TABLE);
  ASSERT(!o->implicit);
  ASSERT_EQ(o->u.table.limit, 20);
  ASSERT_SPAN(p, o->span, "table limit 20");
  dsl_program_free(&p);

  p = parse_ok("demo sensors | into kinesis \"out\" key device_id");
  o = &only_query(p)->output;
  ASSERT_EQ(o->kind, DSL_OUT_INTO_KINESIS);
  ASSERT_STR_EQ(o->u.kinesis.stream, "out");
  ASSERT_STR_EQ(o->u.kinesis.key->u.field.text, "device_id");
  dsl_program_free(&p);

  p = parse_ok("demo sensors | into kinesis \"out\"");
  ASSERT(only_query(p)->output.u.kinesis.key == NULL);
  dsl_program_free(&p);

  p = parse_ok("demo sensors | into file \"out.jsonl\"");
  o = &only_query(p)->output;
  ASSERT_EQ(o->kind, DSL_OUT_INTO_FILE);
  ASSERT_STR_EQ(o->u.file.path, "out.jsonl");
  dsl_program_free(&p);

  const char *kinds[] = {"line", "area", "bar", "scatter"};
  for (int i = 0; i < 4; i++) {
    char src[128];
    snprintf(src, sizeof(src), "demo sensors | chart %s x=a y=b", kinds[i]);
    p = parse_ok(src);
    o = &only_query(p)->output;
    ASSERT_EQ(o->kind, DSL_OUT_CHART);
    ASSERT_EQ(o->u.chart.kind, (dsl_chart_kind)i);
    ASSERT(o->u.chart.by.expr == NULL);
    ASSERT(o->u.chart.title == NULL);
    dsl_program_free(&p);
  }

  p = parse_ok("demo sensors | chart scatter y=a, b * 2, c x=t title \"T\" by d");
  o = &only_query(p)->output;
  ASSERT_EQ(o->u.chart.nys, 3);
  ASSERT_STR_EQ(o->u.chart.ys[1].name, "b * 2");
  ASSERT_STR_EQ(o->u.chart.x.name, "t");
  ASSERT_STR_EQ(o->u.chart.by.name, "d");
  ASSERT_STR_EQ(o->u.chart.title, "T");
  ASSERT_SPAN(p, o->span, "chart scatter y=a, b * 2, c x=t title \"T\" by d");
  dsl_program_free(&p);
}

/* ------------------------------------------------- statements and layout */

static const char *big_example =
    "# a comment runs to the end of the line\n"
    "let hot = kinesis \"sensors\" from trim_horizon\n"
    "        | parse json\n"
    "        | where temperature > 80\n"
    "\n"
    "hot\n"
    "| window 5m every 10s\n"
    "| agg avg(temperature) as avg_t, count() as n by device_id\n"
    "| top 5 by avg_t\n"
    "| chart line x=window_end y=avg_t by device_id title \"Hottest devices, 5 "
    "min\"\n";

static void test_big_example(void) {
  dsl_program *p = parse_ok(big_example);
  ASSERT_EQ(p->nstmts, 2);
  const dsl_stmt *let = &p->stmts[0];
  ASSERT_EQ(let->kind, DSL_STMT_LET);
  ASSERT_STR_EQ(let->u.let.name, "hot");
  ASSERT_SPAN(p, let->u.let.name_span, "hot");
  ASSERT_SPAN(p, let->span,
              "let hot = kinesis \"sensors\" from trim_horizon\n"
              "        | parse json\n"
              "        | where temperature > 80");
  const dsl_query *lq = &let->u.let.query;
  ASSERT_EQ(lq->source.kind, DSL_SRC_KINESIS);
  ASSERT_EQ(lq->source.u.kinesis.from, DSL_FROM_TRIM_HORIZON);
  ASSERT_EQ(lq->nstages, 2);
  ASSERT_EQ(lq->stages[1].u.where->u.binary.op, DSL_OP_GT);
  ASSERT(lq->output.implicit);

  const dsl_stmt *qs = &p->stmts[1];
  ASSERT_EQ(qs->kind, DSL_STMT_QUERY);
  const dsl_query *q = &qs->u.query;
  ASSERT_EQ(q->source.kind, DSL_SRC_REF);
  ASSERT_STR_EQ(q->source.u.ref.name, "hot");
  ASSERT_EQ(q->nstages, 3);
  ASSERT_EQ(q->stages[0].u.window.size_ms, 300000);
  ASSERT_EQ(q->stages[0].u.window.slide_ms, 10000);
  ASSERT_EQ(q->stages[0].u.window.pane_ms, 10000);
  const dsl_stage *agg = &q->stages[1];
  ASSERT_EQ(agg->u.agg.naggs, 2);
  ASSERT_STR_EQ(agg->u.agg.aggs[0].name, "avg_t");
  ASSERT_STR_EQ(agg->u.agg.aggs[1].name, "n");
  ASSERT_STR_EQ(agg->u.agg.keys[0].name, "device_id");
  ASSERT_EQ(q->stages[2].u.top.n, 5);
  const dsl_output *o = &q->output;
  ASSERT_EQ(o->kind, DSL_OUT_CHART);
  ASSERT_EQ(o->u.chart.kind, DSL_CHART_LINE);
  ASSERT_STR_EQ(o->u.chart.x.name, "window_end");
  ASSERT_STR_EQ(o->u.chart.ys[0].name, "avg_t");
  ASSERT_STR_EQ(o->u.chart.by.name, "device_id");
  ASSERT_STR_EQ(o->u.chart.title, "Hottest devices, 5 min");
  ASSERT_SPAN(p, q->span,
              "hot\n| window 5m every 10s\n| agg avg(temperature) as avg_t, "
              "count() as n by device_id\n| top 5 by avg_t\n| chart line "
              "x=window_end y=avg_t by device_id title \"Hottest devices, 5 min\"");
  dsl_program_free(&p);
}

static void test_statements_and_continuations(void) {
  /* Newlines separate statements; a trailing `|`, a comma or an operator
   * continues one, and so does a line that starts with `|`. */
  dsl_program *p = parse_ok("demo sensors limit 1\n\n  # note\ndemo sensors |\n"
                            "  where a >\n 1 |\n select a,\n b\n");
  ASSERT_EQ(p->nstmts, 2);
  ASSERT_EQ(p->stmts[1].u.query.nstages, 2);
  ASSERT_EQ(p->stmts[1].u.query.stages[1].u.select.nitems, 2);
  dsl_program_free(&p);

  p = parse_ok("");
  ASSERT_EQ(p->nstmts, 0);
  dsl_program_free(&p);
  p = parse_ok("  \n# only a comment\n\n");
  ASSERT_EQ(p->nstmts, 0);
  dsl_program_free(&p);

  /* Input need not be NUL-terminated. */
  const char text[] = {'h', 'o', 't', 'X'};
  rt_err err;
  ASSERT_EQ(dsl_parse(text, 3, &p, &err), 0);
  ASSERT_STR_EQ(p->stmts[0].u.query.source.u.ref.name, "hot");
  dsl_program_free(&p);
  dsl_program_free(&p); /* NULL is fine */
  dsl_program_free(NULL);
}

static void test_magics(void) {
  dsl_program *p = parse_ok(
      "%set region \"us-east-1\"\n%stop all\n%queries\n%help window\n"
      "%create sensors shards 2\n%set batch 200ms\n%describe s-1 # note\n"
      "%streams\n%help\n%stop 3\n%set");
  ASSERT_EQ(p->nstmts, 11);
  ASSERT_EQ(p->stmts[10].u.magic.nargs, 0); /* %set alone lists the settings */
  const dsl_stmt *m = &p->stmts[0];
  ASSERT_EQ(m->kind, DSL_STMT_MAGIC);
  ASSERT_STR_EQ(m->u.magic.name, "set");
  ASSERT_SPAN(p, m->u.magic.name_span, "%set");
  ASSERT_SPAN(p, m->span, "%set region \"us-east-1\"");
  ASSERT_STR_EQ(m->u.magic.rest, "region \"us-east-1\"");
  ASSERT_EQ(m->u.magic.nargs, 2);
  ASSERT_EQ(m->u.magic.args[0]->kind, DSL_EX_FIELD);
  ASSERT_STR_EQ(m->u.magic.args[0]->u.field.text, "region");
  ASSERT_EQ(m->u.magic.args[1]->kind, DSL_EX_STRING);
  ASSERT_STR_EQ(m->u.magic.args[1]->u.str.s, "us-east-1");
  ASSERT_SPAN(p, m->u.magic.args[1]->span, "\"us-east-1\"");
  ASSERT_STR_EQ(p->stmts[1].u.magic.args[0]->u.field.text, "all");
  ASSERT_EQ(p->stmts[2].u.magic.nargs, 0);
  ASSERT_STR_EQ(p->stmts[2].u.magic.rest, "");
  const dsl_stmt *c = &p->stmts[4];
  ASSERT_EQ(c->u.magic.args[2]->kind, DSL_EX_NUMBER);
  ASSERT_NEAR(c->u.magic.args[2]->u.num, 2, 0);
  const dsl_stmt *b = &p->stmts[5];
  ASSERT_EQ(b->u.magic.args[1]->kind, DSL_EX_DURATION);
  ASSERT_NEAR(b->u.magic.args[1]->u.num, 200, 0);
  const dsl_stmt *d = &p->stmts[6];
  ASSERT_EQ(d->u.magic.nargs, 1); /* the comment is not an argument */
  ASSERT_STR_EQ(d->u.magic.args[0]->u.field.text, "s-1");
  ASSERT_EQ(p->stmts[9].u.magic.args[0]->kind, DSL_EX_NUMBER);
  dsl_program_free(&p);
  dsl_program *od = parse_ok("%create clicks on_demand\n");
  ASSERT_EQ(od->stmts[0].u.magic.nargs, 2);
  ASSERT_STR_EQ(od->stmts[0].u.magic.args[1]->u.field.text, "on_demand");
  dsl_program_free(&od);
  dsl_program *aws = parse_ok("%aws\n");
  ASSERT_STR_EQ(aws->stmts[0].u.magic.name, "aws");
  ASSERT_EQ(aws->stmts[0].u.magic.nargs, 0);
  dsl_program_free(&aws);
}

/* ----------------------------------------------------------------- errors */

static void expect_fail(const char *src, int code, int off, int len) {
  dsl_program *p = (dsl_program *)1;
  rt_err err;
  int rc = dsl_parse(src, strlen(src), &p, &err);
  if (rc != code || err.off != off || err.len != len)
    fprintf(stderr, "src: %s\nrc %d off %d len %d msg %s\n", src, rc, err.off,
            err.len, err.msg);
  ASSERT_EQ(rc, code);
  ASSERT(p == NULL);
  ASSERT_EQ(err.code, code);
  ASSERT_EQ(err.off, off);
  ASSERT_EQ(err.len, len);
  ASSERT(err.line >= 1);
}

static void test_error_codes_and_spans(void) {
  expect_fail("demo sensors | wher x", RT_ESYNTAX, 15, 4);
  expect_fail("demo sensors | window 5m every 7m", RT_ETYPE, 31, 2);
  expect_fail("demo sensors | where lowr(x)", RT_ETYPE, 21, 4);
  expect_fail("demo sensors\n| where (a", RT_ESYNTAX, 23, 0);
  /* The first error wins, even when a later line is also wrong. */
  expect_fail("demo sensors | wher x\ndemo sensors | \"", RT_ESYNTAX, 15, 4);
  expect_fail("demo sensors | where x = \"a\nb", RT_ESYNTAX, 25, 2);
  rt_err err;
  dsl_program *p;
  ASSERT_EQ(dsl_parse("x", 1, NULL, &err), RT_EINVAL);
  ASSERT_EQ(dsl_parse("demo", 4, &p, NULL), RT_ESYNTAX); /* err may be NULL */
  ASSERT(p == NULL);
}

static void test_deep_nesting_is_refused(void) {
  size_t n = 100000;
  char *src = malloc(n * 2 + 32);
  strcpy(src, "demo sensors | where ");
  size_t at = strlen(src);
  for (size_t i = 0; i < n; i++)
    src[at++] = '(';
  src[at++] = 'x';
  for (size_t i = 0; i < n; i++)
    src[at++] = ')';
  src[at] = '\0';
  rt_err err;
  dsl_program *p;
  ASSERT_EQ(dsl_parse(src, at, &p, &err), RT_ESYNTAX);
  ASSERT_STR_EQ(err.msg, "near \"(\": the expression is nested too deeply");
  /* Long chains count too, since walkers recurse on them. */
  strcpy(src, "demo sensors | where x");
  at = strlen(src);
  for (size_t i = 0; i < 10000; i++) {
    memcpy(src + at, "+x", 2);
    at += 2;
  }
  ASSERT_EQ(dsl_parse(src, at, &p, &err), RT_ESYNTAX);
  /* Column lists are bounded, since their names are compared pairwise. */
  strcpy(src, "demo sensors | agg count() as c0");
  at = strlen(src);
  for (int i = 1; i <= 1000; i++)
    at += (size_t)sprintf(src + at, ", count() as c%d", i);
  ASSERT_EQ(dsl_parse(src, at, &p, &err), RT_ETYPE);
  ASSERT_STR_EQ(err.msg, "an `agg` makes at most 1000 columns");
  strcpy(src, "file \"x\" | parse csv(c0");
  at = strlen(src);
  for (int i = 1; i <= 1000; i++)
    at += (size_t)sprintf(src + at, ", c%d", i);
  src[at++] = ')';
  ASSERT_EQ(dsl_parse(src, at, &p, &err), RT_ESYNTAX);
  ASSERT_STR_EQ(err.msg, "`parse csv` takes at most 1000 columns");
  free(src);
}

/* ----------------------------------------------------------- completeness */

static dsl_completeness complete(const char *s) { return dsl_is_complete(s, strlen(s)); }

static void test_is_complete(void) {
  ASSERT_EQ(complete(""), DSL_COMPLETE);
  ASSERT_EQ(complete("# just a comment\n"), DSL_COMPLETE);
  ASSERT_EQ(complete("demo sensors"), DSL_COMPLETE);
  ASSERT_EQ(complete(big_example), DSL_COMPLETE);
  ASSERT_EQ(complete("%help"), DSL_COMPLETE);
  ASSERT_EQ(complete("demo sensors |"), DSL_INCOMPLETE);
  ASSERT_EQ(complete("demo sensors |\n"), DSL_INCOMPLETE);
  ASSERT_EQ(complete("demo sensors\n| where (a > 1"), DSL_INCOMPLETE);
  ASSERT_EQ(complete("demo sensors | where f(a,\n"), DSL_INCOMPLETE);
  ASSERT_EQ(complete("demo sensors | where a = \"abc"), DSL_INCOMPLETE);
  ASSERT_EQ(complete("demo sensors | where a >"), DSL_INCOMPLETE);
  ASSERT_EQ(complete("demo sensors | select a,"), DSL_INCOMPLETE);
  ASSERT_EQ(complete("let x ="), DSL_INCOMPLETE);
  ASSERT_EQ(complete("%set region \"us"), DSL_INCOMPLETE);
  /* Errors that more text cannot fix. */
  ASSERT_EQ(complete("demo sensors | wher x"), DSL_INVALID);
  ASSERT_EQ(complete("demo sensors | where a)"), DSL_INVALID);
  ASSERT_EQ(complete("demo sensors | where a = \"abc\n"), DSL_INVALID);
  ASSERT_EQ(complete("demo sensors | window 5m every 7m"), DSL_INVALID);
  ASSERT_EQ(complete("demo sensors |\n| where x"), DSL_INVALID);
  /* An error at the end that is not a continuation: submit, show it. */
  ASSERT_EQ(complete("demo sensors | window 5m every"), DSL_COMPLETE);
}

/* ------------------------------------------------------------------ words */

static void test_words(void) {
  const dsl_word *w = dsl_words();
  int n = 0, kinds[6] = {0};
  for (; w[n].word; n++) {
    ASSERT(w[n].synopsis && w[n].synopsis[0]);
    ASSERT(w[n].help && strstr(w[n].help, "Example: "));
    kinds[w[n].kind]++;
    /* Each word appears once. */
    for (int j = 0; j < n; j++)
      ASSERT(strcmp(w[j].word, w[n].word) != 0);
  }
  ASSERT(n > 60);
  ASSERT_EQ(kinds[DSL_WORD_SOURCE], 3);
  ASSERT_EQ(kinds[DSL_WORD_STAGE], 15);
  ASSERT_EQ(kinds[DSL_WORD_FUNCTION], 13);
  ASSERT_EQ(kinds[DSL_WORD_AGGREGATE], 13);
  ASSERT_EQ(kinds[DSL_WORD_MAGIC], 8);

  const dsl_word *win = dsl_word_lookup("window", 6);
  ASSERT(win != NULL);
  ASSERT_EQ(win->kind, DSL_WORD_STAGE);
  ASSERT_STR_EQ(win->synopsis, "window D [every S] [on FIELD [watermark W]]");
  ASSERT_EQ(dsl_word_lookup("p95", 3)->kind, DSL_WORD_AGGREGATE);
  ASSERT_STR_EQ(dsl_word_lookup("%set", 4)->word, "%set");
  ASSERT_STR_EQ(dsl_word_lookup("set", 3)->word, "%set");
  ASSERT(dsl_word_lookup("windows", 7) == NULL);
  ASSERT(dsl_word_lookup("window", 5) == NULL);
  ASSERT(dsl_word_lookup(NULL, 0) == NULL);
}

/* Every example in the help table parses. */
static void test_word_examples_parse(void) {
  for (const dsl_word *w = dsl_words(); w->word; w++) {
    const char *ex = strstr(w->help, "Example: ") + 9;
    dsl_program *p = NULL;
    rt_err err;
    if (dsl_parse(ex, strlen(ex), &p, &err)) {
      char out[1024];
      rt_err_render(&err, ex, out, sizeof(out));
      fprintf(stderr, "example of %s:\n%s\n", w->word, out);
      ASSERT(0);
    }
    dsl_program_free(&p);
  }
}

/* Every runnable example of docs/language.md (```eddy blocks) parses. */
static void test_doc_examples_parse(void) {
  FILE *f = fopen(EDDY_TEST_DATA "/../docs/language.md", "rb");
  ASSERT(f != NULL);
  static char doc[1 << 18];
  size_t n = fread(doc, 1, sizeof(doc) - 1, f);
  fclose(f);
  ASSERT(n > 0 && n < sizeof(doc) - 1);
  doc[n] = '\0';
  int examples = 0;
  for (char *at = strstr(doc, "\n```eddy\n"); at; at = strstr(at, "\n```eddy\n")) {
    char *start = at + 9, *end = strstr(start, "\n```");
    ASSERT(end != NULL);
    dsl_program *p = NULL;
    rt_err err;
    if (dsl_parse(start, (size_t)(end - start), &p, &err)) {
      char out[1024];
      rt_err_render(&err, start, out, sizeof(out));
      fprintf(stderr, "docs/language.md example %d:\n%.*s\n%s\n", examples + 1,
              (int)(end - start), start, out);
      ASSERT(0);
    }
    ASSERT(p->nstmts >= 1);
    dsl_program_free(&p);
    examples++;
    at = end;
  }
  ASSERT(examples >= 50);
}

int main(void) {
  TEST_RUN(test_source_kinesis);
  TEST_RUN(test_source_file_demo_ref);
  TEST_RUN(test_precedence);
  TEST_RUN(test_left_assoc_and_parens);
  TEST_RUN(test_literals);
  TEST_RUN(test_string_tests_and_in);
  TEST_RUN(test_calls);
  TEST_RUN(test_parse_stages);
  TEST_RUN(test_select_extend);
  TEST_RUN(test_windows);
  TEST_RUN(test_agg);
  TEST_RUN(test_agg_columns_by_text);
  TEST_RUN(test_top_sort_limit_dedup_for);
  TEST_RUN(test_outputs);
  TEST_RUN(test_big_example);
  TEST_RUN(test_statements_and_continuations);
  TEST_RUN(test_magics);
  TEST_RUN(test_error_codes_and_spans);
  TEST_RUN(test_deep_nesting_is_refused);
  TEST_RUN(test_is_complete);
  TEST_RUN(test_words);
  TEST_RUN(test_word_examples_parse);
  TEST_RUN(test_doc_examples_parse);
  return test_summary();
}
