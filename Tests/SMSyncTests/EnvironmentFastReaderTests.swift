import Foundation
import Testing

@testable import SMSync

/// The byte-level reader of the common env-file shape against the YAML reader: for every file it takes, the model
/// is the one the YAML reader builds, field by field; everything else it declines, and the YAML reader's result
/// (or error) stands.
@Suite("Environment files: fast reader equals the YAML reader")
struct EnvironmentFastReaderTests {
    /// What differs between two models, one line per field (empty when they are the same).
    static func differences(_ fast: EnvironmentFile, _ full: EnvironmentFile) -> [String] {
        var result: [String] = []
        func check<T: Equatable>(_ label: String, _ a: T, _ b: T) {
            if a != b { result.append("\(label): \(a) != \(b)") }
        }
        check("path", fast.path, full.path)
        check("text", fast.text, full.text)
        check("encoding", fast.encoding, full.encoding)
        check("name", fast.name, full.name)
        check("channels", fast.channels, full.channels)
        check("prefix", fast.prefix, full.prefix)
        check("variable keys", fast.variables.map(\.key), full.variables.map(\.key))
        check("variable values", fast.variables.map(\.value), full.variables.map(\.value))
        check("other keys", fast.otherKeys, full.otherKeys)
        check("notes", fast.notes, full.notes)
        check("dependency count", fast.dependencies.count, full.dependencies.count)
        for (index, (a, b)) in zip(fast.dependencies, full.dependencies).enumerated() where a != b {
            result.append("dependency \(index): \(a) != \(b)")
        }
        check("bytes", fast.source.bytes, full.source.bytes)
        check("line starts", fast.source.lineStarts, full.source.lineStarts)
        check("name start", fast.nodeStarts.name, full.nodeStarts.name)
        check("prefix start", fast.nodeStarts.prefix, full.nodeStarts.prefix)
        check("channel starts", fast.nodeStarts.channels, full.nodeStarts.channels)
        check("variable starts", fast.nodeStarts.variables, full.nodeStarts.variables)
        return result
    }

