import Testing

@testable import SMSync

@Suite("Upstream Markdown tables")
struct UpstreamMarkdownTableTests {
    @Test("outer pipes are optional, per row")
    func outerPipes() throws {
        let text = """
            Package | Previous Version | Current Version | Change Type
            ---|---|---|---
            boto3|1.43.46|1.43.56|patch
            poppler|25.12.0|25.02.0|
            | libffi | 3.5.2 | 3.7.0 | minor |
            """
        let document = try MarkdownDocument.extract(text, source: .distribution, location: "t.md")
        let table = try #require(document.tables.first)
        #expect(table.header == ["Package", "Previous Version", "Current Version", "Change Type"])
        #expect(
            table.rows == [
                ["boto3", "1.43.46", "1.43.56", "patch"], ["poppler", "25.12.0", "25.02.0", ""],
                ["libffi", "3.5.2", "3.7.0", "minor"],
            ])
        #expect(table.line == 1)
        #expect(table.rowLines == [3, 4, 5])
    }

    @Test("cells lose escapes, backticks, <br> and link targets; escaped pipes stay in the cell")
    func cellText() throws {
        let text = """
            |  Kernel Name  | Description |
            | --- | --- |
            |  conda\\_python3  | Comes with Python<br>3.10 \\| see [the docs](https://example.com) and `code` |
            """
        let document = try MarkdownDocument.extract(text, source: .awsDocs, location: "t.md")
        let row = try #require(document.tables.first?.rows.first)
        #expect(row == ["conda_python3", "Comes with Python 3.10 | see the docs and code"])
    }

    @Test(
        "a ragged row is an error naming its line",
        arguments: [
            ("| a | b |\n| --- | --- |\n| 1 | 2 |\n| 1 | 2 | 3 |\n", 4),
            ("a | b | c\n---|---|---\n1|2\n", 3),
        ])
    func raggedRow(text: String, line: Int) {
        expectUpstreamError(.malformed, source: .awsDocs, line: line, messageContains: ["ragged table row"]) {
            _ = try MarkdownDocument.extract(text, source: .awsDocs, location: "t.md")
        }
    }

    @Test("a header whose delimiter row has another width is an error")
    func headerDelimiterMismatch() {
        expectUpstreamError(.malformed, source: .awsDocs, line: 1, messageContains: ["delimiter row"]) {
            _ = try MarkdownDocument.extract("| a | b |\n| --- |\n", source: .awsDocs, location: "t.md")
        }
    }

    @Test("front matter, fenced code and paragraphs")
    func proseAndFrontMatter() throws {
        let text = """
            ---
            source_url: https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-al2023.html
            ---

            # Title

            First paragraph
            continues here.

            ```
            | not | a table |
            | --- | --- |
            ```
            + item one
            """
        let document = try MarkdownDocument.extract(text, source: .awsDocs, location: "t.md")
        #expect(document.metadata["source_url"] == "https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-al2023.html")
        #expect(document.tables.isEmpty)
        #expect(document.textBlocks.map(\.text) == ["Title", "First paragraph continues here.", "item one"])
        #expect(document.textBlocks.map(\.line) == [5, 7, 14])
    }
}

/// Plain cells skip the inline-markup pass; what they read as must not change.
@Suite("Markdown inline text: the plain-text shortcut")
struct MarkdownInlineShortcutTests {
    @Test func theShortcutGivesWhatTheFullPassGives() {
        var random = SeededRandom(seed: 0x1D)
        func next(_ bound: Int) -> Int { random.below(bound) }
        let pieces = [
            "numpy", "1.26.4", " ", "  ", "\t", "\\", "\\|", "`", "**", "*", "<br>", "</b>", "[x](y)", "![i](u)", "[",
            "]", "(", ")", "!", "é", "日本", "\u{7F}", "-", "_", "&amp;", "2.0.0rc1", "|", "\n", "a b",
        ]
        var cases = ["", " ", "numpy", " numpy", "numpy ", "a  b", "a b", "1.2.3", "scikit-learn", "x*y", "a\\b"]
        for _ in 0..<20_000 {
            cases.append((0..<(1 + next(5))).map { _ in pieces[next(pieces.count)] }.joined())
        }
        var plain = 0
        for text in cases {
            #expect(
                MarkdownDocument.inlineText(text) == MarkdownDocument.inlineTextFully(text), "\(text.debugDescription)")
            if MarkdownDocument.isPlainInline(text) { plain += 1 }
        }
        #expect(plain > 1_000)
        #expect(MarkdownDocument.isPlainInline("scikit-learn") && MarkdownDocument.isPlainInline("1.26.4 (cpu)"))
    }
}
