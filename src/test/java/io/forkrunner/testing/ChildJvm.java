package io.forkrunner.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * The start of a forkrunner child JVM's command line in tests, with a class data sharing archive of the classes
 * {@code serve} loads, as the launcher uses one: a child's start-up then takes about half the CPU. CDS archives
 * classes from jars only, so forkrunner's classes go into one jar; the archive is made by a {@code serve} that starts
 * and stops. Both are made once per build of {@code target/classes}, under a file lock: the test JVMs that start a
 * child meanwhile wait for them. The archive's name carries what it fits (the JDK and the class path), so a child
 * never meets an archive it would refuse.
 */
final class ChildJvm {

    private static final Path DIRECTORY = Path.of("target", "test-jvm").toAbsolutePath();

    /** The first JIT tier and one GC thread: these JVMs mostly wait on servers, many at once on two cores. */
    private static final List<String> OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private static List<String> start;

    private ChildJvm() {}

    /** {@code java}, its options and the class path, ending before the main class. */
    static synchronized List<String> start() {
        if (start == null) {
            start = prepare();
        }
        return start;
    }

    private static List<String> prepare() {
        try {
            Files.createDirectories(DIRECTORY);
            try (FileChannel channel = FileChannel.open(
                            DIRECTORY.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = channel.lock()) {
                Path classes = jarOfClasses();
                String classpath = Files.readString(Path.of("target/runtime-classpath.txt"))
                                .strip()
                        + java.io.File.pathSeparator
                        + classes;
                Path archive = DIRECTORY.resolve("serve-" + fingerprint(classpath, classes) + ".jsa");
                if (!Files.exists(archive)) {
                    train(classpath, archive);
                }
                return List.copyOf(command("-XX:SharedArchiveFile=" + archive, classpath));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code target/classes} as one jar, made again when a class is newer than it. */
    private static Path jarOfClasses() throws IOException {
        Path classes = Path.of("target", "classes").toAbsolutePath();
        Path jar = DIRECTORY.resolve("forkrunner-classes.jar");
        FileTime newest;
        try (Stream<Path> files = Files.walk(classes)) {
            newest = files.filter(Files::isRegularFile)
                    .map(ChildJvm::modified)
                    .max(FileTime::compareTo)
                    .orElseThrow();
        }
        if (Files.exists(jar) && Files.getLastModifiedTime(jar).compareTo(newest) >= 0) {
            return jar;
        }
        Path made = DIRECTORY.resolve("forkrunner-classes.jar.new");
        try (OutputStream out = Files.newOutputStream(made);
                JarOutputStream jarOut = new JarOutputStream(out);
                Stream<Path> files = Files.walk(classes)) {
            // directories too: Flyway finds its migrations by resolving their directory's URL
            for (Path file :
                    files.filter(file -> !file.equals(classes)).sorted().toList()) {
                String name = classes.relativize(file).toString().replace(java.io.File.separatorChar, '/');
                if (Files.isDirectory(file)) {
                    jarOut.putNextEntry(new JarEntry(name + "/"));
                } else {
                    jarOut.putNextEntry(new JarEntry(name));
                    Files.copy(file, jarOut);
                }
                jarOut.closeEntry();
            }
        }
        return Files.move(made, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The start of a command line: {@code java}, its options, {@code archiveOption} and the class path. */
    private static List<String> command(String archiveOption, String classpath) {
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(OPTIONS);
        command.addAll(List.of(archiveOption, "-cp", classpath));
        return command;
    }

    /** What an archive fits: the JDK, the class path and the jar of classes it was made with. */
    private static String fingerprint(String classpath, Path classes) throws IOException {
        String fits = System.getProperty("java.home") + "\n" + System.getProperty("java.vm.version") + "\n" + classpath
                + "\n" + Files.getLastModifiedTime(classes).toMillis();
        return Integer.toHexString(fits.hashCode());
    }

    /** Starts {@code serve} in a home of its own until it serves, stops it, and keeps the archive it writes at exit. */
    private static void train(String classpath, Path archive) throws IOException {
        try (Stream<Path> old = Files.list(DIRECTORY)) {
            for (Path file : old.filter(file -> file.getFileName().toString().startsWith("serve-"))
                    .toList()) {
                Files.delete(file);
            }
        }
        Path made = DIRECTORY.resolve(archive.getFileName() + ".new");
        try (TestHome home = TestHome.create("cds-training")) {
            Path log = home.path("var/log/serve.out");
            Files.createDirectories(log.getParent());
            List<String> command = command("-XX:ArchiveClassesAtExit=" + made, classpath);
            command.addAll(
                    List.of("io.forkrunner.cli.Cli", "--home", home.root().toString(), "serve"));
            Process serve = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            try {
                Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> serving(log) || !serve.isAlive());
                if (!serving(log)) {
                    throw new IllegalStateException("the serve that makes the CDS archive ended: " + log);
                }
                serve.destroy(); // SIGTERM: the JVM exits, writing the archive
                if (!serve.waitFor(2, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("the serve that makes the CDS archive did not stop: " + log);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                serve.destroyForcibly();
            }
            if (!Files.exists(made)) {
                throw new IllegalStateException("the serve that makes the CDS archive wrote none: " + log);
            }
        }
        Files.move(made, archive, StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean serving(Path log) throws IOException {
        return Files.readString(log).lines().anyMatch(line -> line.startsWith("serving "));
    }
}
