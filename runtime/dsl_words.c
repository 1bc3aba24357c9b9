/*
 * Every word of the Eddy language with its synopsis and help, for `%help
 * WORD`, the notebook's completion and inspection, and the parser's "did you
 * mean" suggestions. One table, so the help, the completions and the
 * suggestions can never disagree about which words exist.
 */
#include "dsl.h"
#include "dsl_parse_int.h"

#include <string.h>

#define KW DSL_WORD_KEYWORD
#define SRC DSL_WORD_SOURCE
#define ST DSL_WORD_STAGE
#define FN DSL_WORD_FUNCTION
#define AGG DSL_WORD_AGGREGATE
#define MAG DSL_WORD_MAGIC

static const dsl_word words[] = {
    /* ---------------------------------------------------------- sources */
    {"kinesis", SRC,
     "kinesis \"NAME\" [from latest|trim_horizon|checkpoint|\"TIME\"] [until now] "
     "[as \"APP\"]",
     "Reads a Kinesis stream: one record per Kinesis record (KPL-aggregated "
     "records come out as their user records), with the payload in `data` "
     "and `partition_key`, `sequence`, `shard` and `arrival` beside it. "
     "`from` picks the start (default latest); `from checkpoint` resumes "
     "where the application named by `as` last checkpointed; `until now` "
     "stops at the stream's tip as of the start. `into kinesis` writes to a "
     "stream instead.\n"
     "Example: kinesis \"sensors\" from trim_horizon until now | parse json"},
    {"file", SRC, "file \"PATH\"",
     "Reads a file of JSON lines or CSV, one record per line with the line "
     "in `data`, then ends. `into file` writes one instead.\n"
     "Example: file \"docs/examples/readings.jsonl\" | parse json | where "
     "temperature > 80"},
    {"demo", SRC, "demo sensors [rate N] [devices N] [seed N] [limit N]",
     "Generates sensor readings with fields device_id, temperature, humidity "
     "and ts, at `rate` records per second from `devices` devices; `seed` "
     "makes the numbers repeatable and `limit` ends the stream after N "
     "records.\n"
     "Example: demo sensors rate 100 devices 5 seed 1 limit 1000 | agg "
     "avg(temperature) by device_id"},

    /* ----------------------------------------------------------- stages */
    {"parse", ST, "parse json | parse csv(name[:type], ...)",
     "Turns the text in `data` into fields. `parse json` takes one JSON "
     "object per record; `parse csv(...)` names the columns, each optionally "
     "typed number, string, bool or time, skips a line equal to the column "
     "names, and makes an empty typed field null. A record that does not "
     "parse is counted as bad and never stops the query.\n"
     "Example: file \"docs/examples/readings.csv\" | parse csv(device_id, "
     "temperature:number)"},
    {"where", ST, "where EXPR",
     "Keeps the records for which EXPR is true.\n"
     "Example: demo sensors limit 100 | where temperature > 80 and device_id "
     "!= \"sensor-001\""},
    {"select", ST, "select EXPR [as NAME], ...",
     "Keeps only the listed columns; a column without `as` is named after "
     "its text.\n"
     "Example: demo sensors limit 10 | select device_id, temperature * 1.8 + "
     "32 as fahrenheit"},
    {"extend", ST, "extend NAME = EXPR, ...",
     "Adds fields computed from each record, keeping the others.\n"
     "Example: demo sensors limit 10 | extend f = temperature * 1.8 + 32, hot "
     "= temperature > 80"},
    {"window", ST, "window D [every S] [on FIELD [watermark W]]",
     "Groups records into windows of length D: tumbling without `every`, "
     "sliding by S with it (S must not exceed D). Windows follow processing "
     "time, or with `on` the event time in FIELD; records later than the "
     "watermark W are dropped and counted as late. Windows are aligned to "
     "the epoch and cover [window_start, window_end).\n"
     "Example: demo sensors limit 1000 | window 1m every 10s on ts watermark "
     "5s | agg avg(temperature) by device_id"},
    {"session", ST, "session GAP [on FIELD]",
     "Session windows per group key: a session closes after GAP without "
     "records, by processing time or by the event time in FIELD.\n"
     "Example: demo sensors limit 1000 | session 30s on ts | agg count() by "
     "device_id"},
    {"agg", ST, "agg AGG [as NAME], ... [by EXPR [as NAME], ...]",
     "Aggregates per window and group key, or over the whole stream (a "
     "running result) when no window precedes it. Each result row holds "
     "window_start, window_end, the keys and the aggregates; an aggregate or "
     "key without `as` is named after its text, such as avg(temperature).\n"
     "Example: demo sensors limit 1000 | window 1m | agg avg(temperature) as "
     "avg_t, count() as n by device_id"},
    {"top", ST, "top N by EXPR [asc|desc]",
     "Keeps the N highest rows of each window result (the N lowest with "
     "asc).\n"
     "Example: demo sensors limit 1000 | window 1m | agg avg(temperature) as "
     "t by device_id | top 3 by t"},
    {"sort", ST, "sort EXPR [asc|desc], ...",
     "Orders the rows of each window result, ascending unless desc.\n"
     "Example: demo sensors limit 1000 | agg max(temperature) as hi by "
     "device_id | sort hi desc, device_id"},
    {"limit", ST, "limit N",
     "Keeps the first N rows of each window result (N at least 1). Also an "
     "option of `demo` and of `table`.\n"
     "Example: demo sensors limit 1000 | agg count() by device_id | limit 2"},
    {"dedup", ST, "dedup EXPR [within D] [on FIELD]",
     "Drops a record whose EXPR was already seen within D (forever without "
     "`within`), in processing time or in the event time of FIELD.\n"
     "Example: demo sensors limit 100 | dedup device_id within 1m"},
    {"for", ST, "for D",
     "Stops the query after D of wall time, so an endless source becomes "
     "bounded.\n"
     "Example: demo sensors | for 10s | agg count()"},
    {"chart", ST,
     "chart line|area|bar|scatter x=EXPR y=EXPR[, EXPR...] [by EXPR] "
     "[title \"...\"]",
     "Draws the results as a PNG chart that redraws in place as windows "
     "update: one series per y expression, or per value of `by`. An output: "
     "the last stage of a query.\n"
     "Example: demo sensors limit 1000 | window 1m | agg avg(temperature) as "
     "t by device_id | chart line x=window_end y=t by device_id title "
     "\"Temperature\""},
    {"table", ST, "table [limit N]",
     "Shows the latest window results as an HTML table with a plain-text "
     "twin. An output, and the default when a query names none.\n"
     "Example: demo sensors limit 100 | agg count() by device_id | table "
     "limit 10"},
    {"into", ST, "into kinesis \"NAME\" [key EXPR] | into file \"PATH\"",
     "Writes result rows as JSON: records to a Kinesis stream (partition key "
     "EXPR, or one chosen per row), or lines appended to a file. An output.\n"
     "Example: demo sensors limit 100 | where temperature > 80 | into file "
     "\"hot.jsonl\""},

    /* -------------------------------------------------------- functions */
    {"lower", FN, "lower(s)", "s in lower case.\nExample: demo sensors limit 5 | select lower(device_id)"},
    {"upper", FN, "upper(s)", "s in upper case.\nExample: demo sensors limit 5 | select upper(device_id)"},
    {"len", FN, "len(s)", "The length of the string s in bytes.\nExample: demo sensors limit 5 | select len(device_id)"},
    {"abs", FN, "abs(x)", "The absolute value of x.\nExample: demo sensors limit 5 | select abs(temperature - 70)"},
    {"round", FN, "round(x[, digits])",
     "x rounded to digits decimal places (0 by default; negative digits round "
     "to tens, hundreds, ...).\n"
     "Example: demo sensors limit 5 | select round(temperature, 1)"},
    {"floor", FN, "floor(x)", "The largest whole number not above x.\nExample: demo sensors limit 5 | select floor(temperature)"},
    {"ceil", FN, "ceil(x)", "The smallest whole number not below x.\nExample: demo sensors limit 5 | select ceil(temperature)"},
    {"if", FN, "if(c, a, b)", "a when the test c is true, else b.\nExample: demo sensors limit 5 | select if(temperature > 80, \"hot\", \"ok\") as state"},
    {"coalesce", FN, "coalesce(a, b, ...)", "The first argument that is not null.\nExample: demo sensors limit 5 | select coalesce(humidity, 0)"},
    {"now", FN, "now()",
     "The current time. (In `kinesis ... until now`, `now` means the "
     "stream's tip when the query starts.)\n"
     "Example: demo sensors limit 5 | extend seen = now()"},
    {"to_number", FN, "to_number(x)", "x as a number, or null when it is not one.\nExample: demo sensors limit 5 | select to_number(\"42\") + 1"},
    {"to_string", FN, "to_string(x)", "x as a string.\nExample: demo sensors limit 5 | select to_string(temperature)"},
    {"to_time", FN, "to_time(x)", "x as a time: from an ISO-8601 string, or epoch seconds or milliseconds.\nExample: demo sensors limit 5 | select to_time(ts)"},

    /* ------------------------------------------------------- aggregates */
    {"count", AGG, "count()", "The number of records.\nExample: demo sensors limit 100 | agg count() by device_id"},
    {"count_distinct", AGG, "count_distinct(x)", "The number of distinct values of x.\nExample: demo sensors limit 100 | agg count_distinct(device_id)"},
    {"sum", AGG, "sum(x)", "The sum of x.\nExample: demo sensors limit 100 | agg sum(humidity) by device_id"},
    {"avg", AGG, "avg(x)", "The mean of x.\nExample: demo sensors limit 100 | agg avg(temperature) by device_id"},
    {"min", AGG, "min(x)", "The smallest x.\nExample: demo sensors limit 100 | agg min(temperature) by device_id"},
    {"max", AGG, "max(x)", "The largest x.\nExample: demo sensors limit 100 | agg max(temperature) by device_id"},
    {"stddev", AGG, "stddev(x)", "The standard deviation of x.\nExample: demo sensors limit 100 | agg stddev(temperature) by device_id"},
    {"first", AGG, "first(x)", "The x of the first record.\nExample: demo sensors limit 100 | agg first(temperature) by device_id"},
    {"last", AGG, "last(x)", "The x of the last record.\nExample: demo sensors limit 100 | agg last(temperature) by device_id"},
    {"p50", AGG, "p50(x)", "The median of x.\nExample: demo sensors limit 100 | agg p50(temperature) by device_id"},
    {"p90", AGG, "p90(x)", "The 90th percentile of x.\nExample: demo sensors limit 100 | agg p90(temperature) by device_id"},
    {"p95", AGG, "p95(x)", "The 95th percentile of x.\nExample: demo sensors limit 100 | agg p95(temperature) by device_id"},
    {"p99", AGG, "p99(x)", "The 99th percentile of x.\nExample: demo sensors limit 100 | agg p99(temperature) by device_id"},

    /* --------------------------------------------------------- keywords */
    {"let", KW, "let NAME = SOURCE | STAGE ...",
     "Names a stream for later queries, in this cell or later ones. A `let` "
     "has no output stage.\n"
     "Example: let hot = demo sensors | where temperature > 80"},
    {"from", KW, "kinesis \"NAME\" from latest|trim_horizon|checkpoint|\"TIME\"",
     "Where a Kinesis source starts: the tip (latest, the default), the "
     "oldest record (trim_horizon), the application's checkpoint, or an "
     "ISO-8601 time.\n"
     "Example: kinesis \"sensors\" from \"2026-11-20T10:00:00Z\""},
    {"latest", KW, "from latest", "Start at the stream's tip.\nExample: kinesis \"sensors\" from latest"},
    {"trim_horizon", KW, "from trim_horizon", "Start at the oldest record the stream keeps.\nExample: kinesis \"sensors\" from trim_horizon until now"},
    {"checkpoint", KW, "from checkpoint as \"APP\"", "Resume where the application named by `as` last checkpointed; a new application starts at latest.\nExample: kinesis \"sensors\" from checkpoint as \"dashboard\""},
    {"until", KW, "until now", "Read up to the stream's tip as of the query's start, then end.\nExample: kinesis \"sensors\" from trim_horizon until now"},
    {"as", KW, "EXPR as NAME | kinesis ... as \"APP\"", "Names a column, or the application whose checkpoints a Kinesis source keeps.\nExample: demo sensors limit 10 | select temperature as t"},
    {"by", KW, "agg ... by EXPR | top N by EXPR | chart ... by EXPR", "Group keys, the ranking of top, or the series of a chart.\nExample: demo sensors limit 100 | agg count() by device_id"},
    {"every", KW, "window D every S", "The slide of a sliding window.\nExample: demo sensors limit 100 | window 1m every 10s | agg count()"},
    {"on", KW, "window D on FIELD | session GAP on FIELD | dedup EXPR on FIELD", "Use the event time in FIELD instead of processing time.\nExample: demo sensors limit 100 | window 1m on ts | agg count()"},
    {"watermark", KW, "window D on FIELD watermark W", "How late an event-time record may be before it is dropped and counted as late.\nExample: demo sensors limit 100 | window 1m on ts watermark 10s | agg count()"},
    {"within", KW, "dedup EXPR within D", "How long dedup remembers a value.\nExample: demo sensors limit 100 | dedup device_id within 1m"},
    {"asc", KW, "top N by EXPR asc | sort EXPR asc", "Ascending order.\nExample: demo sensors limit 100 | agg count() as n by device_id | sort n asc"},
    {"desc", KW, "sort EXPR desc", "Descending order.\nExample: demo sensors limit 100 | agg count() as n by device_id | sort n desc"},
    {"and", KW, "a and b", "True when both tests are.\nExample: demo sensors limit 100 | where temperature > 60 and humidity < 50"},
    {"or", KW, "a or b", "True when either test is.\nExample: demo sensors limit 100 | where temperature > 90 or humidity > 90"},
    {"not", KW, "not a | x not in (...)", "True when the test is false (a test with a null side is false, so not of it is true).\nExample: demo sensors limit 100 | where not (humidity < 50)"},
    {"in", KW, "x in (a, b, ...)", "True when x equals one of the values.\nExample: demo sensors limit 100 | where device_id in (\"sensor-001\", \"sensor-002\")"},
    {"contains", KW, "s contains \"x\"", "True when the string s contains x.\nExample: demo sensors limit 100 | where device_id contains \"00\""},
    {"starts_with", KW, "s starts_with \"x\"", "True when the string s starts with x.\nExample: demo sensors limit 100 | where device_id starts_with \"sensor\""},
    {"matches", KW, "s matches \"regex\"", "True when the POSIX extended regular expression matches somewhere in s.\nExample: demo sensors limit 100 | where device_id matches \"^sensor-00[0-4]$\""},
    {"true", KW, "true", "The true value.\nExample: demo sensors limit 5 | extend flagged = true"},
    {"false", KW, "false", "The false value.\nExample: demo sensors limit 5 | extend flagged = false"},
    {"null", KW, "null", "No value: what a missing field holds. `=` treats null as a value.\nExample: demo sensors limit 5 | where humidity != null"},
    {"json", KW, "parse json", "The JSON format of `parse`: one object per record.\nExample: file \"docs/examples/readings.jsonl\" | parse json"},
    {"csv", KW, "parse csv(name[:type], ...)", "The CSV format of `parse`, with its column names and optional types number, string, bool, time.\nExample: file \"docs/examples/readings.csv\" | parse csv(device_id, temperature:number)"},
    {"sensors", KW, "demo sensors", "The generator of `demo`: readings of device_id, temperature, humidity and ts.\nExample: demo sensors limit 10"},
    {"rate", KW, "demo sensors rate N", "Records per second of `demo`.\nExample: demo sensors rate 50 limit 100"},
    {"devices", KW, "demo sensors devices N", "How many devices `demo` simulates.\nExample: demo sensors devices 3 limit 30"},
    {"seed", KW, "demo sensors seed N", "Makes `demo` readings repeatable.\nExample: demo sensors seed 42 limit 10"},
    {"line", KW, "chart line x=EXPR y=EXPR", "A line chart.\nExample: demo sensors limit 100 | window 10s | agg count() as n | chart line x=window_end y=n"},
    {"area", KW, "chart area x=EXPR y=EXPR", "An area chart.\nExample: demo sensors limit 100 | window 10s | agg count() as n | chart area x=window_end y=n"},
    {"bar", KW, "chart bar x=EXPR y=EXPR", "A bar chart.\nExample: demo sensors limit 100 | agg count() as n by device_id | chart bar x=device_id y=n"},
    {"scatter", KW, "chart scatter x=EXPR y=EXPR", "A scatter plot.\nExample: demo sensors limit 100 | chart scatter x=temperature y=humidity"},
    {"title", KW, "chart ... title \"TEXT\"", "The title of a chart.\nExample: demo sensors limit 100 | window 10s | agg count() as n | chart bar x=window_end y=n title \"Records\""},
    {"key", KW, "into kinesis \"NAME\" key EXPR", "The partition key of the records an output writes to Kinesis.\nExample: demo sensors limit 100 | into kinesis \"alerts\" key device_id"},

    /* ----------------------------------------------------------- magics */
    {"%queries", MAG, "%queries", "Lists the running queries: id, cell, source, records in, records per second, lag, bad and late records.\nExample: %queries"},
    {"%stop", MAG, "%stop ID|all", "Stops a query, or all of them; each writes its final checkpoint.\nExample: %stop all"},
    {"%set", MAG, "%set [NAME VALUE]", "Changes a session setting: batch 200ms, region \"...\", endpoint \"...\", refresh 1s, memory 1GB (what one query's state may hold), ...; alone, lists the settings.\nExample: %set batch 200ms"},
    {"%streams", MAG, "%streams", "Lists the Kinesis streams.\nExample: %streams"},
    {"%describe", MAG, "%describe NAME", "Shows a Kinesis stream's shards and retention.\nExample: %describe sensors"},
    {"%create", MAG, "%create NAME shards N | on_demand", "Creates a Kinesis stream with N shards, or an on-demand one.\nExample: %create sensors shards 2"},
    {"%aws", MAG, "%aws", "Shows the AWS profile, region, endpoints and where the credentials come from (environment, assume-role, sso, instance metadata, ...), with their expiry and renewals; never a secret.\nExample: %aws"},
    {"%help", MAG, "%help [WORD]", "Help on a stage, function, aggregate, source or magic; alone, the list of words.\nExample: %help window"},

    {NULL, 0, NULL, NULL},
};

