package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Which I/O transport the event loops use ({@code node.transport}). */
public enum IoTransport {
    /** The fastest one this machine offers: io_uring, else epoll, else Java NIO. */
    AUTO("auto"),
    /** Linux io_uring: system calls of a loop turn submitted together (Linux 5.14 and later). */
    IO_URING("io_uring"),
    /** Linux epoll through Netty's native library. */
    EPOLL("epoll"),
    /** Java NIO: everywhere, and the slowest. */
    NIO("nio");

    private final String configName;

    IoTransport(String configName) {
        this.configName = configName;
    }

    @JsonValue
    public String configName() {
        return configName;
    }

    @JsonCreator
    public static IoTransport fromConfig(String name) {
        for (IoTransport t : values()) {
            if (t.configName.equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown transport \"" + name + "\"; expected one of "
                + Arrays.stream(values()).map(IoTransport::configName).collect(Collectors.joining(", ")));
    }
}
