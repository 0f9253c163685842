package io.forkrunner.api;

import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.Settings;
import io.forkrunner.system.Secret;
import io.forkrunner.system.Secrets;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Bearer tokens from {@code config/forkrunner.yml} {@code api.tokens}, each a secret reference and a role: a viewer
 * reads, an operator also acts. No token: 401; an action with a viewer token: 403. Secrets are resolved per request, so
 * a reloaded file takes effect, and compared in constant time; a token never appears in a response or a log.
 */
class ApiTokens extends OncePerRequestFilter {

    private final LiveDefinitions definitions;
    private final Secrets secrets;

    ApiTokens(LiveDefinitions definitions, Secrets secrets) {
        this.definitions = definitions;
        this.secrets = secrets;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        Optional<Settings.Role> role = header != null && header.startsWith("Bearer ")
                ? role(header.substring("Bearer ".length()).strip())
                : Optional.empty();
        if (role.isEmpty()) {
            ApiErrors.write(
                    response,
                    HttpServletResponse.SC_UNAUTHORIZED,
                    "Unauthorized",
                    "send a token of config/forkrunner.yml api.tokens as Authorization: Bearer TOKEN");
            return;
        }
        boolean reads = request.getMethod().equals("GET") || request.getMethod().equals("HEAD");
        if (!reads && role.get() != Settings.Role.OPERATOR) {
            ApiErrors.write(
                    response,
                    HttpServletResponse.SC_FORBIDDEN,
                    "Forbidden",
                    "this token's role is viewer; actions need an operator token");
            return;
        }
        chain.doFilter(request, response);
    }

    private Optional<Settings.Role> role(String presented) {
        byte[] given = presented.getBytes(StandardCharsets.UTF_8);
        for (Settings.Token token : definitions.current().settings().api().tokens()) {
            Secret secret = secrets.resolve(token.secret());
            if (MessageDigest.isEqual(given, secret.reveal().getBytes(StandardCharsets.UTF_8))) {
                return Optional.of(token.role());
            }
        }
        return Optional.empty();
    }
}
