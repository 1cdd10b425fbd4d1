package io.gatewayd.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a process is still running, as the kernel sees it. */
public final class Processes {
    private Processes() {
    }

    /**
     * Alive and not a zombie. {@link ProcessHandle#isAlive()} counts an exited process as alive
     * until its parent reaps it (a daemon until init does), and {@link Process#isAlive()} turns
     * false only once the JVM's reaper thread has; where /proc cannot tell (not Linux) their
     * answer stands.
     */
    public static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            int close = stat.lastIndexOf(')'); // the command name in parentheses may hold anything
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return p.isAlive();
        }
    }
}
