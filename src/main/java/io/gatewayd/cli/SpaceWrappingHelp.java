package io.gatewayd.cli;

import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * picocli's help, with option descriptions and the command list wrapped at spaces only.
 * picocli breaks where java.text.BreakIterator allows, which includes after '.', ':' and ','
 * inside a word: it printed "control." at the end of one line and "listen" at the start of the
 * next, and split -XX:TieredStopAtLevel=1, so a key or flag copied from the help was wrong.
 */
final class SpaceWrappingHelp extends Help {
    SpaceWrappingHelp(CommandSpec spec, ColorScheme scheme) {
        super(spec, scheme);
    }

    @Override
    public Layout createDefaultLayout(List<OptionSpec> options, List<PositionalParamSpec> positionals,
                                      ColorScheme scheme) {
        Layout layout = super.createDefaultLayout(options, positionals, scheme);
        return new Layout(scheme, new Table(scheme, layout.textTable()), layout.optionRenderer(),
                layout.parameterRenderer());
    }

    /**
     * The "Commands:" list, as picocli lays it out (names, then each command's first header or
     * description line), but in a table that wraps at spaces: picocli builds it apart from the
     * option layout above, with a table of its own.
     */
    @Override
    public String commandList(Map<String, Help> subcommands) {
        if (subcommands.isEmpty()) {
            return "";
        }
        UsageMessageSpec usage = commandSpec().usageMessage();
        int names = Math.min(subcommands.keySet().stream().mapToInt(String::length).max().orElse(0),
                usage.width() / 2);
        TextTable table = new Table(colorScheme(), TextTable.forColumns(colorScheme(),
                new Column(names + 2, 2, Column.Overflow.SPAN),
                new Column(usage.width() - (names + 2), 2, Column.Overflow.WRAP)));
        table.setAdjustLineBreaksForWideCJKCharacters(usage.adjustLineBreaksForWideCJKCharacters());
        for (Help sub : subcommands.values()) {
            UsageMessageSpec u = sub.commandSpec().usageMessage();
            String summary = u.header().length > 0 ? u.header()[0]
                    : u.description().length > 0 ? u.description()[0] : "";
            Text[] lines = colorScheme().text(String.format(summary)).splitLines();
            for (int i = 0; i < lines.length; i++) {
                table.addRowValues(i == 0 ? sub.commandNamesText(", ") : colorScheme().text(""), lines[i]);
            }
        }
        return table.toString();
    }

    /** picocli's table with the same columns; only wrapping columns are filled differently. */
    private static final class Table extends TextTable {
        private final ColorScheme scheme;

        Table(ColorScheme scheme, TextTable like) {
            super(scheme, like.columns());
            this.scheme = scheme;
            this.indentWrappedLines = like.indentWrappedLines;
            setAdjustLineBreaksForWideCJKCharacters(like.isAdjustLineBreaksForWideCJKCharacters());
        }

        @Override
        public Cell putValue(int row, int col, Text value) {
            Column column = columns()[col];
            if (column.overflow != Column.Overflow.WRAP || value == null
                    || value.plainString().indexOf('\n') >= 0 || value.plainString().indexOf('\r') >= 0) {
                return super.putValue(row, col, value);
            }
            // each piece already fits, so picocli writes it on one line without breaking it again;
            // one column less, as picocli fills them (it counts a word's trailing space), so that
            // the help stays within 79 columns, as it always was
            List<Text> lines = lines(value, column.width - column.indent - 1,
                    column.width - column.indent - indentWrappedLines - 1);
            Text indent = scheme.ansi().new Text(" ".repeat(indentWrappedLines), scheme);
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) {
                    addEmptyRow();
                    row++;
                }
                super.putValue(row, col, i == 0 ? lines.get(i) : indent.concat(lines.get(i)));
            }
            return new Cell(col, row);
        }

        /** Greedy wrap at spaces; a word longer than a line is cut, as picocli cuts it. */
        static List<Text> lines(Text value, int firstWidth, int width) {
            String plain = value.plainString();
            List<Text> lines = new ArrayList<>();
            int start = 0;
            int room = Math.max(1, firstWidth);
            while (start < plain.length()) {
                if (!lines.isEmpty()) {
                    while (start < plain.length() && plain.charAt(start) == ' ') {
                        start++;
                    }
                    if (start == plain.length()) {
                        break;
                    }
                }
                int end;
                if (plain.length() - start <= room) {
                    end = plain.length();
                } else {
                    int space = plain.lastIndexOf(' ', start + room);
                    end = space > start ? space : start + room;
                }
                lines.add(value.substring(start, end));
                start = end;
                room = Math.max(1, width);
            }
            return lines;
        }
    }
}
