extension DriftReport {
    /// The machine-readable report (`smsync diff --format json`).
    public var json: JSONValue {
        func origin(_ origin: DriftOrigin?) -> JSONValue {
            guard let origin else { return .null }
            return .object([
                ("source", .string(origin.source)), ("kind", .string(origin.kind.rawValue)),
                ("release", .string(origin.release)), ("name", .string(origin.name)),
                ("version", .string(origin.version)), ("manager", .string(origin.manager?.rawValue)),
            ])
        }
        let kernelValues: [JSONValue] = kernels.map { kernel in
            .object([
                ("kernel", .string(kernel.kernel)),
                ("file", .string(kernel.file)),
                ("sources", .array(kernel.sources.map { .string($0) })),
                (
                    "changes",
                    .array(
                        kernel.changes.map { change in
                            .object([
                                ("package", .string(change.package)),
                                ("manager", .string(change.manager.rawValue)),
                                ("line", .int(change.line)),
                                ("current", .string(change.current)),
                                ("current_spec", .string(change.currentSpec)),
                                ("upstream", .string(change.upstream)),
                                ("upstream_name", .string(change.origin.name)),
                                ("kind", .string(change.kind.rawValue)),
                                ("action", .string(change.action.rawValue)),
                                ("reason", .string(change.reason)),
                                ("source", .string(change.origin.source)),
                                ("release", .string(change.origin.release)),
                                ("planned_spec", .string(change.plannedSpec)),
                                ("runner_up", origin(change.runnerUp)),
                            ])
                        })
                ),
                (
                    "missing",
                    .array(
                        kernel.missing.map {
                            .object([
                                ("name", .string($0.name)), ("version", .string($0.version)),
                                ("manager", .string($0.manager?.rawValue)), ("source", .string($0.source)),
                            ])
                        })
                ),
            ])
        }
        let summary = self.summary
        return .object([
            ("kernels", .array(kernelValues)),
            (
                "renamed",
                .array(
                    renames.map {
                        .object([
                            ("local", .string($0.local)), ("upstream", .string($0.upstream)),
                            ("source", .string($0.source)),
                        ])
                    })
            ),
            (
                "upstream_kernels_missing",
                .array(
                    missingKernels.map { .object([("kernel", .string($0.kernel)), ("source", .string($0.source))]) })
            ),
            ("kernels_without_source", .array(unsourcedKernels.map { .string($0) })),
            (
                "conflicts",
                .array(
                    conflicts.map {
                        .object([
                            ("kernel", .string($0.kernel)), ("package", .string($0.package)),
                            ("pinned", .string($0.pinned)), ("required", .string($0.spec)),
                            ("files", .array($0.files.map { .string($0) })), ("source", .string($0.source)),
                        ])
                    })
            ),
            ("examples_commit", .string(examplesCommit)),
            (
                "sources",
                .array(
                    sources.map {
                        .object([
                            ("name", .string($0.name)), ("kind", .string($0.kind.rawValue)),
                            ("release", .string($0.release)), ("published", .string($0.published?.description)),
                        ])
                    })
            ),
            (
                "policy",
                .object([
                    (
                        "update",
                        .array(ChangeKind.allCases.filter { policy.update.contains($0) }.map { .string($0.rawValue) })
                    ),
                    ("ignore", .array(policy.ignore.map { .string($0) })),
                    ("downgrade", .bool(policy.downgrade)),
                ])
            ),
            (
                "summary",
                .object([
                    ("updates", .int(summary.updates)), ("held", .int(summary.held)),
                    ("blocked", .int(summary.blocked)), ("ignored", .int(summary.ignored)),
                    ("same", .int(summary.same)),
                ])
            ),
        ])
    }

