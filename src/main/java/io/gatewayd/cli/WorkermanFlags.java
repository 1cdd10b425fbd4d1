package io.gatewayd.cli;

import java.util.List;
import java.util.Map;

/**
 * Workerman's `php start.php` flags that gatewayctl spells differently or does not need. A
 * GatewayWorker user types them from habit; "Unknown option" alone would not tell them what to
 * type instead.
 */
final class WorkermanFlags {
    private static final Map<String, String> HINTS = Map.of(
            "status -d", "Workerman's `status -d` is `gatewayctl status --watch` (or -w) here",
            "reload -g", "gatewayctl reload always keeps clients connected, so it needs no -g (Workerman's"
                    + " graceful reload): run `gatewayctl reload`");

    private WorkermanFlags() {
    }

    /** The hint for the first Workerman flag among the unmatched arguments of a command, or null. */
    static String hint(String command, List<String> unmatched) {
        for (String arg : unmatched) {
            String hint = HINTS.get(command + " " + arg);
            if (hint != null) {
                return hint;
            }
        }
        return null;
    }
}
