package io.gatewayd.cron;

import io.gatewayd.config.CronJobConfig;
import io.gatewayd.os.Processes;
import io.gatewayd.routing.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code exec:} runs a command without a shell. Output (stdout and stderr together) goes to a
 * temporary file rather than a pipe, so no thread is needed while the command runs; when it
 * exits the output is logged, its head kept in the result, and with {@code push-output} pushed.
 * On timeout or cancel the process and its descendants get SIGTERM, then SIGKILL 3 s later.
 */
final class ExecJobAction implements JobAction {
    private static final Logger LOG = LoggerFactory.getLogger("gatewayd.cron");
    /** The most output logged and pushed. */
    static final int MAX_OUTPUT = 64 * 1024;
    private static final Duration KILL_GRACE = Duration.ofSeconds(3);

    private final Router router;
    private final CronJobConfig.Exec config;
    private final CronJobConfig.Target pushTo;

    ExecJobAction(Router router, CronJobConfig.Exec config) {
        this.router = router;
        this.config = config;
        this.pushTo = config.pushTarget();
    }

    @Override
    public CompletableFuture<Outcome> start(RunContext ctx) {
        Path out;
        Process p;
        try {
            out = Files.createTempFile("gatewayd-cron-" + ctx.job + "-", ".out");
        } catch (IOException e) {
            return CompletableFuture.completedFuture(Outcome.failed(null, "cannot create an output file: " + e));
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(config.command());
            if (config.dir() != null) {
                pb.directory(new File(config.dir()));
            }
            var values = ctx.placeholders();
            pb.environment().put("GATEWAYD_JOB", values.get("job"));
            pb.environment().put("GATEWAYD_TIME", values.get("time"));
            pb.environment().put("GATEWAYD_TIMESTAMP", values.get("timestamp"));
            pb.environment().putAll(config.env());
            pb.redirectErrorStream(true);
            pb.redirectOutput(out.toFile());
            p = pb.start();
        } catch (IOException | RuntimeException e) {
            deleteQuietly(out);
            return CompletableFuture.completedFuture(Outcome.failed(null, "cannot run " + config.command().get(0)
                    + ": " + e.getMessage()));
        }
        try {
            p.getOutputStream().close(); // no input: the command reads EOF
        } catch (IOException ignored) {
            // the process may already have exited
        }
        AtomicReference<JobResult.Status> stoppedAs = new AtomicReference<>();
        var timeout = Delays.after(config.timeout(), () -> {
            if (running(p) && stoppedAs.compareAndSet(null, JobResult.Status.TIMEOUT)) {
                kill(p);
            }
        });
        ctx.cancelled.thenRun(() -> {
            if (running(p) && stoppedAs.compareAndSet(null, JobResult.Status.CANCELLED)) {
                kill(p);
            }
        });
        return p.onExit().thenCompose(done -> {
            timeout.cancel(false);
            String output = readHead(out);
            deleteQuietly(out);
            int exit = done.exitValue();
            if (!output.isEmpty()) {
                LOG.info("cron job {} output (exit {}):\n{}", ctx.job, exit, output.stripTrailing());
            }
            JobResult.Status s = stoppedAs.get();
            if (s == JobResult.Status.TIMEOUT) {
                return CompletableFuture.completedFuture(new Outcome(s, exit, "killed after "
                        + config.timeout().toMillis() + " ms; output: " + output));
            }
            if (s != null) {
                return CompletableFuture.completedFuture(new Outcome(s, exit, output));
            }
            if (exit != 0) {
                return CompletableFuture.completedFuture(Outcome.failed(exit, output));
            }
            if (pushTo == null || output.isEmpty()) {
                return CompletableFuture.completedFuture(Outcome.ok(exit, output));
            }
            return Pushes.push(router, pushTo, output, exit, n -> Outcome.ok(exit, output));
        });
    }

    /**
     * Whether the command is still going. Process.isAlive() alone says so until the JVM's reaper
     * thread has collected the exit: a command that exited while the gateway stood still (SIGSTOP,
     * a suspended machine) is collected only after it goes on, and the timeout, overdue by then,
     * may run first and record a run that ended by itself as killed after the timeout.
     */
    private static boolean running(Process p) {
        return p.isAlive() && Processes.running(p.toHandle());
    }

    /** SIGTERM to the process and its descendants, SIGKILL to what is left after a grace period. */
    private static void kill(Process p) {
        var tree = p.descendants().toList();
        tree.forEach(ProcessHandle::destroy);
        p.destroy();
        Delays.after(KILL_GRACE, () -> {
            tree.forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
    }

    private static String readHead(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(MAX_OUTPUT);
            String s = new String(b, StandardCharsets.UTF_8);
            return in.read() >= 0 ? s + "\n...(output cut at " + MAX_OUTPUT + " bytes)" : s;
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // a temp file
        }
    }
}
