package io.gatewayd.cron;

import java.time.Duration;
import java.time.Instant;

/**
 * Decides which process runs a {@code run-on: one} job's tick, and keeps the pauses of jobs
 * that every process in the scope obeys. One implementation per scope:
 * {@link FileJobLock} for the processes of one host that share a run directory; a cluster-wide
 * one (Redis) can implement the same contract.
 *
 * <p>Contract of {@link #claim}:
 * <ul>
 *   <li><b>Once per tick.</b> For a given job and tick, at most one caller among all processes
 *       sharing the lock gets {@link Outcome#CLAIMED}; every other caller for that tick, or for an
 *       earlier one, gets {@link Outcome#DONE_ELSEWHERE}. A null tick (a manual run) is never
 *       recorded and never refused as done.</li>
 *   <li><b>Exclusive lease.</b> With {@code exclusive}, the caller also takes the job's run lease.
 *       While anyone holds it, exclusive callers get {@link Outcome#BUSY} and the tick stays
 *       unclaimed (the holder decides about it: it skips or replaces its own run).</li>
 *   <li><b>Lock at most for.</b> A lease ends when released, when its holder process dies, or
 *       {@code lockAtMostFor} after it was taken, whichever comes first, so a hung or crashed
 *       holder cannot block the job for longer.</li>
 *   <li><b>Lock at least for.</b> A claimed tick is remembered for at least {@code lockAtLeastFor}
 *       after the claim, even if the run is shorter, so that a process whose clock lags cannot run
 *       the same tick again. (The file lock remembers ticks for good; a lock with expiring keys
 *       needs this to outlive the clock skew between nodes.)</li>
 * </ul>
 * Implementations are thread-safe.
 */
public interface JobLock extends AutoCloseable {

    enum Outcome {
        /** This caller runs the tick. */
        CLAIMED,
        /** Another process already ran (or decided about) this tick. */
        DONE_ELSEWHERE,
        /** Another process holds the job's run lease. */
        BUSY
    }

    /** The run lease of a claimed exclusive tick. */
    interface Lease {
        /** Ends the lease; idempotent. */
        void release();
    }

    /**
     * @param lease  non-null when CLAIMED with {@code exclusive}
     * @param holder who holds the lease when BUSY (for logs), else null
     */
    record Claim(Outcome outcome, Lease lease, String holder) {
        static final Lease NO_LEASE = () -> { };

        public static Claim claimed(Lease lease) {
            return new Claim(Outcome.CLAIMED, lease == null ? NO_LEASE : lease, null);
        }

        public static Claim doneElsewhere() {
            return new Claim(Outcome.DONE_ELSEWHERE, null, null);
        }

        public static Claim busy(String holder) {
            return new Claim(Outcome.BUSY, null, holder);
        }
    }

    /**
     * Claims {@code tick} of {@code job} (null: a manual run) and, if {@code exclusive}, the job's
     * run lease. See the interface description for the contract.
     */
    Claim claim(String job, Instant tick, boolean exclusive, Duration lockAtMostFor, Duration lockAtLeastFor);

    /** Who holds the job's run lease now (e.g. "pid 1234 on host"), or null. */
    String holder(String job);

    /**
     * Pauses ({@code paused}) or resumes {@code job} for every process sharing this lock, until
     * resumed (it outlives restarts); returns whether it was paused that way before. Throws when
     * the shared state cannot be written. Applies to every job, whatever its {@code run-on}.
     */
    default boolean pauseEverywhere(String job, boolean paused) {
        return false;
    }

    /** Whether {@code job} is paused for every process sharing this lock. Throws when that cannot be read. */
    default boolean pausedEverywhere(String job) {
        return false;
    }

    @Override
    default void close() {
    }

    /** For {@code run-on: each}: every caller claims, nothing is shared. */
    static JobLock none() {
        return new JobLock() {
            @Override
            public Claim claim(String job, Instant tick, boolean exclusive, Duration most, Duration least) {
                return Claim.claimed(null);
            }

            @Override
            public String holder(String job) {
                return null;
            }
        };
    }
}
