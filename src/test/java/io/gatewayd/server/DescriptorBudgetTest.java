package io.gatewayd.server;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The connection cap derived from the open-file limit, as arithmetic (OutOfDescriptorsIT runs a
 * gateway under a real low limit).
 */
class DescriptorBudgetTest {
    @Test
    void aRoomyLimitReservesWhatIsOpenPlusHeadroomAndWebhooks() {
        DescriptorBudget b = DescriptorBudget.of(65_536, 80, 33);
        int reserved = 80 + 33 + DescriptorBudget.HEADROOM;
        assertThat(b.effectiveMax(0)).isEqualTo(65_536 - reserved);
        assertThat(b.source(0)).isEqualTo("open-file limit");
        assertThat(b.status(0)).containsEntry("reserved", (long) reserved).containsEntry("open_file_limit", 65_536L);
        assertThat(b.warning(0)).isNull();
    }

    @Test
    void aConfiguredCapBelowTheLimitsIsKeptAndOneAboveIsLoweredWithAWarning() {
        DescriptorBudget b = DescriptorBudget.of(1024, 80, 33);
        int cap = 1024 - 80 - 33 - DescriptorBudget.HEADROOM;
        assertThat(b.effectiveMax(500)).isEqualTo(500);
        assertThat(b.source(500)).isEqualTo("limits.max-connections");
        assertThat(b.warning(500)).isNull();

        assertThat(b.effectiveMax(5000)).isEqualTo(cap);
        assertThat(b.source(5000)).isEqualTo("open-file limit");
        assertThat(b.warning(5000)).contains("limits.max-connections is 5000", "open-file limit (1024)",
                "room for " + cap + " clients", "LimitNOFILE=", "lower limits.max-connections to " + cap);
    }

    @Test
    void aLowLimitReservesHalfOfWhatIsFreeAndSaysSo() {
        DescriptorBudget b = DescriptorBudget.of(256, 76, 33);
        assertThat(b.effectiveMax(0)).isEqualTo((256 - 76) / 2);
        assertThat(b.warning(0)).contains("the open-file limit (256) is low", "room for 90 clients");
    }

    @Test
    void anUnknownLimitCapsNothing() {
        DescriptorBudget b = DescriptorBudget.of(-1, 80, 33);
        assertThat(b.effectiveMax(0)).isZero();
        assertThat(b.effectiveMax(7)).isEqualTo(7);
        assertThat(b.source(0)).isEqualTo("none");
        assertThat(b.warning(7)).isNull();
    }
}
