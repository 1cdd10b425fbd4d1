package io.gatewayd.config;

import java.time.ZoneId;
import java.util.Locale;

/** Suggests the time zone a user meant when a {@code timezone} is not one. */
final class TimeZones {
    private TimeZones() {
    }

    /**
     * The zone ID {@code text} most likely meant, or null: the same ID in other letter case, the
     * region Java maps an abbreviation such as PST to, or a region a typo or two away. Only IDs
     * with a region ("Europe/Berln") get the typo guess: "CST" is not "EST" with a typo.
     */
    static String closest(String text) {
        String t = text.trim();
        for (String id : ZoneId.getAvailableZoneIds()) {
            if (id.equalsIgnoreCase(t)) {
                return id;
            }
        }
        String region = ZoneId.SHORT_IDS.get(t.toUpperCase(Locale.ROOT));
        if (region != null) {
            return region;
        }
        if (!t.contains("/")) {
            return null;
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String id : ZoneId.getAvailableZoneIds()) {
            int d = ConfigLoader.editDistance(t, id);
            if (id.contains("/") && d < bestDistance) {
                best = id;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(1, t.length() / 5) ? best : null;
    }
}
