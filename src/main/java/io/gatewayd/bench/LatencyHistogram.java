package io.gatewayd.bench;

/**
 * Log-linear latency histogram in whole microseconds, the same buckets as the Node load client
 * (shared/bench/lib/hist.js) so that both report the same percentiles for the same samples:
 * exact below 256 µs, then 128 sub-buckets per power of two (under 0.8 % relative error), up to
 * 2^31 µs (about 35 minutes). A percentile is the midpoint of its bucket, capped at the maximum.
 *
 * <p>Not thread-safe: each event loop records into its own and the results are {@link #merge merged}.
 */
final class LatencyHistogram {
    private static final int SUB = 128;
    private static final int BUCKETS = 256 + 24 * SUB;
    private static final long MAX_VALUE = (1L << 31) - 1;

    private final long[] counts = new long[BUCKETS];
    private long n;
    private long sum;
    private long max;
    private long min = Long.MAX_VALUE;

    static int indexOf(long v) {
        if (v < 256) {
            return (int) v;
        }
        int shift = 64 - Long.numberOfLeadingZeros(v) - 8;
        return 256 + (shift - 1) * SUB + (int) ((v >>> shift) - SUB);
    }

    /** Midpoint of a bucket, in µs. */
    static double valueOf(int index) {
        if (index < 256) {
            return index;
        }
        int k = index - 256;
        int shift = k / SUB + 1;
        long mant = k % SUB + SUB;
        return ((mant << shift) + ((mant + 1) << shift) - 1) / 2.0;
    }

    public void record(long micros) {
        long v = Math.max(0, Math.min(MAX_VALUE, micros));
        counts[indexOf(v)]++;
        n++;
        sum += v;
        if (v > max) {
            max = v;
        }
        if (v < min) {
            min = v;
        }
    }

    public void merge(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        n += other.n;
        sum += other.sum;
        max = Math.max(max, other.max);
        min = Math.min(min, other.min);
    }

    public void reset() {
        java.util.Arrays.fill(counts, 0);
        n = 0;
        sum = 0;
        max = 0;
        min = Long.MAX_VALUE;
    }

    public long count() {
        return n;
    }

    public long maxMicros() {
        return max;
    }

    public long minMicros() {
        return n == 0 ? 0 : min;
    }

    public double meanMicros() {
        return n == 0 ? 0 : (double) sum / n;
    }

    /** The p-quantile (0 &lt; p &le; 1) in µs; 0 when empty. */
    public double percentileMicros(double p) {
        if (n == 0) {
            return 0;
        }
        long want = Math.max(1, (long) Math.ceil(n * p));
        long acc = 0;
        for (int i = 0; i < BUCKETS; i++) {
            acc += counts[i];
            if (acc >= want) {
                return Math.min(valueOf(i), max);
            }
        }
        return max;
    }

    public LatencyHistogram copy() {
        LatencyHistogram c = new LatencyHistogram();
        c.merge(this);
        return c;
    }
}
