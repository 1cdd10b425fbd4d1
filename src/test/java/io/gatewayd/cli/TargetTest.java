package io.gatewayd.cli;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;

/** Whether --control-url names the gateway of the config's pid file, whose pid may then be used. */
class TargetTest {
    private static boolean same(String given, String known) {
        return Target.sameGateway(URI.create(given), URI.create(known));
    }

    @Test
    void theSamePortAtTheSameAddressIsTheSameGateway() {
        assertThat(same("http://localhost:8283", "http://127.0.0.1:8283")).isTrue();
        assertThat(same("https://127.0.0.1:8283", "http://127.0.0.1:8283")).as("the scheme does not make another port")
                .isTrue();
        assertThat(same("http://127.0.0.1:8283", "http://0.0.0.0:8283")).as("a wildcard bind").isTrue();
    }

    @Test
    void anotherPortOrAnotherAddressIsAnotherGateway() {
        assertThat(same("http://127.0.0.1:8284", "http://127.0.0.1:8283")).isFalse();
        assertThat(same("http://[::1]:8283", "http://127.0.0.1:8283")).as("two sockets").isFalse();
        assertThat(same("http://127.0.0.2:8283", "http://127.0.0.1:8283")).isFalse();
        assertThat(Target.sameGateway(URI.create("http://127.0.0.1:8283"), null)).as("nothing known").isFalse();
    }
}
