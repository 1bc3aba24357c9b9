/*
 * Text: every string reaches cairo through here. Cairo's toy text API puts
 * the whole context into an error state on invalid UTF-8, after which
 * nothing more is drawn, so strings are first copied with bad bytes turned
 * into '?'. Text that does not fit its place is cut at a character boundary
 * and ends with an ellipsis; the cut is found by bisection on measured
 * widths, so a 10 kB title costs a dozen measurements, not thousands.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot_int.h"

#define PLOT__TEXT_MAX 512 /* longer strings are cut before measuring */
static const char plot__ellipsis[] = "\xE2\x80\xA6";

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t plot__utf8_len(const unsigned char *s, size_t avail) {
  size_t n = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3
           : (s[0] >> 3) == 30 ? 4 : 0;
  if (n == 0 || n > avail)
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  if (n == 2 && s[0] < 0xC2)
    return 0; /* overlong */
  if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) ||
                 (s[0] == 0xED && s[1] >= 0xA0)))
    return 0; /* overlong or surrogate */
  if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || s[0] > 0xF4 ||
                 (s[0] == 0xF4 && s[1] >= 0x90)))
    return 0;
  return n;
}

/* Copies text into buf as valid UTF-8 without control characters. */
static size_t plot__clean(const char *text, char *buf, size_t size) {
  const unsigned char *s = (const unsigned char *)(text ? text : "");
  size_t len = strlen((const char *)s), o = 0;
  for (size_t i = 0; i < len && o + 4 < size;) {
    size_t n = plot__utf8_len(s + i, len - i);
    if (n == 0 || (n == 1 && s[i] < 0x20)) {
      buf[o++] = n == 0 ? '?' : ' ';
      i++;
      continue;
    }
    memcpy(buf + o, s + i, n);
    o += n;
    i += n;
  }
  buf[o] = '\0';
  return o;
}

void plot__font(plot__ctx *c, int bold, double size) {
  cairo_set_font_face(c->cr, bold ? c->bold : c->font);
  cairo_set_font_size(c->cr, size);
}

static double plot__width_raw(cairo_t *cr, const char *s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s, &e);
  return e.x_advance;
}

double plot__text_width(plot__ctx *c, const char *text) {
  char buf[PLOT__TEXT_MAX];
  plot__clean(text, buf, sizeof(buf));
  return plot__width_raw(c->cr, buf);
}

/* Cuts buf (of length len) so that it plus an ellipsis fits max_w. */
static void plot__ellipsize(cairo_t *cr, char *buf, size_t len, double max_w) {
  size_t lo = 0, hi = len; /* prefix of lo bytes fits, hi does not */
  char tmp[PLOT__TEXT_MAX + 4];
  while (lo < hi) {
    size_t mid = lo + (hi - lo + 1) / 2;
    while (mid > lo && (buf[mid] & 0xC0) == 0x80)
      mid--; /* back to a character boundary */
    if (mid == lo)
      break;
    memcpy(tmp, buf, mid);
    memcpy(tmp + mid, plot__ellipsis, sizeof(plot__ellipsis));
    if (plot__width_raw(cr, tmp) <= max_w)
      lo = mid;
    else
      hi = mid - 1;
  }
  while (lo > 0 && buf[lo - 1] == ' ')
    lo--;
  memcpy(buf + lo, plot__ellipsis, sizeof(plot__ellipsis));
}

double plot__text(plot__ctx *c, const char *text, double x, double y,
                  plot__align align, double max_w) {
  char buf[PLOT__TEXT_MAX + 4];
  size_t len = plot__clean(text, buf, PLOT__TEXT_MAX);
  if (len == 0)
    return 0;
  double w = plot__width_raw(c->cr, buf);
  if (max_w > 0 && w > max_w) {
    plot__ellipsize(c->cr, buf, len, max_w);
    w = plot__width_raw(c->cr, buf);
  }
  double x0 = align == PLOT__LEFT ? x : align == PLOT__CENTER ? x - w / 2 : x - w;
  cairo_move_to(c->cr, x0, y);
  cairo_show_text(c->cr, buf);
  return w;
}

/* Inserts thousands separators into the integer digits of num. */
static void plot__group_digits(const char *num, char *buf, size_t size) {
  const char *dot = strchr(num, '.');
  size_t lead = (num[0] == '-') ? 1 : 0;
  size_t digits = (dot ? (size_t)(dot - num) : strlen(num)) - lead;
  size_t o = 0;
  for (size_t i = 0; num[i] && o + 1 < size; i++) {
    if (i > lead && i - lead < digits && (digits - (i - lead)) % 3 == 0)
      buf[o++] = ','; /* i - lead: index among the integer digits */
    if (o + 1 < size)
      buf[o++] = num[i];
  }
  buf[o] = '\0';
}

char *plot__fmt_value(double v, char *buf, size_t size) {
  char num[64];
  double a = fabs(v);
  if (!isfinite(v)) {
    snprintf(buf, size, "\xE2\x80\x94"); /* em dash */
    return buf;
  }
  if (a >= 1e21 || (a > 0 && a < 1e-3)) {
    snprintf(buf, size, "%.3g", v);
    return buf;
  }
  if (a >= 1e6) {
    static const char *const suffix[] = {"M", "G", "T", "P", "E"};
    int k = (int)floor(log10(a) / 3) - 2; /* 0 for millions */
    k = k < 0 ? 0 : k > 4 ? 4 : k;
    const char *suf = suffix[k];
    double unit = pow(10, 6 + 3 * k);
    snprintf(buf, size, "%.*f%s", a / unit >= 100 ? 1 : 2, v / unit, suf);
    return buf;
  }
  int dec = a == floor(a) ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 3;
  snprintf(num, sizeof(num), "%.*f", dec, v);
  plot__group_digits(num, buf, size);
  return buf;
}
