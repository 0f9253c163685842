package io.forkrunner.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Whole directory trees: their size, and their removal, only ever under a directory forkrunner made. */
public final class DirectoryTree {

    private DirectoryTree() {}

    /**
     * Removes {@code target} and everything in it, refused unless it lies under {@code owner} (the directory forkrunner
     * keeps it in): its path, with {@code ..} resolved and the links leading to it followed, starts below {@code owner}.
     * Links inside the tree are removed, never followed.
     */
    public static void deleteUnder(Path owner, Path target) {
        requireUnder(owner, target);
        delete(target);
    }

    /** Refuses, naming both, a {@code target} that does not lie strictly under {@code owner}. */
    public static void requireUnder(Path owner, Path target) {
        if (!liesUnder(owner, target)) {
            throw new ForkrunnerException("refusing to delete " + target + ": it does not lie under " + owner
                    + ", where forkrunner keeps what it makes; nothing was deleted");
        }
    }

    /** Whether {@code target} lies strictly under {@code owner}, by its path and by where its links lead. */
    public static boolean liesUnder(Path owner, Path target) {
        Path root = owner.toAbsolutePath().normalize();
        Path path = target.toAbsolutePath().normalize();
        if (!path.startsWith(root) || path.equals(root)) {
            return false;
        }
        try {
            Path parent = path.getParent();
            return !Files.exists(parent, LinkOption.NOFOLLOW_LINKS)
                    || parent.toRealPath().startsWith(root.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    /** Removes {@code root} and everything in it; links are removed, never followed. Prefer {@link #deleteUnder}. */
    public static void delete(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + root, e);
        }
    }

    public static long size(Path root) {
        try (Stream<Path> tree = Files.walk(root)) {
            return tree.filter(Files::isRegularFile)
                    .mapToLong(path -> path.toFile().length())
                    .sum();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + root, e);
        }
    }
}
