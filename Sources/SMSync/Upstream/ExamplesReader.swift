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
/// a bare `pip install …` (IPython's automagic), `!{sys.executable} -m pip install …`, `!python -m pip install …`
/// (also `pip3`, `sudo`, `uv pip`), and every command of a `%%bash`/`%%sh` cell. Continuation lines (`\` at the
/// end) are joined; quotes are honoured, as are redirections and heredocs (text written into a file is not an
/// install); options (`-U`, `--upgrade`, `-q`, `--quiet`, `--no-cache-dir`, `-r FILE`, `-i URL` …) are skipped;
/// `-e` targets are skipped; paths and URLs are not requirements (a note names each). Each requirement is
/// parsed as PEP 508.
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
        for (number, line) in numberedJoinedLines(text) {
            var content = Substring(line)
            if let hash = commentStart(content) { content = content[..<hash] }
            if let option = content.firstRange(of: " --") { content = content[..<option.lowerBound] }
            let trimmed = content.trimmingSpaces
            guard !trimmed.isEmpty, !trimmed.hasPrefix("-") else { continue }
            let (requirements, notes) = requirement(String(trimmed), file: path, place: "\(path) line \(number)")
            scan.requirements += requirements
            scan.notes += notes
        }
        return scan
    }

    /// One pip install found in a cell: the arguments after `install`, and the arguments an unquoted `>`/`<`
    /// cut short (the shell reads `sagemaker>=2.215.0` as the word `sagemaker` and a redirection to a file
    /// named `=2.215.0`, so pip gets no version constraint).
    public struct PipInstallCommand: Sendable, Hashable {
        /// The words after `install` as the shell passes them to pip: quotes removed, redirections dropped.
        public var arguments: [String]
        /// Index into ``arguments`` → the word as written, redirection included (`sagemaker>=2.215.0`).
        public var redirections: [Int: String]

        /// Indices into ``arguments`` of words cut short by an unquoted `>` or `<`.
        public var redirectedArguments: Set<Int> { Set(redirections.keys) }

        public init(arguments: [String], redirections: [Int: String] = [:]) {
            self.arguments = arguments
            self.redirections = redirections
        }
    }

    /// The pip installs a code cell runs, in order.
    ///
    /// A `%%bash`/`%%sh` cell is read as one shell script: a quoted string may span lines and a heredoc body
    /// is data, so `printf "RUN pip install boto3==1.20.25 \n" > Dockerfile` or `cat <<EOF > requirements.txt`
    /// install nothing. In other cells a line runs pip when it starts with `!`, with `%pip`, or with a bare
    /// `pip` (IPython's automagic runs it as `%pip`). Only pip in command position counts: `echo pip install x
    /// >> requirements.txt` writes a file.
    public static func pipInstallCommands(inCell source: String) -> [PipInstallCommand] {
        let text = source.replacing("\r\n", with: "\n")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.firstIndex(where: { !$0.trimmingSpaces.isEmpty }) else { return [] }
        let magic = lines[first].trimmingSpaces
        if magic.hasPrefix("%%") {
            let words = magic.dropFirst(2).split(separator: " ")
            let script = lines[(first + 1)...].joined(separator: "\n")
            switch words.first ?? "" {
            case "bash", "sh", "system":
                return shellCommands(script).flatMap(pipInstalls)
            case "script":
                let interpreter = words.dropFirst().first ?? ""
                guard ["bash", "sh", "/bin/bash", "/bin/sh"].contains(interpreter) else { return [] }
                return shellCommands(script).flatMap(pipInstalls)
            case "capture", "time", "timeit":
                lines.removeFirst(first + 1)
            default:
                return []
            }
        }
        var commands: [PipInstallCommand] = []
        for line in joinedContinuations(lines.joined(separator: "\n")) {
            let trimmed = line.trimmingSpaces
            let shell: Substring
            if trimmed.hasPrefix("!") {
                shell = trimmed.dropFirst(trimmed.hasPrefix("!!") ? 2 : 1)
            } else if trimmed.hasPrefix("%pip ") || trimmed.hasPrefix("%pip\t") {
                shell = "pip " + trimmed.dropFirst(5)
            } else if trimmed.hasPrefix("pip ") || trimmed.hasPrefix("pip\t") {
                shell = trimmed
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
            let (found, moreNotes) = requirement(argument, file: file)
            requirements += found
            notes += moreNotes
            if let written = command.redirections[index] {
                notes.append(
                    "\(file): unquoted \"\(written)\": the shell reads > or < as a redirection, so pip gets no version constraint"
                )
            }
        }
        return (requirements, notes)
    }

    /// One requirement; `place` names where it was found in notes (the file, or the file and line).
    ///
    /// The spec is normalised the way pip reads it: each specifier without spaces, in the order written
    /// (`transformers == 4.38.0` → `==4.38.0`). Lines that name a file or URL instead of a package index
    /// requirement (wheels, archives, paths, `git+https://…`) are skipped with a note.
    static func requirement(_ text: String, file: String, place: String? = nil) -> ([ExampleRequirement], [String]) {
        do {
            switch try PipLine.parse(text) {
            case .requirement(let requirement):
                let spec = requirement.specifier?.specifiers.map(\.description).joined(separator: ",") ?? ""
                return (
                    [
                        ExampleRequirement(
                            package: normalizedPythonPackageName(requirement.name), spec: spec, file: file)
                    ], []
                )
            case .other(let reason):
                return ([], ["\(place ?? file): \(reason), not a package index requirement; skipped: \(text)"])
            }
        } catch {
            return ([], ["\(place ?? file): not a valid requirement, skipped: \(text) (\(error.reason))"])
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

    /// Words that may come before the command itself: shell keywords and commands that run another command.
    static let shellKeywords: Set<String> = ["if", "elif", "then", "else", "do", "while", "until", "!", "{", "time"]
    static let wrapperCommands: Set<String> = ["sudo", "env", "nohup", "exec", "command", "nice", "uv"]

    /// Finds `pip install` in one simple command when pip is the command: `pip`, `pip3`, `pip3.11`,
    /// `/opt/conda/bin/pip`, `python -m pip`, `{sys.executable} -m pip`, after variable assignments and
    /// wrappers (`sudo`, `env`, `uv`). A `pip` elsewhere (`echo pip install x`) is an argument, not a command.
    static func pipInstalls(in words: [ShellWord]) -> [PipInstallCommand] {
        var index = 0
        while index < words.count {
            let text = words[index].text
            if shellKeywords.contains(text) || isAssignment(text) {
                index += 1
            } else if wrapperCommands.contains(baseName(text)) {
                index += 1
                while index < words.count, words[index].text.hasPrefix("-") { index += 1 }
            } else {
                break
            }
        }
        guard index < words.count else { return [] }
        var pip: Int?
        if isPipName(baseName(words[index].text)) {
            pip = index
        } else {
            var next = index + 1
            while next < words.count, words[next].text.hasPrefix("-"), words[next].text != "-m" { next += 1 }
            if next + 1 < words.count, words[next].text == "-m", words[next + 1].text == "pip" { pip = next + 1 }
        }
        guard let pip else { return [] }
        var next = pip + 1
        while next < words.count, words[next].text.hasPrefix("-") { next += 1 }
        guard next < words.count, words[next].text == "install" else { return [] }
        let arguments = Array(words[(next + 1)...])
        var redirections: [Int: String] = [:]
        for (offset, word) in arguments.enumerated() {
            if let written = word.writtenWithRedirection { redirections[offset] = written }
        }
        return [PipInstallCommand(arguments: arguments.map(\.text), redirections: redirections)]
    }

    static func baseName(_ word: String) -> String {
        word.split(separator: "/").last.map(String.init) ?? word
    }

    static func isPipName(_ name: String) -> Bool {
        name == "pip" || name == "pip3"
            || (name.hasPrefix("pip3.") && name.count > 5 && name.dropFirst(5).allSatisfy(\.isASCIIDigit))
    }

    /// `NAME=value`, a shell variable assignment before a command.
    static func isAssignment(_ word: String) -> Bool {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else { return false }
        let name = word[..<equals]
        return name.first.map { !$0.isASCIIDigit } == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// A shell word with its quotes removed.
    struct ShellWord: Hashable {
        var text: String
        /// When an unquoted `>` or `<` cut the word short: the word as written, redirection included.
        var writtenWithRedirection: String?
    }

    /// Splits a shell script into simple commands (at newlines, `;`, `&&`, `||`, `|`, `&`, `(`, `)`) of words,
    /// as a POSIX shell tokenises it: quotes may span lines, `\` newline continues a line, comments, redirections
    /// (`> file`, `2>&1`, `>/dev/null`) and heredoc bodies (`<<EOF` … `EOF`, `<<-`, quoted delimiters) are
    /// dropped, and an unquoted `>`/`<` inside a word ends the word there (`sagemaker>=2` → `sagemaker`).
    static func shellCommands(_ script: some StringProtocol) -> [[ShellWord]] {
        let characters = Array(script)
        var commands: [[ShellWord]] = []
        var words: [ShellWord] = []
        var current = ""
        var inWord = false
        var quotedSoFar = false
        var quote: Character?
        /// The word being read is a redirection (operator, and its target when attached).
        var redirect = false
        /// The last word was a redirection operator alone: this word is its target.
        var skipNextWord = false
        /// The last word was `<<`/`<<-` alone: this word is the heredoc delimiter (`true`: strip leading tabs).
        var heredocNextWord: Bool?
        var heredocs: [(delimiter: String, stripTabs: Bool)] = []
        /// The index in `words` of the word the current redirection cut short.
        var cutWord: Int?
        var index = 0

        func endWord() {
            guard inWord else { return }
            defer {
                current = ""
                inWord = false
                quotedSoFar = false
                redirect = false
            }
            if let stripTabs = heredocNextWord {
                heredocs.append((current, stripTabs))
                heredocNextWord = nil
                return
            }
            if skipNextWord {
                skipNextWord = false
                return
            }
            guard redirect else {
                words.append(ShellWord(text: current))
                return
            }
            if let cut = cutWord {
                words[cut].writtenWithRedirection = words[cut].text + current
                cutWord = nil
            }
            let afterDescriptor = current.drop { $0.isASCIIDigit || $0 == "&" }
            let operators = afterDescriptor.prefix { $0 == ">" || $0 == "<" }
            var target = afterDescriptor.dropFirst(operators.count)
            if operators == "<<" {
                let stripTabs = target.first == "-"
                if stripTabs { target = target.dropFirst() }
                if target.isEmpty { heredocNextWord = stripTabs } else { heredocs.append((String(target), stripTabs)) }
            } else if target.isEmpty || target == "&" {
                skipNextWord = true
            }
        }
        func endCommand() {
            endWord()
            skipNextWord = false
            heredocNextWord = nil
            if !words.isEmpty { commands.append(words) }
            words = []
        }
        func skipHeredocBodies() {
            for heredoc in heredocs {
                while index < characters.count {
                    var end = index
                    while end < characters.count, characters[end] != "\n" { end += 1 }
                    var line = Substring(String(characters[index..<end]))
                    index = min(end + 1, characters.count)
                    if heredoc.stripTabs { line = line.drop { $0 == "\t" } }
                    if line == heredoc.delimiter { break }
                }
            }
            heredocs = []
        }

        while index < characters.count {
            let character = characters[index]
            index += 1
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\", open == "\"", index < characters.count {
                    let next = characters[index]
                    index += 1
                    if next == "\n" { continue }
                    if !"\"\\$`".contains(next) { current.append("\\") }
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
                guard index < characters.count else { break }
                let next = characters[index]
                index += 1
                if next != "\n" {
                    current.append(next)
                    inWord = true
                }
            case " ", "\t", "\r":
                endWord()
            case "\n":
                endCommand()
                skipHeredocBodies()
            case ";", "(", ")":
                endCommand()
            case "&" where redirect && (current.hasSuffix(">") || current.hasSuffix("<")):
                current.append(character)
            case "&", "|":
                if index < characters.count, characters[index] == character {
                    index += 1
                    endCommand()
                } else if character == "&", index < characters.count, characters[index] == ">" {
                    endWord()
                    current = "&"
                    inWord = true
                    redirect = true
                } else {
                    endCommand()
                }
            case "#" where !inWord:
                while index < characters.count, characters[index] != "\n" { index += 1 }
            case ">", "<":
                if redirect {
                    current.append(character)
                } else if !quotedSoFar, current.allSatisfy(\.isASCIIDigit) {
                    redirect = true
                    current.append(character)
                    inWord = true
                } else {
                    // The shell ends the word here: `sagemaker>=2` is the word `sagemaker` and `>=2`.
                    let before = words.count
                    endWord()
                    cutWord = words.count > before ? words.count - 1 : nil
                    current = String(character)
                    inWord = true
                    redirect = true
                }
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
        numberedJoinedLines(text).map(\.text)
    }

    /// Lines with backslash-newline continuations joined, each with the 1-based number of its first line.
    static func numberedJoinedLines(_ text: String) -> [(number: Int, text: String)] {
        var lines: [(number: Int, text: String)] = []
        var current = ""
        var start: Int?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
            if line.last == "\\" {
                line = line.dropLast()
                current += line + " "
                start = start ?? index + 1
                continue
            }
            lines.append((start ?? index + 1, current + line))
            current = ""
            start = nil
        }
        if let start, !current.isEmpty { lines.append((start, current)) }
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
