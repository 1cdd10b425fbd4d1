package io.gatewayd.bench;

/**
 * The first OutOfMemoryError the load client hit on its event loops. Past it a run measures the
 * client's JVM, not the gateway: its loops spend their time in the JDK's direct-memory retries (a
 * GC and a sleep per buffer), and a push whose body could not be built never completes.
 */
final class MemoryShortage {
    private volatile String first;

    /** Notes {@code cause} if it is, or was caused by, an OutOfMemoryError; true if so. */
    boolean record(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                if (first == null) {
                    first = String.valueOf(t.getMessage());
                }
                return true;
            }
        }
        return false;
    }

    /** Stops the run with what to do about it, once a shortage was recorded. */
    void check() {
        String why = first;
        if (why != null) {
            throw new BenchException(false, "the load client ran out of memory (" + why + "); give it more with"
                    + " GATEWAYD_JAVA_OPTS=-Xmx4g (its direct memory follows the heap), or use fewer clients (--n)"
                    + " or smaller messages (--s)");
        }
    }
}
