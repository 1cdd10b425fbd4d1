package io.gatewayd.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.auth.Pem;
import io.gatewayd.auth.TokenMinter;
import io.gatewayd.config.ConfigException;
import io.gatewayd.config.Durations;
import io.gatewayd.config.GatewayConfig;
import io.gatewayd.config.TokenConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** {@code gatewayctl token}: mints a connect token that auth.connect: token accepts. */
@Command(name = "token", description = {
        "Print a signed connect token (JWT) for auth.connect: token, for testing and scripts.",
        "",
        "Signs with auth.token.secret of the config (HS256), or with --private-key",
        "(RS256/ES256)."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  gatewayctl token --uid 42 --groups a,b --ttl 1h",
                "  wscat -c \"ws://127.0.0.1:8282/?token=$(gatewayctl token --uid 42)\""})
final class TokenCommand implements Runnable {
    @Mixin
    HelpOption helpOption;

    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--uid", paramLabel = "UID", description = "The uid the connection is bound to (sub claim).")
    String uid;

    @Option(names = "--groups", paramLabel = "A,B", split = ",", description = "Groups the connection joins.")
    List<String> groups;

    @Option(names = "--session", paramLabel = "JSON", description = "Session object, e.g. '{\"name\":\"ann\"}'.")
    String session;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1h",
            description = "Lifetime: 30s, 15m, 1h, ... (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--private-key", paramLabel = "FILE",
            description = "PKCS#8 PEM RSA or EC private key, for RS256/ES256 (instead of the config's secret).")
    String privateKey;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        Duration lifetime;
        try {
            lifetime = Durations.parse(ttl);
        } catch (IllegalArgumentException e) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "--ttl: " + e.getMessage());
        }
        if (lifetime.compareTo(Duration.ofSeconds(1)) < 0) {
            // exp has whole seconds: a shorter lifetime mints a token that is already expired
            throw new CliException(GatewayCtl.EXIT_USAGE, "--ttl must be at least 1s (such as 30s, 15m or 1h), got "
                    + ttl);
        }
        if (uid != null && uid.isEmpty()) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "--uid must not be empty (the gateway refuses a token "
                    + "whose sub is empty); give a uid, or leave --uid out for a token without one");
        }
        Map<String, Object> sessionClaim = null;
        if (session != null) {
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = new ObjectMapper().readValue(session, Map.class);
                sessionClaim = m;
            } catch (Exception e) {
                throw new CliException(GatewayCtl.EXIT_USAGE, "--session must be a JSON object, e.g. '{\"name\":\"ann\"}'");
            }
        }
        TokenMinter minter;
        TokenConfig tc = TokenConfig.defaults();
        if (privateKey != null) {
            try {
                minter = TokenMinter.forPrivateKey(Pem.privateKey(privateKey, "--private-key"));
            } catch (ConfigException e) {
                // Pem speaks of config keys; here the problem is the option, not the configuration
                throw new CliException(GatewayCtl.EXIT_USAGE, e.getMessage());
            }
        } else {
            GatewayConfig config = configOptions.load(Installation.current());
            tc = config.auth().token();
            if (tc.secret() == null) {
                throw new CliException(GatewayCtl.EXIT_USAGE, "the config has no auth.token.secret"
                        + (tc.publicKeyFile() != null ? " (it verifies with public-key-file " + tc.publicKeyFile()
                        + "); pass --private-key with the matching private key" : "; set it, or pass --private-key"));
            }
            minter = TokenMinter.hs256(tc.secret());
        }
        List<String> g = groups == null ? List.of() : Arrays.stream(groups.toArray(String[]::new))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        spec.commandLine().getOut().println(minter.mint(uid, g, sessionClaim, lifetime, tc.issuer(), tc.audience()));
    }
}
