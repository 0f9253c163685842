package io.forkrunner.definition;

import java.util.List;
import java.util.regex.Pattern;

/** The rule for names of services, jobs and regions: {@code [a-z][a-z0-9-]{0,62}}. */
public final class Names {

    public static final List<String> EXAMPLES = List.of("shop", "shop-dev", "eu-local");
    private static final Pattern RULE = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    private Names() {}

    public static boolean valid(String name) {
        return name != null && RULE.matcher(name).matches();
    }

    public static String require(String name, String what) {
        if (!valid(name)) {
            throw new IllegalArgumentException(what + " \"" + name + "\" does not match " + RULE.pattern());
        }
        return name;
    }

    public static final String RULE_TEXT =
            "must match [a-z][a-z0-9-]{0,62}: a lower-case letter, then letters, digits or '-'";
}
