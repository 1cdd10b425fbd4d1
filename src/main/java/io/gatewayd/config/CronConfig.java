package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code cron:} section: scheduled jobs run beside the gateway. Written either as a list of
 * jobs, or as a mapping when the pool size or history length needs changing:
 *
 * <pre>
 * cron:
 *   workers: 4
 *   history: 10
 *   jobs:
 *     - name: ...
 * </pre>
 *
 * @param workers threads that start and finish job runs (never event loop threads); http and
 *                exec runs wait without holding one, timers API callbacks hold one while they run
 * @param history results kept per job (status, duration, exit code or HTTP status, output head)
 * @param jobs    the jobs; names are unique
 */
public record CronConfig(Integer workers, Integer history, List<CronJobConfig> jobs) {
    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public CronConfig {
        if (workers == null) {
            workers = 4;
        }
        ConfigProblem.require(workers >= 1 && workers <= 256, "workers", "must be between 1 and 256, got " + workers);
        if (history == null) {
            history = 10;
        }
        ConfigProblem.require(history >= 1 && history <= 1000, "history", "must be between 1 and 1000, got " + history);
        jobs = jobs == null ? List.of() : jobs;
        requireUniqueNames(jobs, "jobs"); // before List.copyOf, which refuses an empty item with a bare NullPointerException
        jobs = List.copyOf(jobs);
    }

    /** The list form: {@code cron: [ {name: ...}, ... ]}. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static CronConfig ofJobs(List<CronJobConfig> jobs) {
        // checked here first so that a duplicate is named cron[1].name, as written, not cron.jobs[1].name
        requireUniqueNames(jobs == null ? List.of() : jobs, "");
        return new CronConfig(null, null, jobs);
    }

    /** @param list the key of the job list under cron: "jobs", or "" for the list form */
    private static void requireUniqueNames(List<CronJobConfig> jobs, String list) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < jobs.size(); i++) {
            // "- " with nothing after it, or a job whose keys lost their indentation
            ConfigProblem.require(jobs.get(i) != null, list + "[" + i + "]",
                    "is empty; give the job its keys: name, schedule or every, and one action (http, push or exec)");
            ConfigProblem.require(names.add(jobs.get(i).name()), list + "[" + i + "].name",
                    "\"" + jobs.get(i).name() + "\" is used by an earlier job; job names must be unique");
        }
    }

    public static CronConfig defaults() {
        return new CronConfig(null, null, null);
    }

    /** This section with {@code job} added after its jobs; refused if a job already has its name. */
    public CronConfig withJob(CronJobConfig job) {
        List<CronJobConfig> all = new java.util.ArrayList<>(jobs);
        all.add(job);
        return new CronConfig(workers, history, all);
    }

    public CronJobConfig job(String name) {
        return jobs.stream().filter(j -> j.name().equals(name)).findFirst().orElse(null);
    }
}
