package io.gatewayd.cron;

import io.gatewayd.config.CronJobConfig;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.routing.MessageTooLargeException;
import io.gatewayd.routing.Router;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongFunction;

/** Pushes a job's message or output to its target through the router. */
final class Pushes {
    private Pushes() {
    }

    /**
     * Pushes {@code text}; the run's outcome is {@code ok} applied to the number of connections it
     * was queued to. A message no client could take fails the run with the router's reason
     * (size, limit, fix) and HTTP-ish {@code code} kept, rather than as an unexpected error.
     */
    static CompletableFuture<JobAction.Outcome> push(Router router, CronJobConfig.Target to, String text,
                                                     Integer code, LongFunction<JobAction.Outcome> ok) {
        OutboundMessage m = OutboundMessage.text(text);
        CompletableFuture<Router.Delivered> f = switch (to.kind()) {
            case "group" -> router.sendToGroups(List.of(to.key()), m, Set.of());
            case "uid" -> router.sendToUids(List.of(to.key()), m, Set.of());
            default -> router.sendToAll(m, null, Set.of());
        };
        return f.handle((d, err) -> {
            if (err == null) {
                return ok.apply(d.count());
            }
            Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            if (t instanceof MessageTooLargeException) {
                return JobAction.Outcome.failed(code, "not pushed to " + (to.key() == null ? to.kind() : to.kind() + ":" + to.key()) + ": " + t.getMessage());
            }
            throw err instanceof CompletionException ce ? ce : new CompletionException(err);
        });
    }
}
