package io.gatewayd.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A message with ${name} placeholders, parsed once when the config loads. Only the names the
 * caller allows are accepted, so a typo such as ${clientid} fails at load time, not in front of
 * clients.
 */
public final class MessageTemplate {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z_][a-z0-9_]*)}");

    private final String source;
    private final List<String> parts; // literal, name, literal, name, ..., literal

    private MessageTemplate(String source, List<String> parts) {
        this.source = source;
        this.parts = parts;
    }

    /** @throws IllegalArgumentException naming an unknown placeholder and the allowed ones */
    public static MessageTemplate parse(String template, Set<String> allowed) {
        List<String> parts = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(template);
        int last = 0;
        while (m.find()) {
            if (!allowed.contains(m.group(1))) {
                throw new IllegalArgumentException("unknown placeholder ${" + m.group(1) + "}; allowed: "
                        + allowed.stream().sorted().map(n -> "${" + n + "}").toList());
            }
            parts.add(template.substring(last, m.start()));
            parts.add(m.group(1));
            last = m.end();
        }
        parts.add(template.substring(last));
        return new MessageTemplate(template, List.copyOf(parts));
    }

    public String render(Map<String, String> values) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        StringBuilder sb = new StringBuilder(source.length() + 32);
        for (int i = 0; i < parts.size(); i++) {
            if (i % 2 == 0) {
                sb.append(parts.get(i));
            } else {
                String v = values.get(parts.get(i));
                sb.append(v == null ? "" : v);
            }
        }
        return sb.toString();
    }

    /**
     * The UTF-8 size of the longest rendering, given the most bytes each placeholder's value can
     * take: the literal text plus that much per occurrence.
     */
    public long maxBytes(java.util.function.ToLongFunction<String> maxValueBytes) {
        long n = 0;
        for (int i = 0; i < parts.size(); i++) {
            n += i % 2 == 0 ? parts.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    : maxValueBytes.applyAsLong(parts.get(i));
        }
        return n;
    }

    /** The placeholders used, each once, in order of first use. */
    public List<String> placeholders() {
        java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
        for (int i = 1; i < parts.size(); i += 2) {
            names.add(parts.get(i));
        }
        return List.copyOf(names);
    }

    public String source() {
        return source;
    }
}
