package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code gatewayctl cron list|run|pause|resume}: the running gateway's cron jobs, over the control API. */
@Command(name = "cron",
        description = {"List, run, pause and resume the running gateway's cron jobs.",
                "Pause and resume apply to every process sharing the run directory, or to the",
                "whole cluster, whichever process you talk to."},
        subcommands = {CronCommand.ListJobs.class, CronCommand.Run.class, CronCommand.Pause.class,
                CronCommand.Resume.class},
        footerHeading = "%nExamples:%n",
        footer = {
                "  gatewayctl cron list               name, schedule, next/last run, counters",
                "  gatewayctl cron run report --wait  run the job now and print its result",
                "  gatewayctl cron pause report       pause it in every process until resumed"})
final class CronCommand implements Runnable {
    @Mixin
    HelpOption helpOption;

    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static ObjectNode params(String name) {
        ObjectNode p = JSON.createObjectNode();
        if (name != null && name.isBlank()) { // else the API's own field name would be the message
            throw new CliException(GatewayCtl.EXIT_USAGE, "NAME must not be empty; `gatewayctl cron list` shows the jobs");
        }
        if (name != null) {
            p.put("name", name);
        }
        return p;
    }

    @Command(name = "list",
            description = {"List the jobs with their next and last runs.",
                    "Columns: schedule, time zone, next run, last run and result, duration,",
                    "runs/failures/skips, lock holder; and cancelled runs (overlap: replace, a stop)",
                    "when a job has any."})
    static final class ListJobs implements Callable<Integer> {
        @Mixin
        HelpOption helpOption;

        @Mixin
        ControlOptions control;

