package io.gatewayd.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.gatewayd.config.ByteSize;
import io.gatewayd.config.Durations;
import io.gatewayd.config.GatewayConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/** {@code gatewayctl config check}. */
@Command(name = "config",
        description = "Work with the config file (see `gatewayctl config check`).",
        subcommands = {ConfigCommand.Check.class, HelpCommand.class})
final class ConfigCommand implements Runnable {
    @Mixin
    HelpOption helpOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "check",
            description = {
                    "Validate the config file and print the effective config, secrets masked.",
                    "",
                    "Every key is shown with the value in force, defaults included, after $${VAR}",
                    "substitution; control tokens and other secrets are printed as \"****\". A",
                    "problem is reported with the file, line and key, and exit status 2. A TLS",
                    "certificate that ends within 14 days is a warning on stderr. Run it before",
                    "`gatewayctl reload`."})
    static final class Check implements java.util.concurrent.Callable<Integer> {
        @Mixin
        HelpOption helpOption;

        @Mixin
        ConfigOptions configOptions;

        @Option(names = {"-q", "--quiet"}, description = "Only validate: print nothing when the config is valid, not even a warning.")
        boolean quiet;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            Installation inst = Installation.current();
            Path file = configOptions.file(inst);
            GatewayConfig config = configOptions.load(inst);
            // the files start reads besides the YAML: a missing or unreadable one is a config error too
            java.util.Optional<String> certificateWarning = java.util.Optional.empty();
            try {
                if (config.tls().configured()) {
                    certificateWarning = io.gatewayd.server.ServerTls.check(config.tls());
                }
                if (config.auth().token().configured()) {
                    io.gatewayd.auth.TokenVerifier.create(config.auth().token(), java.time.Clock.systemUTC());
                }
            } catch (io.gatewayd.config.ConfigException e) {
                throw e.in(file);
            }
            if (quiet) {
                return GatewayCtl.EXIT_OK;
            }
            // on stderr, as gatewayctl's other warnings: stdout stays the YAML
            PrintWriter err = spec.commandLine().getErr();
            certificateWarning.ifPresent(w -> err.println("gatewayctl: warning: " + w));
            err.flush();
            PrintWriter out = spec.commandLine().getOut();
            out.println("# " + file.toAbsolutePath().normalize() + " is valid; the effective config (secrets masked):");
            out.print(yaml(config));
            out.flush();
            return GatewayCtl.EXIT_OK;
        }
    }

    private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .addModule(new SimpleModule("gatewayd-config-out")
                    .addSerializer(Duration.class, new JsonSerializer<>() {
                        @Override
                        public void serialize(Duration d, JsonGenerator g, SerializerProvider p) throws IOException {
                            g.writeString(Durations.format(d));
                        }
                    })
                    .addSerializer(ByteSize.class, new JsonSerializer<>() {
                        @Override
                        public void serialize(ByteSize b, JsonGenerator g, SerializerProvider p) throws IOException {
                            g.writeString(b.toString());
                        }
                    }))
            .build();

    /** The config as YAML, with every secret-looking value masked. */
    static String yaml(GatewayConfig config) throws IOException {
        JsonNode tree = YAML.valueToTree(config);
        mask(tree);
        return YAML.writeValueAsString(tree);
    }

    private static void mask(JsonNode node) {
        if (node instanceof ObjectNode o) {
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                if (secret(e.getKey()) && !e.getValue().isObject()) { // auth.token is a section, not a secret
                    e.setValue(masked(e.getValue()));
                } else if (e.getValue().isTextual() && e.getValue().asText().contains("@")) {
                    // credentials in a URL: cluster.redis, a webhook or cron URL with user:password@
                    e.setValue(com.fasterxml.jackson.databind.node.TextNode.valueOf(
                            io.gatewayd.config.ClusterConfig.redactedUrl(e.getValue().asText())));
                } else {
                    mask(e.getValue());
                }
            }
        } else if (node instanceof ArrayNode a) {
            a.forEach(ConfigCommand::mask);
        }
    }

    private static boolean secret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return (k.contains("token") || k.contains("secret") || k.contains("password") || k.endsWith("private-key"))
                && !k.endsWith("-env") && !k.endsWith("-file");
    }

    private static JsonNode masked(JsonNode v) {
        if (v instanceof ArrayNode a) {
            ArrayNode out = a.arrayNode();
            a.forEach(x -> out.add("****"));
            return out;
        }
        return v.isNull() ? v : com.fasterxml.jackson.databind.node.TextNode.valueOf("****");
    }
}
