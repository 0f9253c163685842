package io.forkrunner.definition;

/**
 * A scalar as written in a file, with where it was written, so that a problem found later can still name file, line
 * and field. {@code text} is null when the field is missing.
 */
record Value(String file, int line, String field, String text) {

    boolean present() {
        return text != null;
    }
}
