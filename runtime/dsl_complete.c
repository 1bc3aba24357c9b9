/*
 * Is a cell complete? The console asks after every Enter: "incomplete" keeps
 * the cell open for another line, anything else submits it.
 *
 * We parse the text and look at how the parse ended. The text is incomplete
 * only when the first error sits at the very end of the input and the text
 * visibly asks for more there: a trailing `|` (or operator, or comma), an
 * open parenthesis, an unterminated string. An error earlier in the text can
 * never be fixed by typing on, so the cell is invalid; an error at the end
 * that is not of that kind ("window 5m every") is submitted as complete so
 * the user sees its message instead of a silent continuation prompt.
 */
#include "dsl.h"
#include "dsl_parse_int.h"

dsl_completeness dsl_is_complete(const char *src, size_t len) {
  if (!src || !len)
    return DSL_COMPLETE;
  dsl_parse_info info;
  rt_err err;
  int rc = dsl__parse(src, len, NULL, &err, &info);
  if (rc == 0)
    return DSL_COMPLETE;
  if (rc != RT_ESYNTAX || !info.err_at_eof)
    return DSL_INVALID;
  if (info.open_parens > 0 || dsl_tok_continues(info.last_kind) ||
      info.open_string)
    return DSL_INCOMPLETE;
  return DSL_COMPLETE;
}
