import Foundation
import Testing

@testable import SMSyncRuntime

/// A hostile server: a gzip body that inflates a thousandfold must be stopped at the cap, at once,
/// without buffering what libcurl keeps decoding.
@Suite("HTTP decompression bombs", .serialized)
struct HTTPBombTests {
    @Test func aGzipBombIsCutAtTheCapPromptlyAndInLittleMemory() async throws {
        let server = try await LoopbackServer.start()
        // 2 MB on the wire, about 2 GiB decoded.
        let compressed = 2_000_000
        await server.route("GET", "/nbi-al2023.html") { _ in .gzipBomb(count: compressed) }
        let before = MemoryProbe.resetPeak()
        let clock = ContinuousClock()
        let start = clock.now
        var elapsed = Duration.zero
        var failure: HTTPError?
        do {
            let http = HTTPClient(
                policy: testPolicy(timeout: 120, retries: 0, maxBytes: 1 << 20),
                transport: URLSessionTransport(),
                sleep: { _ in },
                random: { $0.upperBound },
                now: { fixedNow }
            )
            failure = await #expect(throws: HTTPError.self) {
                try await http.fetch(HTTPRequest(url: server.url("/nbi-al2023.html")))
            }
            elapsed = clock.now - start
        }
        // The client is gone: its session and transfer too, not decoding on in the background.
        let released = clock.now - start
        await server.stop()
        let peak = MemoryProbe.peak()
        #expect(failure?.kind == .tooLarge)
        #expect(failure?.message.contains("1048576") == true, "\(failure?.message ?? "")")
        let grown = peak - before
        print(
            "gzip bomb: error after \(elapsed), client released after \(released), "
                + "peak RSS \(peak >> 20) MiB (grew \(grown >> 20) MiB)")
        // Generous for a loaded machine; before the fix the client took 15 s to let go and 2 GB of memory.
        #expect(elapsed < .seconds(30), "took \(elapsed)")
        #expect(released < .seconds(30), "released after \(released)")
        #expect(grown < 300 << 20, "peak RSS grew by \(grown >> 20) MiB")
    }
}
/// Resident memory of this process, from `/proc/self/status`.
enum MemoryProbe {
    /// Resets the peak (`VmHWM`) to the current RSS, where the kernel allows it; returns the current RSS.
    static func resetPeak() -> Int {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        return field("VmRSS")
    }

    /// The peak RSS (`VmHWM`) in bytes.
    static func peak() -> Int { field("VmHWM") }

    private static func field(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}
