package io.gatewayd.cron;

import io.gatewayd.config.CronJobConfig;
import io.gatewayd.config.MessageTemplate;
import io.gatewayd.routing.Router;

import java.util.concurrent.CompletableFuture;

/** {@code push:} renders the message template and pushes it. */
final class PushJobAction implements JobAction {
    private final Router router;
    private final CronJobConfig.Target to;
    private final MessageTemplate message;

    PushJobAction(Router router, CronJobConfig.Push config) {
        this.router = router;
        this.to = config.target();
        this.message = CronJobConfig.templateOf(config.message());
    }

    @Override
    public CompletableFuture<Outcome> start(RunContext ctx) {
        return Pushes.push(router, to, message.render(ctx.placeholders()), null,
                n -> Outcome.ok(null, "delivered to " + n + " connection" + (n == 1 ? "" : "s")));
    }
}
