import Foundation
import SMSync

/// `smsync-bench --conformance PATH… [--verbose] [--json]`: every `*.yml`/`*.yaml` file under each PATH (a folder,
/// searched recursively, or a file) is parsed, every pinned entry is moved to a synthetic next version, and each
/// edit is checked by splicing and re-reading. Prints counts; exits 1 when an edit does not check out.
enum ConformanceRun {
    static func main(_ arguments: [String]) -> Int32 {
        let verbose = arguments.contains("--verbose")
        let json = arguments.contains("--json")
        let paths = arguments.filter { !$0.hasPrefix("--") }
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: smsync-bench --conformance PATH… [--verbose] [--json]\n".utf8))
            return 2
        }
        var files: [String] = []
        for path in paths { files += environmentFiles(under: path) }
        var results: [EnvironmentConformance.FileResult] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                let error = EnvironmentFileError(.notText, path: file, line: nil, "cannot be read")
                results.append(EnvironmentConformance.FileResult(path: file, error: error))
                continue
            }
            results.append(EnvironmentConformance.check(bytes: Array(data), path: file))
        }
        if json {
            print(jsonSummary(results))
        } else {
            print(textSummary(results, verbose: verbose))
        }
        let inexact = results.flatMap(\.results).contains {
            if case .inexact = $0.outcome { return true }
            return false
        }
        return inexact ? 1 : 0
    }

    static func environmentFiles(under path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [path] }
        guard isDirectory.boolValue else { return [path] }
        let names = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
        return names.filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
            .map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
    }

    struct Totals {
        var parsed = 0
        var failed = 0
        var entries = 0
        var pinned = 0
        var exact = 0
        var unchanged = 0
        var refused: [String: Int] = [:]
        var inexact = 0

        init(_ results: [EnvironmentConformance.FileResult]) {
            for file in results {
                if file.error != nil {
                    failed += 1
                    continue
                }
                parsed += 1
                entries += file.entries
                pinned += file.pinned
                for entry in file.results {
                    switch entry.outcome {
                    case .exact: exact += 1
                    case .unchanged: unchanged += 1
                    case .refused(let code, _): refused[code.rawValue, default: 0] += 1
                    case .inexact: inexact += 1
                    }
                }
            }
        }
    }

    static func textSummary(_ results: [EnvironmentConformance.FileResult], verbose: Bool) -> String {
        let totals = Totals(results)
        var lines: [String] = []
        for file in results {
            if let error = file.error { lines.append("failed   \(error.description)") }
            for entry in file.results {
                let location = "\(file.path):\(entry.line): `\(entry.raw)` → \(entry.next)"
                switch entry.outcome {
                case .exact:
                    if verbose { lines.append("exact    \(location)") }
                case .unchanged(let why):
                    if verbose { lines.append("same     \(file.path):\(entry.line): \(why)") }
                case .refused(let code, let why):
                    if verbose { lines.append("refused  \(location): \(code.rawValue): \(why)") }
                case .inexact(let why):
                    lines.append("INEXACT  \(location): \(why)")
                }
            }
        }
        let refusedCount = totals.refused.values.reduce(0, +)
        let reasons = totals.refused.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append(
            "files: \(results.count) (\(totals.parsed) parsed, \(totals.failed) failed); entries: \(totals.entries) "
                + "(\(totals.pinned) pinned)")
        lines.append(
            "edits: \(totals.exact) exact, \(totals.unchanged) already admitted (left as is), \(refusedCount) refused"
                + (reasons.isEmpty ? "" : " (\(reasons))") + ", \(totals.inexact) inexact")
        lines.append("crashes: 0 (in-process; scripts/env_conformance.py runs one process per file and counts them)")
        return lines.joined(separator: "\n")
    }

    static func jsonSummary(_ results: [EnvironmentConformance.FileResult]) -> String {
        let files: [JSONValue] = results.map { file in
            let entries: [JSONValue] = file.results.map { entry in
                let (outcome, code, reason): (String, String?, String?) =
                    switch entry.outcome {
                    case .exact: ("exact", nil, nil)
                    case .unchanged(let why): ("unchanged", nil, why)
                    case .refused(let code, let why): ("refused", code.rawValue, why)
                    case .inexact(let why): ("inexact", nil, why)
                    }
                return .object([
                    ("line", .int(entry.line)), ("raw", .string(entry.raw)),
                    ("manager", .string(entry.manager.rawValue)), ("next", .string(entry.next)),
                    ("outcome", .string(outcome)), ("code", .string(code)), ("reason", .string(reason)),
                ])
            }
            return .object([
                ("path", .string(file.path)), ("error", .string(file.error?.description)),
                ("code", .string(file.error?.code.rawValue)),
                ("encoding", .string(file.encoding?.rawValue)), ("entries", .int(file.entries)),
                ("pinned", .int(file.pinned)), ("results", .array(entries)),
            ])
        }
        return JSONValue.object([("files", .array(files))]).serialized()
    }
}
