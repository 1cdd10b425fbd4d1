package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.lifecycle.AdminApi;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** {@code gatewayctl connections [--uid U] [--group G] [--limit N] [--json]}. */
@Command(name = "connections",
        description = {
                "List the connected clients, one row each, oldest first.",
                "",
                "Columns: client_id, protocol, remote address, bound uid, groups, connected for,",
                "idle for (since its last message or ping), messages and bytes in and out, and",
                "bytes waiting to be sent to it (pending; a slow reader grows this until",
                "outbound.max-pending-bytes closes it)."})
final class ConnectionsCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    HelpOption helpOption;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ControlOptions control;

    @Option(names = "--uid", paramLabel = "UID", description = "Only the connections bound to this uid.")
    String uid;

    @Option(names = "--group", paramLabel = "GROUP", description = "Only the connections in this group.")
    String group;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "1000",
            description = "Show at most N connections (default: ${DEFAULT-VALUE}; at most 100000).")
    @Bounds(min = "1", max = "" + AdminApi.MAX_LIMIT)
    int limit;

    @Option(names = "--json", description = "Print the control API's admin/connections result as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        SendCommand.requireNonEmpty("--uid", uid);
        SendCommand.requireNonEmpty("--group", group);
        Target t = control.target(Installation.current(), spec.commandLine().getErr());
        ObjectNode params = JsonNodeFactory.instance.objectNode();
        if (uid != null) {
            params.put("uid", uid);
        }
        if (group != null) {
            params.put("group", group);
        }
        params.put("limit", limit);
        JsonNode r;
        try {
            r = t.client(control.timeout()).call("admin/connections", params);
        } catch (ControlClient.NotRunningException e) {
            throw t.probe.running() ? e : t.notRunning();
        }
        if (json) {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
            out.flush();
            return GatewayCtl.EXIT_OK;
        }
        Table table = new Table("CLIENT_ID", "PROTO", "REMOTE", "UID", "GROUPS", "CONNECTED>", "IDLE>", "MSG_IN>",
                "MSG_OUT>", "BYTES_IN>", "BYTES_OUT>", "PENDING>");
        for (JsonNode c : r.path("connections")) {
            StringBuilder groups = new StringBuilder();
            for (JsonNode g : c.path("groups")) {
                groups.append(groups.length() == 0 ? "" : ",").append(Names.show(g.asText()));
            }
            table.row(c.path("client_id").asText(), c.path("protocol").asText(), c.path("remote").asText("-"),
                    c.hasNonNull("uid") ? Names.show(c.path("uid").asText()) : "-",
                    groups.length() == 0 ? "-" : groups,
                    Format.duration(c.path("connected_s").asLong()), Format.duration(c.path("idle_s").asLong()),
                    c.path("messages_in").asLong(), c.path("messages_out").asLong(),
                    Format.bytes(c.path("bytes_in").asLong()), Format.bytes(c.path("bytes_out").asLong()),
                    Format.bytes(c.path("pending_bytes").asLong()));
        }
        long total = r.path("total").asLong();
        if (table.size() > 0) {
            table.print(out);
        }
        out.println(total + " connection" + (total == 1 ? "" : "s")
                + (uid != null ? " with uid " + Names.show(uid) : "")
                + (group != null ? " in group " + Names.show(group) : "")
                + (table.size() < total ? " (showing " + table.size() + "; raise --limit for more)" : ""));
        out.flush();
        return GatewayCtl.EXIT_OK;
    }
}
