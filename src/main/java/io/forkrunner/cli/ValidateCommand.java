package io.forkrunner.cli;

import io.forkrunner.definition.DefinitionReader;
import io.forkrunner.definition.Definitions;
import io.forkrunner.provision.aiven.AivenChecks;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Problem;
import io.forkrunner.system.Secrets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "validate",
        description = "Reads config/ and jobs/ and reports every problem; changes nothing. Asks the Aiven API"
                + " for the node counts of Cassandra services there and their forks' plans.")
final class ValidateCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Definitions definitions = DefinitionReader.read(cli.home());
        List<Problem> problems =
                AivenChecks.cassandraNodes(definitions, new Secrets(definitions.home(), System.getenv()));
        if (!problems.isEmpty()) {
            throw new BadInputException(problems);
        }
        spec.commandLine()
                .getOut()
                .printf(
                        "ok: %s: %d regions, %d services, %d jobs%n",
                        definitions.home().root(),
                        definitions.regions().size(),
                        definitions.services().size(),
                        definitions.jobs().size());
        return Cli.DONE;
    }
}
