import Testing

@testable import SMSync

/// The JSON report's change objects are written with their keys, separators and indentation spelt out for their
/// depth; these tests hold them to the general writer's bytes on many generated changes (text that needs
/// escaping, absent values, runner-ups, availability), and the digit writer to `String(Int)`.
@Suite("Report rendering: spelt-out layout")
struct ReportLayoutTests {
    static let texts = [
        "numpy", "", "a\"b", "back\\slash", "line\nbreak", "tab\there", "\u{01}\u{7F}", "sep\u{2028}\u{2029}",
        "café", "日本語", "=1.2.3", ">=1,<2", String(repeating: "long-", count: 40),
    ]

    /// ASCII text only: the cells of the table's and the Markdown's written-as-is paths (with `|`, `` ` ``, CR and
    /// LF, which Markdown cells escape).
    static let asciiTexts = [
        "numpy", "", "x", "=1.2.3", "held", "a|b", "`tick`", "cr\rlf\n", "downgrade (policy.downgrade is false)",
        "distribution", "9.9.9", "sha256:abcdef0123456789", String(repeating: "w", count: 70),
    ]

    static func text(_ random: inout SeededRandom, ascii: Bool = false) -> String {
        if ascii || random.below(4) != 0 { return asciiTexts[random.below(asciiTexts.count)] }
        return texts[random.below(texts.count)]
    }

    static func optionalText(_ random: inout SeededRandom) -> String? {
        random.below(3) == 0 ? nil : text(&random)
    }

    static func kernel(_ random: inout SeededRandom, ascii: Bool) -> KernelDrift {
        var changes: [DriftChange] = []
        for _ in 0..<random.below(12) {
            var change = Self.change(&random)
            if ascii {
                change.package = text(&random, ascii: true)
                change.currentSpec = random.below(3) == 0 ? nil : text(&random, ascii: true)
                change.upstream = text(&random, ascii: true)
                change.reason = random.below(3) == 0 ? nil : text(&random, ascii: true)
                change.origin.source = text(&random, ascii: true)
                change.origin.release = random.below(3) == 0 ? nil : text(&random, ascii: true)
                change.runnerUp?.source = text(&random, ascii: true)
                change.runnerUp?.version = text(&random, ascii: true)
                change.availability?.since = random.below(2) == 0 ? nil : text(&random, ascii: true)
                change.availability?.source?.file = text(&random, ascii: true)
                change.availability?.source?.channel = nil
                change.availability?.source?.subdir = nil
                change.availability?.source?.index = nil
            }
            changes.append(change)
        }
        return KernelDrift(kernel: "k", file: "f.yml", changes: changes, missing: [], sources: ["s"])
    }

    static func origin(_ random: inout SeededRandom) -> DriftOrigin {
        DriftOrigin(
            source: text(&random), kind: .distribution, release: optionalText(&random), name: text(&random),
            version: text(&random), manager: random.below(3) == 0 ? nil : .pip)
    }

    static func change(_ random: inout SeededRandom) -> DriftChange {
        let kinds = ChangeKind.allCases
        let actions: [DriftAction] = [.update, .held, .blocked, .ignored, .same, .unavailable]
        let lines = [0, 1, 9, 10, 99, 12_345, Int.max, -1, -10, Int.min]
        var change = DriftChange(
            package: text(&random), manager: random.below(2) == 0 ? .conda : .pip,
            line: lines[random.below(lines.count)], current: optionalText(&random),
            currentSpec: optionalText(&random), upstream: text(&random), kind: kinds[random.below(kinds.count)],
            action: actions[random.below(actions.count)], reason: optionalText(&random), origin: origin(&random),
            runnerUp: random.below(2) == 0 ? nil : origin(&random), plannedSpec: optionalText(&random))
        if random.below(2) == 0 {
            change.availability = ChangeAvailability(
                status: .available,
                source: AvailabilitySource(
                    channel: optionalText(&random), subdir: optionalText(&random), build: nil,
                    file: text(&random), index: optionalText(&random)),
                reason: optionalText(&random), since: optionalText(&random), alternative: optionalText(&random))
        }
        return change
    }

