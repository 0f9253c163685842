package io.forkrunner.engine.opensearch;

import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ServiceUser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A file of HTTP requests to a search service ({@code type: http} integrations): each a line {@code METHOD /path}
 * followed by its JSON body, if any, up to a blank line; {@code #} begins a comment line.
 */
final class HttpRequests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern REQUEST = Pattern.compile("^(GET|PUT|POST|DELETE|HEAD) (/\\S*)$");

    private HttpRequests() {}

    /** One request, with the line of the file it begins on. */
    record Request(int line, String method, String path, JsonNode body) {}

    static List<Request> read(Path file) {
        List<Request> requests = new ArrayList<>();
        List<String> lines = ServiceUser.readIfExists(file).lines().toList();
        int at = 0;
        while (at < lines.size()) {
            String line = lines.get(at).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                at++;
                continue;
            }
            Matcher matcher = REQUEST.matcher(line);
            if (!matcher.matches()) {
                throw new ForkrunnerException(file.getFileName() + ":" + (at + 1) + ": \"" + line + "\" is not a"
                        + " request (METHOD /path, e.g. POST /customers/_update_by_query)");
            }
            int first = at + 1;
            StringBuilder body = new StringBuilder();
            for (at++; at < lines.size() && !lines.get(at).isBlank(); at++) {
                body.append(lines.get(at)).append('\n');
            }
            JsonNode json = null;
            if (!body.isEmpty()) {
                try {
                    json = JSON.readTree(body.toString());
                } catch (JacksonException e) {
                    throw new ForkrunnerException(file.getFileName() + ":" + (first + 1) + ": the body of " + line
                            + " is not JSON: " + e.getOriginalMessage());
                }
            }
            requests.add(new Request(first, matcher.group(1), matcher.group(2), json));
        }
        return requests;
    }
}
