package io.forkrunner;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

/** The packages' dependencies, as the compiled classes have them: no cycles, and {@code system} at the bottom. */
class ArchitectureTest {

    private static final JavaClasses FORKRUNNER = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.forkrunner");

    /** Each package a slice of its own, the root package ({@code Forkrunner}, the metadata store) too. */
    private static final SliceAssignment PACKAGES = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            return javaClass.getPackageName().startsWith("io.forkrunner")
                    ? SliceIdentifier.of(javaClass.getPackageName())
                    : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "forkrunner's packages";
        }
    };

    @Test
    void noTwoPackagesDependOnEachOtherEvenThroughOthers() {
        slices().assignedFrom(PACKAGES).should().beFreeOfCycles().check(FORKRUNNER);
    }

    /** The work every engine shares reaches an engine through its facets only, never through an adapter's classes. */
    @Test
    void forkRunScheduleBackupAndProvisionUseNoEngineAdapter() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "io.forkrunner.fork..",
                        "io.forkrunner.run..",
                        "io.forkrunner.schedule..",
                        "io.forkrunner.backup..",
                        "io.forkrunner.provision..")
                .should()
                .dependOnClassesThat(resideInAPackage("io.forkrunner.engine.(*).."))
                .check(FORKRUNNER);
    }

    @Test
    void systemDependsOnNoOtherPackageOfForkrunner() {
        noClasses()
                .that()
                .resideInAPackage("io.forkrunner.system")
                .should()
                .dependOnClassesThat(
                        resideInAPackage("io.forkrunner..").and(not(resideInAPackage("io.forkrunner.system"))))
                .check(FORKRUNNER);
    }
}
