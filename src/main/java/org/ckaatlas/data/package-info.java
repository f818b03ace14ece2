/**
 * Image data sets: listing (Hadoop FileSystem: file:, hdfs:, s3a:), the deterministic batch plan,
 * decoding by content and the preprocessing the original analysis used. No Spark here.
 */
package org.ckaatlas.data;
