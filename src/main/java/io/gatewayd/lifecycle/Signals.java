package io.gatewayd.lifecycle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSIX signal handlers. Java has no public API for SIGHUP (reload), so this uses
 * {@code sun.misc.Signal} from the jdk.unsupported module, which every JDK since 9 exports for
 * exactly this purpose. Handlers run on a thread the JVM starts per signal, never on an event loop.
 */
final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    /**
     * Installs {@code action} for {@code name} ("TERM", "INT", "HUP"); replaces the JVM's default
     * (which for TERM/INT/HUP would run shutdown hooks and exit).
     *
     * @return false if the signal cannot be handled, e.g. HUP under nohup, which ignores it
     */
    @SuppressWarnings("removal")
    static boolean handle(String name, Runnable action) {
        try {
            sun.misc.SignalHandler previous = sun.misc.Signal.handle(new sun.misc.Signal(name), s -> action.run());
            if (previous == sun.misc.SignalHandler.SIG_IGN) {
                // the JVM leaves a signal the process inherited as ignored (nohup) ignored
                sun.misc.Signal.handle(new sun.misc.Signal(name), sun.misc.SignalHandler.SIG_IGN);
                return false;
            }
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.debug("cannot handle SIG{}: {}", name, e.getMessage());
            return false;
        }
    }
}
