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

    static func text(_ random: inout SeededRandom) -> String { texts[random.below(texts.count)] }

    static func optionalText(_ random: inout SeededRandom) -> String? {
        random.below(3) == 0 ? nil : text(&random)
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
