/*
 * Series colours: the Okabe-Ito palette, safe for the common forms of colour
 * blindness, in an order that keeps the low-contrast yellow late and puts
 * the strongest, most distinct hues first (most charts have 1 to 4 series).
 * Black is replaced by a dark grey so axes and text stay the darkest ink.
 * Index 8 and up wrap around; the folded "other" series is a neutral grey
 * so it never competes with a named series.
 */
#include "plot_int.h"

static const plot__rgb plot__palette[] = {
    {0x00 / 255.0, 0x72 / 255.0, 0xB2 / 255.0}, /* blue */
    {0xE6 / 255.0, 0x9F / 255.0, 0x00 / 255.0}, /* orange */
    {0x00 / 255.0, 0x9E / 255.0, 0x73 / 255.0}, /* bluish green */
    {0xD5 / 255.0, 0x5E / 255.0, 0x00 / 255.0}, /* vermillion */
    {0xCC / 255.0, 0x79 / 255.0, 0xA7 / 255.0}, /* reddish purple */
    {0x56 / 255.0, 0xB4 / 255.0, 0xE9 / 255.0}, /* sky blue */
    {0xF0 / 255.0, 0xE4 / 255.0, 0x42 / 255.0}, /* yellow */
    {0x44 / 255.0, 0x44 / 255.0, 0x44 / 255.0}, /* dark grey for black */
};

plot__rgb plot__color(int i) {
  if (i < 0)
    return (plot__rgb){0.62, 0.62, 0.62};
  return plot__palette[(size_t)i % (sizeof(plot__palette) / sizeof(plot__palette[0]))];
}

void plot__set_color(cairo_t *cr, int i, double alpha) {
  plot__rgb c = plot__color(i);
  cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}
