package io.gatewayd.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads gatewayd.yaml into an immutable {@link GatewayConfig}. Every problem becomes a
 * {@link ConfigException} whose message names the file, line, key and the expected form.
 */
public final class ConfigLoader {
    private final Map<String, String> env;

    public ConfigLoader() {
        this(System.getenv());
    }

    /** @param env the environment used for ${VAR} substitution and control.token-env */
    public ConfigLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    public GatewayConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist; pass --config FILE or create it "
                    + "(conf/gatewayd.yaml in the installation is the documented template)");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    /** Parses YAML text; {@code sourceName} is used in error messages. */
    public GatewayConfig parse(String yaml, String sourceName) {
        GatewayConfig config;
        if (yaml.isBlank()) {
            config = GatewayConfig.defaults();
        } else {
            Map<String, Integer> keyLines;
            try {
                keyLines = keyLines(yaml);
            } catch (JsonProcessingException e) {
                throw notYaml(sourceName, e);
            } catch (IOException e) {
                throw new ConfigException("cannot read " + sourceName + ": " + e.getMessage());
            }
            try (JsonParser parser = new EnvSubstitutingParser(MAPPER.getFactory().createParser(reader(yaml)),
                    new EnvSubstitution(env))) {
                config = MAPPER.readValue(parser, GatewayConfig.class);
                if (config == null) {
                    config = GatewayConfig.defaults();
                }
            } catch (JsonMappingException e) {
                throw translate(e, sourceName, keyLines, yaml);
            } catch (JsonProcessingException e) {
                throw notYaml(sourceName, e);
            } catch (IOException e) {
                throw new ConfigException("cannot read " + sourceName + ": " + e.getMessage());
            } catch (ConfigProblem p) {
                throw new ConfigException(p.key, sourceName + ": " + p.key + ": " + p.detail);
            }
        }
        config = config.withControl(config.control().withEnvironmentToken(env));
        config = config.withPaths(config.paths().withEnvironment(env));
        try {
            config.control().requireTokenUnlessLoopback();
        } catch (ConfigException e) {
            Integer line = yaml.isBlank() ? null : lineOf(yaml, e.key());
            throw new ConfigException(e.key(), sourceName + (line != null ? ":" + line : "") + ": " + e.getMessage());
        }
        return config;
    }

    private static Integer lineOf(String yaml, String key) {
        try {
            return keyLines(yaml).get(key);
        } catch (IOException e) {
            return null;
        }
    }

    private static ConfigException notYaml(String sourceName, JsonProcessingException e) {
        String syntax = YamlSyntaxError.describe(sourceName, e);
        return new ConfigException(syntax != null ? syntax : sourceName + where(e.getLocation()) + ": " + notYaml(e));
    }

    /**
     * What the YAML parser says, as one line: a key given twice is named by its full path (the
     * parser says only "Duplicate field 'x'").
     */
    private static String notYaml(JsonProcessingException e) {
        String m = firstLine(e.getOriginalMessage());
        if (m.startsWith("Duplicate field") && e.getProcessor() instanceof JsonParser p) {
            String path = contextPath(p.getParsingContext());
            return (path.isEmpty() ? m : path + " is set twice") + "; keep one of them";
        }
        return "not valid YAML: " + m;
    }

    /**
     * The top-level sections named by {@code keys} (such as "paths" and "control"), read as plain
     * YAML trees with ${VAR} substituted in their string values, whatever else in the file is
     * wrong. For the CLI, which must still find a running gateway while its config is being
     * edited. A missing section, or one that is not a mapping, is absent from the result; a value
     * whose ${VAR} is unset is null.
     *
     * @throws ConfigException if the file cannot be read or is not YAML at all
     */
    public ObjectNode readSectionsLeniently(Path file, String... keys) {
        ObjectNode out = MAPPER.createObjectNode();
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + " even leniently: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            return out;
        }
        EnvSubstitution substitution = new EnvSubstitution(env);
        for (String key : keys) {
            JsonNode section = root.get(key);
            if (section != null && section.isObject()) {
                out.set(key, substituted(section, substitution));
            }
        }
        return out;
    }

    private static JsonNode substituted(JsonNode n, EnvSubstitution substitution) {
        if (n.isTextual()) {
            try {
                return MAPPER.getNodeFactory().textNode(substitution.apply(n.textValue()));
            } catch (IllegalArgumentException unset) {
                return MAPPER.getNodeFactory().nullNode();
            }
        }
        if (n.isObject()) {
            ObjectNode o = MAPPER.createObjectNode();
            n.fields().forEachRemaining(e -> o.set(e.getKey(), substituted(e.getValue(), substitution)));
            return o;
        }
        if (n.isArray()) {
            ArrayNode a = MAPPER.createArrayNode();
            n.forEach(e -> a.add(substituted(e, substitution)));
            return a;
        }
        return n;
    }

    private static Reader reader(String yaml) {
        return new StringReader(yaml);
    }

    private static final ObjectMapper MAPPER = JsonMapper.builder(new YAMLFactory())
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .addModule(new SimpleModule("gatewayd-config")
                    .addDeserializer(Duration.class, new DurationDeserializer())
                    .addDeserializer(ByteSize.class, new ByteSizeDeserializer()))
            .build();

    /** The mapper config files are read with; shared with `config check`, which prints them back. */
    static ObjectMapper yamlMapper() {
        return MAPPER;
    }

    /**
     * The line of every key, by dotted path ("listeners[0].url"). Records are bound through a
     * token buffer, so the mapper's own error locations can point past the key; this pre-pass
     * knows exactly where each key was written.
     */
    private static Map<String, Integer> keyLines(String yaml) throws IOException {
        Map<String, Integer> lines = new java.util.HashMap<>();
        try (JsonParser p = MAPPER.getFactory().createParser(yaml)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME) {
                    lines.putIfAbsent(contextPath(p.getParsingContext()), p.currentTokenLocation().getLineNr());
                }
            }
        }
        return lines;
    }

    private static String contextPath(com.fasterxml.jackson.core.JsonStreamContext ctx) {
        StringBuilder sb = new StringBuilder();
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (var c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
            parts.addFirst(c.inArray() ? "[" + c.getCurrentIndex() + "]" : "." + c.getCurrentName());
        }
        parts.forEach(sb::append);
        return sb.length() > 0 && sb.charAt(0) == '.' ? sb.substring(1) : sb.toString();
    }

    private ConfigException translate(JsonMappingException e, String source, Map<String, Integer> keyLines,
                                      String yaml) {
        String path = path(e.getPath());
        Integer line = keyLines.get(path);
        String at = source + (line != null ? ":" + line : where(e.getLocation()));
        if (e instanceof UnrecognizedPropertyException u) {
            return unknownKey(path, at, u.getPropertyName(), u.getKnownPropertyIds());
        }
        Throwable cause = e.getCause();
        if (cause instanceof ConfigProblem && e instanceof ValueInstantiationException vi) {
            // Jackson reports unknown keys only after the constructor ran: a typo of a required key
            // ("evry") would show as that key missing. The typo is the problem to name.
            ConfigException typo = unknownKeyIn(path, vi.getType(), yaml, source, keyLines);
            if (typo != null) {
                return typo;
            }
        }
        if (cause instanceof ConfigProblem p) {
            String key = path.isEmpty() ? p.key : p.key.startsWith("[") ? path + p.key : path + "." + p.key;
            // a check across sections runs after the whole document was read, when the mapper's
            // location is the end of the file: no line is better than that one
            Integer keyLine = lineOf(key, keyLines);
            String where = keyLine != null ? source + ":" + keyLine : source;
            return new ConfigException(key, where + ": " + key + " " + p.detail);
        }
        if (cause instanceof IllegalArgumentException iae) {
            return new ConfigException(path, at + ": " + path + ": " + iae.getMessage());
        }
        if (e instanceof InvalidFormatException f) {
            return new ConfigException(path, at + ": " + path + ": expected " + describe(f.getTargetType())
                    + ", got \"" + f.getValue() + "\"");
        }
        if (e instanceof MismatchedInputException m && path.isEmpty()) {
            return new ConfigException(null, at + ": expected a mapping of sections such as listeners: and control:");
        }
        if (e instanceof MismatchedInputException m) {
            // Jackson's own text names Java classes; the value it could not take is all the user needs
            java.util.regex.Matcher v = java.util.regex.Pattern.compile("value \\((\"[^\n]*\")\\)")
                    .matcher(String.valueOf(m.getOriginalMessage()));
            return new ConfigException(path, at + ": " + path + ": expected " + describe(m.getTargetType())
                    + (v.find() ? ", got " + v.group(1) : ""));
        }
        return new ConfigException(path, at + ": " + (path.isEmpty() ? "" : path + ": ") + firstLine(e.getOriginalMessage()));
    }

    /**
     * The line of {@code key}, else of its closest enclosing key that the file has: a required key
     * is refused where its section (or list item) starts. Null when the file has none of them.
     */
    static Integer lineOf(String key, Map<String, Integer> keyLines) {
        for (String k = key; !k.isEmpty(); k = parentPath(k)) {
            Integer line = keyLines.get(k);
            if (line != null) {
                return line;
            }
            // a list item ("listeners[1]") has no key of its own: the first key written inside it
            for (Map.Entry<String, Integer> e : keyLines.entrySet()) {
                String inner = e.getKey();
                if (inner.startsWith(k) && inner.length() > k.length()
                        && (inner.charAt(k.length()) == '.' || inner.charAt(k.length()) == '[')
                        && (line == null || e.getValue() < line)) {
                    line = e.getValue();
                }
            }
            if (line != null) {
                return line;
            }
        }
        return null;
    }

    /**
     * Keys that moved to another section: old path, new path, and why. A config written for the
     * old place is refused with the new one named rather than silently losing the setting.
     */
    private static final Map<String, String[]> MOVED = Map.of(
            "cluster.dedup-window", new String[] {"control.dedup-window",
                    "msg_id dedup applies to a single node too, not only in cluster mode"},
            "cluster.dedup-max-entries", new String[] {"control.dedup-max-entries",
                    "msg_id dedup applies to a single node too, not only in cluster mode"});

    private static ConfigException unknownKey(String path, String at, String name, Collection<Object> known) {
        String[] moved = MOVED.get(path);
        if (moved != null) {
            return new ConfigException(path, at + ": " + path + " has moved to " + moved[0] + " (" + moved[1]
                    + "); write it under " + moved[0].substring(0, moved[0].indexOf('.')) + ": instead, same value");
        }
        String hint = closest(name, known);
        return new ConfigException(path, at + ": unknown key \"" + path + "\""
                + (hint != null ? "; did you mean \"" + hint + "\"?" : "") + " Known keys here: " + sortedNames(known));
    }

    /** The first key of the mapping at {@code path} that {@code type} does not have, as an error; or null. */
    private static ConfigException unknownKeyIn(String path, com.fasterxml.jackson.databind.JavaType type, String yaml,
                                                String source, Map<String, Integer> keyLines) {
        if (type == null) {
            return null;
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(yaml);
        } catch (IOException e) {
            return null;
        }
        for (String part : path.isEmpty() ? new String[0] : path.replace("[", ".[").split("\\.")) {
            node = part.startsWith("[") ? node.path(Integer.parseInt(part.substring(1, part.length() - 1)))
                    : node.path(part);
        }
        if (!node.isObject()) {
            return null;
        }
        Collection<Object> known = MAPPER.getDeserializationConfig().introspect(type).findProperties().stream()
                .map(p -> (Object) p.getName()).toList();
        for (java.util.Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                String key = path.isEmpty() ? name : path + "." + name;
                Integer line = keyLines.get(key);
                return unknownKey(key, source + (line != null ? ":" + line : ""), name, known);
            }
        }
        return null;
    }

    private static String parentPath(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid value";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "a different value";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type == Duration.class) {
            return "a duration such as 30s or 500ms";
        }
        if (type == ByteSize.class) {
            return "a size such as 64KiB";
        }
        if (type.isRecord()) {
            return "a mapping of keys";
        }
        if (type.isEnum()) {
            return "one of " + java.util.Arrays.stream(type.getEnumConstants()).map(Object::toString)
                    .collect(Collectors.joining(", "));
        }
        return "a " + type.getSimpleName();
    }

    private static String where(JsonLocation loc) {
        return loc == null || loc.getLineNr() < 1 ? "" : ":" + loc.getLineNr();
    }

    static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String sortedNames(Collection<Object> ids) {
        return ids.stream().map(String::valueOf).sorted().collect(Collectors.joining(", "));
    }

    /** The known key closest to a typo, if it is close enough to be a plausible typo. */
    public static String closest(String name, Collection<?> known) {
        return known.stream().map(String::valueOf)
                .min(Comparator.comparingInt(k -> editDistance(name, k)))
                .filter(k -> editDistance(name, k) <= Math.max(2, k.length() / 3))
                .orElse(null);
    }

    public static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = Character.toLowerCase(a.charAt(i - 1)) == Character.toLowerCase(b.charAt(j - 1)) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken().isNumeric()) {
                return Durations.ofSeconds(p.getDoubleValue());
            }
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                return Durations.parse(p.getText());
            }
            throw new IllegalArgumentException("expected a duration such as 30 (seconds), 1500ms, 30s, 5m or 1h");
        }
    }

    private static final class ByteSizeDeserializer extends JsonDeserializer<ByteSize> {
        @Override
        public ByteSize deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                return ByteSize.ofBytes(p.getLongValue());
            }
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                return ByteSize.parse(p.getText());
            }
            throw new IllegalArgumentException("expected a size such as 65536, 64KiB or 1MiB");
        }
    }

    /** Applies ${VAR} substitution to every string value as the mapper reads it. */
    private static final class EnvSubstitutingParser extends JsonParserDelegate {
        private final EnvSubstitution substitution;
        private JsonLocation substitutedAt;
        private String substituted;

        EnvSubstitutingParser(JsonParser d, EnvSubstitution substitution) {
            super(d);
            this.substitution = substitution;
        }

        private String value() throws IOException {
            JsonLocation loc = delegate.currentTokenLocation();
            if (substituted == null || !loc.equals(substitutedAt)) {
                try {
                    substituted = substitution.apply(delegate.getText());
                } catch (IllegalArgumentException e) {
                    // the mapper wraps this with the key path and line
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
                substitutedAt = loc;
            }
            return substituted;
        }

        @Override
        public String getText() throws IOException {
            return delegate.currentToken() == JsonToken.VALUE_STRING ? value() : delegate.getText();
        }

        @Override
        public String getValueAsString() throws IOException {
            return delegate.currentToken() == JsonToken.VALUE_STRING ? value() : delegate.getValueAsString();
        }

        @Override
        public String getValueAsString(String def) throws IOException {
            return delegate.currentToken() == JsonToken.VALUE_STRING ? value() : delegate.getValueAsString(def);
        }

        @Override
        public boolean hasTextCharacters() {
            return delegate.currentToken() != JsonToken.VALUE_STRING && delegate.hasTextCharacters();
        }

        @Override
        public char[] getTextCharacters() throws IOException {
            return delegate.currentToken() == JsonToken.VALUE_STRING ? value().toCharArray() : delegate.getTextCharacters();
        }

        @Override
        public int getTextLength() throws IOException {
            return delegate.currentToken() == JsonToken.VALUE_STRING ? value().length() : delegate.getTextLength();
        }

        @Override
        public int getTextOffset() throws IOException {
            return delegate.currentToken() == JsonToken.VALUE_STRING ? 0 : delegate.getTextOffset();
        }
    }
}
