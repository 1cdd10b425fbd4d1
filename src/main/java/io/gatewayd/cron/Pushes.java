package io.gatewayd.cron;

import io.gatewayd.config.CronJobConfig;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.routing.Router;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** Pushes a job's message or output to its target through the router. */
final class Pushes {
    private Pushes() {
    }

    /** Completes with the number of connections the message was queued to. */
    static CompletableFuture<Long> push(Router router, CronJobConfig.Target to, String text) {
        OutboundMessage m = OutboundMessage.text(text);
        CompletableFuture<Router.Delivered> f = switch (to.kind()) {
            case "group" -> router.sendToGroups(List.of(to.key()), m, Set.of());
            case "uid" -> router.sendToUids(List.of(to.key()), m, Set.of());
            default -> router.sendToAll(m, null, Set.of());
        };
        return f.thenApply(Router.Delivered::count);
    }
}
