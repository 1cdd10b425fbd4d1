package io.gatewayd.dist;

import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Ready;
import io.gatewayd.testing.TempInstallation.Result;
import io.gatewayd.testing.WsClient;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tarball ships Netty's native libraries for Linux x86_64 and aarch64 only (the packages'
 * platforms): on such a machine the unpacked tarball still runs every node.transport with BoringSSL
 * (tls.provider openssl) behind an https control port, and its lib/ has no other platform's natives.
 */
class NativeLibrariesIT {
    @TempDir
    Path dir;
    TempInstallation inst;

    @AfterEach
    void killLeftovers() {
        if (inst != null) {
            inst.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto", "epoll", "io_uring"})
    void theUnpackedTarballRunsTheNativeTransportWithNativeTls(String transport) throws Exception {
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(System.getProperty("os.name").equals("Linux")
                && (arch.equals("amd64") || arch.equals("aarch64")), "natives are shipped for Linux x86_64/aarch64 only");
        // what this kernel allows is the machine's business, not the package's: the test JVM loads
        // the same libraries from the local repository to tell
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll unavailable here: " + Epoll.unavailabilityCause());
        Assumptions.assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(),
                () -> "io_uring unavailable here: " + IoUring.unavailabilityCause());
        String expected = transport.equals("auto") ? (IoUring.isAvailable() ? "io_uring" : "epoll") : transport;

        inst = TempInstallation.unpackTarball(dir.resolve("opt"));
        SelfSignedCertificate own = new SelfSignedCertificate("gw.example.com");
        Path tls = Files.createDirectories(inst.home().resolve("conf/tls"));
        Files.copy(own.certificate().toPath(), tls.resolve("fullchain.pem"));
        Files.copy(own.privateKey().toPath(), tls.resolve("privkey.pem"));
        inst.writeConfig(TempInstallation.CONFIG.replace("http://127.0.0.1:0", "https://127.0.0.1:0")
                + "tls:\n  cert-file: conf/tls/fullchain.pem\n  key-file: conf/tls/privkey.pem\n  provider: openssl\n"
                + "node:\n  transport: " + transport + "\n");

        Ready ready = inst.startDaemon("--wait", "60");
        Result status = inst.run("status");
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).containsPattern("transport +" + expected + ", ");
        assertThat(inst.read("logs/gatewayd.log")).contains("provider openssl");
        try (WsClient client = WsClient.connectAndInit(ready.ws())) {
            Result send = inst.run("send", "--client", client.clientId(), "over " + expected);
            assertThat(send.exit()).as(send.toString()).isZero();
            assertThat(client.next()).isEqualTo("over " + expected);
        }
        assertThat(inst.run("stop").exit()).isZero();
    }

    @Test
    void libHasTheLinuxNativesAndNoOthers() throws IOException {
        inst = TempInstallation.unpackTarball(dir.resolve("opt"));
        List<String> natives;
        try (Stream<Path> lib = Files.list(inst.home().resolve("lib"))) {
            natives = lib.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("netty-(transport-native-(epoll|io_uring|kqueue)|tcnative-boringssl-static"
                            + "|resolver-dns-native-macos|codec-native-quic)-.*\\.jar"))
                    .map(n -> n.replaceFirst("-\\d[^-]*\\.Final", ""))
                    .sorted().toList();
        }
        assertThat(natives).containsExactly(
                "netty-tcnative-boringssl-static-linux-aarch_64.jar",
                "netty-tcnative-boringssl-static-linux-x86_64.jar",
                "netty-transport-native-epoll-linux-aarch_64.jar",
                "netty-transport-native-epoll-linux-x86_64.jar",
                "netty-transport-native-io_uring-linux-aarch_64.jar",
                "netty-transport-native-io_uring-linux-x86_64.jar");
    }
}
