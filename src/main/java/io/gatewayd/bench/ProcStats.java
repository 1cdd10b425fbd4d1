package io.gatewayd.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU and memory figures from Linux's /proc: of the gateway process when it runs on this machine,
 * of this process, and of the whole machine. Every reader returns -1 when the figure is not
 * available (another OS, another machine, no permission).
 */
final class ProcStats {
    /** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream build. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    /** user + system CPU seconds of a process (all its threads), or -1. */
    static double cpuSeconds(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            // the command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // f[0] is field 3 (state): utime is field 14, stime field 15
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** CPU seconds this JVM has used, or -1. */
    static double ownCpuSeconds() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            long ns = sun.getProcessCpuTime();
            return ns < 0 ? -1 : ns / 1e9;
        }
        return -1;
    }

    /** Proportional set size of a process in KiB (shared pages divided among their users), or -1. */
    static long pssKib(long pid) {
        return field(pid <= 0 ? null : Path.of("/proc/" + pid + "/smaps_rollup"), "Pss:");
    }

    /** Resident set size of a process in KiB, or -1. */
    static long rssKib(long pid) {
        return field(pid <= 0 ? null : Path.of("/proc/" + pid + "/status"), "VmRSS:");
    }

    private static long field(Path file, String name) {
        if (file == null) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Soft limit on open files of this process, or -1. */
    static long maxFileDescriptors() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return -1;
    }

    static long openFileDescriptors() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getOpenFileDescriptorCount();
        }
        return -1;
    }

    /** Busy and total jiffies of all CPUs together (/proc/stat), or null. */
    static long[] machineTicks() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).get(0);
            String[] f = first.trim().split("\\s+");
            long total = 0;
            long idle = 0;
            for (int i = 1; i < f.length; i++) {
                long v = Long.parseLong(f[i]);
                if (i <= 8) { // user nice system idle iowait irq softirq steal (guest time is already in user)
                    total += v;
                }
                if (i == 4 || i == 5) {
                    idle += v;
                }
            }
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether /proc/PID is a gateway process: its command line names gatewayd's classes or jar. */
    static boolean looksLikeGateway(long pid) {
        try {
            byte[] cmd = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            String s = new String(cmd, StandardCharsets.UTF_8);
            return s.contains("gatewayd") || s.contains("io.gatewayd");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
