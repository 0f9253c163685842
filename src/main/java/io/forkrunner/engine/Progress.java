package io.forkrunner.engine;

/** Where long work reports how far it has got, e.g. bytes laid down or WAL segments replayed. */
@FunctionalInterface
public interface Progress {

    Progress NONE = (what, done, total) -> {};

    /**
     * @param what what is being counted ("bytes laid down")
     * @param done how much is done
     * @param total how much there is in all; 0 when unknown
     */
    void report(String what, long done, long total);
}
