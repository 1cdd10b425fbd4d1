package io.gatewayd.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;

import java.util.regex.Pattern;

/**
 * Jackson's parse errors in the words of the API: the problem, without the parser's source
 * description ("[Source: REDACTED ...]") or the names of its features and limits. Only runs
 * when a request is refused.
 */
public final class JsonErrors {
    /** "(for Object starting at [Source: ...; line: 1, column: 1])", "(start marker at [Source: ...])". */
    private static final Pattern START_MARKER = Pattern.compile("\\s*\\((?:for \\w+ starting|start marker) at \\[Source:[^\\]]*\\]\\)");
    private static final Pattern ENABLE_FEATURE = Pattern.compile(":?\\s*enable `[^`]*` to allow");
    private static final Pattern FEATURE_NOTE = Pattern.compile("\\s*\\(not recognized as one since Feature '[^']*' not enabled for parser\\)");
    private static final Pattern SOURCE = Pattern.compile("\\s*\\[Source:[^\\]]*\\]");
    private static final Pattern BACKTICKED = Pattern.compile("\\s*\\(?(?:from )?`[^`]*(?:Feature|Constraints)[^`]*`\\)?");

    private static final Pattern DUPLICATE = Pattern.compile("Duplicate (?:field|Object property) '(.*)'");
    private static final Pattern LIMIT = Pattern.compile("maximum allowed \\((\\d+)");

    private JsonErrors() {
    }

    static String describe(JsonProcessingException e) {
        if (e instanceof JsonEOFException) {
            return "the body ends before the JSON value does (an object, array or string is not closed)";
        }
        String m = clean(e.getOriginalMessage());
        var dup = DUPLICATE.matcher(m);
        if (dup.matches()) {
            return "duplicate key \"" + dup.group(1) + "\" (each key may appear once in an object)";
        }
        if (m.startsWith("Non-standard token")) {
            m += " (JSON has no NaN or Infinity)";
        }
        return m.isEmpty() ? "not valid JSON" : m;
    }

    /** Jackson's message without its source description and setting names; also for gatewayctl's JSON options. */
    public static String clean(String message) {
        if (message == null) {
            return "";
        }
        String m = message;
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl);
        }
        m = START_MARKER.matcher(m).replaceAll("");
        m = ENABLE_FEATURE.matcher(m).replaceAll("");
        m = FEATURE_NOTE.matcher(m).replaceAll(" (JSON has no comments)");
        m = SOURCE.matcher(m).replaceAll("");
        m = BACKTICKED.matcher(m).replaceAll(""); // anything else that names a Jackson setting
        return m.trim();
    }

    /** A StreamReadConstraints refusal in words, without Jackson's names for the limits. */
    static String tooLarge(String jackson) {
        String m = jackson == null ? "" : jackson;
        java.util.regex.Matcher max = LIMIT.matcher(m);
        String limit = max.find() ? max.group(1) : null;
        if (m.startsWith("Document nesting depth")) {
            return "nested deeper than " + (limit == null ? "the limit" : limit + " levels");
        }
        if (m.startsWith("Number value length")) {
            return "a number longer than " + (limit == null ? "the limit" : limit + " digits")
                    + " (send it as a string)";
        }
        if (m.startsWith("String value length")) {
            return "a string longer than " + (limit == null ? "the limit" : limit + " characters");
        }
        if (m.startsWith("Name length")) {
            return "a field name longer than " + (limit == null ? "the limit" : limit + " characters");
        }
        return "the JSON is larger than the parser's limits";
    }
}
