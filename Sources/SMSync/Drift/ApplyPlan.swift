/// The new content of one environment file and the version edits that make it.
public struct FileEdit: Sendable {
    public var kernel: String
    public var path: String
    public var original: String
    public var edited: String
    public var edits: [VersionEdit]
    /// The file's encoding; `originalBytes` and `editedBytes` are the contents in it, byte-order mark included.
    public var encoding: TextEncoding = .utf8

    public var originalBytes: [UInt8] { encoding.encode(original) }
    public var editedBytes: [UInt8] { encoding.encode(edited) }
}

/// Why a plan could not be made.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Every `update` of a drift report turned into file contents, plus what a pull request needs: a branch name,
/// a commit message, a body and a machine-readable plan.
public struct ApplyPlan: Sendable {
    public var report: DriftReport
    public var files: [FileEdit]
    public var branchPrefix: String
    /// Links for the body's source column, by source label.
    public var links: [String: String]

    /// Applies the updates of each file through the lossless editor in one pass: every splice made on the file as
    /// it was read, the result read back once and proven to differ only in those versions.
    public init(
        report: DriftReport, local: [LocalKernel], branchPrefix: String, links: [String: String] = [:]
    )
        throws(PlanError)
    {
        self.report = report
        self.branchPrefix = branchPrefix
        self.links = links
        var byKernel: [String: LocalKernel] = [:]
        for kernel in local where byKernel[kernel.kernel] == nil { byKernel[kernel.kernel] = kernel }
        // Per file, in the order the report first names it: the kernel, the file as read, the changes.
        var jobs: [(path: String, kernel: LocalKernel, changes: [VersionChange])] = []
        var jobOfPath: [String: Int] = [:]
        var seen: [Set<VersionChange>] = []
        // The report's kernels are walked in place (`report.updates` would copy every update first).
        for kernel in report.kernels where kernel.changes.contains(where: { $0.action == .update }) {
            guard let localKernel = byKernel[kernel.kernel] else { continue }
            let path = localKernel.path
            let job: Int
            if let known = jobOfPath[path] {
                job = known
            } else {
                job = jobs.count
                jobOfPath[path] = job
                jobs.append((path, localKernel, []))
                seen.append([])
            }
            for change in kernel.changes where change.action == .update {
                let versionChange = VersionChange(
                    package: change.package, version: change.upstream, manager: change.manager)
                if seen[job].insert(versionChange).inserted { jobs[job].changes.append(versionChange) }
            }
        }
        // Files are edited and proven on every core; the first failure in report order is the one reported.
        let results = ParallelMap.map(jobs) { job in
            Result { () throws(PlanError) -> FileEdit? in
                let result: EnvironmentEdit
                do throws(EnvironmentFileError) {
                    result = try job.kernel.file.settingVersions(job.changes)
                } catch {
                    let changes = job.changes
                    let package =
                        changes.count == 1 ? changes[0].package : changes.map(\.package).joined(separator: ", ")
                    throw PlanError(message: "cannot update \(package) in \(job.path): \(error.message)")
                }
                guard !result.edits.isEmpty else { return nil }
                return FileEdit(
                    kernel: job.kernel.kernel, path: job.path, original: job.kernel.file.text, edited: result.text,
                    edits: result.edits)
            }
        }
        var files: [FileEdit] = []
        for result in results {
            if let file = try result.get() { files.append(file) }
        }
        self.files = files
    }

    public var isEmpty: Bool { files.isEmpty && report.examplesCommit == nil }

    /// A branch name that depends only on which kernels change, so a rerun (or a later upstream move for the same
    /// kernels) finds the same branch and the same pull request.
    public var branch: String {
        let kernels = files.map(\.kernel).sorted()
        let safe = kernels.map { $0.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") } }
        if safe.count == 1, let only = safe.first, !only.isEmpty { return branchPrefix + only }
        let digest = SHA256Digest.hex(Array(kernels.joined(separator: "\n").utf8)).prefix(10)
        return branchPrefix + "\(kernels.count)-kernels-\(digest)"
    }

    /// A conventional commit message: a subject, then one line per kernel.
    public var commitMessage: String {
        let count = files.reduce(0) { $0 + $1.edits.count }
        let kernels = files.count
        var message =
            "chore(envs): update \(count) package\(count == 1 ? "" : "s") in \(kernels) "
            + "kernel\(kernels == 1 ? "" : "s") from upstream\n\n"
        for file in files {
            let changes = file.edits.map { "\($0.package) \($0.oldText) → \($0.newText)" }
            message += "\(file.kernel): \(changes.joined(separator: ", "))\n"
        }
        return message
    }

    /// The pull-request body: summary, a table per kernel, held and blocked items folded, the policy.
    public var pullRequestBody: String {
        report.markdown(links: links)
    }

    /// The drift report plus the exact edits, for machines (`plan.json`), with a final newline.
    public var jsonText: String {
        ByteOutput.collectText { output in
            var json = JSONWriter(output: output)
            json.beginObject()
            json.field("branch", branch)
            json.key("report")
            report.writeJSON(to: &json)
            json.key("edits")
            json.beginArray()
            for file in files {
                for edit in file.edits {
                    json.element()
                    json.beginObject()
                    json.field("file", file.path)
                    json.field("kernel", file.kernel)
                    json.field("package", edit.package)
                    json.field("manager", edit.manager.rawValue)
                    json.field("line", edit.line)
                    json.field("from", edit.oldText)
                    json.field("to", edit.newText)
                    json.field("dropped_build", edit.droppedBuild)
                    json.endObject()
                }
            }
            json.endArray()
            json.endObject()
            json.output.append(UInt8(ascii: "\n"))
            output = json.output
        }
    }
}
