package io.forkrunner.engine.opensearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.forkrunner.system.ForkrunnerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file of HTTP requests ({@code type: http} integrations) is read whole before any request is sent: each request
 * with the line it begins on, and a malformed one refused naming its line.
 */
class HttpRequestsTest {

    @Test
    void eachRequestWithItsLineAndItsJsonBodyCommentsAndBlankLinesPassedOver(@TempDir Path directory) throws Exception {
        Path file = Files.writeString(directory.resolve("mask.http"), """
                # every title masked
                POST /recipes/_update_by_query?refresh=true
                {"script": {"source": "ctx._source.title = 'masked'"},
                 "query": {"match_all": {}}}

                DELETE /notes
                """);

        List<HttpRequests.Request> requests = HttpRequests.read(file);

        assertThat(requests).extracting(HttpRequests.Request::line).containsExactly(2, 6);
        assertThat(requests)
                .extracting(HttpRequests.Request::method, HttpRequests.Request::path)
                .containsExactly(tuple("POST", "/recipes/_update_by_query?refresh=true"), tuple("DELETE", "/notes"));
        assertThat(requests.get(0).body().path("query").has("match_all")).isTrue();
        assertThat(requests.get(1).body()).isNull();
    }

    @Test
    void aLineThatIsNoRequestOrABodyThatIsNoJsonIsRefusedNamingItsLine(@TempDir Path directory) throws Exception {
        Path notARequest = Files.writeString(directory.resolve("verb.http"), "DELETE /notes\n\nFETCH /recipes\n");
        assertThatThrownBy(() -> HttpRequests.read(notARequest))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessage("verb.http:3: \"FETCH /recipes\" is not a request (METHOD /path, e.g. POST"
                        + " /customers/_update_by_query)");

        Path notJson = Files.writeString(
                directory.resolve("body.http"), "# masked\nPOST /recipes/_update_by_query\n{\"script\": \n");
        assertThatThrownBy(() -> HttpRequests.read(notJson))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageStartingWith("body.http:3: the body of POST /recipes/_update_by_query is not JSON: ");
    }
}
