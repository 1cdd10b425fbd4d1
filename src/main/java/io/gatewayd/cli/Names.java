package io.gatewayd.cli;

/**
 * Uids and group names as human output shows them. Any string is a valid uid or group, so one
 * with a comma, a space or a quote would read as two values (or as the "-" of none) in a table:
 * those are quoted, JSON style. A long one is cut, so a 10 KB uid does not fill the terminal;
 * --json keeps every value exact.
 */
final class Names {
    /** Characters of a value shown whole; a longer one keeps its first {@link #KEPT}. */
    static final int MAX = 64;
    static final int KEPT = 40;

    private Names() {
    }

    static String show(String name) {
        String s = name;
        String cut = "";
        if (name.length() > MAX) {
            int end = Character.isHighSurrogate(name.charAt(KEPT - 1)) ? KEPT - 1 : KEPT;
            s = name.substring(0, end);
            cut = "...(" + name.codePointCount(0, name.length()) + " characters)";
        }
        return (needsQuotes(name) ? quote(s) : s) + cut;
    }

    private static boolean needsQuotes(String s) {
        if (s.isEmpty() || s.equals("-")) {
            return true;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ',' || c == '"' || c == '\\' || Character.isWhitespace(c) || Character.isISOControl(c)
                    || Character.isSpaceChar(c)) {
                return true;
            }
        }
        return false;
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