        @Option(names = "--json", description = "Print the JSON the control API returns.")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            JsonNode jobs = control.client(Installation.current()).call("cron/list", params(null));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(jobs));
                return GatewayCtl.EXIT_OK;
            }
            if (jobs.isEmpty()) {
                out.println("no cron jobs (add them under cron: in the config and run gatewayctl reload)");
                return GatewayCtl.EXIT_OK;
            }
            // only overlap: replace and a stop cancel runs: a column of zeros would only widen the table
            boolean cancels = false;
            for (JsonNode j : jobs) {
                cancels |= j.path("cancelled").asLong() > 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(columns(cancels, new String[] {"NAME", "SCHEDULE", "TIMEZONE", "NEXT RUN", "LAST RUN", "RESULT",
                    "DURATION", "RUNS", "FAILS"}, "CANCELLED", new String[] {"SKIPS", "LOCK HOLDER"}));
            for (JsonNode j : jobs) {
                JsonNode last = j.path("last_result");
                String result = last.isMissingNode() || last.isNull() ? "-" : last.path("status").asText()
                        + (last.path("code").isNull() ? "" : " (" + last.path("code").asText() + ")");
                rows.add(columns(cancels, new String[] {
                        j.path("name").asText(),
                        j.path("schedule").asText(),
                        text(j.path("timezone")),
                        j.path("paused").asBoolean() ? "paused" : text(j.path("next_run")),
                        local(j.path("last_run"), zone(j)),
                        j.path("running").asInt() > 0 ? "running" : result,
                        last.isMissingNode() || last.isNull() ? "-" : last.path("duration_ms").asLong() + "ms",
                        j.path("runs").asText(),
                        j.path("failures").asText()},
                        Long.toString(j.path("cancelled").asLong()),
                        new String[] {j.path("skips").asText(), text(j.path("lock_holder"))}));
            }
            int[] width = new int[rows.get(0).length];
            for (String[] r : rows) {
                for (int i = 0; i < r.length; i++) {
                    width[i] = Math.max(width[i], r[i].length());
                }
            }
            for (String[] r : rows) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < r.length; i++) {
                    sb.append(i == r.length - 1 ? r[i] : String.format("%-" + (width[i] + 2) + "s", r[i]));
                }
                out.println(sb.toString().stripTrailing());
            }
            return GatewayCtl.EXIT_OK;
        }

        /** A row, with the cancelled runs' cell between {@code before} and {@code after} when shown. */
        private static String[] columns(boolean withCancels, String[] before, String cancels, String[] after) {
            List<String> row = new ArrayList<>(List.of(before));
            if (withCancels) {
                row.add(cancels);
            }
            row.addAll(List.of(after));
            return row.toArray(String[]::new);
        }

        /**
         * The zone to show the last run in: the job's, or for an interval without one (null: it
         * fires at the same instants anywhere) the offset its next run is given in, so the two
         * columns read alike.
         */
        private static java.time.ZoneId zone(JsonNode job) {
            JsonNode zone = job.path("timezone");
            try {
                if (zone.isTextual()) {
                    return java.time.ZoneId.of(zone.asText());
                }
                JsonNode next = job.path("next_run");
                return next.isTextual() ? java.time.OffsetDateTime.parse(next.asText()).getOffset()
                        : java.time.ZoneOffset.UTC;
            } catch (RuntimeException e) { // a zone this JVM does not know: as the server sent it
                return java.time.ZoneOffset.UTC;
            }
        }

        /** An instant as {@code zone} reads it, to the second. */
        private static String local(JsonNode n, java.time.ZoneId zone) {
            if (n == null || n.isNull() || n.isMissingNode()) {
                return "-";
            }
            try {
                return java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(java.time.Instant.parse(n.asText())
                        .atZone(zone).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                        .toOffsetDateTime()); // with ":00" seconds, which toString() leaves out
            } catch (RuntimeException e) {
                return n.asText();
            }
        }

        private static String text(JsonNode n) {
            return n == null || n.isNull() || n.isMissingNode() ? "-" : n.asText();
        }
    }

    @Command(name = "run",
            description = "Run a job now, respecting its overlap policy.")
    static final class Run implements Callable<Integer> {
        @Mixin
        HelpOption helpOption;

        @Mixin
        ControlOptions control;

        @Parameters(paramLabel = "NAME", description = "The job.")
        String name;

        @Option(names = "--wait", description = "Wait for the run to end and print its result "
                + "(exit 1 unless it succeeded).")
        boolean await;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ObjectNode p = params(name);
            p.put("wait", await);
            JsonNode r = control.client(Installation.current()).call("cron/run", p);
            PrintWriter out = spec.commandLine().getOut();
            if (!r.path("started").asBoolean()) {
                throw new CliException(GatewayCtl.EXIT_FAILURE, "cron job " + name + " not started: "
                        + r.path("reason").asText());
            }
            if (!await) {
                out.println("cron job " + name + " started");
                return GatewayCtl.EXIT_OK;
            }
            JsonNode res = r.path("result");
            String status = res.path("status").asText();
            out.println("cron job " + name + ": " + status + " in " + res.path("duration_ms").asLong() + " ms"
                    + (res.path("code").isNull() ? "" : " (code " + res.path("code").asText() + ")"));
            String output = res.path("output").asText("");
            if (!output.isEmpty()) {
                out.println(output.stripTrailing());
            }
            return status.equals("ok") ? GatewayCtl.EXIT_OK : GatewayCtl.EXIT_FAILURE;
        }
    }

    @Command(name = "pause",
            description = {"Pause a job in every process until it is resumed (a run going on finishes).",
                    "Every process sharing the run directory, or the whole cluster, skips its",
                    "runs until then."})
    static final class Pause implements Callable<Integer> {
        @Mixin
        HelpOption helpOption;

        @Mixin
        ControlOptions control;

        @Parameters(paramLabel = "NAME", description = "The job.")
        String name;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return toggle(control, "cron/pause", name, "paused", "was already paused", spec);
        }
    }

    @Command(name = "resume",
            description = "Resume a paused job everywhere, from now (missed runs are not made up).")
    static final class Resume implements Callable<Integer> {
        @Mixin
        HelpOption helpOption;

        @Mixin
        ControlOptions control;

        @Parameters(paramLabel = "NAME", description = "The job.")
        String name;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return toggle(control, "cron/resume", name, "resumed", "was not paused", spec);
        }
    }

    /** pause and resume: one call, then "cron job NAME <done>" or "... <unchanged>". */
    private static int toggle(ControlOptions control, String method, String name, String done, String unchanged,
                              CommandLine.Model.CommandSpec spec) {
        JsonNode r = control.client(Installation.current()).call(method, params(name));
        spec.commandLine().getOut().println("cron job " + name + " " + (r.path("changed").asBoolean() ? done : unchanged));
        return GatewayCtl.EXIT_OK;
    }
}
