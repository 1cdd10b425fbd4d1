package io.gatewayd.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The one way config enums read their names: case-insensitive, and an error that lists the choices. */
final class ConfigEnums {
    private ConfigEnums() {
    }

    /**
     * The constant of {@code values} whose config name is {@code name}.
     *
     * @param what what the value is ("mode", "transport"), for the error
     * @throws IllegalArgumentException naming the value and every accepted one (the loader adds the key and file)
     */
    static <E> E parse(E[] values, String name, Function<E, String> configName, String what) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (E e : values) {
            if (configName.apply(e).equals(wanted)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " \"" + name + "\"; expected one of "
                + Arrays.stream(values).map(configName).collect(Collectors.joining(", ")));
    }
}
