package io.gatewayd.lifecycle;

import io.gatewayd.GatewayStartException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names the process holding a TCP port, for "port already in use" errors: reads the listening
 * sockets from /proc/net/tcp{,6} and finds the process with that socket among /proc/PID/fd
 * (Linux; processes of other users are visible only to root). Best effort, used only when a
 * start has already failed.
 */
final class PortHolder {
    private static final Pattern IN_USE = Pattern.compile("port (\\d+) is already in use");
    private static final int MAX_PROCESSES = 20_000;

    private PortHolder() {
    }

    /** The same exception, or one whose message also names the holder when it can be found. */
    static GatewayStartException explain(GatewayStartException e) {
        Matcher m = IN_USE.matcher(String.valueOf(e.getMessage()));
        if (!m.find()) {
            return e;
        }
        String holder = describe(Integer.parseInt(m.group(1)));
        if (holder == null) {
            return e;
        }
        return new GatewayStartException(e.getMessage() + "; it is held by " + holder, e);
    }

    /** "pid 123 (java -cp ...)" for the process listening on {@code port}, or null. */
    static String describe(int port) {
        try {
            Set<String> inodes = new HashSet<>();
            for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                Path p = Path.of(table);
                if (!Files.isReadable(p)) {
                    continue;
                }
                for (String line : Files.readAllLines(p, StandardCharsets.US_ASCII)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 10 || !f[3].equals("0A")) { // 0A = LISTEN
                        continue;
                    }
                    int colon = f[1].lastIndexOf(':');
                    if (colon > 0 && Integer.parseInt(f[1].substring(colon + 1), 16) == port && !f[9].equals("0")) {
                        inodes.add("socket:[" + f[9] + "]");
                    }
                }
            }
            if (inodes.isEmpty()) {
                return null;
            }
            int seen = 0;
            try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path proc : procs) {
                    if (++seen > MAX_PROCESSES) {
                        break;
                    }
                    if (holds(proc, inodes)) {
                        return "pid " + proc.getFileName() + " (" + commandLine(proc) + ")";
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    private static boolean holds(Path proc, Set<String> inodes) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return false; // not ours to look at, or gone
        }
        return false;
    }

    private static String commandLine(Path proc) {
        try {
            String cmd = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                    .replaceAll("[\\x00-\\x20]+", " ").trim();
            int main = cmd.indexOf("io.gatewayd.cli.GatewayCtl");
            if (main >= 0) {
                cmd = "gatewayd: gatewayctl" + cmd.substring(main + "io.gatewayd.cli.GatewayCtl".length());
            }
            if (cmd.length() > 120) {
                cmd = cmd.substring(0, 117) + "...";
            }
            return cmd.isEmpty() ? "command unknown" : cmd;
        } catch (IOException e) {
            return "command unknown";
        }
    }
}
