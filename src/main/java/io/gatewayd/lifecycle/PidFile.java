package io.gatewayd.lifecycle;

import io.gatewayd.config.GatewayConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The pid file ({@code run/gatewayd.pid} by default) and its two companions:
 * <ul>
 *   <li>{@code gatewayd.pid.lock}: held with an exclusive {@link FileLock} for the whole life of
 *       the gateway process. The kernel releases it when the process dies, even by {@code kill -9},
 *       so "is the lock held" is the truth about "is a gatewayd running", and a pid file whose lock
 *       is free is stale whatever process now has that pid. The lock file itself is never deleted
 *       (deleting a lock file lets two processes lock two different files).</li>
 *   <li>{@code gatewayd.pid.json}: the {@link RuntimeInfo} (bound ports, mode, log file).</li>
 * </ul>
 * The pid and runtime files are written atomically (temp file and rename) after everything is
 * bound, and removed on exit.
 */
public final class PidFile {
    private static final long LOCK_RETRY_MILLIS = 2000;

    private final Path pidFile;
    private final Path lockFile;
    private final Path runtimeFile;

    public PidFile(Path pidFile) {
        this.pidFile = pidFile.toAbsolutePath().normalize();
        this.lockFile = this.pidFile.resolveSibling(this.pidFile.getFileName() + ".lock");
        this.runtimeFile = this.pidFile.resolveSibling(this.pidFile.getFileName() + ".json");
    }

    /** The pid file a config names, relative paths resolved against the installation directory. */
    public static PidFile of(GatewayConfig config, Path home) {
        return new PidFile(config.paths().pidFile(home));
    }

    public Path path() {
        return pidFile;
    }

    Path lockPath() {
        return lockFile;
    }

    public Path runtimePath() {
        return runtimeFile;
    }

    /** What the files say about the gateway. */
    public enum State {
        /** The lock is held: a gatewayd is running (or starting: then the pid file may not exist yet). */
        RUNNING,
        /** The lock is free but a pid file exists: the process died without cleaning up (LSB "dead, pid file exists"). */
        STALE,
        /** Neither. */
        NOT_RUNNING
    }

    /**
     * @param pid     the pid from the pid file (or, while starting, from the lock file); -1 if unknown
     * @param runtime the runtime file of the running process; null unless RUNNING and it matches pid
     */
    public record Probe(State state, long pid, RuntimeInfo runtime) {
        public boolean running() {
            return state == State.RUNNING;
        }
    }

    /** Looks without disturbing: takes (and at once releases) a shared lock to see whether anyone holds it. */
    public Probe probe() {
        long pid = readPid(pidFile);
        boolean held;
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.READ)) {
            FileLock probe;
            try {
                probe = ch.tryLock(0, Long.MAX_VALUE, true);
            } catch (OverlappingFileLockException e) {
                probe = null; // this very JVM holds it (tests, jsvc)
            }
            held = probe == null;
            if (probe != null) {
                probe.release();
            }
        } catch (NoSuchFileException e) {
            held = false;
        } catch (IOException e) {
            // cannot read the lock file (another user's installation): judge by the process alone
            held = pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        if (held) {
            if (pid <= 0) {
                pid = readPid(lockFile);
            }
            RuntimeInfo info = readRuntime();
            return new Probe(State.RUNNING, pid, info != null && info.pid() == pid ? info : null);
        }
        return new Probe(Files.exists(pidFile) ? State.STALE : State.NOT_RUNNING, pid, null);
    }

    RuntimeInfo readRuntime() {
        try {
            return RuntimeInfo.parse(Files.readAllBytes(runtimeFile));
        } catch (IOException e) {
            return null;
        }
    }

    /** The pid in a file; -1 if it is missing or holds no number. */
    static long readPid(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.US_ASCII).trim();
            return s.isEmpty() ? -1 : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Another gatewayd holds the lock. */
    public static final class AlreadyRunningException extends RuntimeException {
        private final long pid;

        AlreadyRunningException(long pid, String message) {
            super(message, null, false, false);
            this.pid = pid;
        }

        public long pid() {
            return pid;
        }
    }

    /** The pid file cannot be created or locked (permissions, missing directory...). */
    public static final class PidFileException extends RuntimeException {
        PidFileException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Takes the lock for this process. Retries for a moment, because a CLI probing the lock holds
     * it (shared) for a few microseconds.
     *
     * @param onStale receives a warning when a stale pid file is found (it is replaced later)
     * @throws AlreadyRunningException if a running gatewayd holds it
     */
    Lock acquire(java.util.function.Consumer<String> onStale) {
        try {
            Files.createDirectories(pidFile.getParent());
        } catch (IOException e) {
            throw new PidFileException("cannot create the run directory " + pidFile.getParent() + ": " + reason(e)
                    + "; create it writable for this user, or set paths.run-dir / paths.pid-file in the config");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new PidFileException("cannot open the lock file " + lockFile + ": " + reason(e)
                    + "; make it and " + pidFile.getParent() + " writable for this user, or set paths.pid-file in the config");
        }
        FileLock lock = null;
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOCK_RETRY_MILLIS);
            while (true) {
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // held by this JVM
                }
                if (lock != null || System.nanoTime() > deadline) {
                    break;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // retry interval, bounded by the deadline
            }
            if (lock == null) {
                long pid = readPid(pidFile);
                if (pid <= 0) {
                    pid = readPid(lockFile);
                }
                ch.close();
                throw new AlreadyRunningException(pid, "gatewayd is already running" + (pid > 0 ? " (pid " + pid + ")" : "")
                        + "; stop it with `gatewayctl stop`, or give this one another paths.pid-file and ports");
            }
            long me = ProcessHandle.current().pid();
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
            if (Files.exists(pidFile)) {
                long old = readPid(pidFile);
                boolean alive = old > 0 && ProcessHandle.of(old).map(ProcessHandle::isAlive).orElse(false);
                onStale.accept("found a stale pid file " + pidFile + " (pid " + old + (alive
                        ? " is alive but holds no lock, so it is not a gatewayd of this installation"
                        : " is not running; it was not stopped cleanly") + "); replacing it");
            }
            return new Lock(ch, lock, me);
        } catch (IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing releases the lock
            }
            throw new PidFileException("cannot lock " + lockFile + ": " + reason(e));
        }
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** The held lock; {@link #close()} removes the pid and runtime files and releases it. */
    public final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;
        private final long pid;
        private boolean closed;

        private Lock(FileChannel channel, FileLock lock, long pid) {
            this.channel = channel;
            this.lock = lock;
            this.pid = pid;
        }

        public PidFile pidFile() {
            return PidFile.this;
        }

        /** Writes the runtime file, then the pid file (its existence means "ready"), each atomically. */
        public synchronized void publish(RuntimeInfo info) {
            try {
                writeAtomically(runtimeFile, info.toJson());
                writeAtomically(pidFile, (pid + "\n").getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new PidFileException("cannot write the pid file " + pidFile + ": " + reason(e));
            }
        }

        /** Removes the pid and runtime files if they are still ours, and releases the lock. Idempotent. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (readPid(pidFile) == pid) {
                    Files.deleteIfExists(pidFile);
                }
                RuntimeInfo info = readRuntime();
                if (info == null || info.pid() == pid) {
                    Files.deleteIfExists(runtimeFile);
                }
            } catch (IOException e) {
                // best effort: a leftover file is detected as stale by the next start
            }
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                // the lock goes with the process anyway
            }
        }
    }

    private static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.write(tmp, content);
            try {
                // readable by every user (status, init scripts), whatever the umask (jsvc sets 077)
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
