extension DriftReport {
    /// The machine-readable report (`smsync diff --format json`), streamed: the same bytes as pretty JSON.
    /// `extra` writes members of its own (`json.key(…)` then a value) after the report's last one.
    public func writeJSON(to json: inout JSONWriter, extra: ((inout JSONWriter) -> Void)? = nil) {
        json.beginObject()
        json.key("kernels")
        json.beginArray()
        let checked = availabilityChecked
        json.elements(count: kernels.count) { [kernels] index, json in
            Self.writeKernel(kernels[index], availabilityChecked: checked, to: &json)
        }
        json.endArray()
        json.key("renamed")
        json.beginArray()
        for rename in renames {
            json.element()
            json.beginObject()
            json.field("local", rename.local)
            json.field("upstream", rename.upstream)
            json.field("source", rename.source)
            json.endObject()
        }
        json.endArray()
        json.key("upstream_kernels_missing")
        json.beginArray()
        for missing in missingKernels {
            json.element()
            json.beginObject()
            json.field("kernel", missing.kernel)
            json.field("source", missing.source)
            json.endObject()
        }
        json.endArray()
        json.field("kernels_without_source", strings: unsourcedKernels)
        json.key("conflicts")
        json.beginArray()
        for conflict in conflicts {
            json.element()
            json.beginObject()
            json.field("kernel", conflict.kernel)
            json.field("package", conflict.package)
            json.field("pinned", conflict.pinned)
            json.field("required", conflict.spec)
            json.field("files", strings: conflict.files)
            json.field("source", conflict.source)
            json.endObject()
        }
        json.endArray()
        json.field("examples_commit", examplesCommit)
        json.key("sources")
        json.beginArray()
        for source in sources {
            json.element()
            json.beginObject()
            json.field("name", source.name)
            json.field("kind", source.kind.rawValue)
            json.field("release", source.release)
            json.field("published", source.published?.description)
            json.endObject()
        }
        json.endArray()
        json.key("policy")
        json.beginObject()
        json.field("update", strings: ChangeKind.allCases.filter { policy.update.contains($0) }.map(\.rawValue))
        json.field("ignore", strings: policy.ignore)
        json.key("downgrade")
        json.bool(policy.downgrade)
        json.endObject()
        json.key("summary")
        json.beginObject()
        json.field("updates", summary.updates)
        json.field("held", summary.held)
        json.field("blocked", summary.blocked)
        json.field("ignored", summary.ignored)
        json.field("same", summary.same)
        if availabilityChecked { json.field("unavailable", summary.unavailable) }
        json.endObject()
        extra?(&json)
        json.endObject()
    }

