package io.forkrunner.engine.opensearch;

import io.forkrunner.system.ForkrunnerException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.smile.SmileMapper;

/**
 * The files of one snapshot in an {@code fs} repository, checked byte by byte without a cluster: each shard's file
 * list ({@code indices/ID/N/snap-UUID.dat}, SMILE behind a Lucene codec header), and every file it names, whole
 * (split in {@code .partN} blobs when large, or held in the list itself when small), against the length and the Lucene
 * CRC-32 the snapshot recorded for it. Every blob of the repository ends in a Lucene footer whose checksum covers it.
 */
final class SnapshotFiles {

    private static final SmileMapper SMILE = SmileMapper.builder().build();
    private static final int CODEC_MAGIC = 0x3fd76c17;
    private static final int FOOTER_MAGIC = ~CODEC_MAGIC;
    private static final int FOOTER_LENGTH = 16;

    private final Path repository;

    SnapshotFiles(Path repository) {
        this.repository = repository;
    }

    /**
     * What is wrong with snapshot {@code uuid}'s files: its metadata, and for each index (by its id in the repository)
     * each of its {@code shards} shards' file list and files. Empty when all are whole. Also sums their bytes.
     */
    Checked check(String uuid, List<IndexShards> indices) {
        List<String> problems = new ArrayList<>();
        long bytes = 0;
        for (String name : List.of("snap-" + uuid + ".dat", "meta-" + uuid + ".dat")) {
            footerProblem(repository.resolve(name)).ifPresent(problems::add);
        }
        for (IndexShards index : indices) {
            for (int shard = 0; shard < index.shards(); shard++) {
                Path directory =
                        repository.resolve("indices").resolve(index.id()).resolve(String.valueOf(shard));
                Path list = directory.resolve("snap-" + uuid + ".dat");
                Optional<String> problem = linked(directory).or(() -> footerProblem(list));
                if (problem.isPresent()) {
                    problems.add(problem.get());
                    continue;
                }
                for (JsonNode file : readBlob(list).path("files")) {
                    bytes += file.path("length").asLong();
                    checkFile(directory, index.name() + " shard " + shard, file).ifPresent(problems::add);
                }
            }
        }
        return new Checked(problems, bytes);
    }

    /** The problems found and the bytes of the files the snapshot's shards name. */
    record Checked(List<String> problems, long bytes) {}

    /** An index of a snapshot: its name, its id in the repository, its number of shards. */
    record IndexShards(String name, String id, int shards) {}

    /**
     * The global state snapshot {@code uuid} holds (its {@code meta-UUID.dat}): persistent cluster settings, index
     * templates, ingest pipelines and stored scripts.
     */
    GlobalState globalState(String uuid) {
        JsonNode metadata =
                readBlob(repository.resolve("meta-" + uuid + ".dat")).path("meta-data");
        Map<String, String> settings = new TreeMap<>();
        metadata.path("settings")
                .properties()
                .forEach(entry -> settings.put(entry.getKey(), entry.getValue().asString("")));
        Set<String> pipelines = new TreeSet<>();
        metadata.path("ingest")
                .path("pipeline")
                .forEach(pipeline -> pipelines.add(pipeline.path("id").asString("")));
        return new GlobalState(
                settings,
                new TreeSet<>(
                        metadata.path("index_template").path("index_template").propertyNames()),
                pipelines,
                new TreeSet<>(metadata.path("stored_scripts").propertyNames()));
    }

    /** A snapshot's global state: what a fork's cluster must hold besides its indices. */
    record GlobalState(
            Map<String, String> persistentSettings,
            Set<String> indexTemplates,
            Set<String> pipelines,
            Set<String> scripts) {}

    /** A blob of metadata: the SMILE between its codec header and its footer. */
    private static JsonNode readBlob(Path list) {
        byte[] bytes = read(list);
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.getInt(); // the magic, checked with the footer
        int nameLength = readVInt(buffer);
        buffer.position(buffer.position() + nameLength + Integer.BYTES);
        int start = buffer.position();
        return SMILE.readTree(bytes, start, bytes.length - FOOTER_LENGTH - start);
    }

