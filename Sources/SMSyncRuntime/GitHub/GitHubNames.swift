import SMSync

/// Checks on the names that end up in GitHub API paths, so that no untrusted text changes the request.
public enum GitHubNames {
    /// `owner/name` with GitHub's characters (letters, digits, `-`, `_`, `.`), neither part `.` or `..`.
    public static func isRepository(_ text: String) -> Bool {
        Configuration.isRepoName(text)
    }

    /// A branch or tag name git accepts, restricted to URL-safe characters (letters, digits, `-_./`):
    /// no `..`, no `//`, no leading `-` or `/`, no trailing `/`, `.` or `.lock`.
    public static func isReference(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 255, !text.contains(".."), !text.contains("//"), !text.hasPrefix("-"),
            !text.hasPrefix("/"), !text.hasSuffix("/"), !text.hasSuffix("."), !text.hasSuffix(".lock")
        else { return false }
        return text.utf8.allSatisfy { isNameByte($0) || $0 == 0x2F }
            && text.split(separator: "/").allSatisfy { !$0.hasPrefix(".") }
    }

    /// A workflow file name (`rebuild.yml`) or numeric id: one path part, letters, digits, `-_.`.
    public static func isWorkflow(_ text: String) -> Bool {
        isNamePart(Substring(text))
    }

    /// A commit id: 7 to 64 hexadecimal digits.
    public static func isCommit(_ text: String) -> Bool {
        (7...64).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0)
            }
    }

    /// A repository path (`build_artifacts/v4`): parts separated by `/`, none empty, `.` or `..`, no control
    /// characters or backslashes. Spaces and other characters are allowed; they are percent-encoded in the URL.
    public static func isPath(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 1024 else { return false }
        return text.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part != "." && part != ".."
                && part.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && $0 != "\\" }
        }
    }

    /// `text` percent-encoded for one URL path segment or query value: everything but `A-Za-z0-9-._~`.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }

    /// A path with each part encoded and the `/` separators kept.
    static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }.joined(separator: "/")
    }

    private static func isNamePart(_ part: Substring) -> Bool {
        !part.isEmpty && part != "." && part != ".." && part.utf8.count <= 100 && part.utf8.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D
            || byte == 0x5F || byte == 0x2E
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        isNameByte(byte) || byte == 0x7E
    }
}
