import Foundation

extension UpstreamRelease: Encodable {
    private enum Keys: String, CodingKey {
        case kind, release, published, kernels, notes, commit, notebooks, requirements, kernelspecs
    }

    /// The JSON contract of `smsync upstream parse`: `kind`, `release`, `published`, `kernels`, `notes`, and for
    /// the examples kind also `commit`, `notebooks`, `requirements`, `kernelspecs`. Absent values are `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(kind.rawValue, forKey: .kind)
        try container.encode(release, forKey: .release)
        try container.encode(published?.description, forKey: .published)
        try container.encode(kernels, forKey: .kernels)
        try container.encode(notes, forKey: .notes)
        if kind == .examples {
            let summary = examples ?? ExamplesSummary(commit: nil, notebooks: 0, requirements: [], kernelspecs: [:])
            try container.encode(summary.commit, forKey: .commit)
            try container.encode(summary.notebooks, forKey: .notebooks)
            try container.encode(summary.requirements, forKey: .requirements)
            try container.encode(summary.kernelspecs, forKey: .kernelspecs)
        }
    }

    /// Pretty-printed JSON with sorted keys (byte-identical for identical releases), ending in a newline.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A plain-text rendering for people: a header line, one row per package, the notes.
    public func tableText() -> String {
        var lines = ["kind: \(kind.rawValue)  release: \(release ?? "-")  published: \(published?.description ?? "-")"]
        var rows = [["KERNEL", "PYTHON", "PACKAGE", "VERSION", "MANAGER", "BUILD"]]
        for kernel in kernels {
            if kernel.packages.isEmpty { rows.append([kernel.kernel, kernel.python ?? "-", "-", "-", "-", "-"]) }
            for package in kernel.packages {
                rows.append([
                    kernel.kernel, kernel.python ?? "-", package.name, package.version,
                    package.manager?.rawValue ?? "-", package.build ?? "-",
                ])
            }
        }
        if !kernels.isEmpty { lines += Self.aligned(rows) }
        if let examples {
            lines.append("commit: \(examples.commit ?? "-")  notebooks: \(examples.notebooks)")
            if !examples.requirements.isEmpty {
                lines += Self.aligned(
                    [["PACKAGE", "SPEC", "FILE"]]
                        + examples.requirements.map { [$0.package, $0.spec.isEmpty ? "-" : $0.spec, $0.file] })
            }
            if !examples.kernelspecs.isEmpty {
                lines += Self.aligned(
                    [["KERNELSPEC", "NOTEBOOKS"]]
                        + examples.kernelspecs.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
            }
        }
        if !notes.isEmpty {
            lines.append("notes:")
            lines += notes.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func aligned(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }
    }
}

extension UpstreamKernel: Encodable {
    private enum Keys: String, CodingKey { case kernel, python, packages }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(kernel, forKey: .kernel)
        try container.encode(python, forKey: .python)
        try container.encode(packages, forKey: .packages)
    }
}

extension UpstreamPackage: Encodable {
    private enum Keys: String, CodingKey { case name, version, manager, build }

    /// Only `name`, `version`, `manager`, `build`: channel and subdir are not part of the JSON contract.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(manager?.rawValue, forKey: .manager)
        try container.encode(build, forKey: .build)
    }
}

extension ExampleRequirement: Encodable {
    private enum Keys: String, CodingKey { case package, spec, file }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(package, forKey: .package)
        try container.encode(spec, forKey: .spec)
        try container.encode(file, forKey: .file)
    }
}
