package io.gatewayd.config;

import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * A YAML syntax error as one line a user can act on: file, line and column of the problem, what
 * the parser found, and where the construct it was reading began. The parser's own message is
 * several lines of "in 'reader', line 4, column 11:" with an excerpt and a caret, and its first
 * line alone ("while scanning a quoted scalar") says where it was, not what is wrong.
 */
final class YamlSyntaxError {
    private YamlSyntaxError() {
    }

    /** "FILE:LINE:COLUMN: not valid YAML: ...", or null when {@code e} is not a located parser error. */
    static String describe(String sourceName, Throwable e) {
        MarkedYAMLException marked = null;
        for (Throwable c = e; c != null && marked == null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof MarkedYAMLException m) {
                marked = m;
            }
        }
        if (marked == null || marked.getProblemMark() == null || marked.getProblem() == null) {
            return null;
        }
        Mark at = marked.getProblemMark();
        StringBuilder sb = new StringBuilder(sourceName).append(':').append(at.getLine() + 1).append(':')
                .append(at.getColumn() + 1).append(": not valid YAML: ").append(readable(marked.getProblem()));
        Mark from = marked.getContextMark();
        if (marked.getContext() != null && from != null
                && (from.getLine() != at.getLine() || from.getColumn() != at.getColumn())) {
            // e.g. the opening quote of a string that never ends, many lines before the end of the file
            sb.append(" (").append(marked.getContext()).append(" that starts at line ").append(from.getLine() + 1)
                    .append(", column ").append(from.getColumn() + 1).append(')');
        }
        return sb.toString();
    }

    /** The parser's words without its escapes: a tab shows as "\t(TAB)". */
    private static String readable(String problem) {
        String p = problem.replace("'\\t(TAB)'", "TAB").replace("\\t(TAB)", "TAB").strip();
        return p.endsWith(".") && !p.endsWith(")") ? p.substring(0, p.length() - 1) : p;
    }
}
