package io.forkrunner.definition;

import io.forkrunner.definition.JobDefinition.Threshold;
import io.forkrunner.system.Home;
import io.forkrunner.system.Problem;
import io.forkrunner.system.SecretRef;
import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The parsers every definitions file shares: a file loaded into its top {@link Section}, and the scalars (ports,
 * sizes, durations, secrets, URLs, choices, files of the home). Each reports its own problem, naming file, line,
 * field, value and valid examples, and returns null (or 0) for a bad value, so that a reader goes on and reports
 * every problem at once.
 */
final class Scalars {

    static final List<String> THRESHOLD_EXAMPLES = List.of("30m", "2h", "2x", "1.5x");

    private final Home home;
    private final Map<String, String> environment;
    final Problems problems;

    Scalars(Home home, Map<String, String> environment, Problems problems) {
        this.home = home;
        this.environment = environment;
        this.problems = problems;
    }

    Home home() {
        return home;
    }

    /** The file's top section: empty when the file is missing; none, after reporting, when it cannot be read. */
    Optional<Section> load(Path path, String file) {
        if (!Files.exists(path)) {
            return Optional.of(empty(file));
        }
        try {
            if (!Files.isRegularFile(path)) {
                problems.add(new Problem(
                        file, 0, "(file)", path.toString(), "cannot be read: it is not a regular file", List.of()));
                return Optional.empty();
            }
            long size = Files.size(path);
            if (size > DefinitionReader.MAX_FILE_BYTES) {
                problems.add(new Problem(
                        file,
                        0,
                        "(file)",
                        path.toString(),
                        "is " + size + " bytes; a definitions file may hold at most " + DefinitionReader.MAX_FILE_BYTES
                                + " bytes (1 MiB): it was not read",
                        List.of()));
                return Optional.empty();
            }
        } catch (IOException e) {
            problems.add(
                    new Problem(file, 0, "(file)", path.toString(), "cannot be read: " + e.getMessage(), List.of()));
            return Optional.empty();
        }
        LoaderOptions limits = new LoaderOptions();
        limits.setCodePointLimit(
                (int) DefinitionReader.MAX_FILE_BYTES); // a file that grew after the check above is refused too
        try (Reader reader = Files.newBufferedReader(path)) {
            Node node = new Yaml(new SafeConstructor(limits)).compose(reader);
            return Optional.of(Section.of(file, "", node, problems));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            problems.add(new Problem(file, line, "(syntax)", null, "is not valid YAML: " + e.getProblem(), List.of()));
        } catch (IOException | RuntimeException e) {
            problems.add(
                    new Problem(file, 0, "(file)", path.toString(), "cannot be read: " + e.getMessage(), List.of()));
        }
        return Optional.empty();
    }

    /** An IP address to listen on, written as one: never a host name, which would be looked up. */
    String address(Value value) {
        List<String> examples = List.of("127.0.0.1", "0.0.0.0", "::1", "10.0.0.5");
        String text = value.present() ? value.text().strip() : "";
        boolean ipv4 = text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")
                && Arrays.stream(text.split("\\.")).allMatch(octet -> Integer.parseInt(octet) <= 255);
        boolean literal = ipv4 || text.matches("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*"); // never a name to look up
        if (literal) {
            try {
                return InetAddress.getByName(text).getHostAddress();
            } catch (UnknownHostException e) {
                // reported below
            }
        }
        problems.add(value, "is not an IP address to listen on", examples);
        return null;
    }

    Section empty(String file) {
        return Section.of(file, "", null, problems);
    }

    boolean checkName(Value name) {
        if (!Names.valid(name.text())) {
            problems.add(name, Names.RULE_TEXT, Names.EXAMPLES);
            return false;
        }
        return true;
    }

    SecretRef secret(Value value) {
        if (!value.present()) {
            return null;
        }
        Optional<SecretRef> reference = SecretRef.parse(value.text());
        if (reference.isEmpty()) {
            // the value may be a password written in clear: never repeat it
            problems.add(new Problem(
                    value.file(),
                    value.line(),
                    value.field(),
                    "(hidden)",
                    "must be a secret reference, not a value written in the file",
                    SecretRef.EXAMPLES));
            return null;
        }
        SecretRef.Resolution resolution = reference.get().resolve(home, environment);
        if (!resolution.found()) {
            problems.add(value, "cannot be resolved: " + resolution.missing(), SecretRef.EXAMPLES);
            return null;
        }
        return reference.get();
    }

    int port(Value value) {
        Integer port = integer(value, List.of("5432", "8080"));
        if (port != null && (port < 1 || port > 65535)) {
            problems.add(value, "is not a TCP port (1-65535)", List.of("5432", "8080"));
            return 0;
        }
        return port == null ? 0 : port;
    }

    int positive(Value value, List<String> examples) {
        Integer number = integer(value, examples);
        if (number != null && number < 1) {
            problems.add(value, "must be at least 1", examples);
            return 0;
        }
        return number == null ? 0 : number;
    }

