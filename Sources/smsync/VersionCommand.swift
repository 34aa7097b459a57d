import ArgumentParser
import Foundation
import SMSync
import SMSyncRuntime

enum Scheme: String, ExpressibleByArgument, CaseIterable {
    case conda
    case pep440
}

struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Compare, sort, match and normalise versions by conda's or PEP 440's rules.",
        discussion: """
            conda rules are conda's VersionOrder and VersionSpec (1.1dev1 < 1.1_ < 1.1a1 < 1.1.dev1 < 1.1; \
            `1.2.*` and `=1.2` are prefix matches; a bare `1.7` means exactly 1.7; `,` binds tighter than `|`). \
            pep440 rules are those of Python's `packaging` 26 (normalisation, pre/post/dev releases, \
            specifier sets with its prerelease rules).

            \(ExitStatus.help)
            """,
        subcommands: [Compare.self, Sort.self, Satisfies.self, Normalize.self]
    )

    struct SchemeOption: ParsableArguments {
        @Option(name: .long, help: "The version rules: conda or pep440.")
        var scheme: Scheme
    }

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print <, = or > as version A orders before, equal to or after version B.",
            discussion: "Example: smsync version compare --scheme conda 1.1a1 1.1.dev1   # prints <"
        )

        @OptionGroup var options: SchemeOption
        @Argument(help: "The first version.") var a: String
        @Argument(help: "The second version.") var b: String

        func run() async throws {
            let order: Int
            switch options.scheme {
            case .conda:
                let (x, y) = try (parseConda(a), parseConda(b))
                order = x < y ? -1 : (x == y ? 0 : 1)
            case .pep440:
                let (x, y) = try (parsePEP440(a), parsePEP440(b))
                order = x < y ? -1 : (x == y ? 0 : 1)
            }
            print(order < 0 ? "<" : (order == 0 ? "=" : ">"))
        }
    }

    struct Sort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sort versions read from standard input, one per line, ascending.",
            discussion: """
                Blank lines are ignored; equal versions keep their input order; each version is printed as \
                given (without surrounding whitespace). An invalid version stops the command with exit 2 and \
                names its line.

                Example: printf '1.10\\n1.9\\n1.9a1\\n' | smsync version sort --scheme pep440
                """
        )

        @OptionGroup var options: SchemeOption

        func run() async throws {
            let input = try readStandardInput()
            let lines = VersionLines(input)
            var output: [UInt8] = []
            output.reserveCapacity(input.count + 1)
            switch options.scheme {
            case .conda:
                var versions: [(CondaVersion, Int)] = []
                versions.reserveCapacity(lines.count)
                for (index, line) in lines.entries.enumerated() {
                    do {
                        versions.append((try CondaVersion(lines.string(line)), index))
                    } catch {
                        throw CommandFailure.badInput("line \(line.number): \(error)")
                    }
                }
                versions.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                for (_, index) in versions { lines.append(index, to: &output) }
            case .pep440:
                var versions: [PEP440Version] = []
                versions.reserveCapacity(lines.count)
                for line in lines.entries {
                    do {
                        versions.append(try PEP440Version(lines.string(line)))
                    } catch {
                        throw CommandFailure.badInput("line \(line.number): \(error)")
                    }
                }
                // Sort 16-byte (prefix, index) pairs; the full comparison only where prefixes tie, input order last.
                var order = versions.indices.map { (versions[$0].orderingPrefix, $0) }
                versions.withUnsafeBufferPointer { versions in
                    order.sort { left, right in
                        if left.0 != right.0 { return left.0 < right.0 }
                        let compared = PEP440Version.compare(versions[left.1], versions[right.1])
                        return compared != 0 ? compared < 0 : left.1 < right.1
                    }
                }
                for (_, index) in order { lines.append(index, to: &output) }
            }
            Output.write(bytes: output)
        }
    }

    struct Satisfies: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print true or false as VERSION satisfies SPEC (exit 0 either way).",
            discussion: """
                A pep440 SPEC is one specifier or a comma-separated set (`>=1.0,<2`); a conda SPEC is a \
                VersionSpec (`>=1.0,<2|3.*`).

                With --jsonl, reads JSON lines {"spec": "...", "version": "..."} from standard input (pep440 also \
                takes "prereleases": true|false, packaging's prereleases= argument; absent or null means the \
                default rules) and prints one line per input: true, false or `error: <message>`.

                For pep440, `===` compares VERSION as written, case-insensitively and without normalising it \
                (`===1.0` rejects 1.0.0 and 01.0); a VERSION that is not a valid version satisfies only the \
                empty SPEC or `===` with the same text, as in packaging; an invalid SPEC is an error.

                Examples:
                  smsync version satisfies --scheme conda '1.2.*' 1.2.3          # true
                  smsync version satisfies --scheme pep440 '>=1.0,<2' 2.0rc1      # false
                """
        )

        @OptionGroup var options: SchemeOption
        @Flag(name: .long, help: "Read JSON lines from standard input instead of SPEC and VERSION.")
        var jsonl = false
        @Option(name: .long, help: "pep440 only: admit prereleases (true) or not (false); default: packaging's rules.")
        var prereleases: Bool?
        @Argument(help: "The version spec.") var spec: String?
        @Argument(help: "The version.") var version: String?

        func validate() throws {
            if jsonl {
                guard spec == nil, version == nil else { throw ValidationError("--jsonl takes no SPEC or VERSION") }
            } else {
                guard spec != nil, version != nil else { throw ValidationError("give SPEC and VERSION, or --jsonl") }
            }
            if prereleases != nil, options.scheme == .conda {
                throw ValidationError("--prereleases applies to --scheme pep440 only")
            }
        }

        func run() async throws {
            if jsonl {
                let input = try readStandardInput()
                var output = ""
                var start = 0
                while start < input.count {
                    var end = start
                    while end < input.count, input[end] != 0x0A { end += 1 }
                    let line = input[start..<end]
                    start = end + 1
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                    output += evaluate(jsonLine: Data(line)) + "\n"
                }
                Output.write(output)
                return
            }
            switch Self.check(scheme: options.scheme, spec: spec ?? "", version: version ?? "", prereleases) {
            case .success(let result): print(result ? "true" : "false")
            case .failure(let error): throw CommandFailure.badInput(error.description)
            }
        }

        private struct Query: Decodable {
            var spec: String
            var version: String
            var prereleases: Bool?
        }

        private func evaluate(jsonLine: Data) -> String {
            let query: Query
            do {
                query = try JSONDecoder().decode(Query.self, from: jsonLine)
            } catch {
                return "error: not a JSON object with string fields spec and version"
            }
            if query.prereleases != nil, options.scheme == .conda {
                return "error: prereleases applies to pep440 only"
            }
            switch Self.check(scheme: options.scheme, spec: query.spec, version: query.version, query.prereleases) {
            case .success(let result): return result ? "true" : "false"
            case .failure(let error): return "error: \(error.description)"
            }
        }

        static func check(
            scheme: Scheme, spec: String, version: String, _ prereleases: Bool?
        )
            -> Result<Bool, VersionError>
        {
            switch scheme {
            case .conda:
                do {
                    let parsedSpec = try CondaVersionSpec(spec)
                    let parsedVersion = try CondaVersion(version)
                    return .success(parsedSpec.matches(parsedVersion))
                } catch {
                    return .failure(error)
                }
            case .pep440:
                let parsedSpec: PEP440SpecifierSet
                do {
                    parsedSpec = try PEP440SpecifierSet(spec)
                } catch {
                    return .failure(error)
                }
                // The text as given, not a parsed version: `===` compares the version as written
                // (`===1.0` does not admit `01.0`; `===lolwat` admits `LOLWAT`).
                return .success(parsedSpec.contains(version, prereleases: prereleases))
            }
        }
    }

    struct Normalize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print each version from standard input in canonical PEP 440 form (1.0-5 → 1.0.post5).",
            discussion: """
                Blank lines are ignored. An invalid version stops the command with exit 2 and names its line.

                Example: printf 'v1.0\\n1.0c1\\n' | smsync version normalize --scheme pep440
                """
        )

        @OptionGroup var options: SchemeOption

        func validate() throws {
            guard options.scheme == .pep440 else { throw ValidationError("normalize supports --scheme pep440 only") }
        }

        func run() async throws {
            let input = try readStandardInput()
            let lines = VersionLines(input)
            var output = ""
            output.reserveCapacity(input.count)
            for line in lines.entries {
                do {
                    output += try PEP440Version(lines.string(line)).description
                    output += "\n"
                } catch {
                    throw CommandFailure.badInput("line \(line.number): \(error)")
                }
            }
            Output.write(output)
        }
    }
}

