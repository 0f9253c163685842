package io.forkrunner.engine;

import io.forkrunner.system.PasswordFile;
import io.forkrunner.system.Secret;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * How forkrunner logs in to an instance it made from a source: with the source's login; where that login has no
 * password, with a password generated for the instance, kept in {@value #FILE} (mode 0600) in the instance's own
 * directory, so that a restart of the run or of {@code serve} finds it. No instance lets a login in without a password.
 */
public final class GeneratedLogin {

    /** In an instance's directory: the password generated for the source's login there. */
    public static final String FILE = "login.password";

    private GeneratedLogin() {}

    /** The source's {@code login} at {@code host:port}, the instance in {@code directory}. */
    public static Endpoint of(Endpoint login, String host, int port, Path directory) {
        Secret password = login.password() == null ? password(directory) : login.password();
        return new Endpoint(host, port, login.user(), password);
    }

    /**
     * Has the instance in {@code to}, which has no generated password yet, ask the same one as the instance in
     * {@code from}: a temporary instance whose roles a fork loads, verifiers included.
     */
    public static void share(Path from, Path to) {
        if (!Files.exists(to.resolve(FILE), LinkOption.NOFOLLOW_LINKS)) {
            PasswordFile.write(to.resolve(FILE), password(from));
        }
    }

    /** The password generated for the instance in {@code directory}: the one kept there, or a new one. */
    public static Secret password(Path directory) {
        Path file = directory.resolve(FILE);
        return Files.exists(file, LinkOption.NOFOLLOW_LINKS)
                ? PasswordFile.read(file, "the password forkrunner generated for its login to " + directory)
                : PasswordFile.generate(file);
    }
}