    /// An aligned table for terminals; `color` adds ANSI colours to the action column.
    public func table(color: Bool) -> String {
        var out = ""
        for source in sources {
            let release = source.release.map { " \(Self.shortRelease($0))" } ?? ""
            let date = source.published.map { " (\($0))" } ?? ""
            out += "source \(source.name): \(source.kind.rawValue)\(release)\(date)\n"
        }
        if !sources.isEmpty { out += "\n" }
        for kernel in kernels {
            out += "\(kernel.kernel)  \(kernel.file)\n"
            let shown = kernel.changes.filter { $0.action != .same || $0.reason != nil }
            if shown.isEmpty {
                let note = kernel.sources.isEmpty ? "no source speaks for this kernel" : "up to date"
                out += "  \(note)\n\n"
                continue
            }
            var rows: [[String]] = [["PACKAGE", "MANAGER", "CURRENT", "UPSTREAM", "KIND", "ACTION", "SOURCE"]]
            for change in shown {
                var action = change.action.rawValue
                if let reason = change.reason { action += " (\(reason))" }
                var source = change.origin.source
                if let runnerUp = change.runnerUp { source += " [\(runnerUp.source): \(runnerUp.version)]" }
                rows.append([
                    change.package, change.manager.rawValue, change.currentSpec ?? "-", change.upstream,
                    change.kind.rawValue, action, source,
                ])
            }
            let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for (index, row) in rows.enumerated() {
                var line = "  "
                for (column, cell) in row.enumerated() {
                    let padded =
                        column == row.count - 1
                        ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
                    if color, index > 0, column == 5 {
                        line += Self.colored(padded, action: shown[index - 1].action)
                    } else {
                        line += padded
                    }
                    if column < row.count - 1 { line += "  " }
                }
                out += line + "\n"
            }
            if !kernel.missing.isEmpty {
                out += "  \(kernel.missing.count) upstream packages not listed locally\n"
            }
            out += "\n"
        }
        for rename in renames {
            out += "renamed upstream: \(rename.local) → \(rename.upstream) (\(rename.source)); not acted on\n"
        }
        for missing in missingKernels {
            out += "upstream kernel without a local file: \(missing.kernel) (\(missing.source))\n"
        }
        for kernel in unsourcedKernels {
            out += "no source speaks for: \(kernel)\n"
        }
        for group in conflictGroups {
            let needs = group.conflicts.map { conflict in
                "\(conflict.spec) (\(conflict.files.map(Self.shownPath).joined(separator: ", ")))"
            }
            out +=
                "conflict: \(group.kernel) pins \(group.package) \(group.pinned); example notebooks require "
                + needs.joined(separator: "; ") + "\n"
        }
        let summary = self.summary
        out +=
            "\(summary.updates) updates, \(summary.held) held, \(summary.blocked) blocked, "
            + "\(summary.ignored) ignored, \(summary.same) up to date\n"
        return out
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

    private static func colored(_ text: String, action: DriftAction) -> String {
        let code: String
        switch action {
        case .update: code = "32"
        case .held: code = "33"
        case .blocked: code = "31"
        case .ignored, .same: code = "2"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// Markdown for people: the pull-request body's core, and `smsync diff --format markdown`.
    /// `links` maps a source label to a URL for that source.
    public func markdown(links: [String: String] = [:]) -> String {
        let summary = self.summary
        var out = "## smsync: kernel package drift\n\n"
        out +=
            "**\(summary.updates)** updates, **\(summary.held)** held, **\(summary.blocked)** blocked, "
            + "\(summary.ignored) ignored.\n\n"
        if !sources.isEmpty {
            out += "Sources, in precedence order:\n\n"
            for source in sources {
                let name = links[source.name].map { "[\(source.name)](\($0))" } ?? "`\(source.name)`"
                let release = source.release.map { " release `\(Self.shortRelease($0))`" } ?? ""
                let date = source.published.map { ", published \($0)" } ?? ""
                out += "- \(name) (\(source.kind.rawValue))\(release)\(date)\n"
            }
            out += "\n"
        }
        for kernel in kernels {
            let updates = kernel.changes.filter { $0.action == .update }
            let other = kernel.changes.filter { $0.action == .held || $0.action == .blocked }
            guard !updates.isEmpty || !other.isEmpty else { continue }
            out += "### `\(kernel.kernel)` (`\(kernel.file)`)\n\n"
            if !updates.isEmpty {
                out += "| package | from | to | kind | source |\n|---|---|---|---|---|\n"
                for change in updates {
                    out += "| \(Self.cell(change.package)) | \(Self.cell(change.currentSpec ?? "")) | "
                    out += "\(Self.cell(change.plannedSpec ?? change.upstream)) | \(change.kind.rawValue) | "
                    out += "\(Self.sourceCell(change, links: links)) |\n"
                }
                out += "\n"
            }
            if !other.isEmpty {
                out += "<details><summary>\(other.count) held or blocked</summary>\n\n"
                out += "| package | current | upstream | kind | action | why |\n|---|---|---|---|---|---|\n"
                for change in other {
                    out += "| \(Self.cell(change.package)) | \(Self.cell(change.currentSpec ?? "")) | "
                    out += "\(Self.cell(change.upstream)) | \(change.kind.rawValue) | \(change.action.rawValue) | "
                    out += "\(Self.cell(change.reason ?? "")) |\n"
                }
                out += "\n</details>\n\n"
            }
        }
        if !renames.isEmpty || !missingKernels.isEmpty || !unsourcedKernels.isEmpty || !conflicts.isEmpty {
            out += "### Notes\n\n"
            for rename in renames {
                out += "- Kernel renamed upstream: `\(rename.local)` → `\(rename.upstream)` (not acted on).\n"
            }
            for missing in missingKernels {
                out += "- Upstream kernel `\(missing.kernel)` has no local environment file.\n"
            }
            for kernel in unsourcedKernels { out += "- No source speaks for `\(kernel)`.\n" }
            for conflict in conflicts {
                let files = conflict.files.map { "`\(Self.cell($0))`" }.joined(separator: ", ")
                out +=
                    "- `\(conflict.kernel)` pins `\(conflict.package)` \(conflict.pinned), but example notebooks "
                    + "require `\(Self.cell(conflict.spec))`: \(files)\n"
            }
            out += "\n"
        }
        let allowed = ChangeKind.allCases.filter { policy.update.contains($0) }.map(\.rawValue)
        out += "Policy: update \(allowed.joined(separator: ", "))"
        if !policy.ignore.isEmpty { out += "; ignore \(policy.ignore.joined(separator: ", "))" }
        out += policy.downgrade ? "; downgrades allowed.\n" : "; no downgrades.\n"
        return out
    }

    private static func sourceCell(_ change: DriftChange, links: [String: String]) -> String {
        var text = links[change.origin.source].map { "[\(change.origin.source)](\($0))" } ?? change.origin.source
        if let release = change.origin.release, !release.hasPrefix("sha256:") { text += " \(release)" }
        if let runnerUp = change.runnerUp { text += " (\(runnerUp.source) says \(runnerUp.version))" }
        return cell(text)
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
