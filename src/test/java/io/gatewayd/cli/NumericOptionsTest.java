package io.gatewayd.cli;

import io.gatewayd.cli.StartCommandTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static io.gatewayd.cli.StartCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every numeric option of every command, found through picocli's model so that an option added
 * later is covered without touching this test: a value past its Java type, past its range, or not
 * a number is a usage error naming the option, the value and the range.
 */
class NumericOptionsTest {
    /** An option of the command {@code path} (below gatewayctl). */
    record Numeric(List<String> path, CommandSpec command, OptionSpec option) {
        Bounds bounds() {
            return OptionRange.bounds(option);
        }

        boolean whole() {
            return !Set.of(double.class, Double.class, float.class, Float.class, BigDecimal.class)
                    .contains(option.type());
        }

        @Override
        public String toString() {
            return String.join(" ", path) + " " + option.longestName();
        }
    }

    static Stream<Numeric> numericOptions() {
        List<Numeric> all = new ArrayList<>();
        collect(GatewayCtl.commandLine(), List.of(), all);
        return all.stream();
    }

    private static void collect(CommandLine cl, List<String> path, List<Numeric> into) {
        for (OptionSpec o : cl.getCommandSpec().options()) {
            if (OptionRange.numeric(o)) {
                into.add(new Numeric(path, cl.getCommandSpec(), o));
            }
        }
        cl.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandName().equals(name)) { // not again under an alias
                List<String> p = new ArrayList<>(path);
                p.add(name);
                collect(sub, p, into);
            }
        });
    }

    @Test
    void theModelYieldsTheNumericOptions() {
        assertThat(numericOptions().map(Numeric::toString)).contains("start --ws-port", "restart --control-port",
                "bench --n", "bench --hold", "bench --concurrency", "connections --limit", "status --timeout",
                "stop --timeout", "cron run --timeout", "start --wait");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("numericOptions")
    void declaresARangeItsTypeCanHold(Numeric o) {
        Bounds b = o.bounds();
        assertThat(b).as(o + " needs @Bounds: the range its values are checked against").isNotNull();
        BigDecimal min = new BigDecimal(b.min());
        BigDecimal max = new BigDecimal(b.max());
        assertThat(min).as(o.toString()).isLessThanOrEqualTo(max);
        if (o.whole()) {
            assertThat(min.stripTrailingZeros().scale()).as(o.toString()).isLessThanOrEqualTo(0);
            assertThat(max.stripTrailingZeros().scale()).as(o.toString()).isLessThanOrEqualTo(0);
            long typeMax = Set.of(int.class, Integer.class).contains(o.option().type()) ? Integer.MAX_VALUE
                    : Long.MAX_VALUE;
            assertThat(min).as(o.toString()).isGreaterThanOrEqualTo(BigDecimal.valueOf(-typeMax - 1));
            assertThat(max).as(o.toString()).isLessThanOrEqualTo(BigDecimal.valueOf(typeMax));
        }
        if (o.option().defaultValue() != null) {
            BigDecimal d = new BigDecimal(o.option().defaultValue());
            assertThat(d).as(o + " default").isBetween(min, max);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("numericOptions")
    void aValuePastItsTypeOrOutsideItsRangeIsAUsageErrorNamingTheOptionAndTheRange(Numeric o, @TempDir Path dir)
            throws Exception {
        Bounds b = o.bounds();
        assertThat(b).as(o.toString()).isNotNull();
        BigDecimal min = new BigDecimal(b.min());
        BigDecimal max = new BigDecimal(b.max());
        Set<String> values = new LinkedHashSet<>(List.of("99999999999", "-99999999999", "99999999999999999999", min.subtract(BigDecimal.ONE).toPlainString(),
                max.add(BigDecimal.ONE).toPlainString()));
        values.removeIf(v -> new BigDecimal(v).compareTo(min) >= 0 && new BigDecimal(v).compareTo(max) <= 0);
        String range = "between " + b.min() + " and " + b.max();
        for (String v : values) {
            Run r = run(line(o, v, dir));
            assertThat(r.exit()).as(o + " " + v + ": " + r).isEqualTo(GatewayCtl.EXIT_USAGE);
            assertThat(r.err()).as(o + " " + v)
                    .contains(" must be " + range).contains("got " + v).containsPattern("--\\S+ must be")
                    .doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("java.")
                    .doesNotContain("is not an int").doesNotContain("is not a long");
            assertThat(r.err().lines().findFirst().orElse("")).as(o + " " + v)
                    .startsWith("gatewayctl: " + o.option().longestName() + " must be " + range);
        }
        Run word = run(line(o, "many", dir));
        assertThat(word.exit()).as(o + " many: " + word).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(word.err()).as(o + " many").startsWith("gatewayctl: " + o.option().longestName() + " must be a "
                + (o.whole() ? "whole " : "") + "number " + range).contains("got 'many'");
    }

    /**
     * The command line with the option's value and whatever else its command requires, so that
     * only the value is wrong; a config that does not parse and a control URL where nothing
     * listens make sure that a value let through fails fast rather than starting anything.
     */
    private static String[] line(Numeric o, String value, Path dir) throws Exception {
        List<String> args = new ArrayList<>(o.path());
        args.add(o.option().longestName());
        args.add(value);
        CommandSpec spec = o.command();
        for (ArgGroupSpec g : spec.argGroups()) {
            if (g.multiplicity().min() > 0) {
                OptionSpec first = g.options().get(0);
                args.add(first.longestName());
                if (first.arity().min() > 0) {
                    args.add("x");
                }
            }
        }
        if (spec.findOption("--config") != null) {
            args.add("--config");
            args.add(Files.writeString(dir.resolve("broken.yaml"), "listeners: [\n").toString());
        }
        if (spec.findOption("--control-url") != null) {
            args.add("--control-url");
            args.add("http://127.0.0.1:1");
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.required()) {
                args.add("x");
            }
        }
        return args.toArray(String[]::new);
    }
}
