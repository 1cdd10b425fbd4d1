package io.gatewayd.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A test that drives the real bin/gatewayctl against an installation of its own ({@code inst},
 * in {@code dir}/home); whatever it started is killed afterwards. {@code dir} holds the test's
 * other files.
 */
public abstract class InstallationTest {
    @TempDir
    protected Path dir;
    protected TempInstallation inst;

    @BeforeEach
    void install() throws IOException {
        inst = new TempInstallation(dir.resolve("home"));
    }

    @AfterEach
    void killLeftovers() {
        inst.close();
    }
}
