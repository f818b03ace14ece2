package org.ckaatlas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import org.apache.spark.sql.execution.SparkSqlParser;
import org.junit.jupiter.api.Test;

/** Which statements sql runs: Spark's own parser, no session; end to end in {@link SqlTest}. */
class SqlReadOnlyTest {
    private static final SparkSqlParser PARSER = new SparkSqlParser();

    private static String writes(String sql) throws Exception {
        // INSERT OVERWRITE DIRECTORY asks the active session for defaults: a stopped one from an earlier
        // test in this JVM must not be it
        org.apache.spark.sql.SparkSession.clearActiveSession();
        org.apache.spark.sql.SparkSession.clearDefaultSession();
        return SqlCommand.writes(PARSER.parsePlan(sql));
    }

    @Test
    void queriesAndReadOnlyStatementsRun() throws Exception {
        for (String sql : List.of("SELECT 1", "SELECT * FROM layer_cka WHERE cka > 0.5 ORDER BY cka LIMIT 3",
                "WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b",
                "SELECT * FROM runs WHERE run_id IN (SELECT run_id FROM layers)", "SELECT 1 UNION ALL SELECT 2", "VALUES (1, 2)",
                "TABLE layer_cka", "FROM layers SELECT name", "SHOW TABLES", "SHOW VIEWS", "SHOW COLUMNS IN layer_cka",
                "SHOW FUNCTIONS", "DESCRIBE layer_cka", "DESCRIBE TABLE EXTENDED layers", "DESCRIBE layer_cka cka",
                "DESCRIBE QUERY SELECT 1", "DESCRIBE FUNCTION abs", "EXPLAIN SELECT * FROM layer_cka",
                "EXPLAIN EXTENDED SELECT 1")) {
            assertEquals(null, writes(sql), sql);
        }
    }

    @Test
    void everythingElseIsRefused() throws Exception {
        for (String sql : List.of("INSERT OVERWRITE DIRECTORY '/tmp/out/layer_cka' USING parquet SELECT 1 AS x",
                "INSERT OVERWRITE LOCAL DIRECTORY '/tmp/x' SELECT 1",
                "WITH a AS (SELECT 1 AS x) INSERT OVERWRITE DIRECTORY '/tmp/x' USING parquet SELECT * FROM a",
                "FROM layers INSERT OVERWRITE DIRECTORY '/tmp/x' USING parquet SELECT *",
                "INSERT INTO layers SELECT * FROM layers", "CREATE TABLE t USING parquet LOCATION '/tmp/x' AS SELECT 1",
                "CREATE TABLE t (x INT) USING parquet", "CREATE TEMPORARY VIEW layer_cka AS SELECT 1",
                "CREATE OR REPLACE TEMPORARY VIEW v USING parquet OPTIONS (path '/tmp/x')", "DROP VIEW layer_cka",
                "DROP TABLE t", "CACHE TABLE layer_cka", "CACHE TABLE c AS SELECT 1", "UNCACHE TABLE layer_cka", "CLEAR CACHE",
                "SET spark.sql.shuffle.partitions=1", "RESET", "ADD JAR /tmp/x.jar", "ADD FILE /tmp/x",
                "CREATE FUNCTION f AS 'x.Y'", "CREATE TEMPORARY FUNCTION f AS 'x.Y'", "REFRESH TABLE layers",
                "MSCK REPAIR TABLE layers", "DELETE FROM layers WHERE 1 = 1", "TRUNCATE TABLE layers", "USE other",
                "ANALYZE TABLE layers COMPUTE STATISTICS", "LOAD DATA LOCAL INPATH '/tmp/x' INTO TABLE layers")) {
            assertNotNull(writes(sql), sql);
        }
    }
}
