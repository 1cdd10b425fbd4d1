package io.gatewayd.testing;

import io.gatewayd.testing.TempInstallation.Result;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs an external command (dpkg-deb, tar, a maintainer script, ...) to completion, within 120 s. */
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
}
