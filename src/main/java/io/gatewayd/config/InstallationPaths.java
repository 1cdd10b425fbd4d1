package io.gatewayd.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The one rule for relative file paths in the config (tls.cert-file, tls.key-file,
 * auth.token.public-key-file, a cron exec job's dir, like paths.*): they are relative to the
 * installation directory (GATEWAYD_HOME), which is also an exec job's directory by default, as
 * it is the working directory of a daemon, jsvc and the systemd unit. The gateway and gatewayctl both resolve through here, so that a gateway
 * started in one directory and a gatewayctl run in another read the same files; resolving
 * against the working directory made the certificate gatewayctl pins depend on where each
 * was started.
 */
public final class InstallationPaths {
    private InstallationPaths() {
    }

    /** {@code file} against {@code home} unless absolute; null and blank stay as they are. */
    public static String resolve(Path home, String file) {
        if (file == null || file.isBlank()) {
            return file;
        }
        Path p = Path.of(file.trim());
        return p.isAbsolute() ? file : home.toAbsolutePath().resolve(p).normalize().toString();
    }

    /** The config with its relative file paths resolved against {@code home}. */
    public static GatewayConfig resolve(Path home, GatewayConfig c) {
        TlsConfig t = c.tls();
        TokenConfig k = c.auth().token();
        AuthConfig a = c.auth();
        List<CronJobConfig> jobs = c.cron().jobs().stream().map(j -> j.exec() == null ? j : withDir(j,
                resolve(home, j.exec().dir() == null ? "." : j.exec().dir()))).toList();
        return c.withCron(new CronConfig(c.cron().workers(), c.cron().history(), jobs)).withTls(new TlsConfig(resolve(home, t.certFile()), resolve(home, t.keyFile()), t.keyPassword(),
                        t.provider(), t.protocols()))
                .withAuth(new AuthConfig(a.connect(), new TokenConfig(k.secret(), resolve(home, k.publicKeyFile()),
                        k.issuer(), k.audience(), k.clockSkew(), k.requireExpiry()), a.allowedOrigins()));
    }

    private static CronJobConfig withDir(CronJobConfig j, String dir) {
        CronJobConfig.Exec e = j.exec();
        return new CronJobConfig(j.name(), j.schedule(), j.every(), j.timezone(), j.runOn(), j.overlap(), j.misfire(),
                j.misfireGrace(), j.jitter(), j.paused(), j.lockAtMostFor(), j.lockAtLeastFor(), j.http(), j.push(),
                new CronJobConfig.Exec(e.command(), dir, e.env(), e.timeout(), e.pushOutput()));
    }
}
