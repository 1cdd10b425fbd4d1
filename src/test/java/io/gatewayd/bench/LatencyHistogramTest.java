package io.gatewayd.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The histogram must answer as the Node client's (shared/bench/lib/hist.js) for the same samples. */
class LatencyHistogramTest {
    @Test
    void exactBelow256AndWithinOnePercentAbove() {
        LatencyHistogram h = new LatencyHistogram();
        for (int v = 1; v <= 100; v++) {
            h.record(v);
        }
        assertThat(h.percentileMicros(0.5)).isEqualTo(50);
        assertThat(h.percentileMicros(0.99)).isEqualTo(99);
        assertThat(h.maxMicros()).isEqualTo(100);
        assertThat(h.minMicros()).isEqualTo(1);
        assertThat(h.meanMicros()).isEqualTo(50.5);

        LatencyHistogram big = new LatencyHistogram();
        for (long v = 1000; v <= 1_000_000; v += 1000) {
            big.record(v);
        }
        assertThat(big.percentileMicros(0.5)).isCloseTo(500_000, within(500_000 * 0.008));
        assertThat(big.percentileMicros(0.99)).isCloseTo(990_000, within(990_000 * 0.008));
        assertThat(big.percentileMicros(1.0)).isEqualTo(1_000_000); // capped at the maximum
    }

    @Test
    void bucketsAreThoseOfHistJs() {
        // hist.js: idxOf(300) = 256 + (shift-1)*128 + ((300 >>> shift) - 128) with shift = 32 - clz32(300) - 8 = 1
        assertThat(LatencyHistogram.indexOf(300)).isEqualTo(256 + 150 - 128);
        assertThat(LatencyHistogram.valueOf(LatencyHistogram.indexOf(300))).isEqualTo(300.5);
        for (long v : new long[] {0, 1, 255, 256, 257, 511, 512, 1023, 1 << 20, (1L << 31) - 1}) {
            int i = LatencyHistogram.indexOf(v);
            double mid = LatencyHistogram.valueOf(i);
            assertThat(Math.abs(mid - v)).as("v=" + v).isLessThanOrEqualTo(Math.max(0.5, v * 0.008));
        }
    }

    @Test
    void mergeAddsCountsAndKeepsExtremes() {
        LatencyHistogram a = new LatencyHistogram();
        LatencyHistogram b = new LatencyHistogram();
        a.record(10);
        b.record(5000);
        b.record(-3); // clock skew cannot make a negative latency
        a.merge(b);
        assertThat(a.count()).isEqualTo(3);
        assertThat(a.minMicros()).isZero();
        assertThat(a.maxMicros()).isEqualTo(5000);
    }
}
