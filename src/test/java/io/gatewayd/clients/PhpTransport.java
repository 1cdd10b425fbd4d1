package io.gatewayd.clients;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * The PHP client's two ways of sending a call (Gateway::$transport). Which one an application gets
 * depends on whether its PHP has the curl extension, so the PHP tests run on each.
 */
enum PhpTransport {
    CURL, STREAMS;

    private static volatile Boolean curlLoaded;

    /**
     * The php program for a test on this transport; skips the test, naming the Debian package to
     * install, when php or (for CURL) its curl extension is missing.
     */
    String php() throws IOException, InterruptedException {
        String php = ClientLibrariesTest.onPath("php");
        Assumptions.assumeTrue(php != null, "php is not installed (apt-get install php-cli); skipping the PHP client test");
        if (this == CURL) {
            Assumptions.assumeTrue(curlLoaded(php), "PHP's curl extension is not installed (apt-get install php-curl);"
                    + " skipping the PHP client test on curl");
        }
        return php;
    }

    private static boolean curlLoaded(String php) throws IOException, InterruptedException {
        if (curlLoaded == null) {
            curlLoaded = ClientLibrariesTest.run(List.of(php, "-r", "echo extension_loaded('curl') ? 'yes' : 'no';"))
                    .equals("yes");
        }
        return curlLoaded;
    }

    /** The start of a PHP script: the client loaded and set to this transport. */
    String client() {
        return "require 'clients/php/Gateway.php';\n\\Gatewayd\\Gateway::$transport = '"
                + name().toLowerCase(Locale.ROOT) + "';\n";
    }

    /**
     * The same with every warning turned into an exception, as frameworks do, so that a warning
     * escaping the client fails the script; and {@code Gateway} imported.
     */
    String strictClient() {
        return "set_error_handler(function ($no, $str, $file, $line) { throw new ErrorException($str, 0, $no, $file, $line); });\n"
                + client() + "use Gatewayd\\Gateway;\n";
    }
}
