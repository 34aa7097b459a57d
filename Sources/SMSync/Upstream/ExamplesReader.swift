import Foundation

/// What one notebook of an examples tree says: its kernel and the packages its cells install.
public struct NotebookScan: Sendable, Hashable {
    /// The path relative to the tree's root (leading spaces in folder names kept).
    public var path: String
    /// `metadata.kernelspec.name`, when the notebook has one.
    public var kernelspec: String?
    public var requirements: [ExampleRequirement]
    public var notes: [String]
    /// Why the notebook could not be read (not JSON, too large); nil when it was read.
    public var problem: String?

    public init(
        path: String, kernelspec: String? = nil, requirements: [ExampleRequirement] = [], notes: [String] = [],
        problem: String? = nil
    ) {
        self.path = path
        self.kernelspec = kernelspec
        self.requirements = requirements
        self.notes = notes
        self.problem = problem
    }
}

/// What one `requirements*.txt` of an examples tree requires.
public struct RequirementsFileScan: Sendable, Hashable {
    public var path: String
    public var requirements: [ExampleRequirement]
    public var notes: [String]

    public init(path: String, requirements: [ExampleRequirement], notes: [String] = []) {
        self.path = path
        self.requirements = requirements
        self.notes = notes
    }
}

/// The per-file parsing of an aws/amazon-sagemaker-examples tree, and the release it adds up to.
///
/// Notebook cells count as installing a package when a line runs pip: `!pip install …`, `%pip install …`,
/// `!{sys.executable} -m pip install …`, `!python -m pip install …` (also `pip3`, `sudo`, `uv pip`), and
/// every line of a `%%bash`/`%%sh` cell. Continuation lines (`\` at the end) are joined; quotes are
/// honoured; options (`-U`, `--upgrade`, `-q`, `--quiet`, `--no-cache-dir`, `-r FILE`, `-i URL` …) are
/// skipped; paths, URLs and `-e` targets are not requirements. Each requirement is parsed as PEP 508.
public enum ExamplesReader {
    /// Adds up the scanned files of a tree. Throws when the tree holds no notebooks, or none could be read.
    public static func release(
        commit: String?, root: String, notebooks: [NotebookScan], requirementFiles: [RequirementsFileScan],
        notes extraNotes: [String] = []
    ) throws(UpstreamError) -> UpstreamRelease {
        guard !notebooks.isEmpty else {
            throw UpstreamError(
                .missingContent, source: .examples, location: root,
                message: "no .ipynb notebooks found in the tree (is this the examples repository?)")
        }
        let readable = notebooks.filter { $0.problem == nil }
        guard !readable.isEmpty else {
            throw UpstreamError(
                .missingContent, source: .examples, location: root,
                message:
                    "found \(notebooks.count) notebooks but none could be read (first: \(notebooks[0].path): \(notebooks[0].problem ?? ""))"
            )
        }
        var notes = extraNotes
        var kernelspecs: [String: Int] = [:]
        var withoutKernelspec = 0
        for notebook in notebooks {
            if let problem = notebook.problem {
                notes.append("\(notebook.path): \(problem); skipped")
                continue
            }
            notes += notebook.notes
            if let name = notebook.kernelspec { kernelspecs[name, default: 0] += 1 } else { withoutKernelspec += 1 }
        }
        if withoutKernelspec > 0 { notes.append("\(withoutKernelspec) notebooks name no kernelspec") }
        var files: [(path: String, requirements: [ExampleRequirement])] = notebooks.map { ($0.path, $0.requirements) }
        for file in requirementFiles {
            files.append((file.path, file.requirements))
            notes += file.notes
        }
        files.sort { $0.path < $1.path }
        if commit == nil { notes.append("no commit given; the release id is unknown") }
        let summary = ExamplesSummary(
            commit: commit, notebooks: notebooks.count, requirements: files.flatMap(\.requirements),
            kernelspecs: kernelspecs)
        return UpstreamRelease(kind: .examples, release: commit, kernels: [], notes: notes, examples: summary)
    }

