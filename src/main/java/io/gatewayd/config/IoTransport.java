package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** Which I/O transport the event loops use ({@code node.transport}). */
public enum IoTransport {
    /** The fastest one this machine offers: io_uring, else epoll, else Java NIO. */
    AUTO,
    /** Linux io_uring: a loop turn's system calls submitted together (Netty needs Linux 5.9 or later). */
    IO_URING,
    /** Linux epoll through Netty's native library. */
    EPOLL,
    /** Java NIO: everywhere, and the slowest. */
    NIO;

    /** The name in config files: the constant in lower case (io_uring keeps its underscore, as Linux spells it). */
    @JsonValue
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static IoTransport fromConfig(String name) {
        return ConfigEnums.parse(values(), name, IoTransport::configName, "transport");
    }
}
