package io.forkrunner.notification;

import io.forkrunner.backup.ServiceEventNotifier;
import io.forkrunner.definition.ServiceDefinition;
import io.forkrunner.definition.ServiceDefinition.ServiceEvent;
import io.forkrunner.definition.ServiceDefinition.ServiceNotification;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Records one pending notification per item of a service's {@code notifications} asking for the event; the same
 * dispatcher as run notifications delivers them. The payload holds the event, the service, a message and the
 * event's names, positions and times, with every known secret hidden. Recording never throws.
 */
@Component
public class ServiceNotifications implements ServiceEventNotifier {

    private static final Logger log = LoggerFactory.getLogger(ServiceNotifications.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final NotificationRecords records;
    private final Redaction redaction;
    private final Clock clock;

    ServiceNotifications(NotificationRecords records, Redaction redaction, Clock clock) {
        this.records = records;
        this.redaction = redaction;
        this.clock = clock;
    }

    @Override
    public void notify(ServiceDefinition service, ServiceEvent event, String message, Map<String, Object> details) {
        String name = eventName(event);
        try {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("event", name);
            body.put("service", service.name());
            body.put("message", redaction.scrub(message));
            details.forEach(
                    (key, value) -> body.put(key, value instanceof String text ? redaction.scrub(text) : value));
            body.put("at", clock.instant().toString());
            String json = JSON.writeValueAsString(body);
            for (ServiceNotification notification : service.notifications()) {
                if (notification.on() == event) {
                    records.recordForService(service.name(), name, notification.url(), json);
                    log.info("service {}: {} notification recorded", service.name(), name);
                }
            }
        } catch (RuntimeException e) {
            log.error("service {}: cannot record its {} notifications: {}", service.name(), name, e.toString());
        }
    }

    /** As named in a payload: {@code backup.failed}, {@code wal.gap}. */
    static String eventName(ServiceEvent event) {
        return switch (event) {
            case BACKUP_FAILURE -> "backup.failed";
            case WAL_GAP -> "wal.gap";
        };
    }
}
