/*
 * The tokenizer of the Eddy language (see dsl_lex.h). Hand-written so each
 * malformed token gets a message that says what is wrong with it and where:
 * the caret of an unterminated string sits under its opening quote, the caret
 * of a bad duration under its unit.
 */
#include "dsl_lex.h"

#include "rt_arena.h"
#include "rt_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dsl_lex_init(dsl_lexer *lx, const char *src, int len,
                  struct rt_arena *arena, rt_err *err) {
  memset(lx, 0, sizeof(*lx));
  lx->src = src;
  lx->len = len;
  lx->line_start = true;
  lx->prev = DSL_TK_NEWLINE;
  lx->arena = arena;
  lx->err = err;
}

bool dsl_tok_continues(dsl_tok_kind kind) {
  switch (kind) {
  case DSL_TK_PIPE:
  case DSL_TK_LPAREN:
  case DSL_TK_COMMA:
  case DSL_TK_COLON:
  case DSL_TK_PLUS:
  case DSL_TK_MINUS:
  case DSL_TK_STAR:
  case DSL_TK_SLASH:
  case DSL_TK_PERCENT:
  case DSL_TK_EQ:
  case DSL_TK_NE:
  case DSL_TK_LT:
  case DSL_TK_LE:
  case DSL_TK_GT:
  case DSL_TK_GE:
  case DSL_TK_AND:
  case DSL_TK_OR:
  case DSL_TK_NOT:
  case DSL_TK_IN:
  case DSL_TK_CONTAINS:
  case DSL_TK_STARTS_WITH:
  case DSL_TK_MATCHES:
    return true;
  default:
    return false;
  }
}

const char *dsl_tok_describe(dsl_tok_kind kind) {
  switch (kind) {
  case DSL_TK_EOF: return "the end of the input";
  case DSL_TK_NEWLINE: return "the end of the line";
  case DSL_TK_NAME: return "a name";
  case DSL_TK_NUMBER: return "a number";
  case DSL_TK_DURATION: return "a duration";
  case DSL_TK_STRING: return "a string";
  case DSL_TK_MAGIC: return "a magic";
  case DSL_TK_PIPE: return "`|`";
  case DSL_TK_LPAREN: return "`(`";
  case DSL_TK_RPAREN: return "`)`";
  case DSL_TK_COMMA: return "`,`";
  case DSL_TK_COLON: return "`:`";
  case DSL_TK_PLUS: return "`+`";
  case DSL_TK_MINUS: return "`-`";
  case DSL_TK_STAR: return "`*`";
  case DSL_TK_SLASH: return "`/`";
  case DSL_TK_PERCENT: return "`%`";
  case DSL_TK_EQ: return "`=`";
  case DSL_TK_NE: return "`!=`";
  case DSL_TK_LT: return "`<`";
  case DSL_TK_LE: return "`<=`";
  case DSL_TK_GT: return "`>`";
  case DSL_TK_GE: return "`>=`";
  case DSL_TK_AND: return "`and`";
  case DSL_TK_OR: return "`or`";
  case DSL_TK_NOT: return "`not`";
  case DSL_TK_IN: return "`in`";
  case DSL_TK_CONTAINS: return "`contains`";
  case DSL_TK_STARTS_WITH: return "`starts_with`";
  case DSL_TK_MATCHES: return "`matches`";
  case DSL_TK_TRUE: return "`true`";
  case DSL_TK_FALSE: return "`false`";
  case DSL_TK_NULL: return "`null`";
  }
  return "a token";
}

static int lex_error(dsl_lexer *lx, int off, int len, const char *msg) {
  return rt_err_set_at(lx->err, RT_ESYNTAX, lx->src, off, len, "%s", msg);
}

static bool is_name_start(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(int c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static int peekc(const dsl_lexer *lx, int at) {
  return at < lx->len ? (unsigned char)lx->src[at] : -1;
}

/* Skips blanks and comments on the current line; stops at '\n' or the end. */
static void skip_blanks(dsl_lexer *lx) {
  for (;;) {
    int c = peekc(lx, lx->pos);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      lx->pos++;
    } else if (c == '#') {
      while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
        lx->pos++;
    } else {
      return;
    }
  }
}

/* After a newline: does the next line with a token start with `|`? Then the
 * newline continues the query ("hot\n| where ..."). */
static bool next_line_is_pipe(const dsl_lexer *lx, int at) {
  while (at < lx->len) {
    int c = (unsigned char)lx->src[at];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
        c == '\v') {
      at++;
    } else if (c == '#') {
      while (at < lx->len && lx->src[at] != '\n')
        at++;
    } else {
      return c == '|' && peekc(lx, at + 1) != '|';
    }
  }
  return false;
}

static const struct {
  const char *word;
  dsl_tok_kind kind;
} lex_keywords[] = {
    {"and", DSL_TK_AND},           {"or", DSL_TK_OR},
    {"not", DSL_TK_NOT},           {"in", DSL_TK_IN},
    {"contains", DSL_TK_CONTAINS}, {"starts_with", DSL_TK_STARTS_WITH},
    {"matches", DSL_TK_MATCHES},   {"true", DSL_TK_TRUE},
    {"false", DSL_TK_FALSE},       {"null", DSL_TK_NULL},
};

