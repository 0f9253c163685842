package io.forkrunner.notification;

import io.forkrunner.definition.JobDefinition.NotifyOn;

/** What a notification tells, as named in its payload. */
enum Event {
    FAILED("run.failed", NotifyOn.FAILURE),
    SUCCEEDED("run.succeeded", NotifyOn.SUCCESS),
    LONG_RUNNING("run.long-running", NotifyOn.LONG_RUNNING);

    private final String text;
    private final NotifyOn on;

    Event(String text, NotifyOn on) {
        this.text = text;
        this.on = on;
    }

    String text() {
        return text;
    }

    /** The job file's {@code on:} that asks for this event. */
    NotifyOn on() {
        return on;
    }
}