const dsl_word *dsl_words(void) { return words; }

const dsl_word *dsl_word_lookup(const char *word, size_t len) {
  if (!word)
    return NULL;
  for (const dsl_word *w = words; w->word; w++)
    if (strlen(w->word) == len && !memcmp(w->word, word, len))
      return w;
  /* Magics answer with or without their %. */
  if (len > 0 && word[0] != '%') {
    for (const dsl_word *w = words; w->word; w++)
      if (w->kind == DSL_WORD_MAGIC && strlen(w->word) == len + 1 &&
          !memcmp(w->word + 1, word, len))
        return w;
  }
  return NULL;
}

/* ------------------------------------------------------------ suggestions */

static int lower_c(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Edit distance (insert, delete, substitute, ignoring case), capped: words
 * longer than 32 bytes are never close to ours. */
static int distance(const char *a, int n, const char *b) {
  int m = (int)strlen(b);
  if (n > 32 || m > 32)
    return 99;
  int row[33];
  for (int j = 0; j <= m; j++)
    row[j] = j;
  for (int i = 1; i <= n; i++) {
    int diag = row[0];
    row[0] = i;
    for (int j = 1; j <= m; j++) {
      int up = row[j];
      int cost = lower_c((unsigned char)a[i - 1]) != lower_c((unsigned char)b[j - 1]);
      int best = diag + cost;
      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[m];
}

/* How far a typo may stray: one edit for short words, up to three. */
static int allowed(int n) { return n <= 3 ? 1 : n <= 6 ? 2 : 3; }

const char *dsl__suggest_in(const char *s, int n, const char *const *list) {
  const char *best = NULL;
  int best_d = allowed(n) + 1;
  for (int i = 0; list[i]; i++) {
    int d = distance(s, n, list[i]);
    if (d < best_d && d < (int)strlen(list[i])) {
      best = list[i];
      best_d = d;
    }
  }
  return best;
}

const char *dsl__suggest(const char *s, int n, int kind) {
  const char *best = NULL;
  int best_d = allowed(n) + 1;
  for (const dsl_word *w = words; w->word; w++) {
    if (kind >= 0 && (int)w->kind != kind)
      continue;
    int d = distance(s, n, w->word);
    if (d < best_d && d < (int)strlen(w->word)) {
      best = w->word;
      best_d = d;
    }
  }
  return best;
}
