package io.forkrunner.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a secret comes from, as written in a file: {@code ${env:NAME}} or {@code ${file:PATH}}. The reference may be
 * stored, logged and shown; the value never is.
 */
public record SecretRef(Kind kind, String name) {

    public enum Kind {
        ENV,
        FILE
    }

    public static final List<String> EXAMPLES = List.of("${env:SHOP_PASSWORD}", "${file:/run/secrets/shop}");

    private static final Pattern FORM = Pattern.compile("\\$\\{(env|file):([^}]+)}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** The reference written in {@code text}, empty when it is not one. */
    public static Optional<SecretRef> parse(String text) {
        Matcher matcher = FORM.matcher(text.strip());
        if (!matcher.matches()) {
            return Optional.empty();
        }
        Kind kind = matcher.group(1).equals("env") ? Kind.ENV : Kind.FILE;
        String name = matcher.group(2).strip();
        if (kind == Kind.ENV && !ENV_NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        return Optional.of(new SecretRef(kind, name));
    }

    /**
     * The secret's value, or a message saying why there is none. The message names the reference, never a value.
     */
    public Resolution resolve(Home home, Map<String, String> environment) {
        if (kind == Kind.ENV) {
            String value = environment.get(name);
            return value == null || value.isEmpty()
                    ? Resolution.missing("environment variable " + name + " is not set")
                    : Resolution.of(value);
        }
        Path path = home.resolve(name);
        if (!Files.isReadable(path)) {
            return Resolution.missing("file " + path + " does not exist or cannot be read");
        }
        try {
            String value = Files.readString(path).strip();
            return value.isEmpty() ? Resolution.missing("file " + path + " is empty") : Resolution.of(value);
        } catch (IOException e) {
            return Resolution.missing("file " + path + " cannot be read: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "${" + kind.name().toLowerCase(Locale.ROOT) + ":" + name + "}";
    }

    /** A secret, or why it is missing. */
    public record Resolution(Secret secret, String missing) {

        static Resolution of(String value) {
            return new Resolution(new Secret(value), null);
        }

        static Resolution missing(String why) {
            return new Resolution(null, why);
        }

        public boolean found() {
            return secret != null;
        }
    }
}
