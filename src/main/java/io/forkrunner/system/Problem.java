package io.forkrunner.system;

import java.util.List;
import java.util.Objects;

/**
 * One thing wrong with the input.
 *
 * @param file where it was read from, relative to the home ("jobs/nightly.yml"), or "command line"
 * @param line 1-based line in the file, 0 when unknown
 * @param field dotted path of the field ("schedule.cron")
 * @param value the offending value as written, null when the field is missing
 * @param message what is wrong
 * @param examples values that would have been accepted
 */
public record Problem(String file, int line, String field, String value, String message, List<String> examples) {

    public Problem {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
        examples = List.copyOf(examples);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(file);
        if (line > 0) {
            text.append(':').append(line);
        }
        text.append(": ").append(field).append(": ");
        text.append(value == null ? "missing" : '"' + value + '"');
        text.append(": ").append(message);
        if (!examples.isEmpty()) {
            text.append("; valid examples: ").append(String.join(", ", examples));
        }
        return text.toString();
    }
}
