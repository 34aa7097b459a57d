/// Reads the kernel table of the AWS notebook-instance docs (`nbi-al2023.html`, `nbi-al2.html`, or their
/// Markdown renderings) into a release.
///
/// The kernel table is the table whose header has a "Kernel name" cell. When a page has several (the
/// archived AL2 page has one per platform, oldest first) the last one is read and the others are
/// named in the notes. Each `conda_*` row becomes a kernel with its Python version ("comes with
/// Python 3.10", also listed as the conda package `python`) and every "<Framework> version X.Y"
/// the description states. Rows that are not conda kernels (R, Sparkmagic) are listed in the notes.
///
/// The release id is `sha256:` of the kernel table's text (header and rows, cells joined by tabs), so
/// a page whose markup changes but whose table does not keeps its id. `published` is the page's own
/// date when its metadata carries one (`last-modified`, `date`, `dcterms.modified`).
public enum AWSDocsReader {
    /// Framework names as the docs write them → conda package names.
    public static let frameworkPackages: [String: String] = [
        "pytorch": "pytorch", "tensorflow": "tensorflow", "mxnet": "mxnet", "chainer": "chainer",
        "keras": "keras", "jax": "jax", "scikit-learn": "scikit-learn", "xgboost": "xgboost",
        "hugging face transformers": "transformers", "transformers": "transformers", "r": "r-base",
    ]

    /// Reads a Markdown rendering of a docs page.
    public static func readMarkdown(_ text: String, location: String) throws(UpstreamError) -> UpstreamRelease {
        let document = try MarkdownDocument.extract(text, source: .awsDocs, location: location)
        return try read(document, location: location)
    }

    /// Interprets the tables and prose of a docs page (from the HTML layer or ``MarkdownDocument``).
    public static func read(_ document: ExtractedDocument, location: String) throws(UpstreamError) -> UpstreamRelease {
        guard !document.tables.isEmpty else {
            throw UpstreamError(
                .missingContent, source: .awsDocs, location: location,
                message:
                    "no table found; expected a kernel table with a \"Kernel name\" column (has the page layout changed?)"
            )
        }
        let candidates = document.tables.enumerated().filter { kernelColumn(in: $0.element.header) != nil }
        guard let chosen = candidates.last else {
            let headers = document.tables.map { "[" + $0.header.joined(separator: " | ") + "]" }
            throw UpstreamError(
                .missingContent, source: .awsDocs, location: location, line: document.tables.first?.line,
                message:
                    "none of the \(document.tables.count) tables has a \"Kernel name\" header (headers found: \(headers.joined(separator: ", ")))"
            )
        }
        let table = chosen.element
        var notes: [String] = []
        let cellTexts = document.tables.flatMap { table in
            table.rows.map { DocumentTextBlock(text: $0.joined(separator: " ")) }
        }
        let (platforms, defaultPlatform) = platformIdentifiers(in: document.textBlocks + cellTexts)
        let tablePlatforms = platformsNamed(before: chosen.offset, in: document)

        if candidates.count > 1 {
            let skipped = candidates.dropLast().map { candidate -> String in
                let names = platformsNamed(before: candidate.offset, in: document)
                let place = candidate.element.line.map { "line \($0)" } ?? "table \(candidate.offset + 1)"
                return names.isEmpty ? place : "\(place) (\(names.joined(separator: ", ")))"
            }
            notes.append(
                "the page has \(candidates.count) kernel tables; read the last one"
                    + (tablePlatforms.isEmpty ? "" : " (\(tablePlatforms.joined(separator: ", ")))")
                    + " and skipped: \(skipped.joined(separator: "; "))")
        }
        if !platforms.isEmpty { notes.append("platform identifiers: \(platforms.joined(separator: ", "))") }
        if !tablePlatforms.isEmpty {
            notes.append("kernel table applies to: \(tablePlatforms.joined(separator: ", "))")
        }
        if let defaultPlatform { notes.append("default platform: \(defaultPlatform)") }

        guard let nameColumn = kernelColumn(in: table.header) else {
            throw UpstreamError(.missingContent, source: .awsDocs, location: location, message: "no kernel column")
        }
        var kernels: [UpstreamKernel] = []
        var seen: Set<String> = []
        for (rowIndex, row) in table.rows.enumerated() {
            let line = table.rowLines.indices.contains(rowIndex) ? table.rowLines[rowIndex] : nil
            guard row.count == table.header.count else {
                throw UpstreamError(
                    .malformed, source: .awsDocs, location: location, line: line ?? table.line,
                    message: "ragged table row: \(row.count) cells where the header has \(table.header.count)")
            }
            let name = normalizedKernelName(row[nameColumn])
            let description = row.enumerated().filter { $0.offset != nameColumn }.map(\.element).joined(separator: " ")
                .collapsingWhitespace
            var python = pythonVersion(in: description)
            guard isCondaKernel(name) else {
                if !name.isEmpty {
                    notes.append(
                        "not a conda kernel, not tracked: \(name)" + (python.map { " (comes with Python \($0))" } ?? "")
                    )
                }
                continue
            }
            guard seen.insert(name).inserted else {
                throw UpstreamError(
                    .malformed, source: .awsDocs, location: location, line: line,
                    message: "kernel \(name) is listed twice in the kernel table")
            }
            if python == nil, let fromName = pythonVersion(fromKernelName: name) {
                python = fromName
                notes.append("\(name): the description states no Python version; took \(fromName) from the kernel name")
            } else if python == nil, table.header.count > 1 {
                notes.append("\(name): the description states no Python version")
            }
            var packages: [UpstreamPackage] = []
            if let python { packages.append(UpstreamPackage(name: "python", version: python, manager: .conda)) }
            for (framework, version) in frameworkVersions(in: description)
            where !packages.contains(where: { $0.name == framework }) {
                packages.append(UpstreamPackage(name: framework, version: version, manager: .conda))
            }
            kernels.append(UpstreamKernel(kernel: name, python: python, packages: packages))
        }
        guard !kernels.isEmpty else {
            throw UpstreamError(
                .missingContent, source: .awsDocs, location: location, line: table.line,
                message: "the kernel table has no conda_* kernel rows (\(table.rows.count) rows read)")
        }
        let canonical = ([table.header] + table.rows).map { $0.joined(separator: "\t") }.joined(separator: "\n")
        let release = "sha256:" + SHA256Digest.hex(Array(canonical.utf8))
        return UpstreamRelease(
            kind: .awsDocs, release: release, published: pageDate(document.metadata), kernels: kernels, notes: notes,
            platforms: platforms, defaultPlatform: defaultPlatform)
    }

