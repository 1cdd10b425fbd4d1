package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

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
        return ConfigEnums.parse(values(), name, IoTransport::configName, "transport");
    }
}
