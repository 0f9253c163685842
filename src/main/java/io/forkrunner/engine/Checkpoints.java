package io.forkrunner.engine;

/** Where long engine work records how far it got, so that a restart skips what is done. Saved at once. */
public interface Checkpoints {

    boolean reached(String checkpoint);

    void reach(String checkpoint);
}
