package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.gatewayd.cron.Schedule;
import io.gatewayd.cron.Schedules;

import java.net.URI;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One cron job: when ({@code schedule} or {@code every}), what (exactly one of {@code http},
 * {@code push}, {@code exec}) and how (run-on, overlap, misfire, jitter, lock).
 *
 * @param name           unique; letters, digits, '.', '_' and '-' (it names the lock file)
 * @param schedule       cron expression (5 or 6 fields), macro, or "@every 10s"
 * @param every          an interval instead of {@code schedule}
 * @param timezone       zone of the cron expression (default: the server's)
 * @param runOn          one (default: once per tick across processes sharing the run dir) or each
 * @param overlap        forbid (default), allow, replace
 * @param misfire        skip (default) or run-once, for a tick that could not start in time
 * @param misfireGrace   how late a tick may start and still count as on time (default 5s)
 * @param jitter         random delay up to this long before each run (default 0)
 * @param paused         start paused (default false)
 * @param lockAtMostFor  a run-on: one lease is released after this even if the run goes on (default 15m)
 * @param lockAtLeastFor a claimed tick stays claimed at least this long (default 0)
 */
public record CronJobConfig(String name, String schedule, Duration every, String timezone, RunOn runOn,
                            Overlap overlap, Misfire misfire, Duration misfireGrace, Duration jitter,
                            Boolean paused, Duration lockAtMostFor, Duration lockAtLeastFor,
                            Http http, Push push, Exec exec) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Placeholders of push messages and of http url, headers and body. */
    public static final Set<String> PLACEHOLDERS = Set.of("job", "time", "timestamp");

    public CronJobConfig {
        ConfigProblem.require(name != null && !name.isBlank(), "name", "is missing; every job needs a name");
        ConfigProblem.require(NAME.matcher(name).matches(), "name", "\"" + name + "\" may only contain letters, "
                + "digits, '.', '_' and '-' (it names the job's lock file), at most 64 characters");
        String job = "job \"" + name + "\": ";
        ConfigProblem.require(schedule != null || every != null, "schedule",
                "is missing; " + job + "set schedule (a cron expression, e.g. \"*/10 * * * * *\") or every (e.g. 30s)");
        ConfigProblem.require(schedule == null || every == null, "every",
                "conflicts with schedule; " + job + "set either schedule or every, not both");
        Schedule parsed;
        try {
            parsed = schedule != null ? Schedules.parse(schedule) : Schedules.every(every);
        } catch (IllegalArgumentException e) {
            throw new ConfigProblem(schedule != null ? "schedule" : "every", "is invalid: " + job + e.getMessage());
        }
        if (timezone != null) {
            try {
                ZoneId.of(timezone);
            } catch (DateTimeException e) {
                String meant = TimeZones.closest(timezone);
                throw new ConfigProblem("timezone", "\"" + timezone + "\" is not a time zone; " + job
                        + (meant != null ? "did you mean \"" + meant + "\"?" : "use a region such as Europe/Berlin, or UTC"));
            }
        }
        runOn = runOn == null ? RunOn.ONE : runOn;
        overlap = overlap == null ? Overlap.FORBID : overlap;
        misfire = misfire == null ? Misfire.SKIP : misfire;
        misfireGrace = misfireGrace == null ? Duration.ofSeconds(5) : misfireGrace;
        jitter = jitter == null ? Duration.ZERO : jitter;
        // a run delayed past the job's next time would make that time look missed, every time
        if (!jitter.isZero()) {
            Duration gap = Schedules.shortestGap(parsed);
            if (jitter.compareTo(gap) >= 0) {
                String what = Schedules.intervalOf(parsed) != null ? "the job's interval"
                        : "the shortest gap between the job's times";
                throw new ConfigProblem("jitter", Durations.format(jitter) + " is not shorter than " + what + " ("
                        + Durations.format(gap) + "); " + job + "set jitter below " + Durations.format(gap)
                        + ", or a run starts after the job's next time");
            }
        }
        paused = paused != null && paused;
        lockAtMostFor = lockAtMostFor == null ? Duration.ofMinutes(15) : lockAtMostFor;
        lockAtLeastFor = lockAtLeastFor == null ? Duration.ZERO : lockAtLeastFor;
        ConfigProblem.require(lockAtMostFor.toMillis() >= 1000, "lock-at-most-for", "must be at least 1s");
        ConfigProblem.require(lockAtLeastFor.compareTo(lockAtMostFor) <= 0, "lock-at-least-for",
                "must not be longer than lock-at-most-for (" + Durations.format(lockAtMostFor) + ")");
        int actions = (http != null ? 1 : 0) + (push != null ? 1 : 0) + (exec != null ? 1 : 0);
        ConfigProblem.require(actions == 1, actions == 0 ? "http" : "exec", actions == 0
                ? "is missing; " + job + "set exactly one action: http, push or exec"
                : "conflicts; " + job + "set exactly one action: http, push or exec");
    }

    /**
     * A job built in code, with the config file's defaults for whatever is not set; {@link Builder#build()}
     * validates it as loading would:
     *
     * <pre>{@code
     * CronJobConfig tick = CronJobConfig.builder("tick").every(Duration.ofSeconds(30))
     *         .push("group:lobby", "tick at ${time}").build();
     * }</pre>
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Collects a job's settings; null (never set) means the config file's default. */
    public static final class Builder {
        private final String name;
        private String schedule;
        private Duration every;
        private String timezone;
        private RunOn runOn;
        private Overlap overlap;
        private Misfire misfire;
        private Duration misfireGrace;
        private Duration jitter;
        private Boolean paused;
        private Duration lockAtMostFor;
        private Duration lockAtLeastFor;
        private Http http;
        private Push push;
        private Exec exec;

        private Builder(String name) {
            this.name = name;
        }

        /** A cron expression (5 or 6 fields), a macro such as {@code @hourly}, or {@code @every 10s}. */
        public Builder schedule(String cron) {
            this.schedule = cron;
            return this;
        }

        /** Runs at this interval instead of a {@link #schedule}. */
        public Builder every(Duration interval) {
            this.every = interval;
            return this;
        }

        /** Zone of the cron expression, e.g. {@code Europe/Berlin} (default: the server's). */
        public Builder timezone(String zone) {
            this.timezone = zone;
            return this;
        }

        public Builder runOn(RunOn v) {
            this.runOn = v;
            return this;
        }

        public Builder overlap(Overlap v) {
            this.overlap = v;
            return this;
        }

        public Builder misfire(Misfire v) {
            this.misfire = v;
            return this;
        }

        public Builder misfireGrace(Duration v) {
            this.misfireGrace = v;
            return this;
        }

        public Builder jitter(Duration v) {
            this.jitter = v;
            return this;
        }

        public Builder paused(boolean v) {
            this.paused = v;
            return this;
        }

        public Builder lockAtMostFor(Duration v) {
            this.lockAtMostFor = v;
            return this;
        }

        public Builder lockAtLeastFor(Duration v) {
            this.lockAtLeastFor = v;
            return this;
        }

        /** Pushes {@code message} (may use ${job}, ${time}, ${timestamp}) to all, group:NAME or uid:UID. */
        public Builder push(String to, String message) {
            this.push = new Push(to, message);
            return this;
        }

        /** GETs {@code url} with the default timeout; {@link #http(Http)} for method, body and more. */
        public Builder http(String url) {
            return http(new Http(null, url, null, null, null, null));
        }

        public Builder http(Http v) {
            this.http = v;
            return this;
        }

        /** Runs a program (no shell), first the program then its arguments; {@link #exec(Exec)} for more. */
        public Builder exec(String... command) {
            return exec(new Exec(command == null ? null : java.util.Arrays.asList(command), null, null, null, null));
        }

        public Builder exec(Exec v) {
            this.exec = v;
            return this;
        }

        /** The job, validated: a {@link ConfigException} names the setting that is wrong and how to fix it. */
        public CronJobConfig build() {
            return new CronJobConfig(name, schedule, every, timezone, runOn, overlap, misfire, misfireGrace, jitter,
                    paused, lockAtMostFor, lockAtLeastFor, http, push, exec);
        }
    }

    /** The parsed schedule. */
    public Schedule parsedSchedule() {
        return schedule != null ? Schedules.parse(schedule) : Schedules.every(every);
    }

    /** The configured zone, or the server's. */
    public ZoneId zone() {
        return timezone == null ? ZoneId.systemDefault() : ZoneId.of(timezone);
    }

    /** How the schedule reads in listings. */
    public String scheduleText() {
        return schedule != null ? schedule : "every " + Durations.format(every);
    }

    /** Who gets a pushed message: {@code all}, {@code group:NAME} or {@code uid:UID}. */
    public record Target(String kind, String key) {
        static Target parse(String text, String field) {
            String t = text == null ? "" : text.trim();
            if (t.equals("all")) {
                return new Target("all", null);
            }
            int colon = t.indexOf(':');
            if (colon > 0 && colon < t.length() - 1) {
                String kind = t.substring(0, colon);
                if (kind.equals("group") || kind.equals("uid")) {
                    return new Target(kind, t.substring(colon + 1));
                }
            }
            throw new ConfigProblem(field, "\"" + text + "\" is not a target; expected all, group:NAME or uid:UID");
        }

        @Override
        public String toString() {
            return key == null ? kind : kind + ":" + key;
        }
    }

    /**
     * Calls a backend: GatewayWorker's timer that requests {@code /?s=App.Task.Run}.
     *
     * @param method       GET (default), POST, PUT, PATCH, DELETE, HEAD
     * @param url          http:// or https://; may use ${job}, ${time}, ${timestamp}
     * @param headers      request headers (values may use the placeholders)
     * @param body         request body (may use the placeholders)
     * @param timeout      whole-request timeout (default 30s)
     * @param pushResponse push a 2xx response body to all, group:NAME or uid:UID
     */
    public record Http(String method, String url, Map<String, String> headers, String body, Duration timeout,
                       String pushResponse) {
        private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");

        public Http {
            method = method == null ? "GET" : method.toUpperCase(Locale.ROOT);
            ConfigProblem.require(METHODS.contains(method), "method", "\"" + method + "\" is not one of "
                    + METHODS.stream().sorted().collect(Collectors.joining(", ")));
            ConfigProblem.require(url != null && !url.isBlank(), "url", "is missing; e.g. url: http://127.0.0.1/?s=App.Task.Run");
            template(url, "url");
            try {
                URI u = URI.create(url.replace("${", "").replace("}", ""));
                ConfigProblem.require(("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))
                        && u.getHost() != null, "url", "\"" + url + "\" must be an http:// or https:// URL with a host");
            } catch (IllegalArgumentException e) {
                throw new ConfigProblem("url", "\"" + url + "\" is not a URL: " + e.getMessage());
            }
            // checked before Map.copyOf, which refuses a null value with a bare NullPointerException
            if (headers != null) {
                headers.forEach((k, v) -> {
                    ConfigProblem.require(v != null, "headers." + k, "has no value");
                    template(v, "headers." + k);
                });
            }
            headers = headers == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(headers));
            if (body != null) {
                template(body, "body");
            }
            timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
            ConfigProblem.require(timeout.toMillis() >= 1, "timeout", "must be positive");
            if (pushResponse != null) {
                Target.parse(pushResponse, "push-response");
            }
        }

        public Target pushTarget() {
            return pushResponse == null ? null : Target.parse(pushResponse, "push-response");
        }
    }

    /**
     * Pushes a message: a server-side heartbeat or announcement.
     *
     * @param to      all (default), group:NAME or uid:UID
     * @param message template with ${job}, ${time} (ISO-8601 in the job's zone), ${timestamp} (unix seconds)
     */
    public record Push(String to, String message) {
        public Push {
            to = to == null ? "all" : to;
            Target.parse(to, "to");
            ConfigProblem.require(message != null && !message.isEmpty(), "message", "is missing");
            template(message, "message");
        }

        public Target target() {
            return Target.parse(to, "to");
        }
    }

    /**
     * Runs a command (no shell: argv as given; use ["sh", "-c", "..."] for one).
     *
     * @param command    argv, first the program
     * @param dir        working directory (default: the gateway's when embedded; gatewayctl, jsvc and
     *                   the daemon resolve it, and a relative one, against the installation directory)
     * @param env        extra environment variables
     * @param timeout    the process (and its children) is killed after this (default 5m)
     * @param pushOutput push the output of a successful run to all, group:NAME or uid:UID
     */
    public record Exec(List<String> command, String dir, Map<String, String> env, Duration timeout,
                       String pushOutput) {
        public Exec {
            ConfigProblem.require(command != null && !command.isEmpty() && command.get(0) != null
                    && !command.get(0).isBlank(), "command", "is missing; e.g. command: [\"php\", \"task.php\"]");
            command = List.copyOf(command);
            env = env == null ? Map.of() : Map.copyOf(env);
            timeout = timeout == null ? Duration.ofMinutes(5) : timeout;
            ConfigProblem.require(timeout.toMillis() >= 1, "timeout", "must be positive");
            if (pushOutput != null) {
                Target.parse(pushOutput, "push-output");
            }
        }

        public Target pushTarget() {
            return pushOutput == null ? null : Target.parse(pushOutput, "push-output");
        }
    }

    static MessageTemplate template(String text, String field) {
        try {
            return MessageTemplate.parse(text, PLACEHOLDERS);
        } catch (IllegalArgumentException e) {
            throw new ConfigProblem(field, e.getMessage());
        }
    }

    /** Parses a template already validated by the config. */
    public static MessageTemplate templateOf(String text) {
        return MessageTemplate.parse(text, PLACEHOLDERS);
    }

    public enum RunOn {
        /** Once per tick across every process sharing the run directory (default). */
        ONE("one"),
        /** In every process (Workerman's behaviour; per-process housekeeping). */
        EACH("each");

        private final String configName;

        RunOn(String configName) {
            this.configName = configName;
        }

        @JsonValue
        public String configName() {
            return configName;
        }

        @JsonCreator
        public static RunOn fromConfig(String name) {
            return ConfigEnums.parse(values(), name, RunOn::configName, "value");
        }
    }

    public enum Overlap {
        /** A tick that comes while the previous run goes on is skipped and counted (default). */
        FORBID("forbid"),
        /** Runs may overlap. */
        ALLOW("allow"),
        /** The running one is cancelled, then the new one starts. */
        REPLACE("replace");

        private final String configName;

        Overlap(String configName) {
            this.configName = configName;
        }

        @JsonValue
        public String configName() {
            return configName;
        }

        @JsonCreator
        public static Overlap fromConfig(String name) {
            return ConfigEnums.parse(values(), name, Overlap::configName, "value");
        }
    }

    public enum Misfire {
        /** A tick that could not start within misfire-grace is skipped (default). */
        SKIP("skip"),
        /** Missed ticks cause one run as soon as possible (never a burst of catch-up runs). */
        RUN_ONCE("run-once");

        private final String configName;

        Misfire(String configName) {
            this.configName = configName;
        }

        @JsonValue
        public String configName() {
            return configName;
        }

        @JsonCreator
        public static Misfire fromConfig(String name) {
            return ConfigEnums.parse(values(), name, Misfire::configName, "value");
        }
    }
}
