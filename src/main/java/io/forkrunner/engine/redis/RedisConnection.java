package io.forkrunner.engine.redis;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.VerifiedTls;
import io.forkrunner.system.ForkrunnerException;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection to a Redis server speaking RESP2: over TCP to a service or fork, or over a Unix socket to a scratch
 * server of forkrunner's own. Commands go as arrays of bulk strings, so a key or a name read from a source is only
 * ever an argument, never parsed. Replies: {@link String} (status), {@code byte[]} (bulk, null for nil), {@link Long},
 * {@link List}; an error reply throws {@link RedisError}. Several commands may be written before their replies are
 * read ({@link #pipeline}).
 */
public final class RedisConnection implements AutoCloseable {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** How long a reply may take: a large DEBUG DIGEST-VALUE or CONFIG GET is quick; a stuck server is not. */
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(5);

    private final String where;
    private final AutoCloseable transport;
    private final InputStream in;
    private final OutputStream out;
    /** Read ahead of the parser: replies are read a byte at a time, never through a synchronized stream. */
    private final byte[] buffer = new byte[64 * 1024];

    private int position;
    private int limit;

    private RedisConnection(String where, AutoCloseable transport, InputStream in, OutputStream out) {
        this.where = where;
        this.transport = transport;
        this.in = in;
        this.out = new BufferedOutputStream(out, 64 * 1024);
    }

    /**
     * Connects to {@code endpoint} and logs in as its user with its password; no login when it has none. An endpoint
     * with a certificate authority is reached over TLS, the server verified ({@link VerifiedTls}).
     */
    public static RedisConnection open(Endpoint endpoint) {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), (int) CONNECT_TIMEOUT.toMillis());
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            if (endpoint.certificateAuthority() != null) {
                socket = VerifiedTls.over(socket, endpoint.host(), endpoint.port(), endpoint.certificateAuthority());
            }
            RedisConnection connection =
                    new RedisConnection(endpoint.toString(), socket, socket.getInputStream(), socket.getOutputStream());
            if (endpoint.password() != null) {
                try {
                    connection.call("AUTH", endpoint.user(), endpoint.password().reveal());
                } catch (RedisError e) {
                    connection.close();
                    throw new ForkrunnerException("cannot log in to Redis at " + endpoint + ": " + e.reply());
                }
            }
            return connection;
        } catch (IOException e) {
            closeQuietly(socket);
            throw new ForkrunnerException("cannot reach Redis at " + endpoint + ": " + e.getMessage(), e);
        }
    }

    /** Connects to a server of forkrunner's own through its Unix socket, without a login. */
    static RedisConnection open(Path socket) {
        try {
            SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            return new RedisConnection(
                    socket.toString(), channel, Channels.newInputStream(channel), Channels.newOutputStream(channel));
        } catch (IOException e) {
            throw new ForkrunnerException("cannot reach Redis at " + socket + ": " + e.getMessage(), e);
        }
    }

    /** Sends one command and returns its reply. */
    public Object call(Object... arguments) {
        return pipeline(List.<Object[]>of(arguments)).get(0);
    }

    /** The reply of a command as text: a status, a bulk string or an integer. */
    public String text(Object... arguments) {
        return asText(call(arguments));
    }

    /**
     * Sends every command before reading any reply, then reads their replies in order. An error reply of one is
     * thrown once all replies are read, so that the connection stays in step.
     */
    public List<Object> pipeline(List<Object[]> commands) {
        List<Object> replies = new ArrayList<>(commands.size());
        RedisError first = null;
        try {
            for (Object[] command : commands) {
                write(command);
            }
            out.flush();
            for (int i = 0; i < commands.size(); i++) {
                Object reply = read();
                if (reply instanceof RedisError error && first == null) {
                    first = error;
                }
                replies.add(reply);
            }
        } catch (IOException e) {
            throw new ForkrunnerException("lost the connection to Redis at " + where + ": " + e.getMessage(), e);
        }
        if (first != null) {
            throw first;
        }
        return replies;
    }

    private void write(Object[] command) throws IOException {
        out.write(('*' + String.valueOf(command.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (Object argument : command) {
            byte[] bytes = argument instanceof byte[] raw
                    ? raw
                    : String.valueOf(argument).getBytes(StandardCharsets.UTF_8);
            out.write(('$' + String.valueOf(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.write('\r');
            out.write('\n');
        }
    }

    private Object read() throws IOException {
        int type = next();
        if (type < 0) {
            throw new EOFException("the server closed the connection");
        }
        String line = line();
        return switch (type) {
            case '+' -> line;
            case '-' -> new RedisError(where, line);
            case ':' -> Long.parseLong(line);
            case '$' -> bulk(Integer.parseInt(line));
            case '*' -> {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    yield null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(read());
                }
                yield items;
            }
            default -> throw new IOException("not a RESP reply: " + (char) type + line);
        };
    }

    private byte[] bulk(int length) throws IOException {
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        int filled = 0;
        while (filled < length) {
            if (position == limit && !fill()) {
                throw new EOFException("a reply ended early");
            }
            int count = Math.min(length - filled, limit - position);
            System.arraycopy(buffer, position, bytes, filled, count);
            position += count;
            filled += count;
        }
        if (next() != '\r' || next() != '\n') {
            throw new EOFException("a reply ended early");
        }
        return bytes;
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = next()) != '\r') {
            if (c < 0) {
                throw new EOFException("a reply ended early");
            }
            line.append((char) c);
        }
        if (next() != '\n') {
            throw new IOException("a reply line does not end in CRLF");
        }
        return line.toString();
    }

    /** The next byte of the server's replies; -1 at their end. */
    private int next() throws IOException {
        if (position == limit && !fill()) {
            return -1;
        }
        return buffer[position++] & 0xff;
    }

    private boolean fill() throws IOException {
        int read = in.read(buffer, 0, buffer.length);
        if (read <= 0) {
            return false;
        }
        position = 0;
        limit = read;
        return true;
    }

    /** A reply as text; null for nil. */
    public static String asText(Object reply) {
        if (reply == null) {
            return null;
        }
        if (reply instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return String.valueOf(reply);
    }

    @Override
    public void close() {
        closeQuietly(transport);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // closing: nothing left to do with it
        }
    }

    /** An error reply of the server, e.g. {@code NOAUTH Authentication required.} */
    static final class RedisError extends ForkrunnerException {

        private final String reply;

        RedisError(String where, String reply) {
            super("Redis at " + where + " answered: " + reply);
            this.reply = reply;
        }

        String reply() {
            return reply;
        }
    }
}