    /** One file of a shard's list against its recorded length and checksum. */
    private Optional<String> checkFile(Path directory, String shard, JsonNode file) {
        String blob = file.path("name").asString("");
        String physical = file.path("physical_name").asString("");
        long length = file.path("length").asLong(-1);
        String expected = file.path("checksum").asString("");
        long partSize = file.path("part_size").asLong(Long.MAX_VALUE);
        if (!blob.matches("v?__[A-Za-z0-9_-]+")) {
            return Optional.of(shard + " names a file blob " + blob + " that is not a blob name");
        }
        CRC32 crc = new CRC32();
        byte[] last8 = new byte[8];
        long[] seen = {0};
        if (blob.startsWith("v__")) {
            byte[] content = file.path("meta_hash").binaryValue();
            feed(crc, last8, seen, content, content.length, length);
        } else {
            long parts = length <= partSize ? 1 : (length + partSize - 1) / partSize;
            for (long part = 0; part < parts; part++) {
                Path path = directory.resolve(parts == 1 ? blob : blob + ".part" + part);
                try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        feed(crc, last8, seen, buffer, n, length);
                    }
                } catch (NoSuchFileException e) {
                    return Optional.of(shard + ": " + physical + " is missing (" + repository.relativize(path) + ")");
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + path, e);
                }
            }
        }
        if (seen[0] != length) {
            return Optional.of(shard + ": " + physical + " has " + seen[0] + " bytes, the snapshot says " + length);
        }
        long footer = ByteBuffer.wrap(last8).getLong();
        String found = Long.toString(crc.getValue(), Character.MAX_RADIX);
        if (length >= 8 && (crc.getValue() != footer || !found.equals(expected))) {
            return Optional.of(shard + ": " + physical + " does not match its checksum (" + found + ", the"
                    + " snapshot says " + expected + ")");
        }
        return Optional.empty();
    }

    /** Feeds {@code n} bytes at offset {@code seen[0]} of a file of {@code length}: the CRC covers all but the last 8. */
    private static void feed(CRC32 crc, byte[] last8, long[] seen, byte[] bytes, int n, long length) {
        for (int i = 0; i < n; i++) {
            long at = seen[0] + i;
            if (at < length - 8) {
                continue;
            }
            if (at < length) {
                last8[(int) (at - (length - 8))] = bytes[i];
            }
        }
        long covered = Math.max(0, Math.min(n, length - 8 - seen[0]));
        crc.update(bytes, 0, (int) covered);
        seen[0] += n;
    }

    /** Whether a blob of the repository is there and whole: its Lucene footer's checksum covers the rest. */
    private static Optional<String> footerProblem(Path blob) {
        byte[] bytes;
        try {
            bytes = read(blob);
        } catch (ForkrunnerException e) {
            return Optional.of(e.getMessage());
        }
        if (bytes.length < FOOTER_LENGTH + 4 || ByteBuffer.wrap(bytes).getInt() != CODEC_MAGIC) {
            return Optional.of(blob.getFileName() + " is not a snapshot blob");
        }
        ByteBuffer footer = ByteBuffer.wrap(bytes, bytes.length - FOOTER_LENGTH, FOOTER_LENGTH);
        int magic = footer.getInt();
        footer.getInt(); // the algorithm: 0, CRC-32
        long recorded = footer.getLong();
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 8);
        if (magic != FOOTER_MAGIC || crc.getValue() != recorded) {
            return Optional.of(blob.getFileName() + " does not match its checksum");
        }
        return Optional.empty();
    }

    /** A directory of the repository that is a link (the cluster's OS user could plant one): never followed. */
    private Optional<String> linked(Path directory) {
        for (Path each = directory; !each.equals(repository); each = each.getParent()) {
            if (Files.isSymbolicLink(each)) {
                return Optional.of(
                        repository.relativize(each) + " is a symbolic link, not a directory of the repository");
            }
        }
        return Optional.empty();
    }

    /** The bytes of a file of the repository; a link in its place is refused, never read through. */
    static byte[] read(Path file) {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return in.readAllBytes();
        } catch (NoSuchFileException e) {
            throw new ForkrunnerException(file.getFileName() + " is missing");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static int readVInt(ByteBuffer buffer) {
        int value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = buffer.get();
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }
}
