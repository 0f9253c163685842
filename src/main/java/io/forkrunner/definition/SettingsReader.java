package io.forkrunner.definition;

import io.forkrunner.system.SecretRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code config/forkrunner.yml}: the metadata store, the API and how runs go. */
final class SettingsReader {

    private final Scalars scalars;
    private final Problems problems;

    SettingsReader(Scalars scalars) {
        this.scalars = scalars;
        this.problems = scalars.problems;
    }

    Settings read() {
        String file = "config/forkrunner.yml";
        Section root = scalars.load(scalars.home().config().resolve("forkrunner.yml"), file)
                .orElseGet(() -> scalars.empty(file));
        Settings.Metadata metadata = new Settings.Metadata(Settings.DEFAULT_METADATA_URL, "postgres", null, false);
        if (root.has("metadata")) {
            Section section = root.section("metadata");
            Value url = section.value("url");
            if (url.present() && !url.text().startsWith("jdbc:postgresql://")) {
                problems.add(url, "must be a PostgreSQL JDBC URL", List.of(Settings.DEFAULT_METADATA_URL));
            }
            Value user = section.value("user");
            metadata = new Settings.Metadata(
                    url.present() ? url.text() : Settings.DEFAULT_METADATA_URL,
                    user.present() ? user.text() : "postgres",
                    scalars.secret(section.value("password")),
                    true);
            section.finish();
        }
        Section api = root.section("api");
        Value portValue = api.value("port");
        // 0: any free port, which serve logs; for several nodes on one host, as in tests
        int port = !portValue.present() ? 8080 : "0".equals(portValue.text().strip()) ? 0 : scalars.port(portValue);
        String address = api.has("address") ? scalars.address(api.value("address")) : Settings.Api.DEFAULT_ADDRESS;

        List<Settings.Token> tokens = new ArrayList<>();
        for (Section token : api.sections("tokens")) {
            Value name = token.required("name", List.of("ci", "wall"));
            Settings.Role role =
                    scalars.choice(token.required("role", List.of("viewer", "operator")), Settings.Role.class);
            SecretRef secret = scalars.secret(token.required("secret", SecretRef.EXAMPLES));
            token.finish();
            if (name.present() && role != null && secret != null) {
                tokens.add(new Settings.Token(name.text(), role, secret));
            }
        }
        api.finish();
        Section runsSection = root.section("runs");
        Duration lease = runsSection.has("lease")
                ? scalars.duration(runsSection.value("lease"))
                : Settings.Runs.DEFAULTS.lease();
        long copyRate = runsSection.has("copy-rate") ? scalars.bytes(runsSection.value("copy-rate")) : 0;
        Duration sweepEvery = runsSection.has("sweep-every")
                ? scalars.duration(runsSection.value("sweep-every"))
                : Settings.Runs.DEFAULTS.sweepEvery();
        runsSection.finish();
        root.finish();
        Settings.Runs runs = new Settings.Runs(
                lease == null ? Settings.Runs.DEFAULTS.lease() : lease,
                copyRate,
                sweepEvery == null ? Settings.Runs.DEFAULTS.sweepEvery() : sweepEvery);
        return new Settings(
                metadata,
                new Settings.Api(port, tokens, address == null ? Settings.Api.DEFAULT_ADDRESS : address),
                runs);
    }
}
