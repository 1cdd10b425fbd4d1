package io.gatewayd.lifecycle;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.joran.util.ConfigurationWatchListUtil;
import org.slf4j.LoggerFactory;

import javax.xml.parsers.DocumentBuilderFactory;
import java.net.URL;

/**
 * Re-reads the logback configuration in force (conf/logback.xml, or conf/logback-daemon.xml in
 * daemon mode) on reload, so changed log levels apply at once rather than at logback's next scan.
 */
final class LogLevels {
    private LogLevels() {
    }

    /**
     * @param afterReset re-applies settings made in code (e.g. debug mode's client event logging)
     * @return what happened, for the reload report; a broken file is not applied
     */
    static String reload(Runnable afterReset) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return "log configuration: not logback, left as is";
        }
        URL url = ConfigurationWatchListUtil.getMainWatchURL(ctx);
        if (url == null) {
            return "log configuration: built in, left as is";
        }
        try {
            // refuse a file that is not even well-formed before resetting what works
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            try (var in = url.openStream()) {
                f.newDocumentBuilder().parse(in);
            }
        } catch (Exception e) {
            return "log configuration " + url.getPath() + " not applied: " + e.getMessage();
        }
        ctx.reset();
        JoranConfigurator jc = new JoranConfigurator();
        jc.setContext(ctx);
        try {
            jc.doConfigure(url);
        } catch (JoranException e) {
            return "log configuration " + url.getPath() + " has errors: " + e.getMessage();
        } finally {
            if (afterReset != null) {
                afterReset.run();
            }
        }
        return "log configuration " + url.getPath() + " re-read";
    }
}
