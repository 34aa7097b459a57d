import Foundation
import SMSync
import SMSyncRuntime
import Testing

@Suite("Upstream AWS docs kernel tables")
struct UpstreamAWSDocsTests {
    @Test("the AL2023 HTML page: kernels, Python, framework versions, non-conda rows and platforms")
    func al2023HTML() throws {
        let release = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/nbi-al2023.html"))
        #expect(release.kind == .awsDocs)
        #expect(release.kernels.map(\.kernel) == ["conda_python3", "conda_pytorch", "conda_tensorflow2"])
        let pytorch = try #require(release.kernel(named: "conda_pytorch"))
        #expect(pytorch.python == "3.10")
        #expect(
            pytorch.packages == [
                UpstreamPackage(name: "python", version: "3.10", manager: .conda),
                UpstreamPackage(name: "pytorch", version: "2.10.0", manager: .conda),
            ])
        #expect(release.version(of: "tensorflow", in: "conda_tensorflow2") == "2.18.0")
        #expect(release.platforms == ["notebook-al2023-v1"])
        #expect(release.notes.contains("not a conda kernel, not tracked: R"))
        #expect(
            release.notes.contains("not a conda kernel, not tracked: Sparkmagic (PySpark) (comes with Python 3.10)"))
        #expect(release.release?.hasPrefix("sha256:") == true)
        #expect(release.release?.count == 7 + 64)
        #expect(release.published == nil)
    }

    @Test("the AL2 HTML page: descriptions wrapped over lines, <p> inside cells")
    func al2HTML() throws {
        let release = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/nbi-al2.html"))
        #expect(release.kernels.map(\.kernel) == ["conda_python3", "conda_pytorch_p310", "conda_tensorflow2_p310"])
        #expect(release.version(of: "pytorch", in: "conda_pytorch_p310") == "2.2.0")
        #expect(release.version(of: "tensorflow", in: "conda_tensorflow2_p310") == "2.16.0")
        #expect(release.kernels.allSatisfy { $0.python == "3.10" })
        #expect(release.platforms == ["notebook-al2-v1", "notebook-al2-v2", "notebook-al2-v3"])
    }

    @Test("a Markdown rendering gives the same kind of release; several frameworks per row")
    func markdown() throws {
        let release = try AWSDocsReader.readMarkdown(
            UpstreamPaths.fixtureText("aws-docs/nbi-al2023.md"), location: "nbi-al2023.md")
        #expect(release.kernels.map(\.kernel) == ["conda_python3", "conda_pytorch", "conda_mxnet"])
        #expect(release.version(of: "pytorch", in: "conda_pytorch") == "2.10.0")
        #expect(release.version(of: "mxnet", in: "conda_mxnet") == "1.9.1")
        #expect(release.version(of: "chainer", in: "conda_mxnet") == "7.8.1")
        #expect(release.kernel(named: "conda_mxnet")?.python == "3.10")
    }

    @Test("the release id is a digest of the table, not of the markup")
    func digestIgnoresMarkup() throws {
        let original = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/nbi-al2023.html"))
        var html = try UpstreamPaths.fixtureText("aws-docs/nbi-al2023.html")
        html = html.replacing("<title>AL2023 notebook instances", with: "<title>AL2023 notebook instances (updated)")
        let restyled = try UpstreamReaders.awsDocs(bytes: Data(html.utf8), location: "restyled.html")
        #expect(restyled.release == original.release)
        html = html.replacing("version 2.10.0", with: "version 2.11.0")
        let changed = try UpstreamReaders.awsDocs(bytes: Data(html.utf8), location: "changed.html")
        #expect(changed.release != original.release)
    }

    @Test("several kernel tables: the last is read, the others named; the default platform is found")
    func severalTables() throws {
        let release = try AWSDocsReader.readMarkdown(
            UpstreamPaths.fixtureText("aws-docs/several-platforms.md"), location: "several-platforms.md")
        #expect(release.kernels.map(\.kernel) == ["conda_python3", "conda_pytorch_p310"])
        #expect(release.kernel(named: "conda_python3")?.packages.isEmpty == true)
        #expect(release.kernel(named: "conda_python3")?.python == nil)
        // No descriptions: the Python version comes from the `_p310` suffix.
        #expect(release.kernel(named: "conda_pytorch_p310")?.python == "3.10")
        #expect(release.version(of: "python", in: "conda_pytorch_p310") == "3.10")
        #expect(release.defaultPlatform == "notebook-al2-v3")
        #expect(release.notes.contains { $0.contains("skipped: line 7 (notebook-al2-v2)") })
    }

    @Test(
        "framework phrases",
        arguments: [
            ("comes pre-installed with PyTorch version 2.10.0, as well as", [("pytorch", "2.10.0")]),
            ("with TensorFlow version 2.16.0.", [("tensorflow", "2.16.0")]),
            ("with Apache MXNet version 1.9.1 and Chainer version 7.8.1", [("mxnet", "1.9.1"), ("chainer", "7.8.1")]),
            ("with Hugging Face Transformers version 4.41.2", [("transformers", "4.41.2")]),
            ("with Jax version 0.4.30", [("jax", "0.4.30")]),
            ("using the Python programming language. This kernel comes with Python 3.10.", []),
        ])
    func frameworkPhrases(text: String, expected: [(String, String)]) {
        let found = AWSDocsReader.frameworkVersions(in: text)
        #expect(found.map(\.0) == expected.map(\.0))
        #expect(found.map(\.1) == expected.map(\.1))
    }

    @Test(
        "kernel names are normalised",
        arguments: [
            ("conda\\_python3", "conda_python3"), ("`conda_python3`", "conda_python3"),
            ("  conda_python3 ", "conda_python3"),
        ])
    func kernelNames(cell: String, expected: String) {
        #expect(AWSDocsReader.normalizedKernelName(cell) == expected)
    }

    @Test("the page's own date becomes published")
    func pageDate() throws {
        let document = ExtractedDocument(
            tables: [DocumentTable(header: ["Kernel name", "Description"], rows: [["conda_python3", "Python 3.10"]])],
            textBlocks: [], metadata: ["last-modified": "2026-03-14T10:00:00Z"])
        let release = try AWSDocsReader.read(document, location: "page.html")
        #expect(release.published?.description == "2026-03-14")
    }

    // MARK: failure rules

    @Test("a page without any table")
    func noTable() {
        expectUpstreamError(
            .missingContent, source: .awsDocs, messageContains: ["no-table.html", "no table found", "Kernel name"]
        ) {
            _ = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/no-table.html"))
        }
    }

    @Test("a table without the \"Kernel name\" header")
    func wrongHeader() {
        expectUpstreamError(
            .missingContent, source: .awsDocs,
            messageContains: ["wrong-header.html", "\"Kernel name\" header", "Environment"]
        ) {
            _ = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/wrong-header.html"))
        }
    }

    @Test("a kernel table without conda kernels")
    func noCondaRows() {
        expectUpstreamError(.missingContent, source: .awsDocs, line: 3, messageContains: ["no conda_* kernel rows"]) {
            _ = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/no-kernel-rows.md"))
        }
    }

    @Test("a Markdown kernel table with a ragged row")
    func raggedMarkdown() {
        expectUpstreamError(.malformed, source: .awsDocs, line: 6, messageContains: ["ragged.md", "ragged table row"]) {
            _ = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/ragged.md"))
        }
    }

    @Test("a truncated HTML page")
    func truncated() {
        expectUpstreamError(.truncated, source: .awsDocs, messageContains: ["truncated.html", "</html>"]) {
            _ = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/truncated.html"))
        }
    }

    @Test("a page cut inside its table, even without an <html> element")
    func truncatedFragment() {
        let html = "<table><tr><th>Kernel name</th><th>Description</th></tr><tr><td>conda_python3</td><td>Python 3.10"
        expectUpstreamError(.truncated, source: .awsDocs, messageContains: ["<table>"]) {
            _ = try UpstreamReaders.awsDocs(bytes: Data(html.utf8), location: "fragment.html")
        }
    }

    @Test(
        "binary garbage and invalid UTF-8",
        arguments: [
            ("aws-docs/garbage.bin", 1, "NUL byte"), ("aws-docs/invalid-utf8.md", 3, "not valid UTF-8"),
        ])
    func binary(fixture: String, line: Int, fragment: String) {
        expectUpstreamError(.binary, source: .awsDocs, line: line, messageContains: [fragment]) {
            _ = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture(fixture))
        }
    }

    @Test("a 50 MB page is refused by the size cap, in memory and on disk, before parsing")
    func fiftyMegabytes() throws {
        let size = 50 * 1024 * 1024
        let page = Data(repeating: UInt8(ascii: "a"), count: size)
        expectUpstreamError(.tooLarge, source: .awsDocs, messageContains: ["\(size) bytes", "--max-bytes"]) {
            _ = try UpstreamReaders.awsDocs(bytes: page, location: "big.html")
        }
        let path = FileManager.default.temporaryDirectory.appending(path: "smsync-big-\(UUID().uuidString).html").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
        expectUpstreamError(.tooLarge, source: .awsDocs, messageContains: ["\(size) bytes"]) {
            _ = try UpstreamReaders.awsDocs(path: path)
        }
        expectUpstreamError(.tooLarge, source: .awsDocs) {
            _ = try UpstreamReaders.awsDocs(
                path: UpstreamPaths.fixture("aws-docs/nbi-al2023.html"), limits: UpstreamLimits(maxBytesPerFile: 1000))
        }
    }

    @Test("an external entity pointing at a local file is never read")
    func externalEntity() throws {
        let release = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/xxe.html"))
        let output = try release.jsonText() + release.tableText()
        #expect(!output.contains("root:"))
        if let passwd = try? String(contentsOfFile: "/etc/passwd", encoding: .utf8),
            let firstLine = passwd.split(separator: "\n").first
        {
            #expect(!output.contains(firstLine))
        }
        #expect(!output.contains("INTERNAL-ENTITY-EXPANDED"))
        #expect(release.kernels.map(\.kernel) == ["conda_python3"])
    }

    @Test("deeply nested markup does not exhaust the stack")
    func deepNesting() throws {
        let depth = 100_000
        let html =
            "<html><body>" + String(repeating: "<div>", count: depth) + "text"
            + String(repeating: "</div>", count: depth)
            + "</body></html>"
        expectUpstreamError(.missingContent, source: .awsDocs, messageContains: ["no table found"]) {
            _ = try UpstreamReaders.awsDocs(bytes: Data(html.utf8), location: "deep.html")
        }
    }

    @Test("colspan and rowspan are expanded")
    func spans() throws {
        let html = """
            <html><body><table>
            <tr><th>Kernel name</th><th>Description</th></tr>
            <tr><td>conda_a</td><td rowspan="2">PyTorch version 2.1.0. This kernel comes with Python 3.11.</td></tr>
            <tr><td>conda_b</td></tr>
            <tr><td colspan="2">conda_c</td></tr>
            </table></body></html>
            """
        let release = try UpstreamReaders.awsDocs(bytes: Data(html.utf8), location: "spans.html")
        #expect(release.kernels.map(\.kernel) == ["conda_a", "conda_b", "conda_c"])
        #expect(release.version(of: "pytorch", in: "conda_b") == "2.1.0")
    }
}
