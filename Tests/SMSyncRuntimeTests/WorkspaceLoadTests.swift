import Foundation
import SMSync
import SMSyncRuntime
import Testing

/// Env files are parsed in parallel; what the workspace holds and which error it reports must not depend on it.
@Suite("Workspace: env files read in parallel, reported in order")
struct WorkspaceLoadTests {
    func workspace(files: [String: String]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-ws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("envs"), withIntermediateDirectories: true)
        for (name, text) in files {
            try Data(text.utf8).write(to: folder.appendingPathComponent("envs/\(name)"))
        }
        let config = "envs:\n  dir: envs\nsources:\n  - kind: sdk-changelog\n    url: CHANGELOG.md\n"
        try Data(config.utf8).write(to: folder.appendingPathComponent("smsync.yml"))
        return folder.appendingPathComponent("smsync.yml").path
    }

    @Test("kernels come in file-name order, each with its own file")
    func order() throws {
        var files: [String: String] = [:]
        for index in (0..<40).reversed() {
            files[String(format: "env%02d.yml", index)] = "name: k\(index)\ndependencies:\n  - numpy=1.\(index)\n"
        }
        let loaded = try Workspace.load(configPath: try workspace(files: files))
        #expect(loaded.kernels.map(\.kernel) == (0..<40).map { "conda_k\($0)" })
        #expect(loaded.kernels.map { $0.file.dependencies.first?.versionText } == (0..<40).map { "=1.\($0)" })
    }

    @Test("of several bad files, the first by name is the one reported")
    func firstError() throws {
        var files: [String: String] = [:]
        for index in 0..<30 {
            files[String(format: "env%02d.yml", index)] = "name: k\(index)\ndependencies:\n  - numpy=1.0\n"
        }
        files["env07.yml"] = "name: seven\ndependencies: [\n"
        files["env21.yml"] = "name: twenty-one\ndependencies: {a: 1\n"
        let config = try workspace(files: files)
        for _ in 0..<5 {
            #expect {
                _ = try Workspace.load(configPath: config)
            } throws: { error in
                "\(error)".contains("env07.yml") && !"\(error)".contains("env21.yml")
            }
        }
    }
}
