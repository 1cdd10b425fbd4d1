package io.gatewayd.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A systemd unit file read the simple way systemd reads ours: sections, Key=Value lines (a key
 * may repeat), # and ; comments. Enough to check the settings and to run its Exec* lines the way
 * systemd would (without the sandboxing), on a machine without systemd.
 */
public final class UnitFile {
    private final Map<String, List<String>> entries = new LinkedHashMap<>();

    private UnitFile() {
    }

    public static UnitFile read(Path file) throws IOException {
        UnitFile u = new UnitFile();
        String section = "";
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1);
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IOException(file + ": not Key=Value: " + raw);
            }
            u.entries.computeIfAbsent(section + "." + line.substring(0, eq).strip(), k -> new ArrayList<>())
                    .add(line.substring(eq + 1).strip());
        }
        return u;
    }

    /** Every value of Section.Key, in order (empty if unset). */
    public List<String> all(String sectionDotKey) {
        return entries.getOrDefault(sectionDotKey, List.of());
    }

    /** The last value of Section.Key (as systemd: a later one wins), or null. */
    public String get(String sectionDotKey) {
        List<String> v = all(sectionDotKey);
        return v.isEmpty() ? null : v.get(v.size() - 1);
    }

    /** An Exec line's argv, without systemd's prefixes ("-" ignore failure, "+" full privileges, ...). */
    public List<String> command(String sectionDotKey) {
        String v = get(sectionDotKey);
        if (v == null) {
            throw new AssertionError(sectionDotKey + " is not set");
        }
        int i = 0;
        while (i < v.length() && "-+@!:".indexOf(v.charAt(i)) >= 0) {
            i++;
        }
        return List.of(v.substring(i).strip().split("\\s+"));
    }

    /** The Environment= assignments of [Service], in order. */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : all("Service.Environment")) {
            for (String kv : line.split("\\s+")) {
                int eq = kv.indexOf('=');
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return env;
    }
}
