package io.forkrunner.system;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** This process as other processes see it in the metadata store: {@code HOST:PID}. */
public final class Node {

    private Node() {}

    public static String current() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return host + ":" + ProcessHandle.current().pid();
    }
}
