package io.forkrunner.engine;

/**
 * What a recovery reached.
 *
 * @param timeline the fork's own timeline after promotion
 * @param stoppedAtTarget true when recovery stopped at the target time; false when it replayed the whole archive
 *     because nothing in it was committed after the target
 * @param subscriptionsDisabled logical-replication subscriptions carried from the source and disabled on the fork
 */
public record Restored(int timeline, boolean stoppedAtTarget, int subscriptionsDisabled) {}
