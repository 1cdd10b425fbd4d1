package io.gatewayd.cron;

import io.gatewayd.Gateway;
import io.gatewayd.config.ConfigLoader;
import io.gatewayd.config.GatewayConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A gatewayd process for multi-process tests: starts a gateway from a YAML file, prints
 * "READY <control port>", and stops when its standard input closes (so it also ends when the
 * test JVM dies).
 */
public final class CronProcessMain {
    private CronProcessMain() {
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
