package io.netty.channel.epoll;

import io.netty.channel.Channel;

import java.io.IOException;

/**
 * Works around a Netty 4.2.18 epoll bug that cuts a half-closed client's answer short.
 *
 * <p>Once a channel wants no event at all (its input ended, so EPOLLIN and EPOLLRDHUP are
 * cleared, and nothing is waiting to be written), Netty's registration removes the socket from
 * epoll (EPOLL_CTL_DEL) but still believes it is added. The next write that does not fit at once
 * asks for EPOLLOUT with EPOLL_CTL_MOD, which fails with ENOENT; the error arrives as an
 * UncheckedIOException, so Netty shuts the output down instead of waiting: the client reads
 * part of a message, then the end of stream.
 *
 * <p>Asking for EPOLLERR from the start keeps the channel's interest from ever being empty, so it
 * is never taken out. EPOLLERR (like EPOLLHUP) is reported whether asked for or not, so this
 * changes no event the channel gets. It lives in Netty's package because the method that sets an
 * interest, {@code AbstractEpollChannel.setFlag}, is protected and the channel class is final.
 * Remove it once Netty keeps its registration state right after the delete.
 */
public final class EpollInterest {
    private EpollInterest() {
    }

    /** Call on the channel's event loop, once it is registered (a ChannelInitializer does). */
    public static void keepRegistered(Channel channel) throws IOException {
        if (channel instanceof AbstractEpollChannel epoll) {
            epoll.setFlag(Native.EPOLLERR);
        }
    }
}
