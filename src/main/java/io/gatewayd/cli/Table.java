package io.gatewayd.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A plain-text table with aligned columns: numbers right-aligned, text left-aligned. */
final class Table {
    private final String[] headers;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    /** Headers ending in ">" are right-aligned (the ">" is not printed). */
    Table(String... headers) {
        this.headers = new String[headers.length];
        this.right = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            right[i] = headers[i].endsWith(">");
            this.headers[i] = right[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
        }
    }

    Table row(Object... cells) {
        String[] r = new String[headers.length];
        for (int i = 0; i < r.length; i++) {
            Object c = i < cells.length ? cells[i] : null;
            r[i] = c == null ? "-" : c.toString();
        }
        rows.add(r);
        return this;
    }

    int size() {
        return rows.size();
    }

    void print(PrintWriter out) {
        int[] w = new int[headers.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = headers[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        line(out, headers, w);
        for (String[] r : rows) {
            line(out, r, w);
        }
    }

    private void line(PrintWriter out, String[] cells, int[] w) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            String c = cells[i];
            if (right[i]) {
                sb.append(" ".repeat(w[i] - c.length())).append(c);
            } else {
                sb.append(c);
                if (!last) {
                    sb.append(" ".repeat(w[i] - c.length()));
                }
            }
            if (!last) {
                sb.append("  ");
            }
        }
        out.println(sb.toString().stripTrailing());
    }

    /** Key/value lines with the keys padded to one width. */
    static void keyValues(PrintWriter out, String[][] pairs) {
        int w = Arrays.stream(pairs).mapToInt(p -> p[0].length()).max().orElse(0);
        for (String[] p : pairs) {
            if (p[0].isEmpty()) {
                out.println();
            } else if (p[1] != null) {
                out.println(p[0] + " ".repeat(w - p[0].length() + 2) + p[1]);
            }
        }
    }
}
