package io.gatewayd.cron;

import io.gatewayd.Gateway;
import io.gatewayd.config.ConfigLoader;
import io.gatewayd.config.GatewayConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A gatewayd process for multi-process tests: starts a gateway from a YAML file, prints
 * "READY <control port>", and stops when its standard input closes (so it also ends when the
 * test JVM dies).
 */
public final class CronProcessMain {
    private static final Pattern READY = Pattern.compile("READY (\\d+)");

    private CronProcessMain() {
    }

    /** Starts this class in a small JVM of its own on {@code yaml}, its output and errors in {@code log}. */
    public static Process spawn(Path yaml, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), CronProcessMain.class.getName(), yaml.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The control port the last READY line in {@code log} names, or null before there is one. */
    public static Integer readyPort(Path log) {
        String out;
        try {
            out = Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return null; // read again at the next poll
        }
        Matcher m = READY.matcher(out);
        Integer last = null;
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        return last;
    }

    public static void main(String[] args) throws Exception {
        GatewayConfig config = new ConfigLoader().load(Path.of(args[0]));
        Gateway gateway = Gateway.builder(config).mode("test").start();
        System.out.println("READY " + gateway.controlPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for EOF
        }
        gateway.stop(Duration.ofSeconds(10));
        System.exit(0);
    }
}