    /// Whether the fast reader took `text`; records an issue when it took it and differs from the YAML reader (or
    /// the YAML reader refuses the file).
    @discardableResult
    static func compare(_ text: String, path: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard let fast = EnvironmentFastReader.read(text: text, path: path) else { return false }
        do {
            let full = try EnvironmentFile(composing: text, path: path, encoding: .utf8)
            let differences = Self.differences(fast, full)
            #expect(
                differences.isEmpty, "\(path): \(differences.joined(separator: "; "))", sourceLocation: sourceLocation)
        } catch {
            Issue.record(
                "\(path): the fast reader took a file the YAML reader refuses: \(error)", sourceLocation: sourceLocation
            )
        }
        return true
    }

    /// Every `.yml`/`.yaml` file under `root`, as UTF-8 text without a byte-order mark (others are not the fast
    /// reader's business: it runs only on such text).
    static func utf8Files(under root: URL) -> [(path: String, text: String)] {
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var files: [(String, String)] = []
        for case let relative as String in walker where relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") {
            let url = root.appendingPathComponent(relative)
            guard let bytes = try? TestPaths.bytes(url),
                let (text, encoding) = try? TextEncoding.decode(bytes, path: relative),
                encoding == .utf8
            else { continue }
            files.append((relative, text))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    @Test func everyFixtureReadsTheSame() {
        let files = Self.utf8Files(under: TestPaths.fixtures)
        #expect(files.count > 20)
        var taken: [String] = []
        for (path, text) in files where Self.compare(text, path: path) { taken.append(path) }
        // The common shape among the fixtures is read by the fast reader (so the comparison above means something).
        for expected in ["env/crlf.yml", "env/no-final-newline.yml", "env/ranges.yml", "env/admits.yml"] {
            #expect(taken.contains(expected), "\(expected) was declined")
        }
    }

    @Test(.enabled(if: TestPaths.corpusExists)) func everyCorpusFileReadsTheSame() {
        var taken = 0
        var seen = 0
        for folder in ["qtangs-envs-2019", "qtangs-env-exports-2021", "examples-repo", "sagemaker-distribution"] {
            for (path, text) in Self.utf8Files(under: TestPaths.corpus.appendingPathComponent(folder)) {
                seen += 1
                if Self.compare(text, path: "\(folder)/\(path)") { taken += 1 }
            }
        }
        #expect(seen >= 15)
        #expect(taken > 0)
    }

    /// Files in the common shape written many ways: quoting, comments, blank lines, indentation, CRLF, pip
    /// sections, a last line without a newline; and near misses that the fast reader must decline or read the same.
    @Test func generatedVariantsReadTheSame() {
        var random = SplitMix(seed: 12)
        var taken = 0
        let count = 400
        for index in 0..<count {
            let text = GeneratedEnvironment.make(&random)
            if Self.compare(text, path: "generated-\(index).yml") { taken += 1 }
        }
        // Most generated files are in the common shape; if the fast reader declined them all, it would not be used.
        #expect(taken > count / 2)
    }

    @Test func nearMissesReadTheSameOrAreDeclined() {
        var random = SplitMix(seed: 99)
        for index in 0..<400 {
            var text = GeneratedEnvironment.make(&random)
            GeneratedEnvironment.mutate(&text, &random)
            Self.compare(text, path: "mutated-\(index).yml")
        }
    }

    /// What the fast reader leaves to the YAML reader, which applies the conformance rules, the alias budget and
    /// its messages.
    @Test(arguments: [
        "name: x\ndependencies:\n  - numpy=1.0\t# tab\n",
        "name: x\ndependencies:\n\t- numpy=1.0\n",
        "name: &n x\ndependencies:\n  - numpy=1.0\n",
        "name: x\ndependencies:\n  - &a numpy=1.0\n  - *a\n",
        "name: x\ndependencies: [numpy=1.0]\n",
        "name: x\ndependencies:\n  - pip: [requests==2.0]\n",
        "name: !!python/tuple x\ndependencies:\n  - numpy=1.0\n",
        "name: x\ndependencies:\n  - !custom numpy=1.0\n",
        "name: x\ndependencies:\n  - numpy\n    =1.0\n",
        "name: x\ndependencies:\n  - |\n    numpy=1.0\n",
        "---\nname: x\ndependencies:\n  - numpy=1.0\n",
        "%YAML 1.1\n---\nname: x\n",
        "name: x\nvariables:\n  A: b\ndependencies:\n  - numpy=1.0\n",
        "name: x\nname: y\n",
        "name: x\ndependencies:\n  - \"numpy=1.0\\u0041\"\n",
        "name: x\ndependencies:\n  - 'numpy=1''0'\n",
        "\u{FEFF}name: x\ndependencies:\n  - numpy=1.0\n",
        "name: é\ndependencies:\n  - numpy=1.0\n",
        "name: x\rdependencies:\r  - numpy=1.0\r",
        "name: x\ndependencies:\n  - numpy=1.0\n   - scipy\n",
        "name: x\ndependencies:\n  - numpy: 1.0\n",
        "name: x\ndependencies:\n  - null\n",
        "name: x\ndependencies:\n  -\n",
        "name:\ndependencies:\n  - numpy=1.0\n",
        "name: x\ndependencies:\n  - pip:\n      - requests==\n",
        "",
        "# only a comment\n",
    ])
    func declines(_ text: String) {
        #expect(EnvironmentFastReader.read(text: text, path: "x.yml") == nil)
    }

    /// A file the fast reader declines still gets the YAML reader's verdict through `EnvironmentFile(text:)`.
    @Test func declinedFilesKeepTheirErrors() throws {
        let tab = "name: x\ndependencies:\n  - numpy=1.0\t# tab\n"
        #expect(throws: EnvironmentFileError.self) { try EnvironmentFile(text: tab, path: "tab.yml") }
        do {
            _ = try EnvironmentFile(text: tab, path: "tab.yml")
        } catch {
            #expect(error.code == .tabCharacter)
            #expect(error.line == 3)
        }
        let bomb =
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            + "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        do {
            _ = try EnvironmentFile(text: bomb, path: "bomb.yml")
            Issue.record("an alias bomb was read")
        } catch {
            #expect(error.message.contains("aliases stand for more than"))
        }
    }

    /// The fast reader is what `EnvironmentFile(text:)` uses for the common shape.
    @Test func theCommonShapeTakesTheFastPath() throws {
        let text =
            "name: x\r\nchannels:\r\n- conda-forge\r\ndependencies:\r\n- numpy=1.0  # pin\r\n- pip:\r\n  - a==1\r\n"
        #expect(EnvironmentFastReader.read(text: text, path: "x.yml") != nil)
        let file = try EnvironmentFile(text: text, path: "x.yml")
        #expect(file.dependencies.map(\.raw) == ["numpy=1.0", "a==1"])
        #expect(file.dependencies.map(\.line) == [5, 7])
        Self.compare(text, path: "x.yml")
    }
}

extension SplitMix {
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// Env files written the ways people write them, from a seed.
enum GeneratedEnvironment {
    static let condaSpecs = [
        "numpy=1.19.5", "pandas==1.1.5", "scipy 1.5.3", "matplotlib>=3.3.0", "conda-forge::pyarrow=3.0.0=py36h_0",
        "xgboost[version='>=1.3,<2', build='*cpu*']", "python=3.10", "pymongo[srv]==4.2.0", "r-base", "numba >=0.50",
        "libgcc-ng=9.3.0=h5101ec6_17", "_libgcc_mutex=0.1=main", "cudatoolkit=11.*", "tensorflow>=2.4,<2.5",
        "defaults/linux-64::openssl=1.1.1k", "ipykernel=4.8.2", "h5py =2.10", "zlib==1.2.11=h7f8727e_4",
    ]
    static let pipSpecs = [
        "requests==2.25.1", "Scikit_Learn==0.24.2", "sagemaker>=2.48,<3",
        "requests >= 2.25 ; python_version >= \"3.6\"",
        "-r requirements.txt", "-e .", "git+https://github.com/example/project.git@v1.0#egg=project", "sagemaker",
        "torch==1.8.1+cpu", "apache-airflow[celery]==2.0.1", "smart-open~=5.1", "boto3===1.17.0",
    ]
    static let comments = ["# pinned", "#x", "# a: b", "# - not an entry", "# \"quoted\"", "#"]

