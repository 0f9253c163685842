package io.forkrunner.cassandra;

import com.datastax.driver.core.PlainTextAuthProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The login of Cassandra's bulk loader ({@code sstableloader}, started by forkrunner with {@code -ap} naming this class)
 * read from a file instead of its command line: the file the system property {@value #PROPERTY} names, the role on its
 * first line and the password on its second, readable by the loader's user alone.
 */
public final class PassfileAuthProvider extends PlainTextAuthProvider {

    /** The system property naming the login's file. */
    public static final String PROPERTY = "forkrunner.passfile";

    public PassfileAuthProvider() {
        this(login());
    }

    private PassfileAuthProvider(List<String> login) {
        super(login.get(0), login.get(1));
    }

    private static List<String> login() {
        String file = System.getProperty(PROPERTY);
        if (file == null) {
            throw new IllegalStateException("no login for the bulk loader: the system property " + PROPERTY
                    + " names no file");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bulk loader's login from " + file, e);
        }
        if (lines.size() != 2) {
            throw new IllegalStateException(file + " holds " + lines.size() + " lines, not a role and a password");
        }
        return lines;
    }
}
