/// The file operations a multi-file write uses; tests inject failures here.
public struct FileOperations: Sendable {
    public var writeTemporary: @Sendable (_ bytes: [UInt8], _ beside: String) throws(FileSystemError) -> String
    public var commit: @Sendable (_ temp: String, _ path: String) throws(FileSystemError) -> Void
    public var discard: @Sendable (_ temp: String) -> Void
    public var restore: @Sendable (_ bytes: [UInt8], _ path: String) throws(FileSystemError) -> Void

    public init(
        writeTemporary: @escaping @Sendable ([UInt8], String) throws(FileSystemError) -> String,
        commit: @escaping @Sendable (String, String) throws(FileSystemError) -> Void,
        discard: @escaping @Sendable (String) -> Void,
        restore: @escaping @Sendable ([UInt8], String) throws(FileSystemError) -> Void
    ) {
        self.writeTemporary = writeTemporary
        self.commit = commit
        self.discard = discard
        self.restore = restore
    }

    /// The real file system: temp files beside each target, fsync, rename.
    public static let live = FileOperations(
        writeTemporary: { bytes, path throws(FileSystemError) in try AtomicFile.writeTemporary(bytes, beside: path) },
        commit: { temp, path throws(FileSystemError) in try AtomicFile.commit(temp, to: path) },
        discard: { AtomicFile.discard($0) },
        restore: { bytes, path throws(FileSystemError) in try AtomicFile.write(bytes, to: path) }
    )
}

/// Writes several files so that either all take their new content or none does.
public enum TransactionalWriter {
    public struct Change: Sendable {
        public var path: String
        public var original: [UInt8]
        public var updated: [UInt8]

        public init(path: String, original: [UInt8], updated: [UInt8]) {
            self.path = path
            self.original = original
            self.updated = updated
        }
    }

    /// Every new content goes to a temporary file first (fsynced); only when all are written are they renamed
    /// into place. A failure before the renames removes the temporary files; a failure during them puts back the
    /// files already renamed. Either way every file ends as it was and the error is rethrown.
    public static func write(_ changes: [Change], using operations: FileOperations = .live) throws(FileSystemError) {
        var temps: [String] = []
        for change in changes {
            do {
                temps.append(try operations.writeTemporary(change.updated, change.path))
            } catch {
                for temp in temps { operations.discard(temp) }
                throw error
            }
        }
        for (index, change) in changes.enumerated() {
            do {
                try operations.commit(temps[index], change.path)
            } catch {
                for later in temps[index...] { operations.discard(later) }
                for earlier in changes[..<index].reversed() {
                    try? operations.restore(earlier.original, earlier.path)
                }
                throw error
            }
        }
    }
}
