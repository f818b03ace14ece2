package org.ckaatlas.render;

/**
 * One figure of a report: the image file in the page (at its pixel size), the section it belongs to,
 * its caption, and optionally a larger file one click away.
 *
 * @param fullSize the file the image links to, or null
 */
record Figure(String section, String file, int width, int height, String caption, String fullSize) {
    Figure(String section, String file, int width, int height, String caption) {
        this(section, file, width, height, caption, null);
    }
}
