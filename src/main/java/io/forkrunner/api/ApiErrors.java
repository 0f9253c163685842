package io.forkrunner.api;

import io.forkrunner.run.NoSuchRunException;
import io.forkrunner.run.OverlapException;
import io.forkrunner.run.RunBusyException;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.ForkrunnerException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import tools.jackson.databind.json.JsonMapper;

/** Forkrunner's exceptions mapped once to HTTP: {@code application/problem+json} with 400, 404 or 409. */
@RestControllerAdvice
class ApiErrors {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @ExceptionHandler(NotFoundException.class)
    ProblemDetail notFound(NotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, e.getMessage());
    }

    @ExceptionHandler(NoSuchRunException.class)
    ProblemDetail noSuchRun(NoSuchRunException e) {
        return problem(HttpStatus.NOT_FOUND, e.getMessage());
    }

    @ExceptionHandler(BadInputException.class)
    ProblemDetail badInput(BadInputException e) {
        return problem(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    @ExceptionHandler({OverlapException.class, RunBusyException.class, ForkrunnerException.class})
    ProblemDetail conflict(ForkrunnerException e) {
        return problem(HttpStatus.CONFLICT, e.getMessage());
    }

    private static ProblemDetail problem(HttpStatus status, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create("about:blank"));
        return problem;
    }

    /** A problem written by a filter, before Spring MVC: the same shape. */
    static void write(HttpServletResponse response, int status, String title, String detail) throws IOException {
        response.setStatus(status);
        response.setCharacterEncoding("UTF-8");
        response.setContentType("application/problem+json");

        response.getWriter()
                .write(JSON.writeValueAsString(
                        java.util.Map.of("type", "about:blank", "title", title, "status", status, "detail", detail)));
    }

    /** A resource named in the path that does not exist. */
    static class NotFoundException extends RuntimeException {

        NotFoundException(String message) {
            super(message);
        }
    }
}