    Integer integer(Value value, List<String> examples) {
        if (!value.present()) {
            return null;
        }
        try {
            return Integer.valueOf(value.text().strip());
        } catch (NumberFormatException e) {
            problems.add(value, "is not a whole number", examples);
            return null;
        }
    }

    /** A size of at least one byte; 0 after reporting when it is not one. */
    long positiveBytes(Value value, List<String> examples) {
        if (!value.present()) {
            return 0;
        }
        int reported = problems.size();
        long bytes = bytes(value);
        if (bytes < 1 && problems.size() == reported) {
            problems.add(value, "must be at least 1 byte", examples);
        }
        return bytes;
    }

    long bytes(Value value) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("([0-9]{1,12})\\s*(B|kB|MB|GB)?")
                .matcher(value.text().strip());
        if (!matcher.matches()) {
            problems.add(value, "is not a number of bytes", List.of("0", "50MB", "512kB"));
            return 0;
        }
        long unit = switch (matcher.group(2) == null ? "B" : matcher.group(2)) {
            case "kB" -> 1024L;
            case "MB" -> 1024L * 1024;
            case "GB" -> 1024L * 1024 * 1024;
            default -> 1L;
        };
        return Long.parseLong(matcher.group(1)) * unit;
    }

    Duration duration(Value value) {
        return value.present()
                ? report(value, Durations.parse(value.text()), "is not a duration", Durations.EXAMPLES)
                : null;
    }

    PointInTime pointInTime(Value value) {
        return value.present()
                ? report(
                        value,
                        PointInTime.parse(value.text()),
                        "is not latest, a time with a zone offset, or -DURATION",
                        PointInTime.EXAMPLES)
                : null;
    }

    Boolean copyOrNone(Value value) {
        if (!value.present()) {
            return null;
        }
        return switch (value.text()) {
            case "copy" -> Boolean.TRUE;
            case "none" -> Boolean.FALSE;
            default -> {
                problems.add(value, "must be copy or none", List.of("copy", "none"));
                yield null;
            }
        };
    }

    Boolean onOrOff(Value value) {
        if (!value.present()) {
            return null;
        }
        return switch (value.text()) {
            case "on" -> Boolean.TRUE;
            case "off" -> Boolean.FALSE;
            default -> {
                problems.add(value, "must be on or off", List.of("on", "off"));
                yield null;
            }
        };
    }

    <E extends Enum<E>> E choice(Value value, Class<E> type) {
        if (!value.present()) {
            return null;
        }
        Function<E, String> spelling = Scalars::spelling;
        for (E constant : type.getEnumConstants()) {
            if (spelling.apply(constant).equals(value.text())) {
                return constant;
            }
        }
        problems.add(
                value,
                "is not one of the choices",
                Arrays.stream(type.getEnumConstants()).map(spelling).toList());
        return null;
    }

    /** How a choice is written in files: {@code RUN_ONCE} is {@code run-once}. */
    static String spelling(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    Path existingFile(Value value) {
        return existingFile(value, List.of("jobs/sql/mask-customers.sql"));
    }

    Path existingFile(Value value, List<String> examples) {
        if (!value.present()) {
            return null;
        }
        Path path = home.resolve(value.text());
        if (!Files.isRegularFile(path)) {
            problems.add(value, "is not a file (paths are relative to the home " + home.root() + ")", examples);
            return null;
        }
        return path;
    }

    URI url(Value value) {
        if (!value.present()) {
            return null;
        }
        try {
            URI url = new URI(value.text());
            if (("http".equals(url.getScheme()) || "https".equals(url.getScheme())) && url.getHost() != null) {
                return url;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        problems.add(value, "is not an http or https URL", List.of("http://127.0.0.1:8089/forks"));
        return null;
    }

    /** A duration ({@code 30m}), or a multiple of the job's usual duration ({@code 2x}, {@code 1.5x}). */
    Threshold threshold(Value value) {
        if (!value.present()) {
            return null;
        }
        Optional<Duration> duration = Durations.parse(value.text());
        if (duration.isPresent()) {
            return new JobDefinition.LongerThan(duration.get());
        }
        java.util.regex.Matcher times = java.util.regex.Pattern.compile("([0-9]{1,4}(\\.[0-9]{1,3})?)x")
                .matcher(value.text().strip());
        if (times.matches() && new BigDecimal(times.group(1)).signum() > 0) {
            return new JobDefinition.TimesUsual(new BigDecimal(times.group(1)));
        }
        problems.add(
                value,
                "is not a duration, nor a multiple of the job's usual duration (a number and x)",
                THRESHOLD_EXAMPLES);
        return null;
    }

    private <T> T report(Value value, Optional<T> parsed, String message, List<String> examples) {
        if (parsed.isEmpty()) {
            problems.add(value, message, examples);
            return null;
        }
        return parsed.get();
    }
}
