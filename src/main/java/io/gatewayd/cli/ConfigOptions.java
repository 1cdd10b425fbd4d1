package io.gatewayd.cli;

import io.gatewayd.config.ConfigLoader;
import io.gatewayd.config.GatewayConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options every command uses to find the config (and through it, the running gateway). */
final class ConfigOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Config file (default: $GATEWAYD_CONF, else conf/gatewayd.yaml of the installation).")
    Path config;

    Path file(Installation inst) {
        return inst.configFile(config);
    }

    GatewayConfig load(Installation inst) {
        return io.gatewayd.config.InstallationPaths.resolve(inst.home(), new ConfigLoader(inst.env()).load(file(inst)));
    }
}
