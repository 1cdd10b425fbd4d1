package io.gatewayd.cluster;

/**
 * Redis key and channel names, all under one prefix ({@code cluster.key-prefix}).
 *
 * <pre>
 * P:nodes                      HASH node id -> mirror generation (registration; janitor removes dead ones)
 * P:node:ID                    HASH the node's heartbeat: gen, boot, pid, host, control, counts (TTL node-ttl)
 * P:m:ID:GEN:c                 HASH client_id -> bound uid ("" if none)          (TTL mirror-ttl)
 * P:m:ID:GEN:u                 HASH uid -> its client ids on the node, space-separated
 * P:m:ID:GEN:gs                SET groups with a member on the node
 * P:m:ID:GEN:g:GROUP           SET client ids of that group on the node
 * P:ch:all                     broadcast channel (every node)
 * P:ch:u:UID / P:ch:g:GROUP    interest channels (nodes holding a member)
 * P:ch:n:ID                    the node's own channel (requests, replies, reports, probes)
 * P:ch:ctl                     membership announcements
 * P:cron:JOB:tick / :lease     cron run-on: one lock;  P:janitor  janitor lock
 * </pre>
 * A node writes only keys with its own ID; GEN changes whenever it rewrites its whole mirror, so
 * readers never mix an old and a new mirror.
 */
final class Keys {
    private final String p;

    Keys(String prefix) {
        this.p = prefix;
    }

    String nodes() {
        return p + ":nodes";
    }

    String node(String id) {
        return p + ":node:" + id;
    }

    String mirror(String id, String gen) {
        return p + ":m:" + id + ":" + gen + ":";
    }

    /** SCAN pattern of every mirror key of a node, any generation. */
    String mirrorPattern(String id) {
        return p + ":m:" + id + ":*";
    }

    static String clients(String mirror) {
        return mirror + "c";
    }

    /** HASH uid -> the node's client ids of that uid, space-separated. */
    static String uids(String mirror) {
        return mirror + "u";
    }

    static String groupSet(String mirror) {
        return mirror + "gs";
    }

    static String group(String mirror, String group) {
        return mirror + "g:" + group;
    }

    String all() {
        return p + ":ch:all";
    }

    String uidChannel(String uid) {
        return p + ":ch:u:" + uid;
    }

    String groupChannel(String group) {
        return p + ":ch:g:" + group;
    }

    String nodeChannel(String id) {
        return p + ":ch:n:" + id;
    }

    String control() {
        return p + ":ch:ctl";
    }

    String cronTick(String job) {
        return p + ":cron:" + job + ":tick";
    }

    String cronLease(String job) {
        return p + ":cron:" + job + ":lease";
    }

    String cronPaused(String job) {
        return p + ":cron:" + job + ":paused";
    }

    String janitorLock() {
        return p + ":janitor";
    }
}
