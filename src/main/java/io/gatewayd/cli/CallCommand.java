package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.List;

/** {@code gatewayctl call METHOD [key=value...] [--data JSON]}. */
@Command(name = "call",
        description = {
                "Call any control API method and print its JSON result (for scripts and debugging).",
                "",
                "Parameters are key=value (a string) or key:=JSON (any JSON value:",
                "numbers, lists, objects), merged over the object given with --data.",
                "`gatewayctl call methods` lists every method with its parameters;",
                "`call status` prints /api/status.",
                "",
                "Examples:",
                "  gatewayctl call getAllClientIdCount",
                "  gatewayctl call bindUid client_id=7f000001205bc4d67599 uid=42",
                "  gatewayctl call sendToUid uids:='[\"1\",\"2\"]' message=hi",
                "  gatewayctl call isUidsOnline --data '{\"uids\":[1,2,3]}'"})
final class CallCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    HelpOption helpOption;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One JSON value and nothing after it, as the control API reads a body: "a:=1 2" is refused
     * rather than sent as 1 with the rest dropped.
     */
    private static JsonNode oneValue(String text) throws java.io.IOException {
        try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(text)) {
            JsonNode v = JSON.readTree(p);
            if (v == null) {
                throw new com.fasterxml.jackson.core.JsonParseException(p, "there is no JSON value");
            }
            if (p.nextToken() != null) {
                throw new com.fasterxml.jackson.core.JsonParseException(p, "more data after the JSON value");
            }
            return v;
        }
    }

    @Mixin
    ControlOptions control;

    @Parameters(index = "0", paramLabel = "METHOD", description = "The API method, e.g. sendToUid or admin/connections.")
    String method;

    @Parameters(index = "1..*", paramLabel = "PARAM", description = "key=value (string) or key:=JSON (any JSON value).")
    List<String> params;

    @Option(names = "--data", paramLabel = "JSON", description = "All parameters as one JSON object.")
    String data;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        if (data != null) {
            JsonNode d;
            try {
                d = oneValue(data);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CliException(GatewayCtl.EXIT_USAGE, "--data is not valid JSON: "
                        + io.gatewayd.api.JsonErrors.clean(e.getOriginalMessage()));
            }
            if (!(d instanceof ObjectNode o)) {
                throw new CliException(GatewayCtl.EXIT_USAGE, "--data must be a JSON object such as {\"uid\":\"42\"}");
            }
            p.setAll(o);
        }
        if (params != null) {
            for (String kv : params) {
                int json = kv.indexOf(":=");
                int eq = kv.indexOf('=');
                if (json > 0 && json < eq) {
                    String value = kv.substring(json + 2);
                    try {
                        p.set(kv.substring(0, json), oneValue(value));
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        throw new CliException(GatewayCtl.EXIT_USAGE, "\"" + kv + "\": the value after := is not "
                                + "valid JSON (" + io.gatewayd.api.JsonErrors.clean(e.getOriginalMessage())
                                + "); quote it for the shell: " + kv.substring(0, json) + ":='[\"a\",\"b\"]'");
                    }
                } else if (eq > 0) {
                    p.put(kv.substring(0, eq), kv.substring(eq + 1));
                } else {
                    throw new CliException(GatewayCtl.EXIT_USAGE, "\"" + kv + "\" is not key=value or key:=JSON");
                }
            }
        }
        Target t = control.target(Installation.current(), spec.commandLine().getErr());
        ControlClient client;
        JsonNode r;
        try {
            client = t.client(control.timeout());
            if ((method.equals("status") || method.equals("methods")) && p.isEmpty()) {
                r = client.get("/api/" + method);
            } else {
                r = client.call(method, p);
            }
        } catch (ControlClient.NotRunningException e) {
            throw t.probe.running() ? e : t.notRunning();
        }
        out.println(r == null ? "null" : r.isContainerNode() ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r)
                : r.toString());
        out.flush();
        return GatewayCtl.EXIT_OK;
    }
}

