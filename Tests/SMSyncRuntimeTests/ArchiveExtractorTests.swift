import Foundation
import Testing

@testable import SMSyncRuntime

@Suite("Archive extraction")
struct ArchiveExtractorTests {
    /// A scratch folder: `source/` to build archives from, `out/` where extraction happens (inside `parent/`).
    struct Scratch {
        let root: String
        var source: String { root + "/source" }
        var parent: String { root + "/parent" }
        var target: String { parent + "/examples" }

        init() throws {
            root =
                FileManager.default.temporaryDirectory.appendingPathComponent("smsync-archive-\(UUID().uuidString)")
                .path
            for folder in [root + "/source", root + "/parent"] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
        }

        func write(_ relative: String, _ text: String) throws {
            let path = source + "/" + relative
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }

        /// Runs the real `tar` in `source/` with `arguments` (after `-czf ARCHIVE`) and returns the archive.
        func tarball(_ arguments: [String]) async throws -> [UInt8] {
            let archive = root + "/made-\(UUID().uuidString).tgz"
            try await ProcessRunner.check(["tar", "-czf", archive] + arguments, in: source)
            return Array(try Data(contentsOf: URL(fileURLWithPath: archive)))
        }

        /// What `parent/` holds: nothing but the extraction folder may ever appear there.
        func parentEntries() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: parent).sorted()
        }

        func remove() {
            var pending = [root]
            while let folder = pending.popLast() {
                chmod(folder, 0o755)
                for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                    var info = stat()
                    if lstat(folder + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                        pending.append(folder + "/" + name)
                    }
                }
            }
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    @Test func aGitHubStyleTarballIsExtractedWithoutItsTopFolder() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let top = "aws-amazon-sagemaker-examples-2d519b5"
        try scratch.write("\(top)/ build_and_train_models/sm-remote/requirements.txt", "sagemaker>=2.200\n")
        try scratch.write("\(top)/ml_ops/notebook é.ipynb", "{}")
        try scratch.write("\(top)/back\\slash.txt", "b")
        try scratch.write("\(top)/README.md", "readme\n")
        let bytes = try await scratch.tarball([top])

        let summary = try await ArchiveExtractor.extract(tarGz: bytes, into: scratch.target)
        #expect(summary.topFolder == top)
        #expect(summary.files == 4)
        #expect(summary.bytes == "sagemaker>=2.200\n".utf8.count + 2 + 1 + "readme\n".utf8.count)
        let requirement = scratch.target + "/ build_and_train_models/sm-remote/requirements.txt"
        #expect(try String(contentsOfFile: requirement, encoding: .utf8) == "sagemaker>=2.200\n")
        #expect(FileManager.default.fileExists(atPath: scratch.target + "/ml_ops/notebook é.ipynb"))
        #expect(FileManager.default.fileExists(atPath: scratch.target + "/back\\slash.txt"))
        #expect(!FileManager.default.fileExists(atPath: scratch.target + "/" + top))
        #expect(try scratch.parentEntries() == ["examples"], "the temporary archive is gone")
    }

    @Test func aGitArchiveWithItsPaxHeaderIsAccepted() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("repo/ leading space/file.txt", "x\n")
        let git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
        try await ProcessRunner.check(["git", "init", "-q", scratch.source + "/repo"])
        try await ProcessRunner.check(git + ["-C", scratch.source + "/repo", "add", "-A"])
        try await ProcessRunner.check(git + ["-C", scratch.source + "/repo", "commit", "-qm", "m"])
        let archive = scratch.root + "/git.tgz"
        try await ProcessRunner.check([
            "git", "-C", scratch.source + "/repo", "archive", "--format=tar.gz", "--prefix=octo-repo-abc1234/",
            "-o", archive, "HEAD",
        ])
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: archive)))
        let summary = try await ArchiveExtractor.extract(tarGz: bytes, into: scratch.target)
        #expect(summary.topFolder == "octo-repo-abc1234")
        #expect(try String(contentsOfFile: scratch.target + "/ leading space/file.txt", encoding: .utf8) == "x\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.target) == [" leading space"])
    }

    /// Builds a malicious archive, extracts it, and checks the refusal and that nothing was written anywhere.
    func expectRefusal(
        _ code: ArchiveError.Code, limits: ArchiveLimits = ArchiveLimits(), containing words: [String] = [],
        build: (Scratch) async throws -> [UInt8]
    ) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bytes = try await build(scratch)
        let before = try FileManager.default.contentsOfDirectory(atPath: scratch.root).sorted()
        let error = await #expect(throws: ArchiveError.self) {
            try await ArchiveExtractor.extract(tarGz: bytes, into: scratch.target, limits: limits)
        }
        #expect(error?.code == code, "\(String(describing: error))")
        for word in words { #expect(error?.description.contains(word) == true, "\(String(describing: error))") }
        #expect(try scratch.parentEntries().isEmpty, "nothing left in the parent folder")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.root).sorted() == before)
        #expect(!FileManager.default.fileExists(atPath: scratch.root + "/evil"))
        #expect(!FileManager.default.fileExists(atPath: scratch.parent + "/evil"))
    }

    @Test func dotDotEntriesAreRefused() async throws {
        try await expectRefusal(.unsafeEntry, containing: ["top/../../evil", "`..`"]) { scratch in
            try scratch.write("top/ok.txt", "fine")
            try scratch.write("file", "evil")
            return try await scratch.tarball(["-P", "--transform=s,^file$,top/../../evil,", "top", "file"])
        }
    }

    @Test func absolutePathsAreRefused() async throws {
        let marker = "/tmp/smsync-archive-absolute-\(UUID().uuidString)"
        try await expectRefusal(.unsafeEntry, containing: ["absolute"]) { scratch in
            try scratch.write("top/ok.txt", "fine")
            try scratch.write("file", "evil")
            return try await scratch.tarball(["-P", "--transform=s,^file$,\(marker),", "top", "file"])
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func aSymlinkPointingOutsideIsRefused() async throws {
        try await expectRefusal(.unsafeEntry, containing: ["symbolic link", "top/link"]) { scratch in
            try scratch.write("top/ok.txt", "fine")
            try FileManager.default.createSymbolicLink(
                atPath: scratch.source + "/top/link", withDestinationPath: "../../..")
            try scratch.write("payload", "evil")
            // A second entry that writes through the link, the classic escape.
            return try await scratch.tarball(["top", "--transform=s,^payload$,top/link/evil,", "payload"])
        }
    }

    @Test func hardLinksAreRefused() async throws {
        try await expectRefusal(.unsafeEntry, containing: ["hard link"]) { scratch in
            try scratch.write("top/a.txt", "a")
            try FileManager.default.linkItem(
                atPath: scratch.source + "/top/a.txt", toPath: scratch.source + "/top/b.txt")
            return try await scratch.tarball(["top"])
        }
    }

    @Test func fifosAreRefused() async throws {
        try await expectRefusal(.unsafeEntry, containing: ["only regular files and folders"]) { scratch in
            try scratch.write("top/a.txt", "a")
            try await ProcessRunner.check(["mkfifo", scratch.source + "/top/pipe"])
            return try await scratch.tarball(["top"])
        }
    }

    @Test func tooManyFilesAreRefused() async throws {
        try await expectRefusal(.tooManyFiles, limits: ArchiveLimits(maxFiles: 10), containing: ["10"]) { scratch in
            for index in 0..<20 { try scratch.write("top/f\(index).txt", "x") }
            return try await scratch.tarball(["top"])
        }
    }

    @Test func tooManyBytesAreRefused() async throws {
        try await expectRefusal(.tooLarge, limits: ArchiveLimits(maxTotalBytes: 100_000)) { scratch in
            // Compresses to almost nothing: the cap is on the unpacked size.
            try scratch.write("top/big.txt", String(repeating: "a", count: 200_000))
            return try await scratch.tarball(["top"])
        }
    }

    @Test func anArchiveExpandingFarPastTheCapIsRefusedWithoutListingItAll() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.source + "/top", withIntermediateDirectories: true)
        // 64 MiB of zeros (a sparse file here) that gzip packs into about 64 KB.
        let big = scratch.source + "/top/big.bin"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: 64 << 20)
        try handle.close()
        let archive = try await scratch.tarball(["top"])
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: ArchiveError.self) {
            try await ArchiveExtractor.extract(
                tarGz: archive, into: scratch.target, limits: ArchiveLimits(maxTotalBytes: 1 << 20, maxFiles: 100))
        }
        let elapsed = clock.now - start
        print("archive of \(archive.count) bytes expanding to 64 MiB refused in \(elapsed)")
        #expect(error?.code == .tooLarge)
        #expect(error?.message.contains("decompresses to more than") == true, "\(error?.message ?? "")")
        // A generous bound (it takes well under a second alone; the suites running beside it share two cores):
        // the refusal itself is what the code and message above assert.
        #expect(elapsed < .seconds(20), "took \(elapsed)")
        #expect(try scratch.parentEntries().isEmpty)
    }

    @Test func tooLongPathsAreRefused() async throws {
        try await expectRefusal(.pathTooLong, limits: ArchiveLimits(maxPathLength: 40)) { scratch in
            try scratch.write("top/" + String(repeating: "d", count: 30) + "/" + String(repeating: "f", count: 20), "x")
            return try await scratch.tarball(["top"])
        }
    }

    @Test func twoTopFoldersAreRefused() async throws {
        try await expectRefusal(.badArchive, containing: ["one top folder"]) { scratch in
            try scratch.write("one/a.txt", "a")
            try scratch.write("two/b.txt", "b")
            return try await scratch.tarball(["one", "two"])
        }
    }

    @Test func bytesThatAreNotAnArchiveAreRefused() async throws {
        try await expectRefusal(.badArchive) { _ in Array("<html>rate limited</html>".utf8) }
    }

    @Test func aNonEmptyDestinationIsRefusedAndKept() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("top/a.txt", "a")
        let bytes = try await scratch.tarball(["top"])
        try FileManager.default.createDirectory(atPath: scratch.target, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: scratch.target + "/mine.txt"))
        let error = await #expect(throws: ArchiveError.self) {
            try await ArchiveExtractor.extract(tarGz: bytes, into: scratch.target)
        }
        #expect(error?.code == .destination)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.target) == ["mine.txt"])
    }

    @Test func readOnlyFoldersInTheArchiveCanStillBeRemoved() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("top/locked/a.txt", "a")
        chmod(scratch.source + "/top/locked", 0o555)
        let bytes = try await scratch.tarball(["top"])
        try await ArchiveExtractor.extract(tarGz: bytes, into: scratch.target)
        try FileManager.default.removeItem(atPath: scratch.target)
        #expect(try scratch.parentEntries().isEmpty)
    }

    @Test(arguments: [
        (#"plain"#, "plain"), (#"back\\slash"#, #"back\slash"#), (#"\303\251t\303\251"#, "été"),
        (#"new\nline"#, "new\nline"), (#"tab\there"#, "tab\there"),
    ])
    func tarEscapesAreDecoded(escaped: String, name: String) {
        #expect(ArchiveExtractor.unescape(Substring(escaped)) == name)
    }
}
