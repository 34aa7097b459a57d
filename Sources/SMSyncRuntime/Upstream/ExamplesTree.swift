import Foundation
import SMSync

/// Walks a checkout or extracted archive of aws/amazon-sagemaker-examples.
///
/// Folder names may start with spaces and are kept exactly. Hidden entries (`.git`, `.ipynb_checkpoints`)
/// and symbolic links are not followed. Every directory entry counts against
/// ``UpstreamLimits/maxTreeEntries`` and every file read against ``UpstreamLimits/maxTreeBytes`` (errors);
/// a single notebook or requirements file above ``UpstreamLimits/maxBytesPerFile`` is skipped with a note,
/// as is a notebook that is not JSON.
public enum ExamplesTree {
    /// Scans the tree under `root` and adds it up (see ``ExamplesReader``).
    public static func scan(
        root: String, commit: String?, limits: UpstreamLimits = UpstreamLimits()
    ) throws(UpstreamError) -> UpstreamRelease {
        guard UpstreamFiles.isDirectory(root) else {
            throw UpstreamError(.unreadable, source: .examples, location: root, message: "not a directory")
        }
        var notebooks: [NotebookScan] = []
        var requirementFiles: [RequirementsFileScan] = []
        var notes: [String] = []
        var entries = 0
        var bytesRead = 0
        var skippedLinks = 0
        var pending: [String] = [""]
        let manager = FileManager.default
        while let relativeDirectory = pending.popLast() {
            let directory = relativeDirectory.isEmpty ? root : root + "/" + relativeDirectory
            let names: [String]
            do {
                names = try manager.contentsOfDirectory(atPath: directory).sorted()
            } catch {
                if relativeDirectory.isEmpty {
                    throw UpstreamError(
                        .unreadable, source: .examples, location: root,
                        message: "cannot list: \(error.localizedDescription)")
                }
                notes.append("\(relativeDirectory): cannot list the folder; skipped")
                continue
            }
            var subdirectories: [String] = []
            for name in names {
                entries += 1
                guard entries <= limits.maxTreeEntries else {
                    throw UpstreamError(
                        .tooLarge, source: .examples, location: root,
                        message: "the tree has more than \(limits.maxTreeEntries) entries (raise it with --max-files)")
                }
                if name.hasPrefix(".") { continue }
                let relative = relativeDirectory.isEmpty ? name : relativeDirectory + "/" + name
                let full = root + "/" + relative
                guard let attributes = try? manager.attributesOfItem(atPath: full),
                    let type = attributes[.type] as? FileAttributeType
                else {
                    notes.append("\(relative): cannot read its attributes; skipped")
                    continue
                }
                if type == .typeSymbolicLink {
                    skippedLinks += 1
                    continue
                }
                if type == .typeDirectory {
                    subdirectories.append(relative)
                    continue
                }
                guard type == .typeRegular else { continue }
                let lower = name.lowercased()
                let isNotebook = lower.hasSuffix(".ipynb")
                let isRequirements = lower.hasPrefix("requirements") && lower.hasSuffix(".txt")
                guard isNotebook || isRequirements else { continue }
                let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
                guard size <= limits.maxBytesPerFile else {
                    let problem = "\(size) bytes, above the per-file limit of \(limits.maxBytesPerFile)"
                    if isNotebook {
                        notebooks.append(NotebookScan(path: relative, problem: problem))
                    } else {
                        notes.append("\(relative): \(problem); skipped")
                    }
                    continue
                }
                bytesRead += size
                guard bytesRead <= limits.maxTreeBytes else {
                    throw UpstreamError(
                        .tooLarge, source: .examples, location: root,
                        message:
                            "the notebooks and requirements files add up to more than \(limits.maxTreeBytes) bytes (raise it with --max-total-bytes)"
                    )
                }
                let data: Data
                do {
                    data = try UpstreamFiles.read(full, source: .examples, maxBytes: limits.maxBytesPerFile)
                } catch {
                    if isNotebook {
                        notebooks.append(NotebookScan(path: relative, problem: error.message))
                    } else {
                        notes.append("\(relative): \(error.message); skipped")
                    }
                    continue
                }
                if isNotebook {
                    notebooks.append(ExamplesReader.scanNotebook(data, path: relative))
                } else if let text = String(validating: data, as: UTF8.self), !data.contains(0) {
                    requirementFiles.append(ExamplesReader.scanRequirementsFile(text, path: relative))
                } else {
                    notes.append("\(relative): not UTF-8 text; skipped")
                }
            }
            pending += subdirectories.reversed()
        }
        if skippedLinks > 0 { notes.append("\(skippedLinks) symbolic links not followed") }
        return try ExamplesReader.release(
            commit: commit, root: root, notebooks: notebooks, requirementFiles: requirementFiles, notes: notes)
    }
}
