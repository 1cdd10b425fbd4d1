package io.gatewayd.testing;

import io.gatewayd.testing.TempInstallation.Result;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** External commands for tests: run one to completion (dpkg-deb, tar, a maintainer script, ...), or end child JVMs. */
public final class Commands {
    private Commands() {
    }

    /**
     * @param cwd     working directory, or null for this process' own
     * @param scratch where the output files go
     */
    public static Result run(List<String> command, Map<String, String> env, Path cwd, Path scratch) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectInput(new File("/dev/null"));
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        pb.environment().putAll(env);
        Path out = Files.createTempFile(scratch, "out", ".txt");
        Path err = Files.createTempFile(scratch, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 120 s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /**
     * Ends gateways started as child JVMs: closing a child's stdin is its signal to stop cleanly;
     * one that has not exited within 15 s is killed.
     */
    public static void endAll(java.util.Collection<Process> processes) throws InterruptedException {
        for (Process p : processes) {
            if (p.isAlive()) {
                try {
                    p.getOutputStream().close();
                } catch (java.io.IOException ignored) {
                    // already gone
                }
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
                }
            }
        }
    }
}
