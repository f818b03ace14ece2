package org.ckaatlas.job;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.ckaatlas.analysis.UsageException;

/** The one place a SparkSession is made, so every run and test gets the same settings. */
public final class SparkSessions {
    private SparkSessions() {}

    /**
     * @param master a master URL, or null to keep the one spark-submit set (local[*] when none is)
     */
    public static SparkSession create(String master, String appName) {
        return create(master, appName, java.util.Map.of());
    }

    /** @param settings Spark settings (--conf KEY=VALUE), applied over the defaults */
    public static SparkSession create(String master, String appName, java.util.Map<String, String> settings) {
        SparkConf conf = new SparkConf().setAppName(appName);
        settings.forEach(conf::set);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        if (conf.get("spark.master").startsWith("local")) {
            // one machine: stay on loopback, no web UI port
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            conf.setIfMissing("spark.ui.enabled", "false");
        }
        conf.setIfMissing("spark.sql.shuffle.partitions", "4");
        try {
            return SparkSession.builder().config(conf).getOrCreate();
        } catch (IllegalArgumentException e) {
            // Spark refuses its settings (e.g. a heap under its 450 MiB floor): a setting to change, exit 2
            throw new UsageException("Spark cannot start: " + e.getMessage().lines().findFirst().orElse("")
                    + (e.getMessage().contains("heap size") ? " (with scripts/cka-atlas: CKA_JAVA_OPTS=-Xmx2g)" : ""));
        }
    }

    /** Concurrent tasks per executor JVM: what libtorch's threads are divided by. */
    public static int tasksPerExecutor(SparkSession spark) {
        SparkConf conf = spark.sparkContext().getConf();
        String master = conf.get("spark.master");
        int cores = Runtime.getRuntime().availableProcessors();
        if (master.startsWith("local-cluster")) {
            return Integer.parseInt(master.replaceAll("local-cluster\\[\\s*\\d+\\s*,\\s*(\\d+)\\s*,.*", "$1"));
        }
        if (master.startsWith("local")) {
            String slots = master.replaceAll("local\\[([^,\\]]+).*", "$1");
            return master.equals("local") ? 1 : slots.equals("*") ? cores : Integer.parseInt(slots);
        }
        return Math.max(1, conf.getInt("spark.executor.cores", cores) / conf.getInt("spark.task.cpus", 1));
    }
}
