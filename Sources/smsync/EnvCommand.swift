import ArgumentParser
import SMSync
import SMSyncRuntime

struct EnvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Read conda environment files and change one version without touching anything else.",
        discussion: ExitStatus.help,
        subcommands: [Parse.self, Set.self]
    )

    struct Parse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an environment file as JSON: name, channels, prefix and every dependency.",
            discussion: """
                Output: {"name", "channels", "prefix", "dependencies": [{"manager": "conda"|"pip", "raw", "name", \
                "channel", "build", "version", "line"}], "encoding", "notes"}. `version` is the version-spec text as written \
                (`=1.2`, `==1.2`, `>=1,<2`), null when unpinned; pip entries follow the conda ones. \
                A file conda would reject exits 2 with its file and line.

                Example: smsync env parse Fixtures/demo/image/base/utils/envs/python3.yml
                """
        )

        @Argument(help: "The environment YAML file.") var file: String

        func run() async throws {
            let environment = try loadEnvironment(file)
            print(environmentJSON(environment).serialized())
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set one dependency's version, changing nothing else in the file.",
            discussion: """
                Prints the edited file, or with --write replaces it atomically. The operator style stays \
                (`=1.2` → `=1.3`, `==1.2` → `==1.3`, `>=1.2` → `>=1.3`); a build string of the old version is \
                dropped; a wildcard keeps its precision (`==8.*` → `==9.*`); comments, quotes, spacing \
                (`python >= 3.8`), indentation, line endings and the file's encoding (UTF-8 with or without a BOM, \
                UTF-16 with a BOM) stay byte for byte. Names match as each ecosystem compares them: conda \
                case-insensitively (`pyyaml` finds `PyYAML`), pip PEP 503-normalised (`Scikit_Learn` finds \
                `scikit-learn`). When the spec already admits VERSION (`polars>0.20` with 0.30) nothing changes and \
                stderr says so.

                Exit 2 when the package is absent, ambiguous without --manager, unpinned (`occt *` too), not a \
                requirement, a range that VERSION does not fit, a spec that needs a hand edit, or VERSION is not a \
                valid version; the one-line reason goes to stderr.

                Example: smsync env set environment.yml --package numpy --version 1.20.0 --write
                """
        )

        @Argument(help: "The environment YAML file.") var file: String
        @Option(name: .long, help: "The package whose version to set.") var package: String
        @Option(name: .long, help: "The new version.") var version: String
        @Option(name: .long, help: "conda or pip, when the package is listed under both.") var manager: PackageManager?
        @Flag(name: .long, help: "Replace the file (temp file, fsync, rename) instead of printing it.")
        var write = false

        func run() async throws {
            let environment = try loadEnvironment(file)
            let edit: EnvironmentEdit
            do {
                edit = try environment.settingVersion(of: package, to: version, manager: manager)
            } catch {
                throw CommandFailure.badInput(error.description)
            }
            if write {
                if !edit.edits.isEmpty {
                    do {
                        try AtomicFile.write(edit.bytes, to: file)
                    } catch {
                        throw CommandFailure.badInput(error.description)
                    }
                }
                for change in edit.edits {
                    Output.error("\(file):\(change.line): \(change.package) \(change.oldText) → \(change.newText)")
                }
            } else {
                Output.write(edit.text)
            }
            if let unchanged = edit.unchanged { Output.error("\(file): \(unchanged)") }
        }
    }
}

extension PackageManager: ExpressibleByArgument {}

func loadEnvironment(_ path: String) throws -> EnvironmentFile {
    let bytes: [UInt8]
    do {
        bytes = try AtomicFile.read(path, limit: 16 << 20)
    } catch {
        throw CommandFailure.badInput(error.description)
    }
    do {
        return try EnvironmentFile(bytes: bytes, path: path)
    } catch {
        throw CommandFailure.badInput(error.description)
    }
}

func environmentJSON(_ environment: EnvironmentFile) -> JSONValue {
    let dependencies: [JSONValue] = environment.dependencies.map { dependency in
        .object([
            ("manager", .string(dependency.manager.rawValue)),
            ("raw", .string(dependency.raw)),
            ("name", .string(dependency.name)),
            ("channel", .string(dependency.channel)),
            ("build", .string(dependency.build)),
            ("version", .string(dependency.versionText)),
            ("line", .int(dependency.line)),
        ])
    }
    return .object([
        ("name", .string(environment.name)),
        ("channels", .array(environment.channels.map { .string($0) })),
        ("prefix", .string(environment.prefix)),
        ("dependencies", .array(dependencies)),
        ("encoding", .string(environment.encoding.rawValue)),
        ("notes", .array(environment.notes.map { .string($0) })),
    ])
}
