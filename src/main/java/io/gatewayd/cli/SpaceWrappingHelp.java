package io.gatewayd.cli;

import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * picocli's help, with option descriptions wrapped at spaces only. picocli breaks
 * where java.text.BreakIterator allows, which includes after '.', ':' and ',' inside a word: it
 * printed "control." at the end of one line and "listen" at the start of the next, and split
 * -XX:TieredStopAtLevel=1, so a key or flag copied from the help was wrong.
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
