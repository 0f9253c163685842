package io.forkrunner.cli;

import io.forkrunner.definition.DefinitionReader;
import io.forkrunner.definition.Definitions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "validate", description = "Reads config/ and jobs/ and reports every problem; changes nothing.")
final class ValidateCommand implements Callable<Integer> {

    @ParentCommand
    Cli cli;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Definitions definitions = DefinitionReader.read(cli.home());
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