func parseConda(_ text: String) throws -> CondaVersion {
    do { return try CondaVersion(text) } catch { throw CommandFailure.badInput(error.description) }
}

func parsePEP440(_ text: String) throws -> PEP440Version {
    do { return try PEP440Version(text) } catch { throw CommandFailure.badInput(error.description) }
}

func readStandardInput(limit: Int = 1 << 30) throws -> [UInt8] {
    do {
        return try AtomicFile.readAll(fd: 0, path: "<stdin>", limit: limit)
    } catch {
        throw CommandFailure.badInput(error.description)
    }
}

/// The non-blank lines of an input, as byte ranges with their 1-based line numbers, whitespace trimmed.
struct VersionLines {
    struct Entry {
        var range: Range<Int>
        var number: Int
    }

    let bytes: [UInt8]
    let entries: [Entry]
    var count: Int { entries.count }

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var entries: [Entry] = []
        var start = 0
        var number = 1
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var low = start
            var high = end
            while low < high, Self.isSpace(bytes[low]) { low += 1 }
            while high > low, Self.isSpace(bytes[high - 1]) { high -= 1 }
            if high > low { entries.append(Entry(range: low..<high, number: number)) }
            start = end + 1
            number += 1
        }
        self.entries = entries
    }

    func string(_ entry: Entry) -> String {
        String(decoding: bytes[entry.range], as: UTF8.self)
    }

    func append(_ index: Int, to output: inout [UInt8]) {
        output.append(contentsOf: bytes[entries[index].range])
        output.append(0x0A)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }
}