    /// One kernel of the JSON report's `kernels` array.
    private static func writeKernel(_ kernel: KernelDrift, availabilityChecked: Bool, to json: inout JSONWriter) {
        json.beginObject()
        json.field("kernel", kernel.kernel)
        json.field("file", kernel.file)
        json.field("sources", strings: kernel.sources)
        json.key("changes")
        json.beginArray()
        for change in kernel.changes {
            json.element()
            json.beginObject()
            if json.depth == 5 {
                writeChangeFieldsInReportLayout(change, availabilityChecked: availabilityChecked, to: &json)
            } else {
                writeChangeFields(change, availabilityChecked: availabilityChecked, to: &json)
            }
            json.endObject()
        }
        json.endArray()
        json.key("missing")
        json.beginArray()
        for missing in kernel.missing {
            json.element()
            json.beginObject()
            json.field("name", missing.name)
            json.field("version", missing.version)
            json.field("manager", missing.manager?.rawValue)
            json.field("source", missing.source)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    /// The fields of a change, at any depth.
    static func writeChangeFields(_ change: DriftChange, availabilityChecked: Bool, to json: inout JSONWriter) {
        json.field("package", change.package)
        json.field("manager", change.manager.rawValue)
        json.field("line", change.line)
        json.field("current", change.current)
        json.field("current_spec", change.currentSpec)
        json.field("upstream", change.upstream)
        json.field("upstream_name", change.origin.name)
        json.field("kind", change.kind.rawValue)
        json.field("action", change.action.rawValue)
        json.field("reason", change.reason)
        json.field("source", change.origin.source)
        json.field("release", change.origin.release)
        json.field("planned_spec", change.plannedSpec)
        json.key("runner_up")
        Self.writeOrigin(change.runnerUp, to: &json)
        if availabilityChecked {
            json.key("availability")
            Self.writeAvailability(change.availability, to: &json)
        }
    }

    /// The fields of a change in the `kernels[].changes[]` objects of the report, spelt out for that depth (field
    /// indentation 10): one literal per key with its separator, then the value. The same bytes as the general
    /// writer's `json.field(…)` calls above (checked by `ReportLayoutTests`), written in a third of the calls.
    static func writeChangeFieldsInReportLayout(
        _ change: DriftChange, availabilityChecked: Bool, to json: inout JSONWriter
    ) {
        json.appendLayout("\n          \"package\": ")
        json.string(change.package)
        json.appendLayout(",\n          \"manager\": ")
        json.string(change.manager.rawValue)
        json.appendLayout(",\n          \"line\": ")
        json.int(change.line)
        json.appendLayout(",\n          \"current\": ")
        json.string(change.current)
        json.appendLayout(",\n          \"current_spec\": ")
        json.string(change.currentSpec)
        json.appendLayout(",\n          \"upstream\": ")
        json.string(change.upstream)
        json.appendLayout(",\n          \"upstream_name\": ")
        json.string(change.origin.name)
        json.appendLayout(",\n          \"kind\": ")
        json.string(change.kind.rawValue)
        json.appendLayout(",\n          \"action\": ")
        json.string(change.action.rawValue)
        json.appendLayout(",\n          \"reason\": ")
        json.string(change.reason)
        json.appendLayout(",\n          \"source\": ")
        json.string(change.origin.source)
        json.appendLayout(",\n          \"release\": ")
        json.string(change.origin.release)
        json.appendLayout(",\n          \"planned_spec\": ")
        json.string(change.plannedSpec)
        json.appendLayout(",\n          \"runner_up\": ")
        Self.writeOrigin(change.runnerUp, to: &json)
        if availabilityChecked {
            json.appendLayout(",\n          \"availability\": ")
            Self.writeAvailability(change.availability, to: &json)
        }
    }

    private static func writeOrigin(_ origin: DriftOrigin?, to json: inout JSONWriter) {
        guard let origin else {
            json.string(nil)
            return
        }
        json.beginObject()
        json.field("source", origin.source)
        json.field("kind", origin.kind.rawValue)
        json.field("release", origin.release)
        json.field("name", origin.name)
        json.field("version", origin.version)
        json.field("manager", origin.manager?.rawValue)
        json.endObject()
    }

    private static func writeAvailability(_ availability: ChangeAvailability?, to json: inout JSONWriter) {
        guard let availability else {
            json.string(nil)
            return
        }
        json.beginObject()
        json.field("status", availability.status.rawValue)
        json.field("channel", availability.source?.channel)
        json.field("subdir", availability.source?.subdir)
        json.field("build", availability.source?.build)
        json.field("file", availability.source?.file)
        json.field("index", availability.source?.index)
        json.field("reason", availability.reason)
        json.field("unavailable_since", availability.since)
        json.field("alternative", availability.alternative)
        json.endObject()
    }

    /// `smsync diff --format json`: the report and a final newline; `extra` as above.
    public func writeJSON(to output: inout ByteOutput, extra: ((inout JSONWriter) -> Void)? = nil) {
        var json = JSONWriter(output: output)
        writeJSON(to: &json, extra: extra)
        json.output.append(UInt8(ascii: "\n"))
        output = json.output
    }

    /// The JSON report as text, with its final newline.
    public var jsonText: String {
        ByteOutput.collectText { writeJSON(to: &$0) }
    }

    /// An aligned table for terminals; `color` adds ANSI colours to the action column.
    public func table(color: Bool) -> String {
        ByteOutput.collectText { writeTable(color: color, to: &$0) }
    }

    /// Streams the aligned table; `color` adds ANSI colours to the action column.
    public func writeTable(color: Bool, to out: inout ByteOutput) {
        for source in sources {
            out.append("source ")
            out.append(source.name)
            out.append(": ")
            out.append(source.kind.rawValue)
            if let release = source.release {
                out.append(" ")
                out.append(Self.shortRelease(release))
            }
            if let published = source.published {
                out.append(" (")
                out.append(published.description)
                out.append(")")
            }
            out.append("\n")
        }
        if !sources.isEmpty { out.append("\n") }
        var header = ["PACKAGE", "MANAGER", "CURRENT", "UPSTREAM", "KIND", "ACTION", "SOURCE"]
        if availabilityChecked { header.append("FROM") }
        let checked = availabilityChecked
        out.appendRendered(count: kernels.count) { [kernels, header] index, out in
            Self.writeTableKernel(kernels[index], header: header, availabilityChecked: checked, color: color, to: &out)
        }
        for rename in renames {
            out.append("renamed upstream: \(rename.local) → \(rename.upstream) (\(rename.source)); not acted on\n")
        }
        for missing in missingKernels {
            out.append("upstream kernel without a local file: \(missing.kernel) (\(missing.source))\n")
        }
        for kernel in unsourcedKernels {
            out.append("no source speaks for: \(kernel)\n")
        }
        for group in conflictGroups {
            let needs = group.conflicts.map { conflict in
                "\(conflict.spec) (\(conflict.files.map(Self.shownPath).joined(separator: ", ")))"
            }
            out.append(
                "conflict: \(group.kernel) pins \(group.package) \(group.pinned); example notebooks require "
                    + needs.joined(separator: "; ") + "\n")
        }
        out.append(
            "\(summary.updates) updates, \(summary.held) held, \(summary.blocked) blocked, "
                + "\(summary.ignored) ignored, \(summary.same) up to date")
        if availabilityChecked { out.append(", \(summary.unavailable) unavailable") }
        out.append("\n")
    }

    /// One kernel of the table: its line, then its rows aligned to widths of their own.
    private static func writeTableKernel(
        _ kernel: KernelDrift, header: [String], availabilityChecked: Bool, color: Bool, to out: inout ByteOutput
    ) {
        out.append(kernel.kernel)
        out.append("  ")
        out.append(kernel.file)
        out.append("\n")
        guard kernel.changes.contains(where: isShownInTable) else {
            out.append(kernel.sources.isEmpty ? "  no source speaks for this kernel\n\n" : "  up to date\n\n")
            return
        }
        if !writeASCIIRows(kernel, header: header, availabilityChecked: availabilityChecked, color: color, to: &out) {
            writeRows(kernel, header: header, availabilityChecked: availabilityChecked, color: color, to: &out)
        }
        if !kernel.missing.isEmpty {
            out.append("  ")
            out.append(kernel.missing.count)
            out.append(" upstream packages not listed locally\n")
        }
        out.append("\n")
    }

    /// Whether the table lists a change: all but the `same` ones without a note.
    static func isShownInTable(_ change: DriftChange) -> Bool { change.action != .same || change.reason != nil }

    /// A kernel's rows, each cell built as text and measured in characters: any text.
    static func writeRows(
        _ kernel: KernelDrift, header: [String], availabilityChecked: Bool, color: Bool, to out: inout ByteOutput
    ) {
        var rows: [[String]] = []
        var widths = [Int](repeating: 0, count: header.count)
        let shown = kernel.changes.filter(isShownInTable)
        for change in shown {
            var action = change.action.rawValue
            if let since = change.availability?.since, change.action == .unavailable { action += " since \(since)" }
            if let reason = change.reason { action += " (\(reason))" }
            var source = change.origin.source
            if let runnerUp = change.runnerUp { source += " [\(runnerUp.source): \(runnerUp.version)]" }
            var row = [
                change.package, change.manager.rawValue, change.currentSpec ?? "-", change.upstream,
                change.kind.rawValue, action, source,
            ]
            if availabilityChecked { row.append(fromText(change)) }
            rows.append(row)
        }
        for column in widths.indices {
            widths[column] = rows.reduce(width(header[column])) { max($0, width($1[column])) }
        }
        writeRow(header, widths: widths, action: nil, to: &out)
        for (index, row) in rows.enumerated() {
            writeRow(row, widths: widths, action: color ? shown[index].action : nil, to: &out)
        }
    }

    /// A kernel's rows when every cell is ASCII (one column per byte): widths are summed from the parts of each
    /// cell and the parts are written as they are, with no cell built. False, with nothing written, when some
    /// text is not ASCII (its width in characters is then taken from the whole cell by `writeRows`). The same bytes
    /// as `writeRows` (checked by `ReportLayoutTests`).
    static func writeASCIIRows(
        _ kernel: KernelDrift, header: [String], availabilityChecked: Bool, color: Bool, to out: inout ByteOutput
    ) -> Bool {
        var widths = header.map { $0.utf8.count }
        var from: [String] = []
        for index in kernel.changes.indices where isShownInTable(kernel.changes[index]) {
            guard widen(&widths, toASCII: kernel.changes[index]) else { return false }
            if availabilityChecked {
                let text = fromText(kernel.changes[index])
                guard let width = asciiWidth(text) else { return false }
                widths[7] = max(widths[7], width)
                from.append(text)
            }
        }
        writeRow(header, widths: widths, action: nil, to: &out)
        var row = 0
        for index in kernel.changes.indices where isShownInTable(kernel.changes[index]) {
            let change = kernel.changes[index]
            out.append("  ")
            out.append(change.package)
            out.append(spaces: widths[0] - change.package.utf8.count + 2)
            out.append(change.manager.rawValue)
            out.append(spaces: widths[1] - change.manager.rawValue.utf8.count + 2)
            let current = change.currentSpec ?? "-"
            out.append(current)
            out.append(spaces: widths[2] - current.utf8.count + 2)
            out.append(change.upstream)
            out.append(spaces: widths[3] - change.upstream.utf8.count + 2)
            out.append(change.kind.rawValue)
            out.append(spaces: widths[4] - change.kind.rawValue.utf8.count + 2)
            if color { out.append(colorCode(change.action)) }
            var written = change.action.rawValue.utf8.count
            out.append(change.action.rawValue)
            if let since = change.availability?.since, change.action == .unavailable {
                out.append(" since ")
                out.append(since)
                written += 7 + since.utf8.count
            }
            if let reason = change.reason {
                out.append(" (")
                out.append(reason)
                out.append(")")
                written += 3 + reason.utf8.count
            }
            out.append(spaces: widths[5] - written)
            if color { out.append("\u{1B}[0m") }
            out.append("  ")
            out.append(change.origin.source)
            written = change.origin.source.utf8.count
            if let runnerUp = change.runnerUp {
                out.append(" [")
                out.append(runnerUp.source)
                out.append(": ")
                out.append(runnerUp.version)
                out.append("]")
                written += 5 + runnerUp.source.utf8.count + runnerUp.version.utf8.count
            }
            if availabilityChecked {
                out.append(spaces: widths[6] - written + 2)
                out.append(from[row])
            }
            out.append("\n")
            row += 1
        }
        return true
    }

    /// Widens the first seven columns to a change's cells when all their text is ASCII; false otherwise.
    private static func widen(_ widths: inout [Int], toASCII change: DriftChange) -> Bool {
        guard let package = asciiWidth(change.package), let upstream = asciiWidth(change.upstream),
            let source = asciiWidth(change.origin.source)
        else { return false }
        let current = change.currentSpec.map(asciiWidth) ?? 1
        guard let current else { return false }
        var action = change.action.rawValue.utf8.count
        if let since = change.availability?.since, change.action == .unavailable {
            guard let width = asciiWidth(since) else { return false }
            action += 7 + width
        }
        if let reason = change.reason {
            guard let width = asciiWidth(reason) else { return false }
            action += 3 + width
        }
        var sourceWidth = source
        if let runnerUp = change.runnerUp {
            guard let name = asciiWidth(runnerUp.source), let version = asciiWidth(runnerUp.version) else {
                return false
            }
            sourceWidth += 5 + name + version
        }
        widths[0] = max(widths[0], package)
        widths[1] = max(widths[1], change.manager.rawValue.utf8.count)
        widths[2] = max(widths[2], current)
        widths[3] = max(widths[3], upstream)
        widths[4] = max(widths[4], change.kind.rawValue.utf8.count)
        widths[5] = max(widths[5], action)
        widths[6] = max(widths[6], sourceWidth)
        return true
    }

    /// The byte count of ASCII text (its width in the table); nil for other text.
    static func asciiWidth(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { bytes in
            var any: UInt8 = 0
            for byte in bytes { any |= byte }
            return any < 0x80 ? bytes.count : nil
        }
    }

    /// The table's FROM cell: where an update comes from, the alternative for an unavailable one, or `-`.
    static func fromText(_ change: DriftChange) -> String {
        guard let availability = change.availability else { return "-" }
        if let source = availability.source { return source.summary }
        if let alternative = availability.alternative { return "available: \(alternative)" }
        return availability.status == .unchecked ? "not checked" : "-"
    }

    /// One table line: cells padded to their column's width (in characters), two spaces apart, the last unpadded;
    /// `action` colours the action column.
    private static func writeRow(_ row: [String], widths: [Int], action: DriftAction?, to out: inout ByteOutput) {
        out.append("  ")
        let last = row.count - 1
        for (column, cell) in row.enumerated() {
            if column == 5, let action { out.append(colorCode(action)) }
            out.append(cell)
            if column < last { out.append(spaces: widths[column] - width(cell)) }
            if column == 5, action != nil { out.append("\u{1B}[0m") }
            if column < last { out.append("  ") }
        }
        out.append("\n")
    }

    /// A cell's width as the table counts it: characters (one per byte for ASCII text).
    private static func width(_ text: String) -> Int {
        asciiWidth(text) ?? text.count
    }

    /// A release id as shown to people: content digests cut to 12 hex digits.
    static func shortRelease(_ release: String) -> String {
        release.hasPrefix("sha256:") ? String(release.prefix(19)) : release
    }

    /// Conflicts of one kernel and package together.
    var conflictGroups: [(kernel: String, package: String, pinned: String, conflicts: [ExamplesConflict])] {
        var groups: [(kernel: String, package: String, pinned: String, conflicts: [ExamplesConflict])] = []
        for conflict in conflicts {
            if let index = groups.firstIndex(where: { $0.kernel == conflict.kernel && $0.package == conflict.package })
            {
                groups[index].conflicts.append(conflict)
            } else {
                groups.append((conflict.kernel, conflict.package, conflict.pinned, [conflict]))
            }
        }
        return groups
    }

    /// A path as shown to people: quoted when it starts or ends with a space (example folders do).
    static func shownPath(_ path: String) -> String {
        path.first == " " || path.last == " " ? "\"\(path)\"" : path
    }

    private static func colorCode(_ action: DriftAction) -> StaticString {
        switch action {
        case .update: "\u{1B}[32m"
        case .held: "\u{1B}[33m"
        case .blocked: "\u{1B}[31m"
        case .ignored, .same: "\u{1B}[2m"
        case .unavailable: "\u{1B}[35m"
        }
    }

    /// Markdown for people: the pull-request body's core, and `smsync diff --format markdown`.
    /// `links` maps a source label to a URL for that source.
    public func markdown(links: [String: String] = [:]) -> String {
        ByteOutput.collectText { writeMarkdown(links: links, to: &$0) }
    }

    /// Streams the Markdown report; `links` maps a source label to a URL for that source.
    public func writeMarkdown(links: [String: String] = [:], to out: inout ByteOutput) {
        out.append("## smsync: kernel package drift\n\n")
        out.append(
            "**\(summary.updates)** updates, **\(summary.held)** held, **\(summary.blocked)** blocked, "
                + "\(summary.ignored) ignored")
        if availabilityChecked { out.append(", **\(summary.unavailable)** not installable yet") }
        out.append(".\n\n")
        if !sources.isEmpty {
            out.append("Sources, in precedence order:\n\n")
            for source in sources {
                let name = links[source.name].map { "[\(source.name)](\($0))" } ?? "`\(source.name)`"
                let release = source.release.map { " release `\(Self.shortRelease($0))`" } ?? ""
                let date = source.published.map { ", published \($0)" } ?? ""
                out.append("- \(name) (\(source.kind.rawValue))\(release)\(date)\n")
            }
            out.append("\n")
        }
        let checked = availabilityChecked
        out.appendRendered(count: kernels.count) { [kernels] index, out in
            Self.writeMarkdownKernel(kernels[index], links: links, availabilityChecked: checked, to: &out)
        }
        if !renames.isEmpty || !missingKernels.isEmpty || !unsourcedKernels.isEmpty || !conflicts.isEmpty {
            out.append("### Notes\n\n")
            for rename in renames {
                out.append("- Kernel renamed upstream: `\(rename.local)` → `\(rename.upstream)` (not acted on).\n")
            }
            for missing in missingKernels {
                out.append("- Upstream kernel `\(missing.kernel)` has no local environment file.\n")
            }
            for kernel in unsourcedKernels { out.append("- No source speaks for `\(kernel)`.\n") }
            for conflict in conflicts {
                let files = conflict.files.map { "`\(Self.cell($0))`" }.joined(separator: ", ")
                out.append(
                    "- `\(conflict.kernel)` pins `\(conflict.package)` \(conflict.pinned), but example notebooks "
                        + "require `\(Self.cell(conflict.spec))`: \(files)\n")
            }
            out.append("\n")
        }
        let allowed = ChangeKind.allCases.filter { policy.update.contains($0) }.map(\.rawValue)
        out.append("Policy: update \(allowed.joined(separator: ", "))")
        if !policy.ignore.isEmpty { out.append("; ignore \(policy.ignore.joined(separator: ", "))") }
        out.append(policy.downgrade ? "; downgrades allowed.\n" : "; no downgrades.\n")
    }

    /// One kernel's section of the Markdown report (nothing when it has nothing to update, hold or block).
    private static func writeMarkdownKernel(
        _ kernel: KernelDrift, links: [String: String], availabilityChecked: Bool, to out: inout ByteOutput
    ) {
        // Views, not copies, of the kernel's changes.
        let updates = kernel.changes.lazy.filter { $0.action == .update }
        let other = kernel.changes.lazy.filter { $0.action == .held || $0.action == .blocked }
        let unavailable = kernel.changes.filter { $0.action == .unavailable }
        guard !updates.isEmpty || !other.isEmpty || !unavailable.isEmpty else { return }
        out.append("### `")
        out.append(kernel.kernel)
        out.append("` (`")
        out.append(kernel.file)
        out.append("`)\n\n")
        if !updates.isEmpty {
            if availabilityChecked {
                out.append("| package | from | to | kind | source | installs from |\n|---|---|---|---|---|---|\n")
            } else {
                out.append("| package | from | to | kind | source |\n|---|---|---|---|---|\n")
            }
            for change in updates {
                out.append("| ")
                writeCell(change.package, to: &out)
                out.append(" | ")
                writeCell(change.currentSpec ?? "", to: &out)
                out.append(" | ")
                writeCell(change.plannedSpec ?? change.upstream, to: &out)
                out.append(" | ")
                out.append(change.kind.rawValue)
                out.append(" | ")
                writeSourceCell(change, links: links, to: &out)
                if availabilityChecked {
                    out.append(" | ")
                    writeCell(fromText(change), to: &out)
                }
                out.append(" |\n")
            }
            out.append("\n")
        }
        if !unavailable.isEmpty { writeUnavailable(unavailable, to: &out) }
        if !other.isEmpty {
            out.append("<details><summary>")
            out.append(other.count)
            out.append(" held or blocked</summary>\n\n")
            out.append("| package | current | upstream | kind | action | why |\n|---|---|---|---|---|---|\n")
            for change in other {
                out.append("| ")
                writeCell(change.package, to: &out)
                out.append(" | ")
                writeCell(change.currentSpec ?? "", to: &out)
                out.append(" | ")
                writeCell(change.upstream, to: &out)
                out.append(" | ")
                out.append(change.kind.rawValue)
                out.append(" | ")
                out.append(change.action.rawValue)
                out.append(" | ")
                writeCell(change.reason ?? "", to: &out)
                out.append(" |\n")
            }
            out.append("\n</details>\n\n")
        }
    }

    /// The updates held because their version cannot be installed yet, folded.
    private static func writeUnavailable(_ changes: [DriftChange], to out: inout ByteOutput) {
        out.append("<details><summary>")
        out.append(changes.count)
        out.append(" not installable yet (held)</summary>\n\n")
        out.append("| package | current | upstream | why | since | available instead |\n|---|---|---|---|---|---|\n")
        for change in changes {
            out.append("| ")
            writeCell(change.package, to: &out)
            out.append(" | ")
            writeCell(change.currentSpec ?? "", to: &out)
            out.append(" | ")
            writeCell(change.upstream, to: &out)
            out.append(" | ")
            writeCell(change.reason ?? "", to: &out)
            out.append(" | ")
            writeCell(change.availability?.since ?? "", to: &out)
            out.append(" | ")
            writeCell(change.availability?.alternative ?? "", to: &out)
            out.append(" |\n")
        }
        out.append("\n</details>\n\n")
    }

    static func sourceText(_ change: DriftChange, links: [String: String]) -> String {
        var text = links[change.origin.source].map { "[\(change.origin.source)](\($0))" } ?? change.origin.source
        if let release = change.origin.release, !release.hasPrefix("sha256:") { text += " \(release)" }
        if let runnerUp = change.runnerUp { text += " (\(runnerUp.source) says \(runnerUp.version))" }
        return text
    }

    /// Writes `cell(sourceText(change, links:))`; without a link, when every part is a plain cell, the parts are
    /// written as they are, with no text built (the same bytes: a plain cell is written unchanged).
    static func writeSourceCell(_ change: DriftChange, links: [String: String], to out: inout ByteOutput) {
        let origin = change.origin
        let release = origin.release.flatMap { $0.hasPrefix("sha256:") ? nil : $0 }
        guard links.isEmpty || links[origin.source] == nil, isPlainCell(origin.source),
            release.map(isPlainCell) ?? true,
            change.runnerUp.map({ isPlainCell($0.source) && isPlainCell($0.version) }) ?? true
        else {
            writeCell(sourceText(change, links: links), to: &out)
            return
        }
        out.append(origin.source)
        if let release {
            out.append(" ")
            out.append(release)
        }
        if let runnerUp = change.runnerUp {
            out.append(" (")
            out.append(runnerUp.source)
            out.append(" says ")
            out.append(runnerUp.version)
            out.append(")")
        }
    }

    /// Writes `cell(text)`; a plain cell (nearly every one) is copied as it is.
    static func writeCell(_ text: String, to out: inout ByteOutput) {
        if isPlainCell(text) { out.append(text) } else { out.append(cell(text)) }
    }

    /// ASCII text without `|`, `` ` ``, CR or LF: `cell(text)` is the text itself.
    static func isPlainCell(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            for byte in bytes
            where byte >= 0x80 || byte == UInt8(ascii: "|") || byte == UInt8(ascii: "`") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
            {
                return false
            }
            return true
        }
    }

    /// Text safe inside a Markdown table cell.
    static func cell(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "|": out += "\\|"
            case "\n", "\r": out += " "
            case "`": out += "'"
            default: out.append(character)
            }
        }
        return out
    }
}
