import ArgumentParser
import Foundation
import SMSync
import SMSyncRuntime

/// `smsync upstream …`: read what AWS publishes.
struct UpstreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upstream",
        abstract: "Read what AWS publishes about SageMaker notebook kernels.",
        subcommands: [Parse.self]
    )

    /// `smsync upstream parse`: run one reader on local files and print the release.
    struct Parse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one upstream reader on local files and print the release it finds.",
            discussion: """
                Kinds and their inputs:
                  aws-docs       one kernel-table page of the AWS docs, HTML
                                 (nbi-al2023.html) or Markdown
                  env-export     a `conda env export` YAML taken on a notebook
                                 instance, optionally followed by the `pip
                                 freeze` text of the same kernel (the higher
                                 version wins where both name a package); or a
                                 folder of <env>.yml and <env>_pip.txt files
                  distribution   sagemaker-distribution release files
                                 (RELEASE.md, CHANGELOG-cpu.md, cpu.env.out) or
                                 a folder of them; files of one release combine
                  sdk-changelog  the CHANGELOG.md of sagemaker-python-sdk
                  examples       the root of an amazon-sagemaker-examples tree
                                 (give --commit)

                JSON: {"kind", "release", "published", "kernels": [{"kernel",
                "python", "packages": [{"name", "version", "manager",
                "build"}]}], "notes"}; for examples also "commit", "notebooks",
                "requirements": [{"package", "spec", "file"}], "kernelspecs".
                Kernels in source order ("*" means every kernel), packages in
                source order, keys sorted.

                Exit status: 0 when the release was read; 3 when the input
                cannot be read as that kind (layout changed, malformed, too
                large); 2 for a bad command line. Errors go to stderr.
                """
        )

        /// The kinds this command reads: the upstream readers' own.
        typealias Kind = UpstreamSourceKind

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case json
            case table
        }

        @Option(help: "Which reader to run.")
        var kind: Kind

        @Argument(help: "The input files (a directory for examples and, optionally, distribution).")
        var paths: [String]

        @Option(help: "Output format: json or table.")
        var format: Format = .json

        @Option(help: "The commit the examples tree was taken at (examples only); becomes the release id.")
        var commit: String?

        @Option(help: "Which sagemaker-distribution image to read: cpu or gpu (distribution only).")
        var variant: String?

        @Option(help: "Refuse any input file larger than this many bytes.")
        var maxBytes: Int = UpstreamLimits.defaultMaxBytesPerFile

        @Option(help: "Refuse an examples tree whose notebooks and requirements files add up to more bytes.")
        var maxTotalBytes: Int = UpstreamLimits.defaultMaxTreeBytes

        @Option(help: "Refuse an examples tree with more directory entries than this.")
        var maxFiles: Int = UpstreamLimits.defaultMaxTreeEntries

        func validate() throws {
            guard !paths.isEmpty else { throw ValidationError("Give at least one input path.") }
            guard maxBytes > 0, maxTotalBytes > 0, maxFiles > 0 else {
                throw ValidationError("--max-bytes, --max-total-bytes and --max-files must be positive.")
            }
            for path in paths where !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("No such file or directory: \(path)")
            }
            switch kind {
            case .awsDocs, .sdkChangelog:
                guard paths.count == 1 else {
                    throw ValidationError("--kind \(kind.rawValue) reads one file; run once per file.")
                }
                guard !UpstreamFiles.isDirectory(paths[0]) else {
                    throw ValidationError("--kind \(kind.rawValue) reads a file, not a directory: \(paths[0])")
                }
            case .envExport:
                guard (1...2).contains(paths.count) else {
                    throw ValidationError("--kind env-export reads an export YAML and optionally its pip-freeze text.")
                }
                if paths.count == 2, paths.contains(where: UpstreamFiles.isDirectory) {
                    throw ValidationError("--kind env-export: give files, or one folder of exports.")
                }
            case .examples:
                guard paths.count == 1, UpstreamFiles.isDirectory(paths[0]) else {
                    throw ValidationError("--kind examples reads one directory (the root of the examples tree).")
                }
            case .distribution:
                break
            }
            if commit != nil, kind != .examples { throw ValidationError("--commit applies to --kind examples only.") }
            if let commit, commit.count < 7 || commit.count > 64 || !commit.allSatisfy(\.isHexDigit) {
                throw ValidationError(
                    "--commit must be a hexadecimal commit id (7 to 64 digits), not \(commit.debugDescription).")
            }
            if let variant {
                guard kind == .distribution else {
                    throw ValidationError("--variant applies to --kind distribution only.")
                }
                guard DistributionVariant(rawValue: variant) != nil else {
                    throw ValidationError("--variant must be cpu or gpu, not \(variant.debugDescription).")
                }
            }
        }

        func run() async throws {
            let limits = UpstreamLimits(
                maxBytesPerFile: maxBytes, maxTreeBytes: maxTotalBytes, maxTreeEntries: maxFiles)
            let release: UpstreamRelease
            do {
                // The same kind-to-reader map as configured sources; only the files given are read.
                release = try LocalSources.read(
                    kind, paths: paths, variant: variant.flatMap(DistributionVariant.init(rawValue:)) ?? .cpu,
                    commit: commit?.lowercased(), siblingFreeze: false, limits: limits)
            } catch {
                throw CommandFailure(ExitStatus.upstreamFailed, error.description)
            }
            switch format {
            case .json: print(try release.jsonText(), terminator: "")
            case .table: print(release.tableText(), terminator: "")
            }
        }
    }
}

extension UpstreamSourceKind: ExpressibleByArgument {}
