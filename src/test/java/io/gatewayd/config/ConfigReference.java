package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonValue;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Every config key with its built-in default, read off the config records themselves, so the
 * reference in README cannot drift from the code ({@link ConfigDocsTest} checks it).
 * {@code main} prints the markdown table.
 */
public final class ConfigReference {
    public record Key(String path, String defaultValue) {
    }

    private ConfigReference() {
    }

    public static void main(String[] args) {
        System.out.print(markdown());
    }

    public static List<Key> keys() {
        List<Key> out = new ArrayList<>();
        walk(GatewayConfig.class, GatewayConfig.defaults(), "", out);
        return out;
    }

    public static String markdown() {
        StringBuilder sb = new StringBuilder("| key | default |\n|---|---|\n");
        for (Key k : keys()) {
            sb.append("| `").append(k.path()).append("` | ").append(k.defaultValue().isEmpty() ? "" : "`" + k.defaultValue() + "`")
                    .append(" |\n");
        }
        return sb.toString();
    }

    private static void walk(Class<?> type, Object value, String prefix, List<Key> out) {
        for (RecordComponent rc : type.getRecordComponents()) {
            String key = prefix + kebab(rc.getName());
            Object v = value == null ? null : get(rc, value);
            Class<?> t = rc.getType();
            if (v == null && t == ClusterConfig.class) {
                // off by default, but each of its keys has a default once it is on; redis has none
                v = ClusterConfig.of(ClusterConfig.EXAMPLE);
            }
            if (key.equals("cluster.redis")) {
                out.add(new Key(key, ""));
                continue;
            }
            if (t.isRecord() && t != ByteSize.class) {
                walk(t, v, key + ".", out);
            } else if (Collection.class.isAssignableFrom(t) && elementType(rc) instanceof Class<?> e && e.isRecord()
                    && e != ByteSize.class && e != Cidr.class) {
                Collection<?> list = (Collection<?>) v;
                Object first = list == null || list.isEmpty() ? null : list.iterator().next();
                if (first != null && list.size() == 1) {
                    out.add(new Key(key, ""));
                }
                walk(e, first, key + "[].", out);
            } else {
                out.add(new Key(key, format(v)));
            }
        }
    }

    private static Type elementType(RecordComponent rc) {
        return rc.getGenericType() instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : null;
    }

    private static Object get(RecordComponent rc, Object value) {
        try {
            return rc.getAccessor().invoke(value);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    static String format(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Duration d) {
            return Durations.format(d);
        }
        if (v instanceof Enum<?> e) {
            for (var m : e.getClass().getMethods()) {
                if (m.isAnnotationPresent(JsonValue.class)) {
                    try {
                        return String.valueOf(m.invoke(e));
                    } catch (ReflectiveOperationException ex) {
                        throw new IllegalStateException(ex);
                    }
                }
            }
            return e.name().toLowerCase(java.util.Locale.ROOT);
        }
        if (v instanceof Collection<?> c) {
            List<String> parts = new ArrayList<>();
            c.forEach(x -> parts.add(format(x)));
            return "[" + String.join(", ", parts) + "]";
        }
        if (v instanceof Map<?, ?> m) {
            return m.isEmpty() ? "{}" : m.toString();
        }
        if (v instanceof String s) {
            return s.replace("|", "\\|");
        }
        return String.valueOf(v);
    }
}