    /// `conda\_python3`, `` `conda_python3` ``, ` conda_python3 ` → `conda_python3`.
    public static func normalizedKernelName(_ cell: String) -> String {
        MarkdownDocument.inlineText(cell).collapsingWhitespace
    }

    static func isCondaKernel(_ name: String) -> Bool {
        name.hasPrefix("conda_") && name.count > 6
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    static func kernelColumn(in header: [String]) -> Int? {
        header.firstIndex { $0.collapsingWhitespace.lowercased().contains("kernel name") }
    }

    /// The version after "Python" (`comes with Python 3.10`), when the text states one.
    public static func pythonVersion(in text: String) -> String? {
        let characters = Array(text)
        let word = Array("Python")
        var index = 0
        while index + word.count < characters.count {
            defer { index += 1 }
            guard characters[index] == "P", index == 0 || !isWordCharacter(characters[index - 1]),
                Array(characters[index..<(index + word.count)]) == word
            else { continue }
            var next = index + word.count
            guard characters[next].isWhitespace else { continue }
            while next < characters.count, characters[next].isWhitespace { next += 1 }
            if let version = dottedNumber(characters, from: next, letters: false), version.contains(".") {
                return version
            }
        }
        return nil
    }

    /// The Python version a kernel name encodes: `conda_pytorch_p310` → `3.10`, `conda_mxnet_p27` → `2.7`
    /// (the `_p<major><minor>` suffix AWS gives versioned kernels); nil for names without one (`conda_python3`).
    public static func pythonVersion(fromKernelName name: String) -> String? {
        guard let match = name.wholeMatch(of: /.+_p([23])(\d{1,2})/) else { return nil }
        return "\(match.output.1).\(match.output.2)"
    }

    /// Every "<Framework> version X.Y.Z" in the text, as (package, version), in text order. The framework is the
    /// one to three capitalised words before "version" (`PyTorch`, `Apache MXNet`, `Hugging Face Transformers`).
    public static func frameworkVersions(in text: String) -> [(String, String)] {
        let words = text.split(whereSeparator: \.isSpaceLike)
        var found: [(String, String)] = []
        for index in words.indices.dropFirst() where words[index] == "version" && index + 1 < words.count {
            var versionWord = Array(words[index + 1])
            if versionWord.first == "v" { versionWord.removeFirst() }
            guard let version = dottedNumber(versionWord, from: 0, letters: true) else { continue }
            var first = words[index - 1].drop { !($0.isASCII && $0.isUppercase) }
            guard isCapitalisedWord(first) else { continue }
            var phrase = [String(first)]
            var earlier = index - 2
            while phrase.count < 3, earlier >= 0, isCapitalisedWord(words[earlier]) {
                first = words[earlier]
                phrase.insert(String(first), at: 0)
                earlier -= 1
            }
            var package: String?
            for start in phrase.indices {
                if let known = frameworkPackages[phrase[start...].joined(separator: " ").lowercased()] {
                    package = known
                    break
                }
            }
            let name = package ?? (phrase.last ?? "").lowercased()
            guard !name.isEmpty, name != "python" else { continue }
            found.append((name, version))
        }
        return found
    }

    /// `[A-Z][A-Za-z0-9+-]*`.
    static func isCapitalisedWord(_ word: Substring) -> Bool {
        guard let first = word.first, first.isASCII, first.isUppercase else { return false }
        return word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-") }
    }

    static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_"
    }

