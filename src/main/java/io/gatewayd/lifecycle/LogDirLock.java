package io.gatewayd.lifecycle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * {@code <log-dir>/gatewayd.log.lock}: held (fcntl) by the gateway that writes gatewayd.log and
 * gatewayd.out there, for its whole life. Two gateways with their own pid files but one log
 * directory would otherwise interleave lines nobody can tell apart and both roll the same
 * gatewayd.log, losing lines. The pid file's lock cannot catch this: it is per pid file. Like
 * that lock, the file is never deleted (two processes could then lock two different files), and
 * the kernel releases it when the process dies, even by kill -9.
 */
public final class LogDirLock implements AutoCloseable {
    public static final String FILE = "gatewayd.log.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private LogDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Another live gateway writes its logs into this directory. */
    public static final class InUseException extends RuntimeException {
        InUseException(String message) {
            super(message, null, false, false);
        }
    }

    /** Who holds the lock, as its holder wrote it: pid and pid file. */
    public record Holder(long pid, String pidFile) {
    }

    /**
     * Takes the lock for this process.
     *
     * @param pidFile written into the lock file, so a refused start can say which gateway holds it
     * @throws InUseException when a live gateway holds it
     * @throws PidFile.PidFileException when the lock file cannot be opened or locked
     */
    static LogDirLock acquire(Path logDir, Path pidFile) {
        Path file = logDir.resolve(FILE);
        FileChannel ch;
        try {
            Files.createDirectories(logDir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new PidFile.PidFileException("cannot open " + file + ": " + e.getMessage()
                    + "; make " + logDir + " writable for this user, or set paths.log-dir in the config");
        }
        try {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM has it already (tests, a second gateway embedded in one process)
            }
            if (lock == null) {
                ch.close();
                throw new InUseException(inUse(logDir, holder(file)));
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n" + pidFile + "\n")
                    .getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
            return new LogDirLock(ch, lock);
        } catch (IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing releases the lock
            }
            throw new PidFile.PidFileException("cannot lock " + file + ": " + e.getMessage());
        }
    }

    /**
     * Who holds the log directory now, or null if nobody does. Looks without disturbing, as
     * {@link PidFile#probe()} does: a shared lock taken and released at once.
     */
    public static Holder probe(Path logDir) {
        Path file = logDir.resolve(FILE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            FileLock probe;
            try {
                probe = ch.tryLock(0, Long.MAX_VALUE, true);
            } catch (OverlappingFileLockException e) {
                probe = null;
            }
            if (probe != null) {
                probe.release();
                return null;
            }
            return holder(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null; // unreadable (another user's): the start itself will find out when it locks
        }
    }

    /** The refusal: what is wrong, who holds it, and what to change. */
    public static String inUse(Path logDir, Holder holder) {
        String who = holder == null || holder.pid() <= 0 ? "another gatewayd"
                : "another gatewayd (pid " + holder.pid() + (holder.pidFile() == null ? "" : ", pid file "
                + holder.pidFile()) + ")";
        return "the log directory " + logDir + " is in use by " + who + ": both would write the same "
                + DaemonLauncher.LOG_FILE + " and " + DaemonLauncher.OUT_FILE + "; give this gateway a log directory "
                + "of its own (paths.log-dir in its config, or GATEWAYD_LOG_DIR)";
    }

    private static Holder holder(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            long pid = lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
            return new Holder(pid, lines.size() > 1 && !lines.get(1).isBlank() ? lines.get(1).trim() : null);
        } catch (IOException | NumberFormatException e) {
            return new Holder(-1, null);
        }
    }

    /** Releases the lock; the file stays (see the class comment). */
    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }
}
