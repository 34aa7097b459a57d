import Foundation
import SMSync
import Testing

@Suite("Upstream model, JSON contract and input checks")
struct UpstreamModelTests {
    @Test(
        "SHA-256 test vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
        ])
    func sha256(input: String, expected: String) {
        #expect(SHA256Digest.hex(Array(input.utf8)) == expected)
    }

    @Test(
        "dates",
        arguments: [
            ("2024-03-06", "2024-03-06"), ("2024-02-29", "2024-02-29"), ("2023-02-29", nil), ("2024-13-01", nil),
            ("2024-3-6", nil), ("yesterday", nil),
        ])
    func dates(text: String, expected: String?) {
        #expect(UpstreamDate(iso: text)?.description == expected)
    }

    @Test("text decoding: a byte-order mark is dropped; NUL and invalid UTF-8 name their line")
    func decoding() throws {
        #expect(
            try UpstreamText.decode(
                [0xEF, 0xBB, 0xBF] + Array("hi".utf8), source: .awsDocs, location: "x", maxBytes: 10) == "hi")
        expectUpstreamError(.binary, source: .sdkChangelog, line: 2, messageContains: ["NUL byte at byte offset 2"]) {
            _ = try UpstreamText.decode(Array("a\n".utf8) + [0], source: .sdkChangelog, location: "x", maxBytes: 10)
        }
        expectUpstreamError(.binary, source: .sdkChangelog, line: 3, messageContains: ["byte offset 4"]) {
            _ = try UpstreamText.decode(
                Array("a\nb\n".utf8) + [0xC3, 0x28], source: .sdkChangelog, location: "x", maxBytes: 10)
        }
        expectUpstreamError(.tooLarge, source: .sdkChangelog, messageContains: ["above the limit of 3 bytes"]) {
            _ = try UpstreamText.decode(Array("abcd".utf8), source: .sdkChangelog, location: "x", maxBytes: 3)
        }
    }

    @Test("error descriptions name the source, the place and the problem")
    func errorDescription() {
        let error = UpstreamError(
            .missingContent, source: .awsDocs, location: "nbi.html", line: 12, message: "no table")
        #expect(error.description == "aws-docs: nbi.html:12: no table")
    }

    @Test("the JSON contract: exact keys, nulls written out")
    func json() throws {
        let release = UpstreamRelease(
            kind: .awsDocs, release: nil, published: UpstreamDate(iso: "2026-01-02"),
            kernels: [
                UpstreamKernel(
                    kernel: "conda_python3", python: "3.10",
                    packages: [
                        UpstreamPackage(name: "python", version: "3.10", manager: .conda, channel: "conda-forge")
                    ])
            ],
            notes: ["n"], platforms: ["notebook-al2023-v1"])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(release.jsonText().utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["kind", "release", "published", "kernels", "notes"])
        #expect(object["release"] is NSNull)
        #expect(object["published"] as? String == "2026-01-02")
        let kernel = try #require((object["kernels"] as? [[String: Any]])?.first)
        #expect(Set(kernel.keys) == ["kernel", "python", "packages"])
        let package = try #require((kernel["packages"] as? [[String: Any]])?.first)
        #expect(Set(package.keys) == ["name", "version", "manager", "build"])
        #expect(package["build"] is NSNull)
        #expect(package["manager"] as? String == "conda")
    }

    @Test("the JSON contract for examples adds commit, notebooks, requirements, kernelspecs")
    func examplesJSON() throws {
        let release = UpstreamRelease(
            kind: .examples, release: "abc1234", kernels: [],
            examples: ExamplesSummary(
                commit: "abc1234", notebooks: 3,
                requirements: [
                    ExampleRequirement(package: "sagemaker", spec: ">=2.156.0,<3", file: " a/requirements.txt")
                ],
                kernelspecs: ["conda_python3": 2]))
        let text = try release.jsonText()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "kind", "release", "published", "kernels", "notes", "commit", "notebooks", "requirements",
                "kernelspecs",
            ])
        #expect(object["notebooks"] as? Int == 3)
        #expect((object["kernelspecs"] as? [String: Int]) == ["conda_python3": 2])
        let requirement = try #require((object["requirements"] as? [[String: Any]])?.first)
        #expect(requirement["spec"] as? String == ">=2.156.0,<3")
        #expect(requirement["file"] as? String == " a/requirements.txt")
        #expect(try release.jsonText() == text)
    }
}
