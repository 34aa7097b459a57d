import CZstd

/// Why a zstd stream could not be decompressed (or data compressed).
public struct ZstdError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not a zstd stream, or damaged.
        case corrupt
        /// The stream ends inside a frame.
        case truncated
        /// The decompressed data passed the cap.
        case tooLarge
        /// The sink refused the data (a write failed).
        case output
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// zstd through the system library (libzstd).
public enum Zstd {
    /// Decompresses `input` (one or more frames) in memory; more than `maxBytes` of output is refused as soon as
    /// it is passed, so a small bomb never becomes a large buffer.
    public static func decompress(_ input: [UInt8], maxBytes: Int) throws(ZstdError) -> [UInt8] {
        var output: [UInt8] = []
        let failure = input.withUnsafeBytes { raw -> ZstdError? in
            do throws(ZstdError) {
                try decompress(raw, maxBytes: maxBytes) { chunk in
                    output.append(contentsOf: chunk)
                    return true
                }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Decompresses `input` chunk by chunk into `sink` (which returns false when it cannot take the data: the
    /// decompression stops with ``ZstdError/Kind/output``). More than `maxBytes` of output in all is refused.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, maxBytes: Int, sink: (UnsafeRawBufferPointer) -> Bool
    ) throws(ZstdError) {
        guard !input.isEmpty, let base = input.baseAddress else {
            throw ZstdError(.truncated, "zstd: the data is empty")
        }
        guard let stream = ZSTD_createDStream() else { throw ZstdError(.corrupt, "zstd: out of memory") }
        defer { ZSTD_freeDStream(stream) }
        ZSTD_initDStream(stream)
        let chunkSize = ZSTD_DStreamOutSize()
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }
        var inBuffer = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        var total = 0
        var lastResult = 0
        while true {
            var outBuffer = ZSTD_outBuffer(dst: chunk, size: chunkSize, pos: 0)
            let result = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
            if ZSTD_isError(result) != 0 {
                let name = ZSTD_getErrorName(result).map { String(cString: $0) } ?? "unknown error"
                throw ZstdError(.corrupt, "zstd: the data is not a valid zstd stream (\(name))")
            }
            lastResult = result
            if outBuffer.pos > 0 {
                total += outBuffer.pos
                guard total <= maxBytes else {
                    throw ZstdError(.tooLarge, "zstd: the decompressed data passed the cap of \(maxBytes) bytes")
                }
                guard sink(UnsafeRawBufferPointer(start: chunk, count: outBuffer.pos)) else {
                    throw ZstdError(.output, "zstd: the decompressed data could not be stored")
                }
            }
            // All input read and the output buffer not full: nothing more will come.
            if inBuffer.pos == inBuffer.size, outBuffer.pos < outBuffer.size {
                break
            }
        }
        guard lastResult == 0 else { throw ZstdError(.truncated, "zstd: the data ends inside a frame") }
    }

    /// Compresses `input` into one frame (for fixtures and tests; the fetcher only decompresses).
    public static func compress(_ input: [UInt8], level: Int32 = 3) throws(ZstdError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let size = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { source in
                ZSTD_compress(out.baseAddress, bound, source.baseAddress, source.count, level)
            }
        }
        if ZSTD_isError(size) != 0 {
            let name = ZSTD_getErrorName(size).map { String(cString: $0) } ?? "unknown error"
            throw ZstdError(.corrupt, "zstd: compression failed (\(name))")
        }
        output.removeSubrange(size...)
        return output
    }
}
