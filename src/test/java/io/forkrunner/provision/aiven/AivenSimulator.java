package io.forkrunner.provision.aiven;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.forkrunner.testing.Ports;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The parts of the Aiven REST API forkrunner calls, as the published API describes them (request and response shapes
 * of Aiven's generated client), served on 127.0.0.1 for tests: services created (forks included), read and deleted,
 * their backups and point-in-time window, the plans of each service type with their node counts. A created service
 * is REBUILDING, with restore progress on its node, until it has been read a given number of times (or forever, when
 * stalled), then RUNNING. Every call is recorded with its body; faults (a status with headers and a body, or a slow
 * answer) can be queued for the next matching calls.
 */
public final class AivenSimulator implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern SERVICE = Pattern.compile("/v1/project/([^/]+)/service/([^/]+)");
    private static final Pattern BACKUPS = Pattern.compile("/v1/project/([^/]+)/service/([^/]+)/backups");
    private static final Pattern CREATE = Pattern.compile("/v1/project/([^/]+)/service");
    private static final Pattern TYPES = Pattern.compile("/v1/project/([^/]+)/service_types");
    private static final Pattern INTEGRATION = Pattern.compile("/v1/project/([^/]+)/integration");
    private static final Pattern SERVICE_INTEGRATIONS =
            Pattern.compile("/v1/project/([^/]+)/service/([^/]+)/integration");
    private static final Pattern USER = Pattern.compile("/v1/project/([^/]+)/service/([^/]+)/user/([^/]+)");
    private static final Pattern AUTHORITY = Pattern.compile("/v1/project/([^/]+)/kms/ca");

    /** A call as the simulator received it. */
    public record Call(String method, String path, String authorization, JsonNode body) {}

    private record Fault(
            String method,
            Pattern path,
            int status,
            Map<String, String> headers,
            String body,
            Duration delay,
            boolean afterDoing) {}

    private final HttpServer server;
    private final String token;
    private final List<Call> calls = new ArrayList<>();
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final Map<String, ObjectNode> services = new LinkedHashMap<>();
    private final Map<String, ObjectNode> backups = new LinkedHashMap<>();
    private final Map<String, Integer> readsLeft = new LinkedHashMap<>();
    private final ObjectNode serviceTypes = JSON.createObjectNode();
    private int readsToRun = 3;
    private int integrations;
    private boolean stalled;
    /** Where new services answer, as {@code service_uri_params}: a real server of the test's; null for a made-up one. */
    private ObjectNode answerAt;

    private String certificateAuthority;

    private AivenSimulator(HttpServer server, String token) {
        this.server = server;
        this.token = token;
    }

    /** A simulator that takes {@code token} and refuses any other with 403. */
    public static AivenSimulator start(String token) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Ports.one()), 0);
        AivenSimulator simulator = new AivenSimulator(server, token);
        server.createContext("/", simulator::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        return simulator;
    }

    /**
     * {@code config/services.yml} with the region {@code aiven-eu} on this simulator (project {@code acme}, default
     * {@code plan}, its token in {@code var/secrets/aiven}, {@code more} region keys) and these {@code services}.
     */
    public String servicesYaml(String plan, String more, String services) {
        return regionYaml(plan) + more + "services:\n" + services;
    }

    /**
     * {@code regions:} and the region {@code aiven-eu} on this simulator (project {@code acme}, the token in
     * {@code var/secrets/aiven}), for a services.yml whose other regions follow.
     */
    public String regionYaml(String plan) {
        return """
                regions:
                  aiven-eu:
                    provisioner: aiven
                    url: %s
                    project: acme
                    cloud: google-europe-west1
                    plan: %s
                    token: ${file:var/secrets/aiven}
                """.formatted(url(), plan);
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The calls of {@code method} to paths matching {@code path}. */
    public synchronized List<Call> calls(String method, String path) {
        Pattern pattern = Pattern.compile(path);
        return calls.stream()
                .filter(call -> call.method().equals(method)
                        && pattern.matcher(call.path()).matches())
                .toList();
    }

    /** The next call of {@code method} to a path matching {@code path} is answered {@code status} with this body. */
    public synchronized void failNext(
            String method, String path, int status, Map<String, String> headers, String body) {
        faults.add(new Fault(method, Pattern.compile(path), status, headers, body, Duration.ZERO, false));
    }

    /**
     * The next call of {@code method} to a path matching {@code path} is done, but answered {@code status}: an answer
     * lost on its way back, as when a proxy times out.
     */
    public synchronized void loseAnswerOfNext(String method, String path, int status) {
        faults.add(new Fault(
                method,
                Pattern.compile(path),
                status,
                Map.of(),
                error("Gateway Timeout", status),
                Duration.ZERO,
                true));
    }

    /** The next call of {@code method} to a path matching {@code path} is answered only after {@code delay}. */
    public synchronized void delayNext(String method, String path, Duration delay) {
        faults.add(new Fault(method, Pattern.compile(path), 0, Map.of(), null, delay, false));
    }

    /**
     * New services answer at {@code host}:{@code port} (a real server of the test's), logging in as {@code user} with
     * {@code password} to {@code dbname} (none for null), as their {@code service_uri} and {@code service_uri_params}
     * say, the password in both as Aiven gives it.
     */
    public synchronized void forksAnswerAt(String host, int port, String user, String password, String dbname) {
        answerAt = JSON.createObjectNode()
                .put("host", host)
                .put("port", port)
                .put("user", user)
                .put("password", password);
        if (dbname != null) {
            answerAt.put("dbname", dbname);
        }
    }

    /** The PEM certificate the API gives as the projects' certificate authority ({@code kms/ca}); none at first. */
    public synchronized void certificateAuthority(String pem) {
        certificateAuthority = pem;
    }

    /** How many times a new service is read while REBUILDING before it is RUNNING. */
    public synchronized void readsToRun(int reads) {
        readsToRun = reads;
    }

    /** Every service being restored is RUNNING at its next read. */
    public synchronized void finishRestores() {
        readsLeft.replaceAll((service, left) -> 0);
        stalled = false;
    }

    /** New services stay REBUILDING, their progress no longer moving. */
    public synchronized void stall() {
        stalled = true;
    }

    /** A RUNNING service of the project, with the plan's node count. */
    public synchronized ObjectNode addService(String project, String name, String type, String plan, int nodes) {
        ObjectNode service = JSON.createObjectNode()
                .put("service_name", name)
                .put("service_type", type)
                .put("plan", plan)
                .put("cloud_name", "google-europe-west1")
                .put("state", "RUNNING")
                .put("node_count", nodes)
                .put("termination_protection", false)
                .put("service_uri", type + "://avnadmin@" + name + "-" + project + ".aivencloud.com:12345");
        service.putObject("tags");
        service.putObject("user_config");
        service.putArray("node_states");
        service.putArray("users")
                .addObject()
                .put("username", "avnadmin")
                .put("type", "primary")
                .put("password", "avnadmin-password-of-" + name);
        service.putArray("connection_pools");
        service.putArray("service_integrations");
        services.put(project + "/" + name, service);
        backups.put(project + "/" + name, JSON.createObjectNode().set("backups", JSON.createArrayNode()));
        return service;
    }

    /** A backup of the service taken at {@code time}. */
    public synchronized void addBackup(String project, String service, String name, Instant time) {
        ((ArrayNode) backups.get(project + "/" + service).get("backups"))
                .addObject()
                .put("backup_name", name)
                .put("backup_time", time.toString())
                .put("data_size", 1_000_000);
    }

    /** The service's point-in-time window. */
    public synchronized void pitr(String project, String service, Instant start, Instant end) {
        ObjectNode region =
                backups.get(project + "/" + service).putObject("pitr").putObject("primary_region");
        region.put("pitr_range_start", start.toString());
        if (end == null) {
            region.putNull("pitr_range_end");
        } else {
            region.put("pitr_range_end", end.toString());
        }
    }

    /** A plan of a service type with its node count. */
    public synchronized void plan(String type, String plan, int nodes) {
        ObjectNode entry = serviceTypes.has(type) ? (ObjectNode) serviceTypes.get(type) : serviceTypes.putObject(type);
        ArrayNode plans =
                entry.has("service_plans") ? (ArrayNode) entry.get("service_plans") : entry.putArray("service_plans");
        plans.addObject().put("service_plan", plan).put("service_type", type).put("node_count", nodes);
    }

    public synchronized ObjectNode service(String project, String name) {
        return services.get(project + "/" + name);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            byte[] raw = exchange.getRequestBody().readAllBytes();
            JsonNode body = raw.length == 0 ? null : JSON.readTree(raw);
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            Fault fault;
            synchronized (this) {
                calls.add(new Call(method, path, authorization, body));
                fault = takeFault(method, path);
            }
            if (fault != null && !fault.delay().isZero()) {
                sleep(fault.delay());
            }
            if (fault != null && fault.status() > 0 && !fault.afterDoing()) {
                fault.headers()
                        .forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
                send(exchange, fault.status(), fault.body());
                return;
            }
            if (!("aivenv1 " + token).equals(authorization)) {
                send(exchange, 403, error("Invalid token", 403));
                return;
            }
            Answer answer;
            synchronized (this) {
                answer = answer(method, path, body);
            }
            if (fault != null && fault.afterDoing()) {
                send(exchange, fault.status(), fault.body());
                return;
            }
            send(exchange, answer.status(), answer.body());
        }
    }

    private record Answer(int status, String body) {}

    private Answer answer(String method, String path, JsonNode body) {
        Matcher matcher;
        if (AUTHORITY.matcher(path).matches() && method.equals("GET")) {
            return certificateAuthority == null
                    ? new Answer(404, error("Project has no CA certificate", 404))
                    : new Answer(
                            200,
                            JSON.createObjectNode()
                                    .put("certificate", certificateAuthority)
                                    .toString());
        }
        if ((matcher = BACKUPS.matcher(path)).matches() && method.equals("GET")) {
            ObjectNode found = backups.get(matcher.group(1) + "/" + matcher.group(2));
            return found == null ? notFound(matcher.group(2)) : new Answer(200, found.toString());
        }
        if ((matcher = SERVICE_INTEGRATIONS.matcher(path)).matches() && method.equals("GET")) {
            ObjectNode service = services.get(matcher.group(1) + "/" + matcher.group(2));
            return service == null
                    ? notFound(matcher.group(2))
                    : new Answer(
                            200,
                            JSON.createObjectNode()
                                    .set("service_integrations", service.withArray("service_integrations"))
                                    .toString());
        }
        if ((matcher = INTEGRATION.matcher(path)).matches() && method.equals("POST")) {
            return integrate(matcher.group(1), (ObjectNode) body);
        }
        if ((matcher = USER.matcher(path)).matches() && method.equals("PUT")) {
            ObjectNode service = services.get(matcher.group(1) + "/" + matcher.group(2));
            if (service == null) {
                return notFound(matcher.group(2));
            }
            for (JsonNode user : service.withArray("users")) {
                if (user.path("username").asString().equals(matcher.group(3))
                        && body.path("operation").asString().equals("reset-credentials")) {
                    ((ObjectNode) user).put("password", "reset-" + System.nanoTime());
                    return new Answer(
                            200, JSON.createObjectNode().set("service", service).toString());
                }
            }
            return new Answer(404, error("User " + matcher.group(3) + " does not exist", 404));
        }
        if ((matcher = SERVICE.matcher(path)).matches()) {
            String key = matcher.group(1) + "/" + matcher.group(2);
            ObjectNode service = services.get(key);
            if (service == null) {
                return notFound(matcher.group(2));
            }
            if (method.equals("GET")) {
                advance(key, service);
                return new Answer(
                        200, JSON.createObjectNode().set("service", service).toString());
            }
            if (method.equals("PUT")) {
                ObjectNode config = service.withObject("user_config");
                body.path("user_config").properties().forEach(entry -> config.set(entry.getKey(), entry.getValue()));
                return new Answer(
                        200, JSON.createObjectNode().set("service", service).toString());
            }
            if (method.equals("DELETE")) {
                if (service.path("termination_protection").asBoolean()) {
                    return new Answer(403, error("Service is protected against termination", 403));
                }
                services.remove(key);
                return new Answer(204, "");
            }
        }
        if ((matcher = CREATE.matcher(path)).matches() && method.equals("POST")) {
            return create(matcher.group(1), body);
        }
        if ((matcher = TYPES.matcher(path)).matches() && method.equals("GET")) {
            return new Answer(
                    200,
                    JSON.createObjectNode().set("service_types", serviceTypes).toString());
        }
        return new Answer(404, error("No such endpoint: " + method + " " + path, 404));
    }

    private Answer create(String project, JsonNode body) {
        String name = body.path("service_name").asString("");
        if (services.containsKey(project + "/" + name)) {
            return new Answer(409, error("Service " + name + " already exists", 409));
        }
        String from = body.path("user_config").path("service_to_fork_from").asString("");
        if (!from.isEmpty() && !services.containsKey(project + "/" + from)) {
            return notFound(from);
        }
        String type = body.path("service_type").asString();
        String plan = body.path("plan").asString();
        ObjectNode service = addService(
                project,
                name,
                type,
                plan,
                planNodes(
                        type,
                        plan,
                        from.isEmpty()
                                ? 1
                                : services.get(project + "/" + from)
                                        .path("node_count")
                                        .asInt(1)));
        service.put("state", "REBUILDING");
        if (answerAt != null) {
            service.set("service_uri_params", answerAt.deepCopy());
            service.put(
                    "service_uri",
                    switch (type) {
                                case "pg" -> "postgres";
                                case "redis", "valkey" -> "rediss";
                                default -> type;
                            }
                            + "://" + answerAt.path("user").asString() + ":"
                            + answerAt.path("password").asString() + "@"
                            + answerAt.path("host").asString() + ":"
                            + answerAt.path("port").asInt()
                            + (answerAt.has("dbname")
                                    ? "/" + answerAt.path("dbname").asString()
                                    : ""));
        }
        service.put("cloud_name", body.path("cloud").asString("google-europe-west1"));
        if (body.has("tags")) {
            service.set("tags", body.get("tags"));
        }
        if (body.has("user_config")) {
            service.set("user_config", body.get("user_config"));
        }
        for (int index = 1; index <= service.path("node_count").asInt(); index++) {
            ObjectNode node = service.withArray("node_states")
                    .addObject()
                    .put("name", name + "-" + index)
                    .put("state", "syncing_data");
            node.putArray("progress_updates")
                    .addObject()
                    .put("phase", "basebackup")
                    .put("completed", false)
                    .put("current", 0)
                    .put("min", 0)
                    .put("max", 1000)
                    .put("unit", "bytes_uncompressed");
        }
        readsLeft.put(project + "/" + name, readsToRun);
        return new Answer(200, JSON.createObjectNode().set("service", service).toString());
    }

    /** A service integration between two services of the project, refused while either is not RUNNING. */
    private Answer integrate(String project, ObjectNode body) {
        List<ObjectNode> ends = new ArrayList<>();
        for (String end : List.of("source_service", "dest_service")) {
            if (body.has(end)) {
                ObjectNode service = services.get(project + "/" + body.path(end).asString());
                if (service == null) {
                    return notFound(body.path(end).asString());
                }
                if (!service.path("state").asString().equals("RUNNING")) {
                    return new Answer(409, error("Service " + body.path(end).asString() + " is not running yet", 409));
                }
                ends.add(service);
            }
        }
        ObjectNode integration = body.deepCopy().put("service_integration_id", "si-" + (++integrations));
        ends.forEach(service -> service.withArray("service_integrations").add(integration));
        return new Answer(
                200,
                JSON.createObjectNode().set("service_integration", integration).toString());
    }

    /** An integration of {@code type} from {@code source} to {@code dest}, both RUNNING services of the project. */
    public synchronized void integrate(String project, String type, String source, String dest) {
        integrate(
                project,
                JSON.createObjectNode()
                        .put("integration_type", type)
                        .put("source_service", source)
                        .put("dest_service", dest));
    }

    /** The node count of {@code plan} of {@code type} as declared by {@link #plan}, or {@code otherwise}. */
    private int planNodes(String type, String plan, int otherwise) {
        for (JsonNode entry : serviceTypes.path(type).path("service_plans")) {
            if (entry.path("service_plan").asString().equals(plan)) {
                return entry.path("node_count").asInt();
            }
        }
        return otherwise;
    }

    /** A read of a REBUILDING service moves its restore on, and it is RUNNING once its reads are spent. */
    private void advance(String key, ObjectNode service) {
        Integer left = readsLeft.get(key);
        if (left == null || stalled) {
            return;
        }
        if (left <= 0) {
            service.put("state", "RUNNING");
            for (JsonNode node : service.withArray("node_states")) {
                ((ObjectNode) node).put("state", "running");
                ((ObjectNode) node).putArray("progress_updates");
            }
            readsLeft.remove(key);
            return;
        }
        readsLeft.put(key, left - 1);
        for (JsonNode node : service.withArray("node_states")) {
            for (JsonNode update : node.path("progress_updates")) {
                int max = update.path("max").asInt();
                ((ObjectNode) update)
                        .put("current", Math.min(max, update.path("current").asInt() + max / Math.max(1, readsToRun)));
            }
        }
    }

    private synchronized Fault takeFault(String method, String path) {
        for (Fault fault : faults) {
            if (fault.method().equals(method) && fault.path().matcher(path).matches()) {
                faults.remove(fault);
                return fault;
            }
        }
        return null;
    }

    private static Answer notFound(String service) {
        return new Answer(404, error("Service " + service + " does not exist", 404));
    }

    static String error(String message, int status) {
        ObjectNode error = JSON.createObjectNode().put("message", message);
        error.putArray("errors")
                .addObject()
                .put("error_code", "simulated")
                .put("message", message)
                .put("status", status);
        return error.toString();
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static void sleep(Duration delay) {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
