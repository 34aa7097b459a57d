import ArgumentParser
import Foundation
import SMSync
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The documented exit codes, the same for every command.
enum ExitStatus {
    static let success: Int32 = 0
    static let pendingUpdates: Int32 = 1
    static let badInput: Int32 = 2
    static let upstreamFailed: Int32 = 3
    static let locked: Int32 = 4
    static let triggerFailed: Int32 = 5
    static let localStorage: Int32 = 6

    static let help = """
        EXIT CODES
          0  success
          2  bad input: a bad command line, an invalid version or spec, an unreadable env file
        """
}

/// An error that carries the exit code the process ends with.
struct CommandFailure: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    init(_ code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }

    static func badInput(_ message: String) -> CommandFailure { CommandFailure(ExitStatus.badInput, message) }

    var description: String { message }
}

@main
enum Entrypoint {
    static func main() async {
        do {
            var command = try SMSyncCommand.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            Output.error("error: \(failure.message)")
            exit(failure.code)
        } catch {
            let code = SMSyncCommand.exitCode(for: error)
            let message = SMSyncCommand.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                exit(0)
            }
            if !message.isEmpty { Output.error(message) }
            // Argument errors are bad input (2), like any other; keep other codes (e.g. a plain ExitCode).
            exit(code == .validationFailure ? ExitStatus.badInput : code.rawValue)
        }
    }
}

struct SMSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smsync",
        abstract: "Keep the conda environment files of a notebook image in step with the SageMaker kernels.",
        discussion: """
            smsync compares the package versions that AWS ships in its notebook kernels with local conda \
            environment YAMLs, and edits those files changing only version text.

            \(ExitStatus.help)
            """,
        version: SMSyncVersion.current,
        subcommands: [
            SyncCommand.self, DiffCommand.self, ApplyCommand.self, StatusCommand.self, HistoryCommand.self,
            UpstreamCommand.self, VersionCommand.self, EnvCommand.self,
        ]
    )
}

enum SMSyncVersion {
    static let current = "0.1.0"
}

/// Large values a command is done with, kept until the process exits instead of freed one object at a time: the
/// parsed env files and the report of a 1,000-file diff are about a million small allocations, and freeing them
/// costs a tenth of the run, while the exit returns all that memory at once (compilers skip their teardown the
/// same way). Only for values nothing else needs to close: files and databases are closed as usual.
enum ProcessLifetime {
    private static let kept = Mutex<[any Sendable]>([])

    static func keep(_ value: any Sendable) {
        kept.withLock { $0.append(value) }
    }
}

/// Writing to the standard streams without buffering surprises.
enum Output {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func write(bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// Streams what `body` writes to standard output in 64 KB chunks, so a large report is never held whole.
    static func stream(_ body: (inout ByteOutput) -> Void) {
        var output = ByteOutput { chunk in
            guard let start = chunk.baseAddress else { return }
            var offset = 0
            while offset < chunk.count {
                let written = Glibc.write(1, start + offset, chunk.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
        body(&output)
        output.flush()
    }
}