    static func scalar(_ text: String, _ random: inout SplitMix) -> String {
        switch random.below(6) {
        case 0 where !text.contains("\""): return "\"\(text)\""
        case 1 where !text.contains("'"): return "'\(text)'"
        default: return text
        }
    }

    static func trailer(_ random: inout SplitMix) -> String {
        switch random.below(8) {
        case 0: return "  " + random.pick(comments)
        case 1: return " " + random.pick(comments)
        case 2: return "   "
        default: return ""
        }
    }

    static func make(_ random: inout SplitMix) -> String {
        var lines: [String] = []
        func noise() {
            if random.chance(10) { lines.append("") }
            if random.chance(10) {
                lines.append(String(repeating: " ", count: random.below(6)) + random.pick(comments))
            }
        }
        if random.chance(30) { lines.append(random.pick(comments)) }
        let indent = String(repeating: " ", count: random.pick([0, 2, 2, 4, 1, 3]))
        let spacesAfterDash = random.pick([" ", " ", "  "])
        var sections = ["name", "channels", "dependencies"]
        if random.chance(30) { sections.append("prefix") }
        if random.chance(20) { sections.shuffle(using: &random) }
        for section in sections {
            noise()
            switch section {
            case "name":
                let value = random.pick(["env\(random.below(100))", "my env", "null", "~", "3.10", "a-b_c.d"])
                lines.append("name: " + scalar(value, &random) + trailer(&random))
            case "prefix":
                lines.append("prefix: " + scalar("/opt/conda/envs/x\(random.below(9))", &random) + trailer(&random))
            case "channels":
                lines.append("channels:" + trailer(&random))
                if random.chance(10) { continue }
                for _ in 0..<(1 + random.below(3)) {
                    noise()
                    let channel = random.pick([
                        "conda-forge", "defaults", "pytorch", "nvidia", "https://conda.example.org/c",
                    ])
                    lines.append(indent + "-" + spacesAfterDash + scalar(channel, &random) + trailer(&random))
                }
            default:
                lines.append("dependencies:" + trailer(&random))
                if random.chance(5) { continue }
                let count = 1 + random.below(12)
                let pipAt = random.chance(70) ? random.below(count + 1) : -1
                for item in 0...count {
                    noise()
                    if item == pipAt {
                        lines.append(indent + "-" + spacesAfterDash + "pip:" + trailer(&random))
                        let keyColumn = indent.count + 1 + spacesAfterDash.count
                        let pipIndent = String(repeating: " ", count: keyColumn + random.pick([0, 2, 2, 4]))
                        for _ in 0..<(1 + random.below(5)) {
                            noise()
                            lines.append(pipIndent + "- " + scalar(random.pick(pipSpecs), &random) + trailer(&random))
                        }
                    } else if item < count {
                        lines.append(
                            indent + "-" + spacesAfterDash + scalar(random.pick(condaSpecs), &random) + trailer(&random)
                        )
                    }
                }
            }
        }
        noise()
        let newline = random.chance(25) ? "\r\n" : "\n"
        var text = lines.joined(separator: newline)
        if !random.chance(10) { text += newline }
        return text
    }

    /// One change that takes the file out of the common shape, or that looks like it does.
    static func mutate(_ text: inout String, _ random: inout SplitMix) {
        var lines = text.components(separatedBy: "\n")
        guard !lines.isEmpty else { return }
        let index = random.below(lines.count)
        let insertions = [
            "\t", "&a ", "*a", "!!str ", "[", "]", "{", "}", "'", "\"", "\\", ": ", ":", "#", " #", "- ", "-", "?",
            "%", "@", "`", "|", ">", "---", "...", " ", "  ", "é", "\r", "\u{0}", "null", "~", ",",
        ]
        switch random.below(5) {
        case 0:
            // A character somewhere in a line.
            var line = Array(lines[index])
            let at = line.isEmpty ? 0 : random.below(line.count + 1)
            line.insert(contentsOf: random.pick(insertions), at: at)
            lines[index] = String(line)
        case 1:
            // A line indented differently.
            lines[index] = String(repeating: " ", count: random.below(7)) + lines[index].drop { $0 == " " }
        case 2:
            // A continuation, a new key or a document marker.
            lines.insert(
                random.pick(["    more", "extra: 1", "---", "variables:", "  - x", "name: again", "  k: v", "- y"]),
                at: index)
        case 3:
            // A line dropped.
            lines.remove(at: index)
        default:
            // Two lines swapped.
            let other = random.below(lines.count)
            lines.swapAt(index, other)
        }
        text = lines.joined(separator: "\n")
    }
}
