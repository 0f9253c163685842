package io.forkrunner.definition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One mapping of a YAML file, read key by key. Every key asked for is a known key; {@link #finish()} reports the keys
 * that nobody asked for, so a typo never silently becomes a default.
 */
final class Section {

    private final String file;
    private final String path;
    private final int line;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    private final Set<String> known = new LinkedHashSet<>();
    private final Problems problems;
    /** The node was not a mapping, which was reported: its keys are not also reported missing. */
    private boolean reported;

    private Section(String file, String path, int line, Problems problems) {
        this.file = file;
        this.path = path;
        this.line = line;
        this.problems = problems;
    }

    /** The section of {@code node}, or an empty one (after reporting) when the node is not a mapping. */
    static Section of(String file, String path, Node node, Problems problems) {
        int line = node == null ? 0 : node.getStartMark().getLine() + 1;
        Section section = new Section(file, path, line, problems);
        if (node == null || isNull(node)) {
            return section;
        }
        if (!(node instanceof MappingNode mapping)) {
            problems.add(
                    section.valueOf(node, path.isEmpty() ? "(file)" : path),
                    "must be a mapping of keys to values",
                    List.of());
            section.reported = true;
            return section;
        }
        for (NodeTuple tuple : mapping.getValue()) {
            String key = tuple.getKeyNode() instanceof ScalarNode scalar
                    ? scalar.getValue()
                    : String.valueOf(tuple.getKeyNode());
            if (section.entries.putIfAbsent(key, tuple) != null) {
                problems.add(section.valueOf(tuple.getKeyNode(), section.field(key)), "is given twice", List.of());
            }
        }
        return section;
    }

    private static boolean isNull(Node node) {
        return node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.NULL);
    }

    String file() {
        return file;
    }

    int line() {
        return line;
    }

    String field(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    boolean has(String key) {
        known.add(key);
        NodeTuple tuple = entries.get(key);
        return tuple != null && !isNull(tuple.getValueNode());
    }

    /** The scalar under {@code key}; a missing one has null text. */
    Value value(String key) {
        known.add(key);
        NodeTuple tuple = entries.get(key);
        if (tuple == null || isNull(tuple.getValueNode())) {
            return new Value(file, tuple == null ? line : lineOf(tuple.getValueNode()), field(key), null);
        }
        Node node = tuple.getValueNode();
        if (!(node instanceof ScalarNode)) {
            problems.add(valueOf(node, field(key)), "must be a single value, not a list or mapping", List.of());
            return new Value(file, lineOf(node), field(key), null);
        }
        return valueOf(node, field(key));
    }

    /** The scalar under {@code key}, reported when missing. */
    Value required(String key, List<String> examples) {
        Value value = value(key);
        if (!has(key) && !reported) {
            problems.add(value, "is required", examples);
        }
        return value;
    }

    Section section(String key) {
        known.add(key);
        NodeTuple tuple = entries.get(key);
        Section section = of(file, field(key), tuple == null ? null : tuple.getValueNode(), problems);
        section.reported |= reported;
        return section;
    }

    /**
     * The mapping under {@code key} as plain values (maps, lists, strings, numbers, booleans), for what forkrunner
     * passes on without reading it, such as an Aiven integration's user_config; empty when absent.
     */
    Map<String, Object> plainMapping(String key) {
        known.add(key);
        NodeTuple tuple = entries.get(key);
        if (tuple == null || isNull(tuple.getValueNode())) {
            return Map.of();
        }
        if (!(tuple.getValueNode() instanceof MappingNode)) {
            problems.add(valueOf(tuple.getValueNode(), field(key)), "must be a mapping of keys to values", List.of());
            return null;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> plain = (Map<String, Object>) plain(tuple.getValueNode());
        return plain;
    }

    private static Object plain(Node node) {
        if (node instanceof MappingNode mapping) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                map.put(String.valueOf(plain(tuple.getKeyNode())), plain(tuple.getValueNode()));
            }
            return map;
        }
        if (node instanceof SequenceNode sequence) {
            List<Object> list = new ArrayList<>();
            sequence.getValue().forEach(item -> list.add(plain(item)));
            return list;
        }
        ScalarNode scalar = (ScalarNode) node;
        if (isNull(scalar)) {
            return null;
        }
        if (scalar.getTag().equals(Tag.BOOL)) {
            return Boolean.parseBoolean(scalar.getValue().toLowerCase(java.util.Locale.ROOT));
        }
        if (scalar.getTag().equals(Tag.INT)) {
            try {
                return Long.parseLong(scalar.getValue());
            } catch (NumberFormatException e) {
                return scalar.getValue();
            }
        }
        if (scalar.getTag().equals(Tag.FLOAT)) {
            try {
                return Double.parseDouble(scalar.getValue());
            } catch (NumberFormatException e) {
                return scalar.getValue();
            }
        }
        return scalar.getValue();
    }

    /** Whether {@code key} holds a mapping (rather than a scalar or a list). */
    boolean holdsMapping(String key) {
        NodeTuple tuple = entries.get(key);
        return tuple != null && tuple.getValueNode() instanceof MappingNode;
    }

    /** The scalars of this mapping by key, in order: for maps of free keys, such as a fork's tags. */
    Map<String, Value> scalars() {
        Map<String, Value> scalars = new LinkedHashMap<>();
        for (String key : List.copyOf(entries.keySet())) {
            scalars.put(key, value(key));
        }
        return scalars;
    }

    /** The keys of this mapping, each with its section: for maps keyed by name, such as {@code services}. */
    Map<String, Section> namedSections() {
        Map<String, Section> named = new LinkedHashMap<>();
        entries.forEach((key, tuple) -> named.put(key, of(file, field(key), tuple.getValueNode(), problems)));
        return named;
    }

    Value keyOf(String key) {
        NodeTuple tuple = entries.get(key);
        return new Value(file, tuple == null ? line : lineOf(tuple.getKeyNode()), field(key), key);
    }

    /** The items of a list of mappings under {@code key}. */
    List<Section> sections(String key) {
        return sequence(key).stream()
                .map(item -> of(file, item.path, item.node, problems))
                .toList();
    }

    /** The items of a list of scalars under {@code key}. */
    List<Value> values(String key) {
        List<Value> values = new ArrayList<>();
        for (Item item : sequence(key)) {
            if (item.node instanceof ScalarNode) {
                values.add(valueOf(item.node, item.path));
            } else {
                problems.add(valueOf(item.node, item.path), "must be a single value", List.of());
            }
        }
        return values;
    }

    /** The items of a list of scalars under {@code key}, reported when the list is missing or empty. */
    List<Value> requiredValues(String key, List<String> examples) {
        List<Value> values = values(key);
        NodeTuple tuple = entries.get(key);
        if (!has(key)) {
            if (!reported) {
                problems.add(value(key), "is required", examples);
            }
        } else if (tuple.getValueNode() instanceof SequenceNode sequence
                && sequence.getValue().isEmpty()) {
            problems.add(new Value(file, lineOf(sequence), field(key), "[]"), "must not be empty", examples);
        }
        return values;
    }

    Optional<List<Value>> optionalValues(String key) {
        return has(key) ? Optional.of(values(key)) : Optional.empty();
    }

    private List<Item> sequence(String key) {
        known.add(key);
        NodeTuple tuple = entries.get(key);
        if (tuple == null || isNull(tuple.getValueNode())) {
            return List.of();
        }
        if (!(tuple.getValueNode() instanceof SequenceNode sequence)) {
            problems.add(valueOf(tuple.getValueNode(), field(key)), "must be a list", List.of());
            return List.of();
        }
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < sequence.getValue().size(); i++) {
            items.add(new Item(field(key) + "[" + i + "]", sequence.getValue().get(i)));
        }
        return items;
    }

    /** Reports every key that was not asked for. Call after all known keys were read. */
    void finish() {
        for (String key : entries.keySet()) {
            if (!known.contains(key)) {
                problems.add(keyOf(key), "is not a known key here", List.copyOf(known));
            }
        }
    }

    /** The node as a value for messages; a list or mapping is shown by its shape, never by what it holds. */
    private Value valueOf(Node node, String field) {
        String text;
        if (node instanceof ScalarNode scalar) {
            text = scalar.getValue();
        } else {
            text = node instanceof SequenceNode ? "[...]" : "{...}";
        }
        return new Value(file, lineOf(node), field, text);
    }

    private static int lineOf(Node node) {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    private record Item(String path, Node node) {}
}