    /// A change object written inside five open containers, as in the report.
    static func object(_ change: DriftChange, availability: Bool, layout: Bool) -> [UInt8] {
        ByteOutput.collect { output in
            var json = JSONWriter(output: output)
            json.beginObject()
            json.key("kernels")
            json.beginArray()
            json.element()
            json.beginObject()
            json.key("changes")
            json.beginArray()
            json.element()
            json.beginObject()
            #expect(json.depth == 5)
            if layout {
                DriftReport.writeChangeFieldsInReportLayout(change, availabilityChecked: availability, to: &json)
            } else {
                DriftReport.writeChangeFields(change, availabilityChecked: availability, to: &json)
            }
            json.endObject()
            json.endArray()
            json.endObject()
            json.endArray()
            json.endObject()
            output = json.output
        }
    }

    @Test func speltOutChangeFieldsAreTheGeneralWritersBytes() {
        var random = SeededRandom(seed: 12)
        for index in 0..<4000 {
            let change = Self.change(&random)
            let availability = index % 2 == 0
            let general = Self.object(change, availability: availability, layout: false)
            let layout = Self.object(change, availability: availability, layout: true)
            #expect(!general.isEmpty)
            guard layout == general else {
                Issue.record(
                    """
                    case \(index) differs:
                    \(String(decoding: layout, as: UTF8.self))
                    expected:
                    \(String(decoding: general, as: UTF8.self))
                    """)
                return
            }
        }
    }

    @Test func asciiTableRowsAreTheGeneralRowsBytes() {
        var random = SeededRandom(seed: 21)
        var written = 0
        var declined = 0
        for index in 0..<3000 {
            let kernel = Self.kernel(&random, ascii: index % 4 != 0)
            let availability = index % 3 == 0
            let color = index % 5 == 0
            var header = ["PACKAGE", "MANAGER", "CURRENT", "UPSTREAM", "KIND", "ACTION", "SOURCE"]
            if availability { header.append("FROM") }
            guard kernel.changes.contains(where: DriftReport.isShownInTable) else { continue }
            let general = ByteOutput.collect {
                DriftReport.writeRows(kernel, header: header, availabilityChecked: availability, color: color, to: &$0)
            }
            var took = false
            let ascii = ByteOutput.collect {
                took = DriftReport.writeASCIIRows(
                    kernel, header: header, availabilityChecked: availability, color: color, to: &$0)
            }
            guard took else {
                #expect(ascii.isEmpty, "case \(index): declined after writing")
                declined += 1
                continue
            }
            written += 1
            guard ascii == general else {
                Issue.record(
                    """
                    case \(index) differs:
                    \(String(decoding: ascii, as: UTF8.self))
                    expected:
                    \(String(decoding: general, as: UTF8.self))
                    """)
                return
            }
        }
        // Both paths were taken many times.
        #expect(written > 1000)
        #expect(declined > 300)
    }

    @Test func plainMarkdownSourceCellsAreTheGeneralCellsBytes() {
        var random = SeededRandom(seed: 34)
        var plain = 0
        for index in 0..<6000 {
            let change = Self.change(&random)
            let links = index % 7 == 0 ? [change.origin.source: "https://example.com/x"] : [:]
            let general = ByteOutput.collect {
                DriftReport.writeCell(DriftReport.sourceText(change, links: links), to: &$0)
            }
            let direct = ByteOutput.collect { DriftReport.writeSourceCell(change, links: links, to: &$0) }
            guard direct == general else {
                Issue.record(
                    "case \(index): \(String(decoding: direct, as: UTF8.self)) != \(String(decoding: general, as: UTF8.self))"
                )
                return
            }
            if DriftReport.isPlainCell(DriftReport.sourceText(change, links: links)) { plain += 1 }
        }
        #expect(plain > 1000)
    }

    @Test func integersAreWrittenAsTheirDecimalText() {
        var values = [0, 1, 9, 10, 11, 99, 100, 101, 1_000_000, Int.max, Int.min, -1, -9, -10, Int.min + 1]
        var random = SeededRandom(seed: 3)
        for _ in 0..<2000 {
            let magnitude = random.below(1 << 30) * random.below(1 << 30)
            values.append(random.below(2) == 0 ? magnitude : -magnitude)
        }
        for value in values {
            let bytes = ByteOutput.collect { $0.append(value) }
            #expect(String(decoding: bytes, as: UTF8.self) == String(value))
        }
    }
}
