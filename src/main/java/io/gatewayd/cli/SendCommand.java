package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.registry.ClientIds;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/** {@code gatewayctl send (--all | --uid U | --group G | --client ID) MESSAGE|-}. */
@Command(name = "send",
        description = {
                "Push a message to clients from the shell and print how many connections it reached.",
                "",
                "Choose the recipients with exactly one of --all, --uid, --group or --client",
                "(the last three can be repeated); --exclude leaves out client ids. MESSAGE",
                "is sent as one text message, as is; \"-\" reads it from standard input (one",
                "trailing newline is removed). Empty standard input is refused, as a failed",
                "command before the pipe leaves it; to push an empty message, pass ''.",
                "Standard input that is not valid UTF-8 is refused too: --binary sends it as",
                "one binary message instead, byte for byte.",
                "",
                "Examples:",
                "  gatewayctl send --uid 42 '{\"type\":\"notice\",\"text\":\"hello\"}'",
                "  gatewayctl send --group room-1 --group room-2 'maintenance in 5 minutes'",
                "  date | gatewayctl send --all -",
                "  gatewayctl send --group room-1 --binary - < frame.bin"})
final class SendCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    HelpOption helpOption;

    @Mixin
    ControlOptions control;

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Recipients (one of):%n")
    Recipients to;

    static final class Recipients {
        @Option(names = "--all", required = true, description = "Every connected client.")
        boolean all;

        @Option(names = "--uid", paramLabel = "UID", required = true,
                description = "Clients bound to this uid (repeatable).")
        List<String> uids;

        @Option(names = "--group", paramLabel = "GROUP", required = true,
                description = "Clients in this group (repeatable).")
        List<String> groups;

        @Option(names = "--client", paramLabel = "CLIENT_ID", required = true,
                description = "This client (repeatable).")
        List<String> clients;
    }

    @Option(names = "--exclude", paramLabel = "CLIENT_ID", description = "Leave out this client (repeatable).")
    List<String> exclude;

    @Option(names = "--binary", description = "Send a binary message: standard input byte for byte (no newline "
            + "removed), or MESSAGE's UTF-8 bytes.")
    boolean binary;

    @Option(names = "--json", description = "Print the result as JSON: {\"delivered\": N}.")
    boolean json;

    @Parameters(index = "0", paramLabel = "MESSAGE", description = "The message; - reads it from standard input.")
    String message;

    private static final int MAX_STDIN = 64 * 1024 * 1024;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        validate();
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        if (binary) {
            byte[] bytes = message.equals("-") ? readStdin() : message.getBytes(StandardCharsets.UTF_8);
            p.put("message_base64", Base64.getEncoder().encodeToString(bytes));
        } else {
            p.put("message", message.equals("-") ? text(readStdin()) : message);
        }
        if (exclude != null && !exclude.isEmpty()) {
            p.set("exclude_client_ids", array(exclude));
        }
        String method;
        if (to.all) {
            method = "sendToAll";
        } else if (to.uids != null) {
            method = "sendToUid";
            p.set("uids", array(to.uids));
        } else if (to.groups != null) {
            method = "sendToGroup";
            p.set("groups", array(to.groups));
        } else {
            method = "sendToAll";
            p.set("client_ids", array(to.clients));
        }
        Target t = control.target(Installation.current(), spec.commandLine().getErr());
        JsonNode r;
        try {
            r = t.client(control.timeout()).call(method, p);
        } catch (ControlClient.NotRunningException e) {
            throw t.probe.running() ? e : t.notRunning();
        }
        long n = r.path("delivered").asLong();
        if (json) {
            out.println("{\"delivered\":" + n + "}");
        } else {
            out.println("delivered to " + n + " connection" + (n == 1 ? "" : "s"));
        }
        out.flush();
        return GatewayCtl.EXIT_OK;
    }

    /** Refuses what the control API would refuse, naming the option rather than the API's field. */
    private void validate() {
        for (String u : to.uids == null ? List.<String>of() : to.uids) {
            requireNonEmpty("--uid", u);
        }
        for (String g : to.groups == null ? List.<String>of() : to.groups) {
            requireNonEmpty("--group", g);
        }
        requireClientIds("--client", to.clients);
        requireClientIds("--exclude", exclude);
    }

    static void requireNonEmpty(String option, String value) {
        if (value != null && value.isEmpty()) {
            throw new CliException(GatewayCtl.EXIT_USAGE, option + " must not be empty");
        }
    }

    private static void requireClientIds(String option, List<String> ids) {
        for (String id : ids == null ? List.<String>of() : ids) {
            if (!ClientIds.isWellFormed(id)) {
                throw new CliException(GatewayCtl.EXIT_USAGE, option + ": \"" + id + "\" is not a client_id (20 hex "
                        + "characters, as `gatewayctl connections` shows them)");
            }
        }
    }

    private static ArrayNode array(List<String> values) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        values.forEach(a::add);
        return a;
    }

    /** All of standard input; empty input is refused (see the command's description). */
    private static byte[] readStdin() {
        byte[] all;
        try {
            all = System.in.readNBytes(MAX_STDIN + 1);
        } catch (IOException e) {
            throw new CliException(GatewayCtl.EXIT_FAILURE, "cannot read standard input: " + e.getMessage());
        }
        if (all.length > MAX_STDIN) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "the message on standard input is larger than 64 MiB");
        }
        // `failing-command | gatewayctl send --all -` must not push an empty message to every client
        if (all.length == 0 || Arrays.equals(all, new byte[] {'\n'}) || Arrays.equals(all, new byte[] {'\r', '\n'})) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "standard input held no message (nothing, or an empty "
                    + "line): nothing sent; to push an empty message, give it as MESSAGE: ''");
        }
        return all;
    }

    /**
     * Standard input as a text message, less one trailing newline. Decoded strictly: a lenient
     * decoder would push U+FFFD in place of every bad byte, and the user piping a file gets
     * neither their bytes nor an error.
     */
    private static String text(byte[] stdin) {
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(stdin)).toString();
        } catch (CharacterCodingException e) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "standard input is not valid UTF-8 text (at byte "
                    + firstBadByte(stdin) + "): nothing sent; to send it as it is, as a binary message, add --binary");
        }
        if (s.endsWith("\r\n")) {
            return s.substring(0, s.length() - 2);
        }
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    /** The 0-based offset of the first byte that does not decode, for the error message. */
    private static long firstBadByte(byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CoderResult r = d.decode(in, CharBuffer.allocate(bytes.length), true);
        return r.isError() ? in.position() : bytes.length;
    }
}