    /// Reads one notebook (nbformat 4 `cells`, or nbformat 3 `worksheets[].cells` with `input`).
    /// Never throws: a file that is not a JSON notebook comes back with ``NotebookScan/problem`` set.
    public static func scanNotebook(_ bytes: Data, path: String) -> NotebookScan {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: bytes)
        } catch {
            return NotebookScan(path: path, problem: "not a JSON notebook")
        }
        guard let notebook = root as? [String: Any] else {
            return NotebookScan(path: path, problem: "not a JSON notebook (the top level is not an object)")
        }
        var cells = notebook["cells"] as? [[String: Any]] ?? []
        for worksheet in notebook["worksheets"] as? [[String: Any]] ?? [] {
            cells += worksheet["cells"] as? [[String: Any]] ?? []
        }
        if notebook["cells"] == nil, notebook["worksheets"] == nil {
            return NotebookScan(path: path, problem: "JSON without \"cells\"; not a notebook")
        }
        let metadata = notebook["metadata"] as? [String: Any]
        let kernelspec = (metadata?["kernelspec"] as? [String: Any])?["name"] as? String
        var scan = NotebookScan(path: path, kernelspec: kernelspec)
        for cell in cells where (cell["cell_type"] as? String) == "code" {
            let source = cell["source"] ?? cell["input"]
            let text: String
            if let lines = source as? [String] {
                text = lines.joined()
            } else if let whole = source as? String {
                text = whole
            } else {
                continue
            }
            for command in pipInstallCommands(inCell: text) {
                let (requirements, notes) = requirements(from: command, file: path)
                scan.requirements += requirements
                scan.notes += notes
            }
        }
        return scan
    }

    /// Reads one `requirements*.txt`: comments, blank lines and option lines (`-r`, `-e`, `--index-url`) are
    /// skipped, continuation lines joined, per-requirement options (`--hash=…`) dropped.
    public static func scanRequirementsFile(_ text: String, path: String) -> RequirementsFileScan {
        var scan = RequirementsFileScan(path: path, requirements: [])
        for line in joinedContinuations(text) {
            var content = Substring(line)
            if let hash = commentStart(content) { content = content[..<hash] }
            if let option = content.firstRange(of: " --") { content = content[..<option.lowerBound] }
            let trimmed = content.trimmingSpaces
            guard !trimmed.isEmpty, !trimmed.hasPrefix("-") else { continue }
            let (requirements, notes) = requirement(String(trimmed), file: path)
            scan.requirements += requirements
            scan.notes += notes
        }
        return scan
    }

    /// One pip install found in a cell: the arguments after `install`, and whether an unquoted `>`/`<`
    /// sat inside an argument (the shell reads it as a redirection).
    public struct PipInstallCommand: Sendable, Hashable {
        /// The words after `install`, quotes removed, redirections dropped.
        public var arguments: [String]
        /// Indices into ``arguments`` of words with an unquoted `>` or `<` inside (`sagemaker>=2`).
        public var redirectedArguments: Set<Int>
    }

    /// The pip installs a code cell runs, in order.
    public static func pipInstallCommands(inCell source: String) -> [PipInstallCommand] {
        var lines = joinedContinuations(source)
        guard let first = lines.firstIndex(where: { !$0.trimmingSpaces.isEmpty }) else { return [] }
        var wholeCellIsShell = false
        let magic = lines[first].trimmingSpaces
        if magic.hasPrefix("%%") {
            let name = magic.dropFirst(2).split(separator: " ").first ?? ""
            switch name {
            case "bash", "sh", "system":
                wholeCellIsShell = true
                lines.removeFirst(first + 1)
            case "script":
                let interpreter = magic.split(separator: " ").dropFirst().first ?? ""
                guard ["bash", "sh", "/bin/bash", "/bin/sh"].contains(interpreter) else { return [] }
                wholeCellIsShell = true
                lines.removeFirst(first + 1)
            case "capture", "time", "timeit":
                lines.removeFirst(first + 1)
            default:
                return []
            }
        }
        var commands: [PipInstallCommand] = []
        for line in lines {
            let trimmed = line.trimmingSpaces
            let shell: Substring
            if wholeCellIsShell {
                shell = trimmed
            } else if trimmed.hasPrefix("!") {
                shell = trimmed.dropFirst()
            } else if trimmed.hasPrefix("%pip ") || trimmed.hasPrefix("%pip\t") {
                shell = "pip " + trimmed.dropFirst(5)
            } else {
                continue
            }
            for words in shellCommands(shell) { commands += pipInstalls(in: words) }
        }
        return commands
    }

    /// The requirements of one pip install, with notes about arguments that are not plain requirements.
    public static func requirements(
        from command: PipInstallCommand, file: String
    ) -> (requirements: [ExampleRequirement], notes: [String]) {
        var requirements: [ExampleRequirement] = []
        var notes: [String] = []
        var index = 0
        while index < command.arguments.count {
            let argument = command.arguments[index]
            defer { index += 1 }
            if argument.hasPrefix("-") {
                if optionsWithValue.contains(argument) { index += 1 }
                continue
            }
            if argument.contains("{") || argument.contains("$") {
                notes.append("\(file): requirement with an unresolved variable skipped: \(argument)")
                continue
            }
            if argument.hasPrefix(".") || argument.hasPrefix("/") || argument.hasPrefix("~") || argument.contains("://")
                || argument.hasSuffix(".whl") || argument.hasSuffix(".tar.gz") || argument.hasSuffix(".zip")
            {
                continue
            }
            let (found, moreNotes) = requirement(argument, file: file)
            requirements += found
            notes += moreNotes
            if command.redirectedArguments.contains(index), let spec = found.first?.spec, !spec.isEmpty {
                notes.append(
                    "\(file): unquoted \"\(argument)\": the shell reads > or < as a redirection, so pip gets no version constraint"
                )
            }
        }
        return (requirements, notes)
    }

    static func requirement(_ text: String, file: String) -> ([ExampleRequirement], [String]) {
        do {
            switch try PipLine.parse(text) {
            case .requirement(let requirement):
                return (
                    [
                        ExampleRequirement(
                            package: normalizedPythonPackageName(requirement.name),
                            spec: requirement.specifierText ?? "", file: file)
                    ], []
                )
            case .other:
                return ([], [])
            }
        } catch {
            return ([], ["\(file): not a valid requirement, skipped: \(text) (\(error.reason))"])
        }
    }

    static let optionsWithValue: Set<String> = [
        "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url", "--extra-index-url",
        "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--upgrade-strategy", "--progress-bar",
        "--trusted-host", "--platform", "--python-version", "--implementation", "--abi", "--cache-dir", "--src",
        "--log", "-C", "--config-settings", "--global-option", "--install-option", "--no-binary", "--only-binary",
        "--report", "--python", "--proxy", "--retries", "--timeout", "--exists-action", "--cert", "--client-cert",
        "--use-feature", "--use-deprecated", "--root-user-action", "--keyring-provider", "--group",
    ]

    /// Finds `pip install` (`pip`, `pip3`, `/path/pip`, or `-m pip`) in one simple command.
    static func pipInstalls(in words: [ShellWord]) -> [PipInstallCommand] {
        var index = 0
        while index < words.count {
            let text = words[index].text
            let base = text.split(separator: "/").last.map(String.init) ?? text
            let isPip =
                base == "pip" || base == "pip3"
                || (base.hasPrefix("pip3.") && base.count > 5 && base.dropFirst(5).allSatisfy(\.isASCIIDigit))
                || (text == "pip" && index > 0 && words[index - 1].text == "-m")
            if isPip {
                var next = index + 1
                while next < words.count, words[next].text.hasPrefix("-") { next += 1 }
                if next < words.count, words[next].text == "install" {
                    let arguments = Array(words[(next + 1)...])
                    return [
                        PipInstallCommand(
                            arguments: arguments.map(\.text),
                            redirectedArguments: Set(arguments.indices.filter { arguments[$0].hasUnquotedRedirect }))
                    ]
                }
                return []
            }
            index += 1
        }
        return []
    }

    /// A shell word with its quotes removed.
    struct ShellWord: Hashable {
        var text: String
        var hasUnquotedRedirect: Bool
    }

    /// Splits a shell line into simple commands (at `;`, `&&`, `||`, `|`, `&`) of words, dropping comments
    /// and redirections (`> file`, `2>&1`, `>/dev/null`).
    static func shellCommands(_ line: Substring) -> [[ShellWord]] {
        var commands: [[ShellWord]] = []
        var words: [ShellWord] = []
        var current = ""
        var inWord = false
        var redirectInside = false
        var redirectStart = false
        var quotedSoFar = false
        var skipNextWord = false
        var quote: Character?
        var iterator = line.makeIterator()
        var pending: Character? = nil

        func endWord() {
            guard inWord else { return }
            defer {
                current = ""
                inWord = false
                redirectInside = false
                redirectStart = false
                quotedSoFar = false
            }
            if skipNextWord {
                skipNextWord = false
                return
            }
            if redirectStart {
                // `>`, `>>`, `2>`, `&>`, `<` alone take the next word as their target; `>file`, `2>&1` are complete.
                let operatorOnly = current.drop { $0.isASCIIDigit || $0 == "&" }.drop { $0 == ">" || $0 == "<" }.isEmpty
                if operatorOnly { skipNextWord = true }
                return
            }
            words.append(ShellWord(text: current, hasUnquotedRedirect: redirectInside))
        }
        func endCommand() {
            endWord()
            skipNextWord = false
            if !words.isEmpty { commands.append(words) }
            words = []
        }

        while let character = pending ?? iterator.next() {
            pending = nil
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\", open == "\"", let next = iterator.next() {
                    if next != "\"" && next != "\\" && next != "$" && next != "`" { current.append("\\") }
                    current.append(next)
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                inWord = true
                quotedSoFar = true
            case "\\":
                if let next = iterator.next() { current.append(next) }
                inWord = true
            case " ", "\t":
                endWord()
            case ";":
                endCommand()
            case "&" where current.hasSuffix(">") || current.hasSuffix("<"):
                current.append(character)
            case "&", "|":
                if let next = iterator.next() {
                    if next == character {
                        endCommand()
                    } else if character == "&", next == ">" {
                        endWord()
                        current = "&>"
                        inWord = true
                        redirectStart = true
                    } else {
                        endCommand()
                        pending = next
                    }
                } else {
                    endCommand()
                }
            case "#" where !inWord:
                endCommand()
                return commands
            case ">", "<":
                let atWordStart =
                    current.isEmpty || (current.count == 1 && (current.first?.isASCIIDigit == true || current == "&"))
                if atWordStart, !quotedSoFar {
                    redirectStart = true
                } else if !redirectStart {
                    redirectInside = true
                }
                current.append(character)
                inWord = true
            default:
                current.append(character)
                inWord = true
            }
        }
        endCommand()
        return commands
    }

    /// Lines with backslash-newline continuations joined.
    static func joinedContinuations(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
            if line.last == "\\" {
                line = line.dropLast()
                current += line + " "
                continue
            }
            lines.append(current + line)
            current = ""
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Where a pip comment starts: `#` at the start of the line or after whitespace.
    static func commentStart(_ line: Substring) -> Substring.Index? {
        var previous: Character = " "
        for index in line.indices {
            if line[index] == "#", previous.isWhitespace { return index }
            previous = line[index]
        }
        return nil
    }
}