    /// `\d+(\.\d+)*` (or with `letters`, `\d+(\.[0-9A-Za-z]+)*`) starting at `start`; a trailing dot is not taken.
    static func dottedNumber(_ characters: [Character], from start: Int, letters: Bool) -> String? {
        func isDigit(_ index: Int) -> Bool { index < characters.count && characters[index].isASCIIDigit }
        func isSegment(_ index: Int) -> Bool {
            index < characters.count && characters[index].isASCII
                && (letters ? (characters[index].isLetter || characters[index].isNumber) : characters[index].isNumber)
        }
        guard isDigit(start) else { return nil }
        var end = start
        while isDigit(end) { end += 1 }
        while end < characters.count, characters[end] == ".", isSegment(end + 1) {
            end += 1
            while isSegment(end) { end += 1 }
        }
        return String(characters[start..<end])
    }

    /// Platform identifiers (`notebook-al2023-v1`; also `al2-v2` in parentheses) in order of first mention,
    /// and the one a sentence calls the default ("… is the default", or "the default … changes from (al1-v1)
    /// to (al2-v2)", which names the one after "to").
    static func platformIdentifiers(in blocks: [DocumentTextBlock]) -> ([String], String?) {
        var platforms: [String] = []
        var defaultPlatform: String?
        for block in blocks {
            let ids = identifiers(in: block.text)
            for id in ids where !platforms.contains(id) { platforms.append(id) }
            guard defaultPlatform == nil else { continue }
            for sentence in sentences(block.text) where sentence.lowercased().contains("default") {
                let inSentence = identifiers(in: String(sentence))
                if inSentence.count == 1 {
                    defaultPlatform = inSentence[0]
                } else if inSentence.count > 1, let to = sentence.firstRange(of: " to ") {
                    defaultPlatform = identifiers(in: String(sentence[to.upperBound...])).first
                }
            }
        }
        return (platforms, defaultPlatform)
    }

    /// `notebook-al2023-v1`, `notebook-al2-v3`, and the short form in parentheses `(al1-v1)`, in text order.
    static func identifiers(in text: String) -> [String] {
        let characters = Array(text)
        let long = Array("notebook-al")
        var found: [String] = []
        var index = 0
        while index < characters.count {
            var start: Int?
            if characters[index] == "n", index + long.count <= characters.count,
                Array(characters[index..<(index + long.count)]) == long,
                index == 0 || !isWordCharacter(characters[index - 1])
            {
                start = index + long.count
            } else if characters[index] == "(", index + 3 <= characters.count, characters[index + 1] == "a",
                characters[index + 2] == "l"
            {
                start = index + 3
            }
            if let start, let (suffix, end) = platformSuffix(characters, from: start) {
                found.append("notebook-al" + suffix)
                index = end
            } else {
                index += 1
            }
        }
        return found
    }

    /// After `al`: `2023`, `2` or `1`, then `-v` and digits, then a word boundary.
    private static func platformSuffix(_ characters: [Character], from start: Int) -> (String, Int)? {
        var end = start
        while end < characters.count, characters[end].isASCIIDigit { end += 1 }
        let generation = String(characters[start..<end])
        guard ["2023", "2", "1"].contains(generation), end + 2 < characters.count, characters[end] == "-",
            characters[end + 1] == "v", characters[end + 2].isASCIIDigit
        else { return nil }
        end += 2
        while end < characters.count, characters[end].isASCIIDigit { end += 1 }
        guard end == characters.count || !isWordCharacter(characters[end]) else { return nil }
        return (String(characters[start..<end]), end)
    }

    /// The text split after each `.` that is followed by whitespace.
    static func sentences(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == ".", next < text.endIndex, text[next].isWhitespace {
                result.append(text[start..<index])
                start = next
            }
            index = next
        }
        result.append(text[start...])
        return result
    }

    /// Platforms named by the nearest prose block before this table (and after the previous table) that names any.
    static func platformsNamed(before tableIndex: Int, in document: ExtractedDocument) -> [String] {
        let end = document.tables[tableIndex].textBlocksBefore
        let start = tableIndex > 0 ? document.tables[tableIndex - 1].textBlocksBefore : 0
        guard start < end, end <= document.textBlocks.count else { return [] }
        for block in document.textBlocks[start..<end].reversed() {
            var names: [String] = []
            for id in identifiers(in: block.text) where !names.contains(id) { names.append(id) }
            if !names.isEmpty { return names }
        }
        return []
    }

    static func pageDate(_ metadata: [String: String]) -> UpstreamDate? {
        for key in ["last-modified", "date", "dcterms.modified", "article:modified_time", "last_updated"] {
            if let value = metadata[key], let date = UpstreamDate(iso: value.prefix(10)) { return date }
        }
        return nil
    }
}
