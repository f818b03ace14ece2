package org.ckaatlas.job;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** This build's version, from the resource Maven fills in (the jar manifest is absent when run from classes). */
public final class Version {
    private Version() {}

    public static String get() {
        try (InputStream in = Version.class.getResourceAsStream("/cka-atlas-version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
