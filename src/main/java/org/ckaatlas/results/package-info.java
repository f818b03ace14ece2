/**
 * The result tables: their schemas (Avro, {@code src/main/avro}, defined once) and reading them back
 * with parquet-avro, without a Spark session.
 *
 * <p>Layout: {@code <out>/<table>/run_id=<id>/part-*.parquet} (Hive-style partitions), so Spark SQL,
 * DuckDB and Trino see run_id as a column. run_id is therefore not a field of any schema.
 *
 * <p>Type mapping, Avro -> Parquet (as Spark writes it) -> Spark SQL: string -> BINARY (UTF8) -> string;
 * int -> INT32 -> int; long -> INT64 -> bigint; double -> DOUBLE -> double; long timestamp-millis ->
 * INT64 (TIMESTAMP_MILLIS) -> timestamp; bytes -> BINARY -> binary; array of float -> 3-level LIST of
 * FLOAT -> array&lt;float&gt;; ["null", T] -> optional T -> nullable T. Spark writes every column as
 * optional; a required Avro field simply never meets a null.
 */
package org.ckaatlas.results;
