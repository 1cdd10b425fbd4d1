package io.gatewayd.cron;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link JobLock} for the gatewayd processes of one host that share a run directory. Per job,
 * in {@code <run-dir>/cron/}:
 * <ul>
 *   <li>{@code NAME.lock} holds the last claimed tick (epoch milliseconds). It is locked with
 *       {@link FileChannel#lock()} only for the few microseconds of read-compare-write, so a tick
 *       is claimed exactly once even when the processes' timers fire at slightly different
 *       moments;</li>
 *   <li>{@code NAME.run} is locked for as long as a run holds the lease. The operating system
 *       drops the lock when the holder dies, so a killed process never leaves a stale lease;</li>
 *   <li>{@code NAME.paused} exists while the job is paused for every process (gatewayctl cron
 *       pause); its content says who paused it and when.</li>
 * </ul>
 * POSIX record locks belong to the process, and closing <em>any</em> descriptor of a file drops
 * all of the process's locks on it. So within this JVM every open and close of a run file
 * happens under one monitor, and a run file whose lease this JVM holds is never opened again
 * (several gateways in one JVM sharing a run dir stay correct).
 */
final class FileJobLock implements JobLock {
    private static final Logger LOG = LoggerFactory.getLogger(FileJobLock.class);
    private static final Map<Path, Object> STATE_MUTEXES = new ConcurrentHashMap<>();
    /** Run leases this JVM holds, by canonical run-file path. Guarded by itself. */
    private static final Map<Path, FileLease> HELD = new ConcurrentHashMap<>();

    private final Path dir;
    private final String self;

    /**
     * @param dir  the directory for the lock files (created when first needed)
     * @param self how this process names itself as a holder, e.g. "pid 1234 on host"
     */
    FileJobLock(Path dir, String self) {
        this.dir = dir.toAbsolutePath().normalize();
        this.self = self;
    }

    Path directory() {
        return dir;
    }

    @Override
    public Claim claim(String job, Instant tick, boolean exclusive, Duration lockAtMostFor, Duration lockAtLeastFor) {
        Path state = dir.resolve(job + ".lock");
        try {
            Files.createDirectories(dir);
            synchronized (STATE_MUTEXES.computeIfAbsent(state, p -> new Object())) {
                try (FileChannel ch = FileChannel.open(state, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                     FileLock ignored = ch.lock()) {
                    long last = readLastTick(ch);
                    if (tick != null && tick.toEpochMilli() <= last) {
                        return Claim.doneElsewhere();
                    }
                    FileLease lease = null;
                    if (exclusive) {
                        lease = tryLease(dir.resolve(job + ".run"), job, lockAtMostFor);
                        if (lease == null) {
                            return Claim.busy(holder(job));
                        }
                    }
                    if (tick != null) {
                        // Ticks are remembered for good, which satisfies lock-at-least-for.
                        write(ch, "tick=" + tick.toEpochMilli() + "\nclaimed-by=" + self + "\nclaimed-at="
                                + Instant.now() + "\n");
                    }
                    return Claim.claimed(lease);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cron lock " + state + ": " + e.getMessage(), e);
        }
    }

    private FileLease tryLease(Path run, String job, Duration lockAtMostFor) throws IOException {
        synchronized (HELD) {
            if (HELD.containsKey(run)) {
                return null;
            }
            FileChannel ch = FileChannel.open(run, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // not ours per HELD, so not possible; be safe
            }
            if (lock == null) {
                ch.close(); // this JVM holds no lock on the run file, so closing drops nothing
                return null;
            }
            write(ch, self + " since " + Instant.now() + "\n");
            FileLease lease = new FileLease(run, job, ch, lock, self);
            HELD.put(run, lease);
            lease.expiry = Delays.after(lockAtMostFor, () -> {
                if (lease.releaseIfHeld()) {
                    LOG.warn("cron job {}: run lease released after lock-at-most-for {} while the run goes on; "
                            + "another process may start the job", job, lockAtMostFor);
                }
            });
            return lease;
        }
    }

    @Override
    public String holder(String job) {
        Path run = dir.resolve(job + ".run");
        synchronized (HELD) {
            FileLease mine = HELD.get(run);
            if (mine != null) {
                return mine.holder;
            }
            if (!Files.exists(run)) {
                return null;
            }
            try (FileChannel ch = FileChannel.open(run, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                FileLock probe = ch.tryLock();
                if (probe != null) {
                    probe.release();
                    return null; // free
                }
                String text = read(ch).trim();
                return text.isEmpty() ? "another process" : text;
            } catch (IOException | OverlappingFileLockException e) {
                return null;
            }
        }
    }

    @Override
    public boolean pauseEverywhere(String job, boolean paused) {
        Path marker = dir.resolve(job + ".paused");
        try {
            if (!paused) {
                return Files.deleteIfExists(marker);
            }
            Files.createDirectories(dir);
            try {
                Files.writeString(marker, "paused by " + self + " at " + Instant.now() + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return false;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cron pause " + marker + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean pausedEverywhere(String job) {
        return Files.exists(dir.resolve(job + ".paused"));
    }

    private static long readLastTick(FileChannel ch) throws IOException {
        for (String line : read(ch).split("\n")) {
            if (line.startsWith("tick=")) {
                try {
                    return Long.parseLong(line.substring(5).trim());
                } catch (NumberFormatException e) {
                    return Long.MIN_VALUE;
                }
            }
        }
        return Long.MIN_VALUE;
    }

    private static String read(FileChannel ch) throws IOException {
        long size = ch.size();
        if (size == 0 || size > 64 * 1024) {
            return "";
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        ch.position(0);
        while (buf.hasRemaining() && ch.read(buf) >= 0) {
            // read it all
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }

    private static void write(FileChannel ch, String text) throws IOException {
        ch.truncate(0);
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        long pos = 0;
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }

    private static final class FileLease implements Lease {
        private final Path run;
        private final String job;
        private final FileChannel channel;
        private final FileLock lock;
        private final String holder;
        private boolean released; // guarded by HELD
        volatile java.util.concurrent.ScheduledFuture<?> expiry;

        FileLease(Path run, String job, FileChannel channel, FileLock lock, String holder) {
            this.run = run;
            this.job = job;
            this.channel = channel;
            this.lock = lock;
            this.holder = holder;
        }

        @Override
        public void release() {
            releaseIfHeld();
        }

        boolean releaseIfHeld() {
            synchronized (HELD) {
                if (released) {
                    return false;
                }
                released = true;
                HELD.remove(run, this);
                if (expiry != null) {
                    expiry.cancel(false);
                }
                try {
                    lock.release();
                    channel.close();
                } catch (IOException e) {
                    LOG.warn("cron job {}: releasing {}: {}", job, run, e.toString());
                }
                return true;
            }
        }
    }
}
