package org.ckaatlas.data;

import java.io.Serializable;

/**
 * One listed image file.
 *
 * @param imageId path under the data root, '/'-separated (the key in every table)
 * @param label the first folder level under the root
 * @param uri the file's full URI, encoded (spaces as %20), for reading it on an executor:
 *     open it with {@code new Path(URI.create(uri))}
 */
public record ImageRef(String imageId, String label, String uri) implements Serializable {}
