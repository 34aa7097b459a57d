import Testing

@testable import SMSync

/// Rendering on every core gives the bytes of rendering one item after the other: batch and part edges, empty
/// items, items larger than the output buffer, and JSON separators and indentation across parts.
@Suite("Parallel rendering")
struct ParallelRenderingTests {
    /// Item `index`'s text: sizes from nothing to several buffers' worth.
    static func render(_ index: Int, _ out: inout ByteOutput) {
        switch index % 5 {
        case 0: return
        case 1: out.append("item \(index)\n")
        case 2: out.append(String(repeating: "x", count: 70_000 + index))
        default:
            for part in 0..<(index % 17) { out.append("<\(index).\(part)>") }
        }
    }

    @Test(arguments: [0, 1, 2, 3, 7, 127, 128, 129, 1000])
    func appendRenderedKeepsTheBytesAndTheirOrder(count: Int) {
        let sequential = ByteOutput.collect { out in
            for index in 0..<count { Self.render(index, &out) }
        }
        for batch in [1, 3, 128] {
            let parallel = ByteOutput.collect { out in
                out.append("head ")
                out.appendRendered(count: count, batch: batch) { index, out in Self.render(index, &out) }
            }
            #expect(parallel == Array("head ".utf8) + sequential, "count \(count), batch \(batch)")
        }
    }

    static func writeElement(_ index: Int, _ json: inout JSONWriter) {
        json.beginObject()
        json.field("index", index)
        json.field("text", index % 3 == 0 ? nil : "v\"\(index)\n")
        json.key("list")
        json.beginArray()
        for value in 0..<(index % 4) {
            json.element()
            json.int(value)
        }
        json.endArray()
        json.endObject()
    }

    @Test(arguments: [0, 1, 2, 300])
    func jsonElementsMatchWritingThemOneByOne(count: Int) {
        for leading in [false, true] {
            func document(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
                ByteOutput.collect { out in
                    var json = JSONWriter(output: out)
                    json.beginObject()
                    json.key("items")
                    json.beginArray()
                    if leading {
                        json.element()
                        json.string("first")
                    }
                    body(&json)
                    json.endArray()
                    json.field("after", 1)
                    json.endObject()
                    out = json.output
                }
            }
            let sequential = document { json in
                for index in 0..<count {
                    json.element()
                    Self.writeElement(index, &json)
                }
            }
            let parallel = document { json in
                json.elements(count: count) { index, json in Self.writeElement(index, &json) }
            }
            #expect(String(decoding: parallel, as: UTF8.self) == String(decoding: sequential, as: UTF8.self))
        }
    }
}