static int lex_name(dsl_lexer *lx, dsl_tok *tok) {
  int start = lx->pos;
  bool dotted = false;
  for (;;) {
    while (is_name_char(peekc(lx, lx->pos)))
      lx->pos++;
    if (peekc(lx, lx->pos) != '.')
      break;
    if (!is_name_start(peekc(lx, lx->pos + 1)))
      return lex_error(lx, lx->pos, 1,
                       "expected a name after `.` (paths read a.b.c)");
    lx->pos++;
    dotted = true;
  }
  tok->kind = DSL_TK_NAME;
  tok->off = start;
  tok->len = lx->pos - start;
  if (!dotted) {
    for (size_t i = 0; i < sizeof(lex_keywords) / sizeof(lex_keywords[0]); i++) {
      if ((int)strlen(lex_keywords[i].word) == tok->len &&
          memcmp(lex_keywords[i].word, lx->src + start, (size_t)tok->len) == 0)
        tok->kind = lex_keywords[i].kind;
    }
  }
  return 0;
}

static int lex_number(dsl_lexer *lx, dsl_tok *tok) {
  int start = lx->pos;
  while (is_digit(peekc(lx, lx->pos)))
    lx->pos++;
  if (peekc(lx, lx->pos) == '.' && is_digit(peekc(lx, lx->pos + 1))) {
    lx->pos++;
    while (is_digit(peekc(lx, lx->pos)))
      lx->pos++;
  }
  int e = lx->pos;
  if ((peekc(lx, e) == 'e' || peekc(lx, e) == 'E') &&
      (is_digit(peekc(lx, e + 1)) ||
       ((peekc(lx, e + 1) == '+' || peekc(lx, e + 1) == '-') &&
        is_digit(peekc(lx, e + 2))))) {
    lx->pos = e + 2;
    while (is_digit(peekc(lx, lx->pos)))
      lx->pos++;
  }
  int numend = lx->pos;
  /* src is NUL-terminated at len, and the digits stop strtod before it. */
  char buf[64];
  int n = numend - start;
  if (n >= (int)sizeof(buf))
    return lex_error(lx, start, n, "number too long");
  memcpy(buf, lx->src + start, (size_t)n);
  buf[n] = '\0';
  double v = strtod(buf, NULL);
  if (!isfinite(v))
    return lex_error(lx, start, n, "number out of range");

  tok->off = start;
  tok->kind = DSL_TK_NUMBER;
  tok->num = v;
  if (is_name_char(peekc(lx, lx->pos))) {
    /* a number with a unit: the runtime's one duration rule decides */
    while (is_name_char(peekc(lx, lx->pos)))
      lx->pos++;
    int64_t ms;
    rt_err why;
    if (rt_duration_parse(lx->src + start, (size_t)(lx->pos - start), &ms, &why) < 0)
      return lex_error(lx, start + why.off, why.len, why.msg);
    tok->kind = DSL_TK_DURATION;
    tok->num = (double)ms;
  }
  tok->len = lx->pos - start;
  return 0;
}

static int lex_string(dsl_lexer *lx, dsl_tok *tok) {
  int start = lx->pos++;
  /* Decoded text is never longer than the raw text. */
  int cap = 0;
  while (start + 1 + cap < lx->len && lx->src[start + 1 + cap] != '\n')
    cap++;
  char *out = rt_arena_alloc(lx->arena, (size_t)cap + 1);
  int n = 0;
  for (;;) {
    int c = peekc(lx, lx->pos);
    if (c < 0 || c == '\n') {
      lx->err_at_eof = c < 0;
      return lex_error(lx, start, lx->pos - start,
                       "unterminated string: it needs a closing `\"` on the "
                       "same line (write \\n for a line break)");
    }
    if (c == 0) /* the AST promises NUL-free strings */
      return lex_error(lx, lx->pos, 1, "a string may not hold a NUL byte");
    lx->pos++;
    if (c == '"')
      break;
    if (c == '\\') {
      int e = peekc(lx, lx->pos);
      if (e < 0 || e == '\n')
        continue; /* reported as unterminated on the next turn */
      lx->pos++;
      switch (e) {
      case '"': c = '"'; break;
      case '\\': c = '\\'; break;
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      default: {
        char msg[128];
        if (e >= 0x20 && e < 0x7f)
          snprintf(msg, sizeof(msg),
                   "unknown escape `\\%c` in a string; use \\\", \\\\, \\n or \\t",
                   e);
        else
          snprintf(msg, sizeof(msg),
                   "unknown escape in a string; use \\\", \\\\, \\n or \\t");
        return lex_error(lx, lx->pos - 2, 2, msg);
      }
      }
    }
    out[n++] = (char)c;
  }
  out[n] = '\0';
  tok->kind = DSL_TK_STRING;
  tok->off = start;
  tok->len = lx->pos - start;
  tok->str = out;
  tok->slen = n;
  return 0;
}

