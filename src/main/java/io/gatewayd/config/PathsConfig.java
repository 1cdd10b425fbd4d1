package io.gatewayd.config;

import java.nio.file.Path;

/**
 * Where the gateway keeps its files. Relative paths are resolved against the installation
 * directory (GATEWAYD_HOME) by the CLI, or against the working directory when embedded.
 *
 * @param runDir  pid file, lock files (default "run")
 * @param logDir  log files in daemon mode (default "logs")
 * @param pidFile the pid file (default: gatewayd.pid in run-dir)
 */
public record PathsConfig(String runDir, String logDir, String pidFile) {
    public PathsConfig {
        if (runDir == null || runDir.isBlank()) {
            runDir = "run";
        }
        if (logDir == null || logDir.isBlank()) {
            logDir = "logs";
        }
        if (pidFile != null && pidFile.isBlank()) {
            pidFile = null;
        }
    }

    public static PathsConfig defaults() {
        return new PathsConfig(null, null, null);
    }

    /** GATEWAYD_RUN_DIR and GATEWAYD_LOG_DIR, when set, win over the file (packages and units set them). */
    public PathsConfig withEnvironment(java.util.Map<String, String> env) {
        String run = env.get("GATEWAYD_RUN_DIR");
        String log = env.get("GATEWAYD_LOG_DIR");
        if ((run == null || run.isBlank()) && (log == null || log.isBlank())) {
            return this;
        }
        return new PathsConfig(run == null || run.isBlank() ? runDir : run, log == null || log.isBlank() ? logDir : log,
                pidFile);
    }

    public Path runDir(Path base) {
        return base.resolve(runDir).normalize();
    }

    public Path logDir(Path base) {
        return base.resolve(logDir).normalize();
    }

    public Path pidFile(Path base) {
        return pidFile == null ? runDir(base).resolve("gatewayd.pid") : base.resolve(pidFile).normalize();
    }
}
