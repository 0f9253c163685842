package io.forkrunner.backup;

import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.definition.ServiceDefinition.ServiceEvent;
import java.util.Map;

/**
 * Tells a service's receivers of an event that keeping its backups met (a gap in its WAL archive). Implemented by the
 * notifications, which read backups for their payloads: this package depends on the interface only.
 */
public interface ServiceEventNotifier {

    /** Tells the service's receivers of {@code event}; {@code details} are names, positions and times only. */
    void notify(ServiceDefinition service, ServiceEvent event, String message, Map<String, Object> details);
}
