package io.gatewayd.cli;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;

/** Whether a control URL's host is this machine (commands that act on local processes ask). */
final class Hosts {
    private Hosts() {
    }

    /** Loopback, a wildcard, or an address of one of this machine's interfaces. */
    static boolean isThisMachine(String host) {
        if (host == null) {
            return false;
        }
        try {
            InetAddress a = InetAddress.getByName(host.replaceAll("^\\[|\\]$", ""));
            return a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null;
        } catch (UnknownHostException | SocketException e) {
            return false;
        }
    }
}