/* A magic runs from `%` to the end of its line; the parser splits it. */
static void lex_magic(dsl_lexer *lx, dsl_tok *tok) {
  int start = lx->pos;
  while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
    lx->pos++;
  int end = lx->pos;
  while (end > start && (lx->src[end - 1] == ' ' || lx->src[end - 1] == '\t' ||
                         lx->src[end - 1] == '\r'))
    end--;
  tok->kind = DSL_TK_MAGIC;
  tok->off = start;
  tok->len = end - start;
}

static int bad_char(dsl_lexer *lx, int c) {
  char msg[160];
  int next = peekc(lx, lx->pos + 1);
  if (c == '=' && next == '=')
    return lex_error(lx, lx->pos, 2, "use `=` to compare, not `==`");
  if (c == '!' )
    return lex_error(lx, lx->pos, 1, "unexpected `!`; write `!=` or `not`");
  if (c == '&' && next == '&')
    return lex_error(lx, lx->pos, 2, "use `and`, not `&&`");
  if (c == '|' && next == '|')
    return lex_error(lx, lx->pos, 2, "use `or`, not `||`");
  if (c == '\'')
    return lex_error(lx, lx->pos, 1,
                     "strings take double quotes: \"text\", not 'text'");
  if (c >= 0x21 && c < 0x7f)
    snprintf(msg, sizeof(msg), "unexpected character `%c`", c);
  else
    snprintf(msg, sizeof(msg),
             "unexpected byte 0x%02X; names use ASCII letters, digits and _, "
             "and other text goes in double quotes",
             (unsigned)c);
  return lex_error(lx, lx->pos, 1, msg);
}

static int lex_punct(dsl_lexer *lx, dsl_tok *tok, int c) {
  int next = peekc(lx, lx->pos + 1);
  int len = 1;
  tok->off = lx->pos;
  switch (c) {
  case '|':
    if (next == '|')
      return bad_char(lx, c);
    tok->kind = DSL_TK_PIPE;
    break;
  case '(': tok->kind = DSL_TK_LPAREN; lx->depth++; break;
  case ')':
    tok->kind = DSL_TK_RPAREN;
    if (lx->depth > 0)
      lx->depth--;
    break;
  case ',': tok->kind = DSL_TK_COMMA; break;
  case ':': tok->kind = DSL_TK_COLON; break;
  case '+': tok->kind = DSL_TK_PLUS; break;
  case '-': tok->kind = DSL_TK_MINUS; break;
  case '*': tok->kind = DSL_TK_STAR; break;
  case '/': tok->kind = DSL_TK_SLASH; break;
  case '%': tok->kind = DSL_TK_PERCENT; break;
  case '=':
    if (next == '=')
      return bad_char(lx, c);
    tok->kind = DSL_TK_EQ;
    break;
  case '!':
    if (next != '=')
      return bad_char(lx, c);
    tok->kind = DSL_TK_NE;
    len = 2;
    break;
  case '<':
    if (next == '>')
      return lex_error(lx, lx->pos, 2, "use `!=`, not `<>`");
    tok->kind = next == '=' ? DSL_TK_LE : DSL_TK_LT;
    len = next == '=' ? 2 : 1;
    break;
  case '>':
    tok->kind = next == '=' ? DSL_TK_GE : DSL_TK_GT;
    len = next == '=' ? 2 : 1;
    break;
  default:
    return bad_char(lx, c);
  }
  lx->pos += len;
  tok->len = len;
  return 0;
}

static int lex_one(dsl_lexer *lx, dsl_tok *tok) {
  for (;;) {
    skip_blanks(lx);
    int c = peekc(lx, lx->pos);
    if (c < 0) {
      tok->kind = DSL_TK_EOF;
      tok->off = lx->len;
      tok->len = 0;
      return 0;
    }
    if (c == '\n') {
      int at = lx->pos++;
      if (lx->line_start || lx->depth > 0 || dsl_tok_continues(lx->prev) ||
          next_line_is_pipe(lx, lx->pos))
        continue;
      tok->kind = DSL_TK_NEWLINE;
      tok->off = at;
      tok->len = 1;
      return 0;
    }
    if (c == '%' && lx->line_start && lx->depth == 0 &&
        is_name_start(peekc(lx, lx->pos + 1))) {
      lex_magic(lx, tok);
      return 0;
    }
    if (is_name_start(c))
      return lex_name(lx, tok);
    if (is_digit(c))
      return lex_number(lx, tok);
    if (c == '"')
      return lex_string(lx, tok);
    return lex_punct(lx, tok, c);
  }
}

int dsl_lex_next(dsl_lexer *lx, dsl_tok *tok) {
  memset(tok, 0, sizeof(*tok));
  int rc = lex_one(lx, tok);
  if (rc)
    return rc;
  lx->prev = tok->kind;
  lx->line_start = tok->kind == DSL_TK_NEWLINE;
  return 0;
}
